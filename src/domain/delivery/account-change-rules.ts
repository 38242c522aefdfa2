import { accountIdentityKey, gmailPackageName, nineWorkPackageName } from '../account-identity.ts';
import { platformFamilyOf, type EmailProfileType, type PlatformFamily, type ProfileType } from '../profiles/profile-types.ts';
import type { AccountUserValues } from '../user-values.ts';

/**
 * Per-platform rules for how an email account on a device reacts to change: which profiles collide,
 * which changes need the account deleted and created again, which updates make the user act, and how
 * certificates travel. Sources: SPEC §6, reference/intune-email-model.md §9, payload-formats.md §2.4.
 */

/**
 * The key under which two Envelope email profiles collide on one device: equal keys are a conflict
 * (neither is sent). iOS and Windows: host + address; Knox: address alone (same address on two hosts
 * would overwrite each other forever). Android Enterprise: the app itself — an app takes one managed
 * configuration per device, so two Gmail (or two Nine Work) profiles collide whatever their addresses
 * (the legacy `androidForWork*` twins share their successor's app).
 */
export function conflictKeyOf(type: EmailProfileType, hostName: string, emailAddress: string): string {
  switch (type) {
    case 'androidWorkProfileGmailEasConfiguration':
    case 'androidForWorkGmailEasConfiguration':
      return `androidEnterprise|${gmailPackageName}`;
    case 'androidWorkProfileNineWorkEasConfiguration':
    case 'androidForWorkNineWorkEasConfiguration':
      return `androidEnterprise|${nineWorkPackageName}`;
    default:
      return accountIdentityKey(type, { hostName, emailAddress });
  }
}

/**
 * A value whose change cannot be applied to the live account in place, so the account must be
 * deleted and created again (a `replace`); null where any change is an in-place update.
 * - Windows: `UserName` is frozen after the first sync and `AccountType` is always `Exchange`
 *   (payload-formats §2.4, payloads/windows/leaf-lifecycle.ts). Envelope cannot observe the sync, so
 *   an acknowledged account is taken to have synced: the Windows channel must then also pass
 *   `hasSynced: true` to `planWindowsAccountChange`, and the two agree.
 * - Knox: the agent's `addNewAccount` keys accounts by address; a new address would add a second
 *   account beside the old one, so the old one is removed first.
 * - iOS: a new host or address changes the account's `PayloadUUID` inside the same profile, and
 *   `InstallProfile` with the same profile identifier replaces it whole: an update suffices.
 * - Android Enterprise: Gmail re-creates its managed account by itself when an identity key changes.
 */
export function recreateKeyOf(type: EmailProfileType, values: AccountUserValues): string | null {
  switch (platformFamilyOf(type)) {
    case 'windows':
      return `Exchange|${values.userName}`;
    case 'knox':
      return values.emailAddress.trim().toLowerCase();
    default:
      return null;
  }
}

/**
 * The settings whose change makes the device ask the user to enter the password again: iOS
 * re-issues the account when the sync services (`easServices`) or the authentication (method,
 * OAuth) change (intune-email-model §9 "Editing a deployed profile"). Null for platforms that do not
 * prompt on update. An update whose prompt key differs from the installed one is marked
 * `userPrompt: 'reenterPassword'`.
 */
export function promptKeyOf(type: EmailProfileType, settings: Readonly<Record<string, unknown>>): string | null {
  if (platformFamilyOf(type) !== 'ios') return null;
  return JSON.stringify([settings.authenticationMethod ?? 'usernameAndPassword', settings.useOAuth ?? false, settings.easServices ?? null]);
}

/**
 * Whether a profile's certificates travel inside it rather than as profiles installed first. On iOS
 * the account's `PayloadCertificateUUID` must point at a payload of the same profile, so the iOS
 * renderer embeds the certificates (payloads/apple/render-ios-profile.ts): the certificate profile
 * must be assigned to the device, but the email profile need not wait for it to be installed.
 * Elsewhere (Knox agent, Android Enterprise) the certificate is installed first and the account
 * refers to it by alias, so the email profile waits.
 */
export function certificatesTravelInsideProfile(type: ProfileType): boolean {
  return platformFamilyOf(type) === 'ios';
}

/**
 * Whether a new primary user means deleting the old account before creating the new one. The native
 * ids depend on the user on iOS (profile identifier `<prefix>.<profile>.<user>`), and on Windows and
 * Knox the account belongs to the previous user; Android Enterprise replaces its one managed
 * configuration per app in place.
 */
export function replacesOnUserChange(family: PlatformFamily): boolean {
  return family !== 'androidWorkProfile' && family !== 'androidForWork';
}
