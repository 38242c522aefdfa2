import type { DirectoryUser } from '../../domain/directory.ts';
import type { EmailSyncDuration, EmailSyncSchedule } from '../../domain/profiles/graph-enums.ts';
import { resolveAccountUserValues, type AccountUserValues } from '../../domain/user-values.ts';
import type { WindowsEasEmailSettings } from './windows-eas-settings.ts';

/**
 * One ActiveSync CSP leaf: `path` is relative to the account node `Accounts/{AccountGUID}` and keeps
 * GUID braces literal (`Options/ContentTypes/{…}/Enabled`); encoding for a LocURI happens later.
 * Every leaf of this CSP is DFFormat `chr`, so `value` is always a string.
 * https://learn.microsoft.com/windows/client-management/mdm/activesync-csp
 */
export interface CspLeaf {
  path: string;
  value: string;
}

/** Content-type node names, lower-case exactly as the DDF lists them. */
export const contentTypeGuids = {
  email: '{c6d47067-6e92-480e-b0fc-4ba82182fac7}',
  contacts: '{0dd8685c-e272-4fcb-9ecf-2ead7ea2497b}',
  calendar: '{4a5d9fe0-f139-4a63-a5a4-4f31ceea02ad}',
  tasks: '{783ae4f6-4c12-4423-8270-66361260d4f1}',
} as const;

/**
 * `Options/MailAgeFilter` per `durationOfEmailToSync` (EAS FilterType codes). `userDefined` emits no
 * leaf. `oneDay` → 1 is in the 2024 DDF but not in the 2017 doc list (0, 2–5); old Windows 10 Mobile
 * builds may reject it. Code 6 (three months) has no Graph counterpart and is never emitted.
 */
const mailAgeFilters: Record<EmailSyncDuration, string | null> = {
  userDefined: null,
  oneDay: '1',
  threeDays: '2',
  oneWeek: '3',
  twoWeeks: '4',
  oneMonth: '5',
  unlimited: '0',
};

/**
 * `Options/Schedule` in minutes per `emailSyncSchedule` (-1 push, 0 manual). `basedOnMyUsage` emits
 * no leaf, like `userDefined`: the CSP has no value for an adaptive schedule, and -1 or a fixed
 * interval would state an intent the admin did not express; the device keeps its own choice.
 */
const schedules: Record<EmailSyncSchedule, string | null> = {
  userDefined: null,
  asMessagesArrive: '-1',
  manual: '0',
  fifteenMinutes: '15',
  thirtyMinutes: '30',
  sixtyMinutes: '60',
  basedOnMyUsage: null,
};

/**
 * The desired leaves of one Exchange account, in a fixed order (identity, then options, then
 * content types). Contract:
 * - never a `Password` (the user types it on the device) and never `ContentTypes/…/Name` (it fails
 *   provisioning inside `Atomic`, and "is not working" on Windows 10 per the 2017 CSP doc);
 * - `Domain` only when the user values resolved one; `MailAgeFilter`/`Schedule` only when the
 *   profile states an intent (see the maps above);
 * - no `AccountIcon`: the 2024 DDF does not require it, Windows 10/11 Mail shows its own Exchange
 *   icon, and the suggested values are Windows Phone resource paths (`res://AccountSettingsSharedRes…`)
 *   whose screen-resolution template the server cannot fill in;
 * - email sync is always enabled (an account that syncs no mail is not an email profile); contacts,
 *   calendar and tasks follow `syncContacts`/`syncCalendar`/`syncTasks`.
 */
export function windowsAccountLeaves(settings: WindowsEasEmailSettings, values: AccountUserValues): CspLeaf[] {
  const leaves: CspLeaf[] = [
    { path: 'EmailAddress', value: values.emailAddress },
    { path: 'ServerName', value: settings.hostName },
    { path: 'UserName', value: values.userName },
  ];
  if (values.domain !== null) leaves.push({ path: 'Domain', value: values.domain });
  leaves.push(
    { path: 'AccountName', value: settings.accountName },
    { path: 'AccountType', value: 'Exchange' },
    { path: 'Options/UseSSL', value: settings.requireSsl ? '1' : '0' },
  );
  const mailAgeFilter = mailAgeFilters[settings.durationOfEmailToSync];
  if (mailAgeFilter !== null) leaves.push({ path: 'Options/MailAgeFilter', value: mailAgeFilter });
  const schedule = schedules[settings.emailSyncSchedule];
  if (schedule !== null) leaves.push({ path: 'Options/Schedule', value: schedule });
  leaves.push(
    contentTypeLeaf(contentTypeGuids.email, true),
    contentTypeLeaf(contentTypeGuids.contacts, settings.syncContacts),
    contentTypeLeaf(contentTypeGuids.calendar, settings.syncCalendar),
    contentTypeLeaf(contentTypeGuids.tasks, settings.syncTasks),
  );
  return leaves;
}

/**
 * `windowsAccountLeaves` for the device's primary user. Throws `MissingUserAttributeError` when the
 * user lacks an attribute the profile's sources need, so the device gets a clear error instead of a
 * broken account.
 */
export function windowsAccountLeavesForUser(settings: WindowsEasEmailSettings, user: DirectoryUser): CspLeaf[] {
  return windowsAccountLeaves(settings, resolveAccountUserValues(settings, user));
}

function contentTypeLeaf(guid: string, enabled: boolean): CspLeaf {
  return { path: `Options/ContentTypes/${guid}/Enabled`, value: enabled ? '1' : '0' };
}
