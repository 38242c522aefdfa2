import type { AccountUserValues } from '../../domain/user-values.ts';
import type { PayloadIdentity } from './certificate-payloads.ts';
import type { EmailSyncDuration, IosEmailSettingsInput } from './ios-email-profile-input.ts';
import { settingValueInvalid } from './ios-render-errors.ts';
import type { PlistDict } from './plist-xml.ts';

/** `PayloadUUID`s of the certificate payloads the account refers to, null when unused. */
export interface EasCertificateReferences {
  identity: string | null;
  signing: string | null;
  encryption: string | null;
}

/**
 * The `com.apple.eas.account` payload for one user, mapping Graph settings to Apple keys per
 * intune-email-model §11 (https://github.com/apple/device-management, `mdm/profiles/com.apple.eas.account.yaml`).
 *
 * Promises:
 * - never a `Password`, `CertificatePassword` or inline `Certificate`: the user types the password
 *   on the device, and identities are referenced by `PayloadUUID`;
 * - `SSL` is always explicit (Apple's default is false);
 * - `UserName` is `DOMAIN\user` when a domain resolves (sAM account name), else the bare user name;
 * - the account's name on the device is the payload's `PayloadDisplayName` (Graph `accountName`);
 * - a Graph property left null is omitted, so the device keeps Apple's default; with `easServices`
 *   set, all five `Enable*` keys are written, so a service left out is switched off;
 * - S/MIME keys only with `requireSmime`; `SMIMEEnableEncryptionPerMessageSwitch` (iOS 12+) rather
 *   than the deprecated `SMIMEEnablePerMessageSwitch`.
 */
export function easAccountPayload(
  settings: IosEmailSettingsInput,
  values: AccountUserValues,
  id: PayloadIdentity,
  certificates: EasCertificateReferences,
): PlistDict {
  const smime = settings.requireSmime === true;
  return {
    PayloadType: 'com.apple.eas.account',
    PayloadVersion: 1,
    PayloadIdentifier: id.identifier,
    PayloadUUID: id.uuid,
    PayloadDisplayName: settings.accountName,
    Host: settings.hostName,
    EmailAddress: values.emailAddress,
    UserName: values.domain ? `${values.domain}\\${values.userName}` : values.userName,
    SSL: settings.requireSsl,
    OAuth: settings.useOAuth ?? undefined,
    PayloadCertificateUUID: certificates.identity ?? undefined,
    MailNumberOfPastDaysToSync: mailNumberOfPastDaysToSync(settings.durationOfEmailToSync),
    ...serviceKeys(settings.easServices, settings.easServicesUserOverrideEnabled),
    PreventMove: settings.blockMovingMessagesToOtherEmailAccounts ?? undefined,
    PreventAppSheet: settings.blockSendingEmailFromThirdPartyApps ?? undefined,
    disableMailRecentsSyncing: settings.blockSyncingRecentlyUsedEmailAddresses ?? undefined,
    ...(smime ? smimeKeys(settings, certificates) : undefined),
    // Contract with the per-app VPN renderer: a VPN profile's `VPNUUID` is its Envelope profile id.
    VPNUUID: settings.perAppVPNProfileId ?? undefined,
  };
}

/** Apple counts days (0 = no limit); Graph's `userDefined` means "no intent", so the key is omitted. */
const pastDaysToSync: Readonly<Record<EmailSyncDuration, number | undefined>> = {
  userDefined: undefined,
  oneDay: 1,
  threeDays: 3,
  oneWeek: 7,
  twoWeeks: 14,
  oneMonth: 31,
  unlimited: 0,
};

function mailNumberOfPastDaysToSync(duration: EmailSyncDuration): number | undefined {
  if (!Object.hasOwn(pastDaysToSync, duration)) {
    throw settingValueInvalid('durationOfEmailToSync', duration, `one of ${Object.keys(pastDaysToSync).join(', ')}`);
  }
  return pastDaysToSync[duration];
}

/** Graph `easServices` flag names → Apple keys, in Apple's documented order. */
const serviceKeyByFlag = {
  email: 'EnableMail',
  contacts: 'EnableContacts',
  calendars: 'EnableCalendars',
  reminders: 'EnableReminders',
  notes: 'EnableNotes',
} as const;
type EasServiceFlag = keyof typeof serviceKeyByFlag;

function serviceKeys(easServices: string | null | undefined, userOverride: boolean | null | undefined): PlistDict {
  const keys: Record<string, boolean> = {};
  if (easServices !== null && easServices !== undefined) {
    const enabled = parseEasServices(easServices);
    for (const [flag, key] of Object.entries(serviceKeyByFlag)) keys[key] = enabled.has(flag as EasServiceFlag);
  }
  if (userOverride !== null && userOverride !== undefined) {
    for (const key of Object.values(serviceKeyByFlag)) keys[`${key}UserOverridable`] = userOverride;
  }
  return keys;
}

/** Parses Graph's comma-separated flags; `none` contributes nothing; Apple needs at least one service on. */
function parseEasServices(value: string): Set<EasServiceFlag> {
  const enabled = new Set<EasServiceFlag>();
  for (const raw of value.split(',')) {
    const flag = raw.trim();
    if (flag === 'none' || flag === '') continue;
    if (!Object.hasOwn(serviceKeyByFlag, flag)) {
      throw settingValueInvalid('easServices', value, `flags among ${Object.keys(serviceKeyByFlag).join(', ')}`);
    }
    enabled.add(flag as EasServiceFlag);
  }
  if (enabled.size === 0) throw settingValueInvalid('easServices', value, 'at least one service must be enabled on iOS');
  return enabled;
}

function smimeKeys(settings: IosEmailSettingsInput, certificates: EasCertificateReferences): PlistDict {
  return {
    SMIMESigningEnabled: settings.smimeSigningEnabled ?? undefined,
    SMIMESigningUserOverrideable: settings.smimeSigningUserOverrideEnabled ?? undefined,
    SMIMESigningCertificateUUID: certificates.signing ?? undefined,
    SMIMESigningCertificateUUIDUserOverrideable: settings.smimeSigningCertificateUserOverrideEnabled ?? undefined,
    SMIMEEncryptByDefault: settings.smimeEncryptByDefaultEnabled ?? undefined,
    SMIMEEncryptByDefaultUserOverrideable: settings.smimeEncryptByDefaultUserOverrideEnabled ?? undefined,
    SMIMEEncryptionCertificateUUID: certificates.encryption ?? undefined,
    SMIMEEncryptionCertificateUUIDUserOverrideable: settings.smimeEncryptionCertificateUserOverrideEnabled ?? undefined,
    SMIMEEnableEncryptionPerMessageSwitch: settings.smimeEnablePerMessageSwitch ?? undefined,
  };
}
