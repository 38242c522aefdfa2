import Type, { type Static } from 'typebox';
import { gmailPackageName, nineWorkPackageName } from '../../domain/account-identity.ts';

/**
 * Android Enterprise managed configurations Envelope emits, and the policy fragment that carries
 * them. Closed objects: a key Envelope did not mean to send — a password above all — fails
 * validation. Value types follow Android Management API `ManagedProperty` typing (BOOL → JSON
 * boolean, INTEGER → number, STRING → string).
 * https://developers.google.com/android/management/reference/rest/v1/enterprises.policies#ApplicationPolicy
 */

const Text = Type.String({ minLength: 1 });

/**
 * Gmail (`com.google.android.gm`, 6.4+) Exchange auto-activation keys [doc: Google Help 7065453;
 * code: Gmail `autoactivation`] (reference/payload-formats.md §4.1). Any change to the first seven
 * keys makes Gmail remove and re-create the account.
 */
export const GmailManagedConfiguration = Type.Object(
  {
    email_address: Text,
    /** `host` or `host:port`, no scheme. */
    exchange_host: Text,
    /** `DOMAIN\user` when a domain resolves, else the bare user name. */
    exchange_username: Text,
    /** Gmail ignores it when the host names port 443. */
    exchange_ssl_required: Type.Boolean(),
    exchange_trust_all_certificates: Type.Literal(false),
    /** Alias of a key pair in the work-profile keystore (certificate authentication only). */
    exchange_login_certificate_alias: Type.Optional(Text),
    /**
     * UNVERIFIED key, type and codes (reference §4.1: from Google's docs and TinyMDM, "not seen in
     * code"): 0 all, 1 one day, 2 three days, 3 one week, 4 two weeks, 5 one month. Sent as an
     * integer as the reference types it; should Gmail declare it a CHOICE restriction, the Android
     * Management API wants the string form ("3") — check the app's `managedProperties` first.
     */
    default_sync_window: Type.Optional(
      Type.Union([Type.Literal(0), Type.Literal(1), Type.Literal(2), Type.Literal(3), Type.Literal(4), Type.Literal(5)]),
    ),
  },
  { additionalProperties: false },
);
export type GmailManagedConfiguration = Static<typeof GmailManagedConfiguration>;

/**
 * Nine Work (`com.ninefolders.hd3.work`) AppConfig-style keys. Only the `AppService*` keys are
 * confirmed [doc: Nine Work support, "How to configure App Configuration Policies";
 * reference/payload-formats.md §4.2]. The user, SSL and content-type keys are UNVERIFIED: Nine lists
 * the settings (Username, Email, Domain, UseSSL, sync settings) but the exact key names were not
 * recovered, so these are best guesses from those titles — confirm against the app's
 * `managedProperties` (reference §7.6) before relying on them. Booleans are JSON booleans: Nine's
 * "Boolean as String" note is an AirWatch console quirk for its `.work.airwatch` build, not how the
 * Android Management API types a BOOL restriction.
 */
export const NineWorkManagedConfiguration = Type.Object(
  {
    AppServicePublisher: Type.Literal('Envelope'),
    AppServiceHost: Text,
    AppServicePort: Type.Integer({ minimum: 1, maximum: 65535 }),
    /** UNVERIFIED key name. */
    UseSSL: Type.Boolean(),
    /** UNVERIFIED key name. */
    Email: Text,
    /** UNVERIFIED key name. */
    Username: Text,
    /** UNVERIFIED key name; only when a domain resolves. */
    Domain: Type.Optional(Text),
    /** UNVERIFIED key names. */
    SyncCalendar: Type.Boolean(),
    SyncContacts: Type.Boolean(),
    SyncTasks: Type.Boolean(),
  },
  { additionalProperties: false },
);
export type NineWorkManagedConfiguration = Static<typeof NineWorkManagedConfiguration>;

/**
 * Install type of the mail app that carries the account: `FORCE_INSTALLED`. The account exists only
 * inside that app, so the profile is useless without it; forcing the install (which also blocks
 * uninstalling it from the work profile) makes "app missing" a transient, reportable state instead
 * of a standing one. `PREINSTALLED` would let the user remove the app and with it the account;
 * `AVAILABLE` would leave it to the user.
 */
export const mailAppInstallType = 'FORCE_INSTALLED';

const applicationPolicy = <P extends string, C extends typeof GmailManagedConfiguration | typeof NineWorkManagedConfiguration>(
  packageName: P,
  configuration: C,
) =>
  Type.Object(
    {
      packageName: Type.Literal(packageName),
      installType: Type.Literal(mailAppInstallType),
      managedConfiguration: configuration,
    },
    { additionalProperties: false },
  );

/** `Policy.applications[]` entries Envelope emits: one mail app with its managed configuration. */
export const MailApplicationPolicy = Type.Union([
  applicationPolicy(gmailPackageName, GmailManagedConfiguration),
  applicationPolicy(nineWorkPackageName, NineWorkManagedConfiguration),
]);
export type MailApplicationPolicy = Static<typeof MailApplicationPolicy>;

/** A fragment of an Android Management API `Policy`, to be merged into the device's policy. */
export const AndroidPolicyFragment = Type.Object(
  {
    applications: Type.Array(MailApplicationPolicy, { minItems: 1, maxItems: 1 }),
  },
  { additionalProperties: false },
);
export type AndroidPolicyFragment = Static<typeof AndroidPolicyFragment>;
