import type { ManagedDevice } from '../../domain/directory.ts';
import { linkedIdsOf, platformFamilyOf, type EmailProfileType } from '../../domain/profiles/index.ts';
import type { ProfileStore } from '../../store/postgres/profile-store.ts';
import { nameBasedUuid, uuidBytes } from '../../payloads/apple/name-based-uuid.ts';
import type { DirectoryUser } from '../../domain/directory.ts';
import type { Profile } from '../../domain/profiles/index.ts';
import type { AppleCertificateMaterialById } from '../../payloads/apple/certificate-material.ts';
import { renderEmailProfile, type AndroidCertificateRef, type RenderedEmailProfile } from '../../payloads/render-email-profile.ts';

/**
 * Conventions shared by preview and delivery so that both render the same bytes: the UUID namespace
 * of payload identifiers, how Android certificates are aliased, and stand-ins for per-device values
 * that do not exist before a device is known.
 */

/** Namespace of every name-based UUID Envelope derives (payload UUIDs, preview GUIDs). Never change it. */
export const envelopeUuidNamespace = '6f1d3c52-8a4e-4b7f-9d21-5c0e8b3a7f64';

/** Certificates Envelope installs on Android devices carry this alias; the account references it. */
export function androidCertificateRef(certificateProfileId: string): AndroidCertificateRef {
  return { alias: `envelope-${certificateProfileId}`, storageName: 'default' };
}

/** A stable, obviously derived GUID for values that delivery assigns once per device (preview only). */
export function previewGuid(...parts: string[]): string {
  return nameBasedUuid(uuidBytes(envelopeUuidNamespace), ['preview', ...parts]).toUpperCase();
}

/** The device a preview renders for when the admin names only a user: the profile's own platform. */
export function previewDevice(type: EmailProfileType, userId: string): ManagedDevice {
  const family = platformFamilyOf(type);
  const platform: Pick<ManagedDevice, 'operatingSystem' | 'androidManagementMode' | 'deviceName'> =
    family === 'ios' ? { operatingSystem: 'iOS', androidManagementMode: null, deviceName: 'iPhone (preview)' }
    : family === 'windows' ? { operatingSystem: 'Windows', androidManagementMode: null, deviceName: 'Windows PC (preview)' }
    : family === 'knox' ? { operatingSystem: 'Android', androidManagementMode: 'knox', deviceName: 'Samsung device (preview)' }
    : { operatingSystem: 'Android', androidManagementMode: 'workProfile', deviceName: 'Android work profile (preview)' };
  return {
    id: previewGuid('device', type, userId).toLowerCase(),
    ...platform,
    osVersion: 'preview',
    model: null,
    userId,
    enrolledDateTime: new Date(0).toISOString(),
    lastSyncDateTime: null,
  };
}

/**
 * Renders for preview and for the offline CLI: the per-device values that delivery assigns once (the
 * Windows account GUID, the Knox account key) are replaced by stable stand-ins derived from the
 * profile and device.
 */
export function renderWithStandIns(input: {
  profile: Profile;
  user: DirectoryUser;
  device: ManagedDevice;
  appleCertificates: AppleCertificateMaterialById;
  tenantId: string;
}): RenderedEmailProfile {
  const { profile, device } = input;
  return renderEmailProfile({
    profile,
    user: input.user,
    device,
    appleCertificates: input.appleCertificates,
    androidCertificate: androidCertificateRef,
    windowsAccountGuid: previewGuid('windows-account', profile.id, device.id),
    knoxAccountKey: previewGuid('knox-account', profile.id, device.id).toLowerCase(),
    ids: { namespace: envelopeUuidNamespace, tenantId: input.tenantId },
  });
}

/**
 * The certificate profiles an email profile links and, for SCEP profiles, their trusted roots: what
 * its iOS render embeds. Preview and delivery render from the same list.
 */
export async function linkedCertificateProfiles(profiles: Pick<ProfileStore, 'getMany'>, tenantId: string, profile: Profile): Promise<Profile[]> {
  const direct = await profiles.getMany(tenantId, linkedIdsOf(profile.links));
  const rootIds = direct.flatMap((p) => (p.links.rootCertificate ? [p.links.rootCertificate] : []));
  const roots = await profiles.getMany(tenantId, rootIds.filter((id) => !direct.some((p) => p.id === id)));
  return [...direct, ...roots];
}
