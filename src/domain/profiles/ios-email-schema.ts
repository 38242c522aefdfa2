import Type, { type Static } from 'typebox';
import {
  accountName,
  durationOfEmailToSync,
  easProfileBaseDefaults,
  easProfileBaseSettings,
  emailAddressSource,
  hostName,
  requireSsl,
} from './email-common-schema.ts';
import { easAuthenticationMethods, easServiceFlags, emailCertificateTypes } from './graph-enums.ts';
import { defineProfileModel } from './profile-model.ts';
import { nullableFlag, nullableGraphEnum, nullableGraphFlags, nullableText } from './schema-kit.ts';

/**
 * `iosEasEmailProfileConfiguration`: native Mail on iOS/iPadOS, delivered as a `com.apple.eas.account`
 * payload. Graph order and nullability per reference §3.2.
 * https://learn.microsoft.com/graph/api/resources/intune-deviceconfig-ioseasemailprofileconfiguration?view=graph-rest-beta
 */
export const iosEasEmailProfileSettingsSchema = Type.Object({
  ...easProfileBaseSettings(),
  accountName: accountName(),
  authenticationMethod: nullableGraphEnum(
    easAuthenticationMethods,
    'usernameAndPassword or certificate (then identityCertificate@odata.bind is required); null = username and password. derivedCredential is not supported.',
  ),
  blockMovingMessagesToOtherEmailAccounts: nullableFlag('Block moving messages to other accounts (Apple PreventMove).'),
  blockSendingEmailFromThirdPartyApps: nullableFlag('Block sending from third-party apps (Apple PreventAppSheet).'),
  blockSyncingRecentlyUsedEmailAddresses: nullableFlag('Block syncing recently used addresses.'),
  durationOfEmailToSync: durationOfEmailToSync(),
  emailAddressSource: emailAddressSource(),
  easServices: nullableGraphFlags(
    easServiceFlags,
    'Exchange data to sync (iOS 13+): comma-separated calendars, contacts, email, notes, reminders; at least one. Null = device default (all).',
  ),
  easServicesUserOverrideEnabled: nullableFlag('Whether the user may change the per-service toggles.'),
  hostName: hostName(),
  requireSmime: nullableFlag('Enable S/MIME; required for the S/MIME certificate links.'),
  smimeEnablePerMessageSwitch: nullableFlag('Show the per-message encryption switch.'),
  smimeEncryptByDefaultEnabled: nullableFlag('Encrypt by default.'),
  smimeSigningEnabled: nullableFlag('Sign messages.'),
  smimeSigningUserOverrideEnabled: nullableFlag('User may toggle signing.'),
  smimeEncryptByDefaultUserOverrideEnabled: nullableFlag('User may toggle encrypt-by-default.'),
  smimeSigningCertificateUserOverrideEnabled: nullableFlag('User may pick the signing identity.'),
  smimeEncryptionCertificateUserOverrideEnabled: nullableFlag('User may pick the encryption identity.'),
  requireSsl: requireSsl(),
  useOAuth: nullableFlag('Use OAuth (modern authentication).'),
  signingCertificateType: nullableGraphEnum(
    emailCertificateTypes,
    'none (user picks) or certificate (then smimeSigningCertificate@odata.bind is required); null = not configured. derivedCredential is not supported.',
  ),
  encryptionCertificateType: nullableGraphEnum(
    emailCertificateTypes,
    'none (user picks) or certificate (then smimeEncryptionCertificate@odata.bind is required); null = not configured. derivedCredential is not supported.',
  ),
  perAppVPNProfileId: nullableText('Id of the per-app VPN profile (iOS 14+); null = none.', { maxLength: 128 }),
});

export type IosEasEmailProfileSettings = Static<typeof iosEasEmailProfileSettingsSchema>;

/**
 * Defaults: `requireSsl` true as in the admin UI (EAS without TLS would send the password in clear);
 * enums their "no intent"/UPN member; every nullable setting null (not configured: the payload omits it).
 */
export const iosEasEmailProfileModel = defineProfileModel({
  type: 'iosEasEmailProfileConfiguration',
  description: 'iOS/iPadOS Exchange ActiveSync email profile.',
  settings: iosEasEmailProfileSettingsSchema,
  requiredOnCreate: ['accountName', 'hostName'],
  defaults: {
    ...easProfileBaseDefaults,
    durationOfEmailToSync: 'userDefined',
    emailAddressSource: 'userPrincipalName',
    requireSsl: true,
  },
  flags: { easServices: easServiceFlags },
});
