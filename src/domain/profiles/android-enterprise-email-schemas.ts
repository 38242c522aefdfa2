import Type, { type Static } from 'typebox';
import {
  authenticationMethod,
  durationOfEmailToSync,
  emailAddressSource,
  hostName,
  requireSsl,
  syncFlag,
} from './email-common-schema.ts';
import { androidUsernameSources } from './graph-enums.ts';
import { defineProfileModel, type ProfileModel } from './profile-model.ts';
import type { EmailProfileType } from './profile-types.ts';
import { graphEnum } from './schema-kit.ts';

/**
 * Android Enterprise work-profile email: Gmail or Nine Work, delivered as the app's managed configuration.
 * `androidWorkProfile*` (current) and `androidForWork*` (legacy) have the same shape; the app is chosen by
 * the type, not a property. No account name, sync schedule or S/MIME. Reference §3.6.
 * https://learn.microsoft.com/graph/api/resources/intune-deviceconfig-androidworkprofileeasemailprofilebase?view=graph-rest-beta
 */
const baseSettings = () => ({
  authenticationMethod: authenticationMethod(),
  durationOfEmailToSync: durationOfEmailToSync(),
  emailAddressSource: emailAddressSource(),
  hostName: hostName(),
  requireSsl: requireSsl(),
  usernameSource: graphEnum(
    androidUsernameSources,
    'Directory attribute used as the username (username = the UPN before @). Default userPrincipalName.',
  ),
});

export const androidEnterpriseGmailSettingsSchema = Type.Object(baseSettings());
export const androidEnterpriseNineWorkSettingsSchema = Type.Object({
  ...baseSettings(),
  syncCalendar: syncFlag('the calendar'),
  syncContacts: syncFlag('contacts'),
  syncTasks: syncFlag('tasks'),
});

/** Settings of `androidWorkProfileGmailEasConfiguration` and `androidForWorkGmailEasConfiguration`. */
export type AndroidEnterpriseGmailEasSettings = Static<typeof androidEnterpriseGmailSettingsSchema>;
/** Settings of `androidWorkProfileNineWorkEasConfiguration` and `androidForWorkNineWorkEasConfiguration`. */
export type AndroidEnterpriseNineWorkEasSettings = Static<typeof androidEnterpriseNineWorkSettingsSchema>;

const baseDefaults = {
  authenticationMethod: 'usernameAndPassword',
  durationOfEmailToSync: 'userDefined',
  emailAddressSource: 'userPrincipalName',
  requireSsl: true,
  usernameSource: 'userPrincipalName',
} as const;

function gmailModel(type: EmailProfileType, description: string): ProfileModel {
  return defineProfileModel({
    type,
    description,
    settings: androidEnterpriseGmailSettingsSchema,
    requiredOnCreate: ['hostName'],
    defaults: baseDefaults,
  });
}

function nineWorkModel(type: EmailProfileType, description: string): ProfileModel {
  return defineProfileModel({
    type,
    description,
    settings: androidEnterpriseNineWorkSettingsSchema,
    requiredOnCreate: ['hostName'],
    defaults: { ...baseDefaults, syncCalendar: false, syncContacts: false, syncTasks: false },
  });
}

export const androidEnterpriseEmailModels: readonly ProfileModel[] = [
  gmailModel('androidWorkProfileGmailEasConfiguration', 'Android Enterprise work profile: Gmail EAS email profile.'),
  nineWorkModel(
    'androidWorkProfileNineWorkEasConfiguration',
    'Android Enterprise work profile: Nine Work EAS email profile.',
  ),
  gmailModel('androidForWorkGmailEasConfiguration', 'Legacy Android for Work: Gmail EAS email profile.'),
  nineWorkModel('androidForWorkNineWorkEasConfiguration', 'Legacy Android for Work: Nine Work EAS email profile.'),
];
