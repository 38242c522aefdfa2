import Type, { type Static } from 'typebox';
import {
  accountName,
  authenticationMethod,
  durationOfEmailToSync,
  emailAddressSource,
  emailSyncSchedule,
  hostName,
  requireSsl,
  syncFlag,
} from './email-common-schema.ts';
import { androidUsernameSources, domainNameSources } from './graph-enums.ts';
import { defineProfileModel } from './profile-model.ts';
import { flag, graphEnum, nullableGraphEnum, nullableText } from './schema-kit.ts';

/**
 * `androidEasEmailProfileConfiguration`: Samsung Knox Standard (Android device administrator), delivered as
 * a Knox `ExchangeAccount` by the Envelope agent. It does not inherit `easEmailProfileConfigurationBase`:
 * `usernameSource` uses `androidUsernameSource`. Graph order and nullability per reference §3.5.
 * https://learn.microsoft.com/graph/api/resources/intune-deviceconfig-androideasemailprofileconfiguration?view=graph-rest-beta
 */
export const androidEasEmailProfileSettingsSchema = Type.Object({
  accountName: accountName(),
  authenticationMethod: authenticationMethod(),
  syncCalendar: syncFlag('the calendar'),
  syncContacts: syncFlag('contacts'),
  syncTasks: syncFlag('tasks'),
  syncNotes: flag('Must be false: Samsung Notes sync is no longer supported and fails with 0x87D1FDE8.'),
  durationOfEmailToSync: durationOfEmailToSync(),
  emailAddressSource: emailAddressSource(),
  emailSyncSchedule: emailSyncSchedule(),
  hostName: hostName(),
  requireSmime: flag('Enable S/MIME signing; required for smimeSigningCertificate@odata.bind. Default false.'),
  requireSsl: requireSsl(),
  usernameSource: graphEnum(
    androidUsernameSources,
    'Directory attribute used as the username (username = the UPN before @). Default userPrincipalName.',
  ),
  userDomainNameSource: nullableGraphEnum(
    domainNameSources,
    'Where the domain of a samAccountName username comes from; exclusive with customDomainName.',
  ),
  customDomainName: nullableText('Literal domain for a samAccountName username.', { maxLength: 253 }),
});

export type AndroidEasEmailProfileSettings = Static<typeof androidEasEmailProfileSettingsSchema>;

/**
 * Defaults: sync toggles false (the admin UI's "Not configured" disables sync on Knox), S/MIME off,
 * username and password, SSL on.
 */
export const androidEasEmailProfileModel = defineProfileModel({
  type: 'androidEasEmailProfileConfiguration',
  description: 'Samsung Knox Standard (Android device administrator) Exchange ActiveSync email profile.',
  settings: androidEasEmailProfileSettingsSchema,
  requiredOnCreate: ['accountName', 'hostName'],
  defaults: {
    authenticationMethod: 'usernameAndPassword',
    syncCalendar: false,
    syncContacts: false,
    syncTasks: false,
    syncNotes: false,
    durationOfEmailToSync: 'userDefined',
    emailAddressSource: 'userPrincipalName',
    emailSyncSchedule: 'userDefined',
    requireSmime: false,
    requireSsl: true,
    usernameSource: 'userPrincipalName',
  },
});
