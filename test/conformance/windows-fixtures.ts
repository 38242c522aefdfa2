import fc from 'fast-check';
import type { DirectoryUser } from '../../src/domain/directory.ts';
import { emailSyncDurations, emailSyncSchedules } from '../../src/domain/profiles/graph-enums.ts';
import type { WindowsEasEmailSettings } from '../../src/payloads/windows/windows-eas-settings.ts';

/** Fixed inputs for examples and golden files. */
export const fixedGuids = {
  account: '0f6b3e1d-2c4a-4b7e-9d8f-1a2b3c4d5e6f',
  replacement: 'c556e16f-56c4-4edb-9c64-d9469ee1fbe0',
} as const;

export const fixedHeader = {
  SessionID: '1A',
  MsgID: 2,
  Target: 'urn:uuid:5e1f6c1a-7d2b-4f3e-9a0b-1c2d3e4f5a6b',
  Source: 'https://envelope.example.com/ManagementServer/MDM.svc',
} as const;

export const jane: DirectoryUser = {
  id: 'user-jane',
  displayName: 'Jane Doe',
  userPrincipalName: 'jane.doe@contoso.com',
  mail: 'jane@contoso.com',
  onPremisesSamAccountName: 'jdoe',
  onPremisesDomainName: 'corp.contoso.com',
  onPremisesNetBiosName: 'CONTOSO',
};

/** A Windows 10 profile that sets everything: sAM login with NetBIOS domain, one week, push. */
export const windows10Settings: WindowsEasEmailSettings = {
  hostName: 'outlook.contoso.com',
  accountName: 'Contoso Mail',
  usernameSource: 'userPrincipalName',
  usernameAADSource: 'samAccountName',
  userDomainNameSource: 'netBiosDomainName',
  customDomainName: null,
  emailAddressSource: 'primarySmtpAddress',
  requireSsl: true,
  durationOfEmailToSync: 'oneWeek',
  emailSyncSchedule: 'asMessagesArrive',
  syncCalendar: true,
  syncContacts: true,
  syncTasks: false,
};

/** A Windows Phone 8.1 profile as the legacy UI makes it: UPN login, no address source, not-configured sync. */
export const windowsPhoneSettings: WindowsEasEmailSettings = {
  hostName: 'mail.contoso.com',
  accountName: 'Work email',
  usernameSource: 'userPrincipalName',
  usernameAADSource: null,
  userDomainNameSource: null,
  customDomainName: null,
  emailAddressSource: null,
  requireSsl: true,
  durationOfEmailToSync: 'twoWeeks',
  emailSyncSchedule: 'thirtyMinutes',
  syncCalendar: true,
  syncContacts: false,
  syncTasks: true,
};

/** Printable text: the renderer refuses characters XML cannot carry (see render-syncml.ts). */
const displayText = fc.string({ unit: 'grapheme', minLength: 1, maxLength: 40 }).filter((text) => !/[\u0000-\u001f\u007f\ufffe\uffff]/.test(text));
const label = fc.stringMatching(/^[a-z][a-z0-9-]{0,14}$/);
const hostName = fc.tuple(label, label).map(([host, domain]) => `${host}.${domain}.com`);

/** Any valid Windows 10 / Windows Phone 8.1 profile's settings. */
export const windowsSettingsArbitrary: fc.Arbitrary<WindowsEasEmailSettings> = fc.record({
  hostName,
  accountName: displayText,
  usernameSource: fc.constantFrom('userPrincipalName', 'primarySmtpAddress'),
  usernameAADSource: fc.constantFrom(null, 'userPrincipalName', 'primarySmtpAddress', 'samAccountName'),
  userDomainNameSource: fc.constantFrom(null, 'fullDomainName', 'netBiosDomainName'),
  customDomainName: fc.option(label.map((name) => name.toUpperCase()), { nil: null }),
  emailAddressSource: fc.constantFrom(null, 'userPrincipalName', 'primarySmtpAddress'),
  requireSsl: fc.boolean(),
  durationOfEmailToSync: fc.constantFrom(...emailSyncDurations),
  emailSyncSchedule: fc.constantFrom(...emailSyncSchedules),
  syncCalendar: fc.boolean(),
  syncContacts: fc.boolean(),
  syncTasks: fc.boolean(),
});

/** A directory user with every attribute a Windows profile may need. */
export const completeUserArbitrary: fc.Arbitrary<DirectoryUser> = fc
  .record({ local: label, domain: label, sam: label, netBios: label })
  .map(({ local, domain, sam, netBios }) => ({
    id: `user-${local}`,
    displayName: local,
    userPrincipalName: `${local}@${domain}.com`,
    mail: `${local}.mail@${domain}.com`,
    onPremisesSamAccountName: sam,
    onPremisesDomainName: `corp.${domain}.com`,
    onPremisesNetBiosName: netBios.toUpperCase(),
  }));
