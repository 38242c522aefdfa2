/**
 * Graph (beta) enum members used by the profile types, in Graph's member order (= ascending value). On the
 * wire Graph always uses the member name. Flags enums are listed with their members in value order so that
 * a canonical serialisation can follow it.
 * Sources: reference `intune-email-model.md` §4 and the `intune-*` enum pages of microsoft-graph-docs.
 */

export const easAuthenticationMethods = ['usernameAndPassword', 'certificate', 'derivedCredential'] as const;
export type EasAuthenticationMethod = (typeof easAuthenticationMethods)[number];

export const emailSyncDurations = [
  'userDefined',
  'oneDay',
  'threeDays',
  'oneWeek',
  'twoWeeks',
  'oneMonth',
  'unlimited',
] as const;
export type EmailSyncDuration = (typeof emailSyncDurations)[number];

export const emailSyncSchedules = [
  'userDefined',
  'asMessagesArrive',
  'manual',
  'fifteenMinutes',
  'thirtyMinutes',
  'sixtyMinutes',
  'basedOnMyUsage',
] as const;
export type EmailSyncSchedule = (typeof emailSyncSchedules)[number];

/** Graph `userEmailSource`: `emailAddressSource`, and `usernameSource` on the iOS/Windows family. */
export const userEmailSources = ['userPrincipalName', 'primarySmtpAddress'] as const;
export type UserEmailSource = (typeof userEmailSources)[number];

/** Graph `usernameSource` (the enum): `usernameAADSource` on the iOS/Windows family. */
export const usernameSources = ['userPrincipalName', 'primarySmtpAddress', 'samAccountName'] as const;
export type UsernameSource = (typeof usernameSources)[number];

/** Graph `androidUsernameSource`: `usernameSource` on Knox and Android Enterprise; `username` = UPN prefix. */
export const androidUsernameSources = ['username', 'userPrincipalName', 'samAccountName', 'primarySmtpAddress'] as const;
export type AndroidUsernameSource = (typeof androidUsernameSources)[number];

export const domainNameSources = ['fullDomainName', 'netBiosDomainName'] as const;
export type DomainNameSource = (typeof domainNameSources)[number];

export const emailCertificateTypes = ['none', 'certificate', 'derivedCredential'] as const;
export type EmailCertificateType = (typeof emailCertificateTypes)[number];

/** Flags: none (0), calendars (1), contacts (2), email (4), notes (8), reminders (16). */
export const easServiceFlags = ['none', 'calendars', 'contacts', 'email', 'notes', 'reminders'] as const;
export type EasServiceFlag = (typeof easServiceFlags)[number];

/** Graph `appleSubjectNameFormat` (iOS certificate profiles). */
export const appleSubjectNameFormats = [
  'commonName',
  'commonNameAsEmail',
  'custom',
  'commonNameIncludingEmail',
  'commonNameAsIMEI',
  'commonNameAsSerialNumber',
] as const;

/** Graph `subjectNameFormat` (Android certificate profiles, all three families). */
export const subjectNameFormats = [
  'commonName',
  'commonNameIncludingEmail',
  'commonNameAsEmail',
  'custom',
  'commonNameAsIMEI',
  'commonNameAsSerialNumber',
  'commonNameAsAadDeviceId',
  'commonNameAsIntuneDeviceId',
  'commonNameAsDurableDeviceId',
] as const;

/** Flags: none (0), emailAddress (1), userPrincipalName (2), customAzureADAttribute (4), domainNameService (8), universalResourceIdentifier (16). */
export const subjectAlternativeNameTypeFlags = [
  'none',
  'emailAddress',
  'userPrincipalName',
  'customAzureADAttribute',
  'domainNameService',
  'universalResourceIdentifier',
] as const;

/** Flags: keyEncipherment (1), digitalSignature (2). */
export const keyUsageFlags = ['keyEncipherment', 'digitalSignature'] as const;

export const keySizes = ['size1024', 'size2048', 'size4096'] as const;

/** Flags: sha1 (1), sha2 (2). Android SCEP only. */
export const hashAlgorithmFlags = ['sha1', 'sha2'] as const;

export const certificateValidityPeriodScales = ['days', 'months', 'years'] as const;

/** Graph `certificateDestinationStore` (Windows 8.1+ trusted root). */
export const certificateDestinationStores = [
  'computerCertStoreRoot',
  'computerCertStoreIntermediate',
  'userCertStoreIntermediate',
] as const;
