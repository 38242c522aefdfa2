import type { AndroidEnterpriseGmailEasSettings, AndroidEnterpriseNineWorkEasSettings } from './android-enterprise-email-schemas.ts';
import type {
  AndroidPkcsCertificateProfileSettings,
  AndroidScepCertificateProfileSettings,
  IosPkcsCertificateProfileSettings,
  IosScepCertificateProfileSettings,
  TrustedRootCertificateSettings,
  Windows81TrustedRootCertificateSettings,
} from './certificate-schemas.ts';
import type { IosEasEmailProfileSettings } from './ios-email-schema.ts';
import type { AndroidEasEmailProfileSettings } from './knox-email-schema.ts';
import type { ProfileType } from './profile-types.ts';
import type { Windows10EasEmailProfileSettings, WindowsPhoneEasEmailProfileSettings } from './windows-email-schemas.ts';

/**
 * Links to other profiles of the same tenant, by profile id (Graph navigation properties, bound with
 * `<name>@odata.bind`). A type without a navigation property always has null there.
 */
export interface ProfileLinks {
  identityCertificate: string | null;
  smimeSigningCertificate: string | null;
  smimeEncryptionCertificate: string | null;
  rootCertificate: string | null;
}

/** A validated profile before the store gives it an identity. */
export interface ProfileDraft {
  odataType: ProfileType;
  displayName: string;
  description: string | null;
  roleScopeTagIds: string[];
  /**
   * Every other Graph property of the type, normalised (canonical flags, lower-case `hostName`, canonical
   * base64), defaults filled, keys in Graph's order. See `ProfileSettingsByType` for the typed view.
   */
  settings: Record<string, unknown>;
  links: ProfileLinks;
}

export interface Profile extends ProfileDraft {
  id: string;
  version: number;
  createdDateTime: string;
  lastModifiedDateTime: string;
}

/** The typed settings of each profile type, for consumers such as the payload compilers. */
export interface ProfileSettingsByType {
  iosEasEmailProfileConfiguration: IosEasEmailProfileSettings;
  windows10EasEmailProfileConfiguration: Windows10EasEmailProfileSettings;
  windowsPhoneEASEmailProfileConfiguration: WindowsPhoneEasEmailProfileSettings;
  androidEasEmailProfileConfiguration: AndroidEasEmailProfileSettings;
  androidWorkProfileGmailEasConfiguration: AndroidEnterpriseGmailEasSettings;
  androidWorkProfileNineWorkEasConfiguration: AndroidEnterpriseNineWorkEasSettings;
  androidForWorkGmailEasConfiguration: AndroidEnterpriseGmailEasSettings;
  androidForWorkNineWorkEasConfiguration: AndroidEnterpriseNineWorkEasSettings;
  iosTrustedRootCertificate: TrustedRootCertificateSettings;
  androidTrustedRootCertificate: TrustedRootCertificateSettings;
  androidWorkProfileTrustedRootCertificate: TrustedRootCertificateSettings;
  androidForWorkTrustedRootCertificate: TrustedRootCertificateSettings;
  windows81TrustedRootCertificate: Windows81TrustedRootCertificateSettings;
  iosScepCertificateProfile: IosScepCertificateProfileSettings;
  androidScepCertificateProfile: AndroidScepCertificateProfileSettings;
  androidWorkProfileScepCertificateProfile: AndroidScepCertificateProfileSettings;
  androidForWorkScepCertificateProfile: AndroidScepCertificateProfileSettings;
  iosPkcsCertificateProfile: IosPkcsCertificateProfileSettings;
  androidPkcsCertificateProfile: AndroidPkcsCertificateProfileSettings;
  androidWorkProfilePkcsCertificateProfile: AndroidPkcsCertificateProfileSettings;
  androidForWorkPkcsCertificateProfile: AndroidPkcsCertificateProfileSettings;
}

/**
 * The settings of `draft` typed by its type, e.g. `settingsOf(draft, 'iosEasEmailProfileConfiguration')`.
 * Throws if the draft is of another type (a programming error, not a client error).
 */
export function settingsOf<T extends ProfileType>(draft: ProfileDraft, type: T): ProfileSettingsByType[T] {
  if (draft.odataType !== type) throw new Error(`Expected a ${type}, got a ${draft.odataType}.`);
  return draft.settings as ProfileSettingsByType[T];
}

export const noLinks: Readonly<ProfileLinks> = Object.freeze({
  identityCertificate: null,
  smimeSigningCertificate: null,
  smimeEncryptionCertificate: null,
  rootCertificate: null,
});
