import type { DirectoryUser, ManagedDevice } from '../../domain/directory.ts';
import { badRequest, notFound } from '../../domain/errors.ts';
import { isEmailProfileType, type Profile } from '../../domain/profiles/index.ts';
import type { AppleCertificateMaterial } from '../../payloads/apple/certificate-material.ts';
import type { RenderedEmailProfile } from '../../payloads/render-email-profile.ts';
import type { Stores } from '../../store/postgres/stores.ts';
import { linkedCertificateProfiles, previewDevice, renderWithStandIns } from './render-inputs.ts';

/** Builds the iOS certificate material of one linked certificate profile for a preview (no keys, no passwords). */
export type PreviewMaterialBuilder = (input: {
  certificateProfile: Profile;
  user: DirectoryUser;
  device: ManagedDevice;
}) => Promise<AppleCertificateMaterial>;

export interface ProfilePreview {
  profile: Profile;
  user: DirectoryUser;
  device: ManagedDevice;
  /** True when no device was named and a stand-in device of the profile's platform was used. */
  standInDevice: boolean;
  rendered: RenderedEmailProfile;
  notes: string[];
}

/**
 * What one user's device would receive for an email profile, rendered exactly as delivery renders
 * it, except for per-device secrets: PKCS#12 identities are left out (they are issued per device at
 * delivery) and there is never a password or private key in a preview.
 */
export class PreviewService {
  readonly #stores: Stores;
  readonly #material: PreviewMaterialBuilder;

  constructor(stores: Stores, material: PreviewMaterialBuilder) {
    this.#stores = stores;
    this.#material = material;
  }

  async preview(tenantId: string, profileId: string, query: { userId?: string; deviceId?: string }): Promise<ProfilePreview> {
    const profile = await this.#stores.profiles.get(tenantId, profileId);
    if (!profile) throw notFound('Device configuration', profileId);
    if (!isEmailProfileType(profile.odataType)) {
      throw badRequest(`preview applies to email profiles; '${profile.odataType}' is a certificate profile.`, 'id');
    }
    if (!query.userId) throw badRequest('userId is required: the user whose device the preview renders for.', 'userId');
    const user = await this.#stores.users.get(tenantId, query.userId);
    if (!user) throw badRequest(`userId '${query.userId}' is not a user in this tenant.`, 'userId');

    let device: ManagedDevice;
    if (query.deviceId) {
      const found = await this.#stores.devices.get(tenantId, query.deviceId);
      if (!found) throw badRequest(`deviceId '${query.deviceId}' is not a managed device in this tenant.`, 'deviceId');
      if (found.userId !== user.id) throw badRequest(`deviceId '${query.deviceId}' does not have '${user.userPrincipalName}' as its primary user.`, 'deviceId');
      device = found;
    } else {
      device = previewDevice(profile.odataType, user.id);
    }

    const linked = await linkedCertificateProfiles(this.#stores.profiles, tenantId, profile);
    const appleCertificates = new Map<string, AppleCertificateMaterial>();
    if (device.operatingSystem === 'iOS' || device.operatingSystem === 'iPadOS') {
      for (const certificateProfile of linked) {
        appleCertificates.set(certificateProfile.id, await this.#material({ certificateProfile, user, device }));
      }
    }
    const rendered = renderWithStandIns({ profile, user, device, appleCertificates, tenantId });
    return { profile, user, device, standInDevice: !query.deviceId, rendered, notes: notesFor(rendered, linked) };
  }
}

function notesFor(rendered: RenderedEmailProfile, linked: Profile[]): string[] {
  const notes: string[] = [];
  if (rendered.format === 'mobileconfig' && linked.some((p) => p.odataType.endsWith('PkcsCertificateProfile'))) {
    notes.push('PKCS certificate identities are issued per device at delivery; the preview carries an empty placeholder without key or password.');
  }
  if (rendered.format === 'mobileconfig' && linked.some((p) => p.odataType.endsWith('ScepCertificateProfile'))) {
    notes.push('SCEP: the device generates its key and enrolls with the SCEP server; no challenge is included.');
  }
  if (rendered.format === 'syncml') notes.push('The account GUID shown is a preview stand-in; delivery assigns one per (profile, device) and keeps it.');
  if (rendered.format === 'knoxExchangeAccount') notes.push('The accountKey shown is a preview stand-in; delivery assigns one per (profile, device).');
  return notes;
}
