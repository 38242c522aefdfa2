import { settingsOf, type Profile } from '../../domain/profiles/index.ts';

/**
 * What the iOS renderer reads from an email profile: a structural subset of Graph's
 * `iosEasEmailProfileConfiguration` (beta), property names exactly as Graph spells them.
 * https://learn.microsoft.com/graph/api/resources/intune-deviceconfig-ioseasemailprofileconfiguration?view=graph-rest-beta
 *
 * This is deliberately an input interface, not the profile model: the model (TypeBox schemas in
 * `src/domain/profiles/`) owns validation, and `iosEmailProfileInputOf` adapts its `Profile`.
 * The renderer still re-checks enum and flag values, so a bad value is a typed error, not a bad
 * payload. Optional members are Graph's nullable properties; `null`/absent means "not
 * configured" and the Apple key is omitted.
 */

export type EasAuthenticationMethod = 'usernameAndPassword' | 'certificate' | 'derivedCredential';
export type EmailSyncDuration = 'userDefined' | 'oneDay' | 'threeDays' | 'oneWeek' | 'twoWeeks' | 'oneMonth' | 'unlimited';
export type UserEmailSource = 'userPrincipalName' | 'primarySmtpAddress';
export type UsernameSource = 'userPrincipalName' | 'primarySmtpAddress' | 'samAccountName';
export type DomainNameSource = 'fullDomainName' | 'netBiosDomainName';
export type EmailCertificateType = 'none' | 'certificate' | 'derivedCredential';

export interface IosEmailSettingsInput {
  hostName: string;
  accountName: string;
  authenticationMethod?: EasAuthenticationMethod | null;
  usernameSource: UserEmailSource;
  usernameAADSource?: UsernameSource | null;
  userDomainNameSource?: DomainNameSource | null;
  customDomainName?: string | null;
  emailAddressSource: UserEmailSource;
  requireSsl: boolean;
  useOAuth?: boolean | null;
  durationOfEmailToSync: EmailSyncDuration;
  /** Graph flags enum serialized as comma-separated member names, e.g. `"calendars,contacts,email"`. */
  easServices?: string | null;
  easServicesUserOverrideEnabled?: boolean | null;
  blockMovingMessagesToOtherEmailAccounts?: boolean | null;
  blockSendingEmailFromThirdPartyApps?: boolean | null;
  blockSyncingRecentlyUsedEmailAddresses?: boolean | null;
  requireSmime?: boolean | null;
  smimeSigningEnabled?: boolean | null;
  smimeSigningUserOverrideEnabled?: boolean | null;
  smimeSigningCertificateUserOverrideEnabled?: boolean | null;
  smimeEncryptByDefaultEnabled?: boolean | null;
  smimeEncryptByDefaultUserOverrideEnabled?: boolean | null;
  smimeEncryptionCertificateUserOverrideEnabled?: boolean | null;
  smimeEnablePerMessageSwitch?: boolean | null;
  signingCertificateType?: EmailCertificateType | null;
  encryptionCertificateType?: EmailCertificateType | null;
  perAppVPNProfileId?: string | null;
}

/** Graph navigation properties to certificate profiles, as the ids of those profiles. */
export interface IosEmailCertificateLinks {
  identityCertificate?: string | null;
  smimeSigningCertificate?: string | null;
  smimeEncryptionCertificate?: string | null;
}

export interface IosEmailProfileInput {
  id: string;
  /** When present, must name the iOS type (`iosEasEmailProfileConfiguration`, with or without `#microsoft.graph.`). */
  odataType?: string;
  displayName: string;
  description?: string | null;
  version: number;
  settings: IosEmailSettingsInput;
  links: IosEmailCertificateLinks;
}

/**
 * The renderer's view of a stored profile. Throws if `profile` is not an iOS email profile (a
 * programming error). The cast is sound because the model validated the settings against
 * Graph's enums; TypeBox merely types its enum members as `string | number`.
 */
export function iosEmailProfileInputOf(profile: Profile): IosEmailProfileInput {
  const settings = settingsOf(profile, 'iosEasEmailProfileConfiguration');
  return {
    id: profile.id,
    odataType: profile.odataType,
    displayName: profile.displayName,
    description: profile.description,
    version: profile.version,
    settings: settings as IosEmailSettingsInput,
    links: profile.links,
  };
}
