import type { DirectoryUser, ManagedDevice } from '../domain/directory.ts';
import { accountIdentityKey } from '../domain/account-identity.ts';
import { resolveAccountUserValues } from '../domain/user-values.ts';
import { isEmailProfileType, platformFamilyOf, settingsOf, type Profile } from '../domain/profiles/index.ts';
import type { AppleCertificateMaterialById } from './apple/certificate-material.ts';
import { iosEmailProfileInputOf } from './apple/ios-email-profile-input.ts';
import type { IosPayloadIdSeed } from './apple/ios-payload-ids.ts';
import { renderIosProfile } from './apple/render-ios-profile.ts';
import type { AndroidEnterpriseEmailProfile, KnoxEmailProfileSettings } from './android/android-profile-input.ts';
import type { KnoxAccountEnvelope } from './android/knox-account-schema.ts';
import type { AndroidPolicyFragment } from './android/managed-config-schema.ts';
import { renderKnoxAccount } from './android/render-knox-account.ts';
import { renderManagedConfigPolicy } from './android/render-managed-config.ts';
import { activeSyncRootFor, windowsAccountRef } from './windows/activesync-account.ts';
import { installAccountCommands } from './windows/activesync-commands.ts';
import { renderSyncBodyCommands } from './windows/render-syncml.ts';
import type { WindowsEasEmailSettings } from './windows/windows-eas-settings.ts';
import { windowsAccountLeavesForUser } from './windows/windows-account-leaves.ts';

/** A certificate already installed on an Android device, referenced by alias from the account. */
export interface AndroidCertificateRef {
  alias: string;
  storageName: string;
}

/** Everything one render needs besides the profile: the user, the device and per-device material. */
export interface EmailRenderContext {
  profile: Profile;
  /** The device's primary user; usernames and addresses come from this user's attributes. */
  user: DirectoryUser;
  device: ManagedDevice;
  /** iOS: material for each linked certificate profile, by its id. */
  appleCertificates: AppleCertificateMaterialById;
  /** Knox / Android Enterprise: the installed alias of a linked certificate profile, by its id. */
  androidCertificate: (certificateProfileId: string) => AndroidCertificateRef;
  /** Windows: the ActiveSync account GUID kept for this (profile, device). */
  windowsAccountGuid: string;
  /** Knox: the account key Envelope's agent tracks the account by. */
  knoxAccountKey: string;
  ids: IosPayloadIdSeed;
  organization?: string | null;
}

/** The native artefact, in the form each delivery channel carries. */
export type RenderedEmailPayload =
  | { format: 'mobileconfig'; mediaType: 'application/x-apple-aspen-config'; content: string; payloadIdentifier: string }
  | { format: 'syncml'; mediaType: 'application/vnd.syncml.dm+xml'; content: string; accountGuid: string }
  | { format: 'knoxExchangeAccount'; mediaType: 'application/json'; content: KnoxAccountEnvelope }
  | { format: 'androidManagedConfiguration'; mediaType: 'application/json'; content: AndroidPolicyFragment };

export type RenderedEmailProfile = RenderedEmailPayload & {
  /** The account identity the platform itself uses to detect duplicates (for conflict detection). */
  accountIdentityKey: string;
  emailAddress: string;
};

/**
 * Renders an email profile for one device and its primary user into the platform's native format:
 * iOS `.mobileconfig` (unsigned XML plist), Windows SyncML install commands (one `Atomic` of `Add`s
 * for the ActiveSync CSP), the Knox `ExchangeAccount` envelope, or the Android Enterprise policy
 * fragment with the Gmail / Nine Work managed configuration. Pure: no I/O, no clock.
 *
 * Throws `MissingUserAttributeError` (422) when the user lacks an attribute the profile needs, other
 * 422 `EnvelopeError`s for settings or certificates a platform cannot deliver, and `TypeError` for a
 * profile that is not an email profile (a caller bug).
 */
export function renderEmailProfile(ctx: EmailRenderContext): RenderedEmailProfile {
  const { profile, user, device } = ctx;
  if (!isEmailProfileType(profile.odataType)) throw new TypeError(`'${profile.odataType}' is not an email profile type.`);
  const settings = profile.settings as { hostName: string };
  const emailAddress = resolveAccountUserValues(profile.settings, user).emailAddress;
  const identity = { accountIdentityKey: accountIdentityKey(profile.odataType, { hostName: settings.hostName, emailAddress }), emailAddress };

  switch (platformFamilyOf(profile.odataType)) {
    case 'ios': {
      const rendered = renderIosProfile({
        profile: iosEmailProfileInputOf(profile),
        user,
        device,
        certificates: ctx.appleCertificates,
        ids: ctx.ids,
        organization: ctx.organization ?? null,
      });
      return { format: 'mobileconfig', mediaType: 'application/x-apple-aspen-config', content: rendered.xml, payloadIdentifier: rendered.payloadIdentifier, ...identity };
    }
    case 'windows': {
      const leaves = windowsAccountLeavesForUser(profile.settings as unknown as WindowsEasEmailSettings, user);
      const account = windowsAccountRef(activeSyncRootFor(device.operatingSystem), ctx.windowsAccountGuid);
      const commands = installAccountCommands(account, leaves);
      return { format: 'syncml', mediaType: 'application/vnd.syncml.dm+xml', content: renderSyncBodyCommands(commands, { pretty: true }), accountGuid: ctx.windowsAccountGuid, ...identity };
    }
    case 'knox': {
      const knox = settingsOf(profile, 'androidEasEmailProfileConfiguration') as unknown as KnoxEmailProfileSettings;
      const content = renderKnoxAccount(knox, user, {
        accountKey: ctx.knoxAccountKey,
        ...(profile.links.identityCertificate ? { identityCertificate: ctx.androidCertificate(profile.links.identityCertificate) } : {}),
        ...(profile.links.smimeSigningCertificate ? { smimeSigningCertificate: ctx.androidCertificate(profile.links.smimeSigningCertificate) } : {}),
      });
      return { format: 'knoxExchangeAccount', mediaType: 'application/json', content, ...identity };
    }
    case 'androidWorkProfile':
    case 'androidForWork': {
      const input = { '@odata.type': profile.odataType, ...profile.settings } as unknown as AndroidEnterpriseEmailProfile;
      const identityCertificate = profile.links.identityCertificate;
      const content = renderManagedConfigPolicy(input, user, {
        ...(identityCertificate ? { identityCertificateAlias: ctx.androidCertificate(identityCertificate).alias } : {}),
      });
      return { format: 'androidManagedConfiguration', mediaType: 'application/json', content, ...identity };
    }
  }
}
