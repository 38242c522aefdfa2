/**
 * The profile model of `/graph/beta/deviceManagement/deviceConfigurations`: email profiles and the
 * certificate profiles they link to, with Graph's names. Pure: no I/O.
 */
export {
  emailProfileTypes,
  isEmailProfileType,
  isProfileType,
  navigationProperties,
  navigationPropertiesOf,
  odataTypeOf,
  platformFamilyOf,
  profileKindOf,
  profileTypes,
  type EmailProfileType,
  type NavigationProperty,
  type PlatformFamily,
  type ProfileKind,
  type ProfileType,
} from './profile-types.ts';
export {
  noLinks,
  settingsOf,
  type Profile,
  type ProfileDraft,
  type ProfileLinks,
  type ProfileSettingsByType,
} from './profile.ts';
export { parseProfileCreate, parseProfilePatch } from './parse-profile.ts';
export { checkLinkIdsOrThrow, checkProfileLinks, linkBinds, linkedIdsOf } from './profile-links.ts';
export { changedIdentityFields } from './identity-fields.ts';
export { profileToGraph } from './profile-to-graph.ts';
export {
  deviceConfigurationSchema,
  profilePatchSchemas,
  profileSchemas,
  profileSchemasByOdataType,
} from './profile-schemas.ts';
export { flagNames } from './graph-flags.ts';
export * from './graph-enums.ts';
export type { IosEasEmailProfileSettings } from './ios-email-schema.ts';
export type { Windows10EasEmailProfileSettings, WindowsPhoneEasEmailProfileSettings } from './windows-email-schemas.ts';
export type { AndroidEasEmailProfileSettings } from './knox-email-schema.ts';
export type {
  AndroidEnterpriseGmailEasSettings,
  AndroidEnterpriseNineWorkEasSettings,
} from './android-enterprise-email-schemas.ts';
export type {
  AndroidPkcsCertificateProfileSettings,
  AndroidScepCertificateProfileSettings,
  IosPkcsCertificateProfileSettings,
  IosScepCertificateProfileSettings,
  TrustedRootCertificateSettings,
  Windows81TrustedRootCertificateSettings,
} from './certificate-schemas.ts';
