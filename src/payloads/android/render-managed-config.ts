import { gmailPackageName, nineWorkPackageName, splitHostAndPort } from '../../domain/account-identity.ts';
import type { DirectoryUser } from '../../domain/directory.ts';
import type { EmailSyncDuration } from '../../domain/profiles/graph-enums.ts';
import { odataTypePrefix } from '../../domain/profiles/profile-types.ts';
import { resolveAccountUserValues } from '../../domain/user-values.ts';
import {
  certificateAliasOrThrow,
  gmailProfileTypes,
  nineWorkProfileTypes,
  type AndroidEnterpriseEmailProfile,
  type GmailEmailProfileSettings,
  type NineWorkEmailProfileSettings,
} from './android-profile-input.ts';
import {
  mailAppInstallType,
  type AndroidPolicyFragment,
  type GmailManagedConfiguration,
  type NineWorkManagedConfiguration,
} from './managed-config-schema.ts';

/** What the caller injects: the alias of the identity certificate already in the work-profile keystore. */
export interface ManagedConfigRefs {
  /** Required when `authenticationMethod = certificate`. */
  identityCertificateAlias?: string;
}

/**
 * Compiles an Android Enterprise email profile (Gmail or Nine Work, current or legacy
 * `androidForWork*` type) for `user` into the policy fragment that installs the app and hands it the
 * account: `{ applications: [{ packageName, installType: 'FORCE_INSTALLED', managedConfiguration }] }`,
 * shaped like Android Management API `Policy.applications[]` and validated by `AndroidPolicyFragment`.
 * The legacy twins render exactly like their successors (same app, same keys).
 *
 * One managed configuration per app per device: a second Gmail (or Nine Work) profile on the same
 * device cannot be merged into this fragment, whatever its address — the caller must treat two
 * fragments for one package as a conflict.
 *
 * Throws (EnvelopeError, 422): `userAttributeMissing`, `identityCertificateMissing`,
 * `authenticationMethodNotSupported` (derived credentials).
 */
export function renderManagedConfigPolicy(
  profile: AndroidEnterpriseEmailProfile,
  user: DirectoryUser,
  refs: ManagedConfigRefs,
): AndroidPolicyFragment {
  if (isProfileOf<GmailEmailProfileSettings>(profile, gmailProfileTypes)) {
    return {
      applications: [
        { packageName: gmailPackageName, installType: mailAppInstallType, managedConfiguration: renderGmailConfig(profile, user, refs) },
      ],
    };
  }
  if (isProfileOf<NineWorkEmailProfileSettings>(profile, nineWorkProfileTypes)) {
    return {
      applications: [
        { packageName: nineWorkPackageName, installType: mailAppInstallType, managedConfiguration: renderNineWorkConfig(profile, user, refs) },
      ],
    };
  }
  throw new TypeError(`'${(profile as { '@odata.type': string })['@odata.type']}' is not an Android Enterprise email profile type.`);
}

/**
 * Gmail's managed configuration (reference/payload-formats.md §4.1). No password: with
 * username/password authentication Gmail prompts the user. `exchange_host` is sent as the admin wrote
 * it (trimmed) because Gmail fingerprints it: reformatting it would re-create every account.
 */
export function renderGmailConfig(profile: GmailEmailProfileSettings, user: DirectoryUser, refs: ManagedConfigRefs): GmailManagedConfiguration {
  const values = resolveAccountUserValues(profile, user);
  const alias = certificateAliasOrThrow(profile.authenticationMethod, refs.identityCertificateAlias, 'Android Enterprise');
  const syncWindow = gmailSyncWindowByDuration[profile.durationOfEmailToSync];
  return {
    email_address: values.emailAddress,
    exchange_host: profile.hostName.trim(),
    exchange_username: values.domain ? `${values.domain}\\${values.userName}` : values.userName,
    exchange_ssl_required: profile.requireSsl,
    exchange_trust_all_certificates: false,
    ...(alias === null ? {} : { exchange_login_certificate_alias: alias }),
    ...(syncWindow === null ? {} : { default_sync_window: syncWindow }),
  };
}

/**
 * Nine Work's managed configuration (reference/payload-formats.md §4.2; the unverified keys are
 * listed in `NineWorkManagedConfiguration`). `host:port` is split into `AppServiceHost` and
 * `AppServicePort`; without a port, the port is the scheme's default (443 with SSL, 80 without)
 * rather than Nine's fixed default of 443, which would be wrong for plain HTTP.
 *
 * Not rendered until Nine's key list is known (reference §7.6): `durationOfEmailToSync` and the
 * identity certificate's alias. Certificate authentication still requires the certificate to be on
 * the device (so the user can pick it when Nine asks); the alias is checked, not sent.
 */
export function renderNineWorkConfig(
  profile: NineWorkEmailProfileSettings,
  user: DirectoryUser,
  refs: ManagedConfigRefs,
): NineWorkManagedConfiguration {
  const values = resolveAccountUserValues(profile, user);
  certificateAliasOrThrow(profile.authenticationMethod, refs.identityCertificateAlias, 'Android Enterprise');
  const { host, port } = splitHostAndPort(profile.hostName);
  return {
    AppServicePublisher: 'Envelope',
    AppServiceHost: host,
    AppServicePort: port ?? (profile.requireSsl ? 443 : 80),
    UseSSL: profile.requireSsl,
    Email: values.emailAddress,
    Username: values.userName,
    ...(values.domain ? { Domain: values.domain } : {}),
    SyncCalendar: profile.syncCalendar,
    SyncContacts: profile.syncContacts,
    SyncTasks: profile.syncTasks,
  };
}

/** Gmail `default_sync_window` codes (UNVERIFIED, see `GmailManagedConfiguration`); `userDefined` sends nothing. */
const gmailSyncWindowByDuration = {
  userDefined: null,
  oneDay: 1,
  threeDays: 2,
  oneWeek: 3,
  twoWeeks: 4,
  oneMonth: 5,
  unlimited: 0,
} as const satisfies Record<EmailSyncDuration, GmailManagedConfiguration['default_sync_window'] | null>;

function isProfileOf<P extends AndroidEnterpriseEmailProfile>(
  profile: AndroidEnterpriseEmailProfile,
  types: readonly string[],
): profile is P {
  const type = profile['@odata.type'];
  return types.includes(type.startsWith(odataTypePrefix) ? type.slice(odataTypePrefix.length) : type);
}
