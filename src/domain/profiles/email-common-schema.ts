import {
  domainNameSources,
  easAuthenticationMethods,
  emailSyncDurations,
  emailSyncSchedules,
  userEmailSources,
  usernameSources,
} from './graph-enums.ts';
import { flag, graphEnum, nullableGraphEnum, nullableText, text } from './schema-kit.ts';

/**
 * Property schemas shared by several email profile types, with Graph's names and nullability
 * (reference `intune-email-model.md` §3). Each type's schema file picks the ones its Graph type has.
 */

export const hostName = () =>
  text(
    'Exchange ActiveSync server: a host name (e.g. outlook.office365.com), IPv4 or bracketed IPv6 address; never a URL. Android Enterprise types also accept host:port.',
    { maxLength: 260 },
  );

export const accountName = () => text('Account name shown to the user on the device.', { maxLength: 256 });

export const emailAddressSource = () =>
  graphEnum(userEmailSources, 'Directory attribute used as the email address. Default userPrincipalName.');

export const nullableEmailAddressSource = () =>
  nullableGraphEnum(userEmailSources, 'Directory attribute used as the email address; null means userPrincipalName.');

export const durationOfEmailToSync = () =>
  graphEnum(emailSyncDurations, 'How far back mail is synced. Default userDefined (no intent: the device decides).');

export const emailSyncSchedule = () =>
  graphEnum(emailSyncSchedules, 'Sync schedule. Default userDefined (no intent: the device decides).');

export const requireSsl = () => flag('Use SSL/TLS. Default true (the admin UI default).');

export const authenticationMethod = () =>
  graphEnum(
    easAuthenticationMethods,
    'usernameAndPassword (default) or certificate (then identityCertificate@odata.bind is required). derivedCredential is not supported by Envelope.',
  );

export const syncFlag = (content: string) => flag(`Sync ${content}. Default false.`);

/** `easEmailProfileConfigurationBase` (iOS, Windows 10, Windows Phone), in Graph's order. */
export const easProfileBaseSettings = () => ({
  usernameSource: graphEnum(
    userEmailSources,
    'Legacy username attribute; usernameAADSource wins when set. Default userPrincipalName.',
  ),
  usernameAADSource: nullableGraphEnum(
    usernameSources,
    'Directory attribute used as the username; samAccountName takes a domain from userDomainNameSource or customDomainName.',
  ),
  userDomainNameSource: nullableGraphEnum(
    domainNameSources,
    'Where the domain of a samAccountName username comes from; exclusive with customDomainName.',
  ),
  customDomainName: nullableText('Literal domain for a samAccountName username, e.g. contoso.com or CONTOSO.', {
    maxLength: 253,
  }),
});

/** The defaults of the non-null `easEmailProfileConfigurationBase` settings. */
export const easProfileBaseDefaults = { usernameSource: 'userPrincipalName' } as const;
