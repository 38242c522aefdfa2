import Type, { type Static } from 'typebox';
import {
  accountName,
  durationOfEmailToSync,
  easProfileBaseDefaults,
  easProfileBaseSettings,
  emailAddressSource,
  emailSyncSchedule,
  hostName,
  nullableEmailAddressSource,
  requireSsl,
  syncFlag,
} from './email-common-schema.ts';
import { defineProfileModel } from './profile-model.ts';

/**
 * Windows email profiles, delivered as ActiveSync CSP nodes over OMA-DM. Neither type has an authentication
 * method or certificate links: the user types the password. Graph order and nullability per reference
 * §3.3–3.4.
 * https://learn.microsoft.com/graph/api/resources/intune-deviceconfig-windows10easemailprofileconfiguration?view=graph-rest-beta
 * https://learn.microsoft.com/graph/api/resources/intune-deviceconfig-windowsphoneeasemailprofileconfiguration?view=graph-rest-beta
 */
const windowsSettings = <E>(emailAddressSourceSchema: E) => ({
  ...easProfileBaseSettings(),
  accountName: accountName(),
  syncCalendar: syncFlag('the calendar'),
  syncContacts: syncFlag('contacts'),
  syncTasks: syncFlag('tasks'),
  durationOfEmailToSync: durationOfEmailToSync(),
  emailAddressSource: emailAddressSourceSchema,
  emailSyncSchedule: emailSyncSchedule(),
  hostName: hostName(),
  requireSsl: requireSsl(),
});

export const windows10EasEmailProfileSettingsSchema = Type.Object(windowsSettings(emailAddressSource()));
export type Windows10EasEmailProfileSettings = Static<typeof windows10EasEmailProfileSettingsSchema>;

/** Windows Phone differs only in `emailAddressSource` being nullable (null means the UPN). */
export const windowsPhoneEasEmailProfileSettingsSchema = Type.Object(windowsSettings(nullableEmailAddressSource()));
export type WindowsPhoneEasEmailProfileSettings = Static<typeof windowsPhoneEasEmailProfileSettingsSchema>;

/** Defaults: enums their "no intent"/UPN member, sync toggles false (Graph's boolean default), SSL on. */
const windowsDefaults = {
  ...easProfileBaseDefaults,
  syncCalendar: false,
  syncContacts: false,
  syncTasks: false,
  durationOfEmailToSync: 'userDefined',
  emailSyncSchedule: 'userDefined',
  requireSsl: true,
} as const;

export const windows10EasEmailProfileModel = defineProfileModel({
  type: 'windows10EasEmailProfileConfiguration',
  description: 'Windows 10/11 Exchange ActiveSync email profile.',
  settings: windows10EasEmailProfileSettingsSchema,
  requiredOnCreate: ['accountName', 'hostName'],
  defaults: { ...windowsDefaults, emailAddressSource: 'userPrincipalName' },
});

/**
 * `applyOnlyToWindowsPhone81` is read-only in Graph; Envelope applies these profiles to Windows 10 too (as
 * Intune does), so it is always false.
 */
export const windowsPhoneEasEmailProfileModel = defineProfileModel({
  type: 'windowsPhoneEASEmailProfileConfiguration',
  description: 'Windows Phone 8.1 Exchange ActiveSync email profile (also applied to Windows 10).',
  settings: windowsPhoneEasEmailProfileSettingsSchema,
  requiredOnCreate: ['accountName', 'hostName'],
  defaults: windowsDefaults,
  readOnly: {
    applyOnlyToWindowsPhone81: Type.Boolean({ readOnly: true, description: 'Always false. Read-only.' }),
  },
});
