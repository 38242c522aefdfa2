import type { DirectoryUser } from './directory.ts';
import { EnvelopeError } from './errors.ts';

/**
 * Per-user account values: the username, domain and email address an email profile puts on a device,
 * derived from the primary user's directory attributes per the profile's source settings.
 *
 * Sources (Graph names):
 * - `usernameAADSource` (`userPrincipalName | primarySmtpAddress | samAccountName`) wins over the legacy
 *   non-null `usernameSource` on the iOS/Windows family; Knox and Android Enterprise use `usernameSource`
 *   with the `androidUsernameSource` enum, whose extra member `username` means "user name only" (the
 *   UPN's part before `@`).
 * - With `samAccountName`, the domain is `customDomainName` if set, otherwise the user's full domain
 *   name (`userDomainNameSource = fullDomainName`) or NetBIOS name (`netBiosDomainName`); with neither,
 *   no domain is sent.
 * - `emailAddressSource`: `userPrincipalName` or `primarySmtpAddress` (the user's `mail`); null (allowed
 *   on Windows Phone) means the UPN.
 */
export interface AccountUserSources {
  usernameSource?: string | null;
  usernameAADSource?: string | null;
  userDomainNameSource?: string | null;
  customDomainName?: string | null;
  emailAddressSource?: string | null;
}

export interface AccountUserValues {
  /** The login name without domain (sAM name, UPN, SMTP address or UPN local part). */
  userName: string;
  /** The Windows domain for sAM-style logins, else null. */
  domain: string | null;
  emailAddress: string;
}

/** The user lacks a directory attribute the profile needs: a per-device error, never a broken payload. */
export class MissingUserAttributeError extends EnvelopeError {
  readonly attribute: keyof DirectoryUser;
  readonly userId: string;

  constructor(user: DirectoryUser, attribute: keyof DirectoryUser, neededBy: string) {
    super(
      'userAttributeMissing',
      422,
      `User '${user.userPrincipalName}' has no ${attribute}, which the profile's ${neededBy} needs.`,
      attribute,
    );
    this.attribute = attribute;
    this.userId = user.id;
  }
}

/** Resolves the account values for `user`; throws MissingUserAttributeError when an attribute is empty. */
export function resolveAccountUserValues(sources: AccountUserSources, user: DirectoryUser): AccountUserValues {
  return {
    ...resolveUserName(sources, user),
    emailAddress: resolveEmailAddress(sources, user),
  };
}

function resolveEmailAddress(sources: AccountUserSources, user: DirectoryUser): string {
  if (sources.emailAddressSource === 'primarySmtpAddress') {
    return required(user, 'mail', 'emailAddressSource');
  }
  return required(user, 'userPrincipalName', 'emailAddressSource');
}

function resolveUserName(sources: AccountUserSources, user: DirectoryUser): { userName: string; domain: string | null } {
  const field = sources.usernameAADSource ? 'usernameAADSource' : 'usernameSource';
  const source = sources.usernameAADSource ?? sources.usernameSource ?? 'userPrincipalName';
  switch (source) {
    case 'primarySmtpAddress':
      return { userName: required(user, 'mail', field), domain: null };
    case 'username': {
      const upn = required(user, 'userPrincipalName', field);
      return { userName: upn.split('@')[0] ?? upn, domain: null };
    }
    case 'samAccountName':
      return { userName: required(user, 'onPremisesSamAccountName', field), domain: resolveDomain(sources, user) };
    default:
      return { userName: required(user, 'userPrincipalName', field), domain: null };
  }
}

function resolveDomain(sources: AccountUserSources, user: DirectoryUser): string | null {
  if (sources.customDomainName) return sources.customDomainName;
  if (sources.userDomainNameSource === 'fullDomainName') {
    return required(user, 'onPremisesDomainName', 'userDomainNameSource');
  }
  if (sources.userDomainNameSource === 'netBiosDomainName') {
    return required(user, 'onPremisesNetBiosName', 'userDomainNameSource');
  }
  return null;
}

function required(user: DirectoryUser, attribute: keyof DirectoryUser, neededBy: string): string {
  const value = user[attribute];
  if (typeof value !== 'string' || value.trim() === '') {
    throw new MissingUserAttributeError(user, attribute, neededBy);
  }
  return value;
}
