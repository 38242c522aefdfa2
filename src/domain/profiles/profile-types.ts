/**
 * The profile types of the polymorphic Graph collection `/deviceManagement/deviceConfigurations` that
 * Envelope models, named exactly as Graph's `@odata.type` without the `#microsoft.graph.` prefix.
 * https://learn.microsoft.com/graph/api/resources/intune-shared-deviceconfiguration?view=graph-rest-beta
 *
 * Each type belongs to one platform family (certificates may only be linked within a family) and is of one
 * kind: an email profile, or one of the certificate profiles email profiles depend on.
 */

export const emailProfileTypes = [
  'iosEasEmailProfileConfiguration',
  'windows10EasEmailProfileConfiguration',
  'windowsPhoneEASEmailProfileConfiguration',
  'androidEasEmailProfileConfiguration',
  'androidWorkProfileGmailEasConfiguration',
  'androidWorkProfileNineWorkEasConfiguration',
  'androidForWorkGmailEasConfiguration',
  'androidForWorkNineWorkEasConfiguration',
] as const;

export const trustedRootCertificateTypes = [
  'iosTrustedRootCertificate',
  'androidTrustedRootCertificate',
  'androidWorkProfileTrustedRootCertificate',
  'androidForWorkTrustedRootCertificate',
  'windows81TrustedRootCertificate',
] as const;

export const scepCertificateProfileTypes = [
  'iosScepCertificateProfile',
  'androidScepCertificateProfile',
  'androidWorkProfileScepCertificateProfile',
  'androidForWorkScepCertificateProfile',
] as const;

export const pkcsCertificateProfileTypes = [
  'iosPkcsCertificateProfile',
  'androidPkcsCertificateProfile',
  'androidWorkProfilePkcsCertificateProfile',
  'androidForWorkPkcsCertificateProfile',
] as const;

export type EmailProfileType = (typeof emailProfileTypes)[number];
export type TrustedRootCertificateType = (typeof trustedRootCertificateTypes)[number];
export type ScepCertificateProfileType = (typeof scepCertificateProfileTypes)[number];
export type PkcsCertificateProfileType = (typeof pkcsCertificateProfileTypes)[number];
export type ProfileType =
  | EmailProfileType
  | TrustedRootCertificateType
  | ScepCertificateProfileType
  | PkcsCertificateProfileType;

export const profileTypes: readonly ProfileType[] = [
  ...emailProfileTypes,
  ...trustedRootCertificateTypes,
  ...scepCertificateProfileTypes,
  ...pkcsCertificateProfileTypes,
];

/**
 * Which devices a profile can reach. `knox` is Android device administrator (Samsung Knox Standard, Graph's
 * unprefixed `android*` types); `androidWorkProfile` and `androidForWork` are the current and legacy
 * Android Enterprise work-profile generations, which Graph keeps as separate type families.
 */
export type PlatformFamily = 'ios' | 'windows' | 'knox' | 'androidWorkProfile' | 'androidForWork';

export type ProfileKind = 'email' | 'trustedRootCertificate' | 'scepCertificate' | 'pkcsCertificate';

/** Graph navigation properties Envelope binds with `<name>@odata.bind`; each points at another profile. */
export const navigationProperties = [
  'identityCertificate',
  'smimeSigningCertificate',
  'smimeEncryptionCertificate',
  'rootCertificate',
] as const;
export type NavigationProperty = (typeof navigationProperties)[number];

export const odataTypePrefix = '#microsoft.graph.';

const emailTypeSet: ReadonlySet<string> = new Set(emailProfileTypes);
const trustedRootTypeSet: ReadonlySet<string> = new Set(trustedRootCertificateTypes);
const scepTypeSet: ReadonlySet<string> = new Set(scepCertificateProfileTypes);
const profileTypeSet: ReadonlySet<string> = new Set(profileTypes);

export function isProfileType(value: string): value is ProfileType {
  return profileTypeSet.has(value);
}

export function isEmailProfileType(t: ProfileType): t is EmailProfileType {
  return emailTypeSet.has(t);
}

export function profileKindOf(t: ProfileType): ProfileKind {
  if (emailTypeSet.has(t)) return 'email';
  if (trustedRootTypeSet.has(t)) return 'trustedRootCertificate';
  if (scepTypeSet.has(t)) return 'scepCertificate';
  return 'pkcsCertificate';
}

/**
 * The family follows Graph's naming: the `androidWorkProfile`/`androidForWork` prefixes are checked before
 * the bare `android` one, and `windows81TrustedRootCertificate` is the Windows trusted root.
 */
export function platformFamilyOf(t: ProfileType): PlatformFamily {
  if (t.startsWith('ios')) return 'ios';
  if (t.startsWith('windows')) return 'windows';
  if (t.startsWith('androidWorkProfile')) return 'androidWorkProfile';
  if (t.startsWith('androidForWork')) return 'androidForWork';
  return 'knox';
}

/**
 * The navigation properties a type has, per the reference's property matrix (§3.7) and the certificate
 * resource pages: iOS email has all three certificate links, Knox has identity and S/MIME signing, Android
 * Enterprise has identity only, Windows none; SCEP profiles link their trusted root.
 * Graph's Android PKCS types also inherit `rootCertificate`; Envelope's own CA issues PKCS certificates and
 * delivers its chain itself, so that link is not modelled.
 */
export function navigationPropertiesOf(t: ProfileType): readonly NavigationProperty[] {
  if (t === 'iosEasEmailProfileConfiguration') {
    return ['identityCertificate', 'smimeSigningCertificate', 'smimeEncryptionCertificate'];
  }
  if (t === 'androidEasEmailProfileConfiguration') return ['identityCertificate', 'smimeSigningCertificate'];
  if (t.startsWith('windows')) return [];
  if (emailTypeSet.has(t)) return ['identityCertificate'];
  if (scepTypeSet.has(t)) return ['rootCertificate'];
  return [];
}

/** `'#microsoft.graph.iosEasEmailProfileConfiguration'` for `'iosEasEmailProfileConfiguration'`. */
export function odataTypeOf(t: ProfileType): string {
  return `${odataTypePrefix}${t}`;
}
