import { odataTypePrefix, type EmailProfileType } from './profiles/profile-types.ts';

/**
 * Account identity per platform: the key under which a device's native mail store recognises "the
 * same account" (SPEC §6; reference/intune-email-model.md §9). Two Envelope profiles whose keys are
 * equal on one device would create, or fight over, the same account: that is a conflict, reported
 * instead of applied.
 *
 * | profile types                    | key parts                | device behaviour on a duplicate        |
 * |----------------------------------|--------------------------|----------------------------------------|
 * | iOS                              | host + email             | a user-made account blocks the profile |
 * | Windows 10/11, Windows Phone 8.1 | host + email             | the profile overwrites                 |
 * | Samsung Knox                     | email (host ignored)     | overwritten, again and again           |
 * | Android Enterprise Gmail/Nine    | app package + email      | only the named app, work profile only  |
 *
 * Keys compare only on one device, so they need not be unique across platforms; they carry a
 * namespace anyway so a key read in a log or a conflict row says what it is. Windows Phone 8.1
 * profiles share the `windows` namespace because Intune (and Envelope) applies them to Windows 10/11
 * too, where they land in the same ActiveSync account store. The legacy `androidForWork*` twins share
 * their successor's package, so a legacy and a current Gmail profile for one address collide.
 *
 * Not covered by the key: an Android Enterprise app takes one managed configuration per device, so
 * two profiles for the same app with different addresses cannot both apply either. That is a clash
 * of policy fragments (one `applications[]` entry per package), for the policy merger to report.
 */

/** Android Enterprise email apps, by the package whose managed configuration carries the account. */
export const gmailPackageName = 'com.google.android.gm';
/**
 * Nine Work's Google Play build. The EMM-specific builds (`.work.airwatch`, `.work.mobileiron`,
 * `.work.intune`) embed those vendors' SDKs and are not what a plain Android Enterprise policy installs.
 */
export const nineWorkPackageName = 'com.ninefolders.hd3.work';

type IdentityRule =
  | { namespace: 'ios' | 'windows'; parts: 'hostAndEmail' }
  | { namespace: 'knox'; parts: 'email' }
  | { namespace: 'androidEnterprise'; parts: 'packageAndEmail'; packageName: string };

const identityRules = {
  iosEasEmailProfileConfiguration: { namespace: 'ios', parts: 'hostAndEmail' },
  windows10EasEmailProfileConfiguration: { namespace: 'windows', parts: 'hostAndEmail' },
  windowsPhoneEASEmailProfileConfiguration: { namespace: 'windows', parts: 'hostAndEmail' },
  androidEasEmailProfileConfiguration: { namespace: 'knox', parts: 'email' },
  androidWorkProfileGmailEasConfiguration: { namespace: 'androidEnterprise', parts: 'packageAndEmail', packageName: gmailPackageName },
  androidForWorkGmailEasConfiguration: { namespace: 'androidEnterprise', parts: 'packageAndEmail', packageName: gmailPackageName },
  androidWorkProfileNineWorkEasConfiguration: { namespace: 'androidEnterprise', parts: 'packageAndEmail', packageName: nineWorkPackageName },
  androidForWorkNineWorkEasConfiguration: { namespace: 'androidEnterprise', parts: 'packageAndEmail', packageName: nineWorkPackageName },
} as const satisfies Record<EmailProfileType, IdentityRule>;

export interface AccountIdentityInput {
  /** The profile's `hostName` (Android Enterprise allows `host:port`). */
  hostName: string;
  /** The address resolved for the device's primary user (see `resolveAccountUserValues`). */
  emailAddress: string;
}

/**
 * The identity key of the account `profileType` would create for `input` on one device. Equal keys
 * on one device mean a conflict. Accepts the type with or without the `#microsoft.graph.` prefix.
 *
 * Normalisation: the email address is trimmed and lower-cased as a whole (Exchange matches addresses
 * case-insensitively, whatever RFC 5321 allows for the local part); the host is trimmed, stripped of
 * any `:port` and of a trailing root dot, and lower-cased. The parts are joined with `|`; only the
 * last part (the address) may itself contain `|`, so the key stays unambiguous.
 * Throws a TypeError for a type that is not an email profile type (a caller bug, not user input).
 */
export function accountIdentityKey(profileType: string, input: AccountIdentityInput): string {
  const rule = identityRuleOf(profileType);
  const email = input.emailAddress.trim().toLowerCase();
  switch (rule.parts) {
    case 'hostAndEmail':
      return `${rule.namespace}|${normalizeHostName(input.hostName)}|${email}`;
    case 'email':
      return `${rule.namespace}|${email}`;
    case 'packageAndEmail':
      return `${rule.namespace}|${rule.packageName}|${email}`;
  }
}

/** One sentence for admins and end users: what makes two accounts "the same" for `profileType`. */
export function describeIdentityRule(profileType: string): string {
  const rule = identityRuleOf(profileType);
  switch (rule.namespace) {
    case 'ios':
      return 'On iOS/iPadOS an email account is identified by its server host and email address (case-insensitive, port ignored); an account the user made with the same pair blocks the profile until the user removes it.';
    case 'windows':
      return 'On Windows an email account is identified by its server host and email address (case-insensitive, port ignored); the profile overwrites an account the user made with the same pair. Windows Phone 8.1 profiles also apply to Windows 10/11.';
    case 'knox':
      return 'On Samsung Knox an email account is identified by its email address alone (the host is ignored); profiles with the same address and different hosts would overwrite each other forever.';
    case 'androidEnterprise':
      return `In an Android Enterprise work profile an email account is identified by the email app (${rule.packageName}) and the email address; the personal profile is never touched.`;
  }
}

/**
 * Splits `host` or `host:port` (a bracketed IPv6 literal may carry a port: `[::1]:443`). A bare IPv6
 * literal or a suffix that is not a port number 1–65535 leaves the whole string as the host.
 * The host is returned trimmed but otherwise as written.
 */
export function splitHostAndPort(hostName: string): { host: string; port: number | null } {
  const value = hostName.trim();
  const bracketed = /^(\[[^\]]*\])(?::(\d{1,5}))?$/.exec(value);
  const plain = /^([^:]*):(\d{1,5})$/.exec(value);
  const match = bracketed ?? plain;
  const port = match?.[2] === undefined ? null : Number(match[2]);
  if (match?.[1] === undefined || (port !== null && (port < 1 || port > 65535))) {
    return { host: value, port: null };
  }
  return { host: match[1], port };
}

/** The host part of `hostName`, lower-cased, without port and trailing root dot: the comparable form. */
export function normalizeHostName(hostName: string): string {
  return splitHostAndPort(hostName).host.toLowerCase().replace(/\.$/, '');
}

function identityRuleOf(profileType: string): IdentityRule {
  const name = profileType.startsWith(odataTypePrefix) ? profileType.slice(odataTypePrefix.length) : profileType;
  if (!Object.hasOwn(identityRules, name)) {
    throw new TypeError(`'${profileType}' is not an email profile type.`);
  }
  return identityRules[name as EmailProfileType];
}
