import type { DirectoryUser, ManagedDevice } from '../../domain/directory.ts';
import { parseProfileCreate, type Profile, type ProfileType } from '../../domain/profiles/index.ts';
import { asProfile, minimalBody } from '../../domain/profiles/profile-test-helpers.ts';

/** Users, devices and certificate profiles for the certificate service's tests. */

/**
 * A stored certificate profile built through the real profile model (validation, defaults), from the
 * type's smallest valid body plus `settings` (Graph names).
 */
export function certificateProfile(type: ProfileType, settings: Record<string, unknown> = {}, id = 'cert-1'): Profile {
  return asProfile(parseProfileCreate({ ...minimalBody(type), ...settings }), id);
}

export function testUser(overrides: Partial<DirectoryUser> = {}): DirectoryUser {
  return {
    id: 'user-1',
    displayName: 'Jane Doe',
    userPrincipalName: 'jane.doe@contoso.com',
    mail: 'jane@contoso.com',
    onPremisesSamAccountName: 'jdoe',
    onPremisesDomainName: 'contoso.com',
    onPremisesNetBiosName: 'CONTOSO',
    ...overrides,
  };
}

export function testDevice(overrides: Partial<ManagedDevice> = {}): ManagedDevice {
  return {
    id: '3f1c2a9e-0d4b-4c7a-9a51-6b2e8f0c1d23',
    deviceName: 'Jane iPhone',
    operatingSystem: 'iOS',
    osVersion: '18.1',
    model: 'iPhone15,2',
    androidManagementMode: null,
    userId: 'user-1',
    enrolledDateTime: '2025-01-01T00:00:00.000Z',
    lastSyncDateTime: null,
    ...overrides,
  };
}
