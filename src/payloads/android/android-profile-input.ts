import { unprocessable } from '../../domain/errors.ts';
import type {
  AndroidUsernameSource,
  DomainNameSource,
  EasAuthenticationMethod,
  EmailSyncDuration,
  EmailSyncSchedule,
  UserEmailSource,
} from '../../domain/profiles/graph-enums.ts';

/**
 * The settings the Android compilers read, with Graph names (beta), as structural interfaces: the
 * profile model (`src/domain/profiles/`, TypeBox) had its Graph enums but not yet its settings types
 * when these compilers were written. Any object with these properties renders, so the model's static
 * types plug in unchanged; swap these declarations for imports once they land.
 * - Knox: https://learn.microsoft.com/graph/api/resources/intune-deviceconfig-androideasemailprofileconfiguration?view=graph-rest-beta
 * - Android Enterprise: https://learn.microsoft.com/graph/api/resources/intune-deviceconfig-androidworkprofileeasemailprofilebase?view=graph-rest-beta
 *   (the legacy `androidForWork*` base has the same shape).
 */

/** `androidEasEmailProfileConfiguration` (Samsung Knox Standard, device administrator). */
export interface KnoxEmailProfileSettings {
  accountName: string;
  hostName: string;
  authenticationMethod: EasAuthenticationMethod;
  usernameSource: AndroidUsernameSource;
  userDomainNameSource?: DomainNameSource | null;
  customDomainName?: string | null;
  emailAddressSource: UserEmailSource;
  requireSsl: boolean;
  requireSmime: boolean;
  durationOfEmailToSync: EmailSyncDuration;
  emailSyncSchedule: EmailSyncSchedule;
  syncCalendar: boolean;
  syncContacts: boolean;
  syncTasks: boolean;
  syncNotes: boolean;
}

/** The Android Enterprise profile types; the app is chosen by the type, not by a property. */
export const gmailProfileTypes = ['androidWorkProfileGmailEasConfiguration', 'androidForWorkGmailEasConfiguration'] as const;
export const nineWorkProfileTypes = ['androidWorkProfileNineWorkEasConfiguration', 'androidForWorkNineWorkEasConfiguration'] as const;
export type GmailProfileType = (typeof gmailProfileTypes)[number];
export type NineWorkProfileType = (typeof nineWorkProfileTypes)[number];

/** `androidWorkProfileEasEmailProfileBase` / `androidForWorkEasEmailProfileBase`: no account name, schedule or S/MIME. */
export interface AndroidEnterpriseEmailSettings {
  /** `host` or `host:port`, no scheme. */
  hostName: string;
  authenticationMethod: EasAuthenticationMethod;
  usernameSource: AndroidUsernameSource;
  emailAddressSource: UserEmailSource;
  requireSsl: boolean;
  durationOfEmailToSync: EmailSyncDuration;
}

export interface GmailEmailProfileSettings extends AndroidEnterpriseEmailSettings {
  '@odata.type': GmailProfileType | `#microsoft.graph.${GmailProfileType}`;
}

/** The Nine Work subtypes add the content types to sync. */
export interface NineWorkEmailProfileSettings extends AndroidEnterpriseEmailSettings {
  '@odata.type': NineWorkProfileType | `#microsoft.graph.${NineWorkProfileType}`;
  syncCalendar: boolean;
  syncContacts: boolean;
  syncTasks: boolean;
}

export type AndroidEnterpriseEmailProfile = GmailEmailProfileSettings | NineWorkEmailProfileSettings;

/**
 * Refuses the authentication methods a compiler cannot express and a certificate method without its
 * certificate: a typed, per-device error instead of an account that can never sign in.
 * `derivedCredential` exists in Graph's shared enum but no Android email client here supports it.
 */
export function certificateAliasOrThrow(method: EasAuthenticationMethod, alias: string | undefined, platform: string): string | null {
  if (method === 'derivedCredential') {
    throw unprocessable('authenticationMethodNotSupported', `${platform} email profiles cannot use derived credentials.`, 'authenticationMethod');
  }
  if (method === 'usernameAndPassword') return null;
  if (alias === undefined || alias.trim() === '') {
    throw unprocessable(
      'identityCertificateMissing',
      'The profile uses certificate authentication but no identity certificate has been delivered to the device yet.',
      'identityCertificate',
    );
  }
  return alias;
}

