import type { Profile } from '../profiles/profile.ts';
import { isEmailProfileType, profileKindOf, type NavigationProperty } from '../profiles/profile-types.ts';

/** Why one profile needs another: the Graph navigation property that links them. */
export type DependencyRole = NavigationProperty;

/** A certificate profile that must be on the device (or travel with the profile) before `profileId` works. */
export interface CertificateDependency {
  profileId: string;
  role: DependencyRole;
}

export type DependencySource = Pick<Profile, 'odataType' | 'settings' | 'links'>;

/**
 * The certificate profiles `profile` needs on the same device, in link order (identity, S/MIME
 * signing, S/MIME encryption; a SCEP profile's trusted root). Only links the settings actually use
 * count, mirroring what the renderers put on the device (payloads/apple/ios-certificate-plan.ts):
 * - `identityCertificate` only with `authenticationMethod = certificate`;
 * - the S/MIME links only with `requireSmime = true` and a certificate type other than `none`
 *   (`none` means "the user picks", so nothing is delivered);
 * - `rootCertificate` of a SCEP profile always (the device must trust the issuing CA).
 * A profile linked under two roles is listed once, under its first role.
 *
 * Not derived: the trusted root a Knox profile with `requireSsl` needs when the Exchange server's
 * certificate is privately issued. Graph has no link for it, and a publicly trusted server needs
 * none, so the domain cannot require it; it is an alert, not a delivery dependency.
 */
export function certificateDependenciesOf(profile: DependencySource): CertificateDependency[] {
  const { settings, links } = profile;
  const found: CertificateDependency[] = [];
  const add = (role: DependencyRole, id: string | null) => {
    if (id !== null && !found.some((d) => d.profileId === id)) found.push({ profileId: id, role });
  };
  if (isEmailProfileType(profile.odataType)) {
    if (settings.authenticationMethod === 'certificate') add('identityCertificate', links.identityCertificate);
    if (settings.requireSmime === true) {
      if (settings.signingCertificateType !== 'none') add('smimeSigningCertificate', links.smimeSigningCertificate);
      if (settings.encryptionCertificateType !== 'none') add('smimeEncryptionCertificate', links.smimeEncryptionCertificate);
    }
  } else if (profileKindOf(profile.odataType) === 'scepCertificate') {
    add('rootCertificate', links.rootCertificate);
  }
  return found;
}
