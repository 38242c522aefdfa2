import type { DirectoryUser } from '../directory.ts';
import { noLinks, type ProfileLinks } from '../profiles/profile.ts';
import type { ProfileType } from '../profiles/profile-types.ts';
import { uuidBytes } from '../name-based-uuid.ts';
import type { AssignedProfile, DeliveryDevice } from './desired-set.ts';
import type { PlanContext } from './plan-device-delivery.ts';

/** Test support for the delivery rules' tests (not a test file itself). */

export const jane: DirectoryUser = {
  id: 'user-jane',
  displayName: 'Jane Doe',
  userPrincipalName: 'jane@contoso.com',
  mail: 'jane.doe@contoso.com',
  onPremisesSamAccountName: 'jdoe',
  onPremisesDomainName: 'contoso.com',
  onPremisesNetBiosName: 'CONTOSO',
};

export const joe: DirectoryUser = { ...jane, id: 'user-joe', displayName: 'Joe Bloggs', userPrincipalName: 'joe@contoso.com', mail: 'joe@contoso.com', onPremisesSamAccountName: 'jbloggs' };

const platforms = {
  iPhone: { operatingSystem: 'iOS', osVersion: '17.4', androidManagementMode: null },
  windowsPc: { operatingSystem: 'Windows', osVersion: '10.0.22631.3296', androidManagementMode: null },
  windowsPhone: { operatingSystem: 'WindowsPhone', osVersion: '8.1.14219', androidManagementMode: null },
  knoxPhone: { operatingSystem: 'Android', osVersion: '13', androidManagementMode: 'knox' },
  workProfilePhone: { operatingSystem: 'Android', osVersion: '14', androidManagementMode: 'workProfile' },
} as const satisfies Record<string, Omit<DeliveryDevice, 'id' | 'primaryUser'>>;

export function device(kind: keyof typeof platforms, overrides: Partial<DeliveryDevice> = {}): DeliveryDevice {
  return { id: `device-${kind}`, ...platforms[kind], primaryUser: jane, ...overrides };
}

interface ProfileOptions {
  displayName?: string;
  version?: number;
  settings?: Record<string, unknown>;
  links?: Partial<ProfileLinks>;
  targeting?: AssignedProfile['targeting'];
}

/** An assigned profile with the settings delivery reads; email profiles default to host mail.contoso.com, address = UPN. */
export function assigned(odataType: ProfileType, id: string, options: ProfileOptions = {}): AssignedProfile {
  const email = odataType.includes('Eas') || odataType.includes('EAS');
  return {
    id,
    displayName: options.displayName ?? `Profile ${id}`,
    odataType,
    version: options.version ?? 1,
    settings: { ...(email ? { hostName: 'mail.contoso.com', emailAddressSource: 'userPrincipalName' } : {}), ...options.settings },
    links: { ...noLinks, ...options.links },
    targeting: options.targeting ?? 'targeted',
  };
}

export const certificateAuth = { authenticationMethod: 'certificate' } as const;

export const testNamespace = uuidBytes('0b6c1d9e-52a4-4c3f-8e7d-1a2b3c4d5e6f');

export function context(deviceId: string, now = Date.UTC(2026, 10, 30, 8), overrides: Partial<PlanContext> = {}): PlanContext {
  return { deviceId, now, uuidNamespace: testNamespace, ...overrides };
}
