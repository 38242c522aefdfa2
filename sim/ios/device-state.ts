import { randomUUID } from 'node:crypto';
import type { ProfileListItem } from '../../src/protocols/apple-mdm/index.ts';
import type { ConfigurationProfile, ProfilePayload } from './configuration-profile.ts';
import { errorItems, installationFailed } from './device-errors.ts';

/** A profile on the simulated device: its top-level keys, summaries of its payloads, and how it came. */
export interface InstalledProfile {
  PayloadIdentifier: string;
  PayloadUUID: string;
  PayloadVersion: number;
  PayloadDisplayName?: string;
  PayloadDescription?: string;
  PayloadOrganization?: string;
  PayloadRemovalDisallowed?: boolean;
  payloads: Omit<ProfilePayload, 'dictionary'>[];
  /** Installed by the MDM server (`InstallProfile`), not by the user. */
  managed: boolean;
  /** DER, signer first; empty for an unsigned profile. */
  signerCertificates: Uint8Array[];
  /** SHA-256 (hex) of the installed property list: changes when the content does. */
  contentSha256: string;
  /** 1 on the first install, one more for each replacement with the same `PayloadIdentifier`. */
  installCount: number;
}

/** Where an account came from: the user typed it in Settings, or a profile's `com.apple.eas.account` payload made it. */
export type AccountOrigin = 'user' | `profile:${string}`;

/** An Exchange ActiveSync account in the device's account store. */
export interface ExchangeAccount {
  /** The device's own identifier for the account: kept while the account is updated in place. */
  id: string;
  host: string;
  emailAddress: string;
  origin: AccountOrigin;
  displayName?: string;
  userName?: string;
  /** The payload that made it (profile accounts only). */
  payloadIdentifier?: string;
  payloadUUID?: string;
}

export const easPayloadType = 'com.apple.eas.account';

/**
 * The per-device store behind the profile commands: installed profiles by top-level
 * `PayloadIdentifier` and the Exchange accounts, modelled on iOS:
 * - installing a profile whose identifier is installed replaces it; an account whose payload keeps its
 *   `PayloadIdentifier` and `PayloadUUID` is updated in place (same `id`), the others are removed and
 *   the new ones created;
 * - an account is the same account when host and e-mail address match, case-insensitively; a profile
 *   bringing an account equal to one it does not own fails with 4001 / MCEASErrorDomain 21005;
 * - a profile reusing a `PayloadUUID` of another installed profile fails with 4001 / 4002;
 * - a failed install changes nothing.
 */
export class DeviceState {
  readonly #profiles = new Map<string, InstalledProfile>();
  #accounts: ExchangeAccount[] = [];
  readonly #newId: () => string;

  constructor(newId: () => string = () => randomUUID().toUpperCase()) {
    this.#newId = newId;
  }

  profiles(): InstalledProfile[] {
    return [...this.#profiles.values()].map((profile) => ({ ...profile, payloads: profile.payloads.map((payload) => ({ ...payload })) }));
  }

  profile(identifier: string): InstalledProfile | undefined {
    return this.profiles().find((profile) => profile.PayloadIdentifier === identifier);
  }

  accounts(): ExchangeAccount[] {
    return this.#accounts.map((account) => ({ ...account }));
  }

  /** Installs or replaces `profile`; throws `DeviceCommandError` and changes nothing when iOS would refuse it. */
  installProfile(profile: ConfigurationProfile, how: { managed: boolean; signerCertificates: Uint8Array[]; contentSha256: string }): InstalledProfile {
    const fail = (...causes: Parameters<typeof installationFailed>[1][]) => installationFailed(profile.PayloadDisplayName, ...causes);
    const origin: AccountOrigin = `profile:${profile.PayloadIdentifier}`;
    const wanted = profile.payloads.filter((payload) => payload.PayloadType === easPayloadType).map((payload) => {
      const host = payload.dictionary.Host;
      const emailAddress = payload.dictionary.EmailAddress;
      if (typeof host !== 'string' || host === '') throw fail(errorItems.payloadMissingField(payload.PayloadIdentifier, 'Host'));
      if (typeof emailAddress !== 'string' || emailAddress === '') throw fail(errorItems.payloadMissingField(payload.PayloadIdentifier, 'EmailAddress'));
      return { payload, host, emailAddress };
    });

    const otherUuids = new Set<string>();
    for (const other of this.#profiles.values()) {
      if (other.PayloadIdentifier === profile.PayloadIdentifier) continue;
      otherUuids.add(other.PayloadUUID.toUpperCase());
      for (const payload of other.payloads) otherUuids.add(payload.PayloadUUID.toUpperCase());
    }
    for (const uuid of [profile.PayloadUUID, ...profile.payloads.map((payload) => payload.PayloadUUID)]) {
      if (otherUuids.has(uuid.toUpperCase())) throw fail(errorItems.duplicateUuid(uuid));
    }

    const foreignKeys = new Set(this.#accounts.filter((account) => account.origin !== origin).map(accountKey));
    const ownKeys = new Set<string>();
    for (const { host, emailAddress } of wanted) {
      const key = accountKey({ host, emailAddress });
      if (foreignKeys.has(key) || ownKeys.has(key)) throw fail(errorItems.accountNotUnique());
      ownKeys.add(key);
    }

    // Accepted: from here on nothing throws.
    const previous = this.#profiles.get(profile.PayloadIdentifier);
    const kept = new Map(this.#accounts.filter((account) => account.origin === origin).map((account) => [`${account.payloadIdentifier}\n${account.payloadUUID}`, account]));
    const accounts = wanted.map(({ payload, host, emailAddress }): ExchangeAccount => {
      const same = kept.get(`${payload.PayloadIdentifier}\n${payload.PayloadUUID}`);
      const userName = payload.dictionary.UserName;
      return {
        id: same?.id ?? this.#newId(),
        host,
        emailAddress,
        origin,
        ...(payload.PayloadDisplayName === undefined ? {} : { displayName: payload.PayloadDisplayName }),
        ...(typeof userName === 'string' ? { userName } : {}),
        payloadIdentifier: payload.PayloadIdentifier,
        payloadUUID: payload.PayloadUUID,
      };
    });
    this.#accounts = [...this.#accounts.filter((account) => account.origin !== origin), ...accounts];
    const { payloads, ...top } = profile;
    const installed: InstalledProfile = {
      ...top,
      payloads: payloads.map(({ dictionary: _dictionary, ...summary }) => summary),
      managed: how.managed,
      signerCertificates: how.signerCertificates,
      contentSha256: how.contentSha256,
      installCount: (previous?.installCount ?? 0) + 1,
    };
    this.#profiles.set(profile.PayloadIdentifier, installed);
    return installed;
  }

  /** Removes the profile and the accounts it made; false when no profile has this identifier. */
  removeProfile(identifier: string): boolean {
    if (!this.#profiles.delete(identifier)) return false;
    this.#accounts = this.#accounts.filter((account) => account.origin !== `profile:${identifier}`);
    return true;
  }

  /** Removes every profile the MDM server installed (what iOS does when the enrollment profile goes). */
  removeManagedProfiles(): void {
    for (const profile of [...this.#profiles.values()]) if (profile.managed) this.removeProfile(profile.PayloadIdentifier);
  }

  /** The `ProfileList` answer: every profile, or with `managedOnly` those the MDM server installed. */
  profileList(managedOnly = false): ProfileListItem[] {
    return [...this.#profiles.values()].filter((profile) => !managedOnly || profile.managed).map((profile) => ({
      PayloadUUID: profile.PayloadUUID,
      PayloadIdentifier: profile.PayloadIdentifier,
      PayloadVersion: profile.PayloadVersion,
      ...optionalTexts(profile),
      PayloadRemovalDisallowed: profile.PayloadRemovalDisallowed ?? false,
      HasRemovalPasscode: false,
      IsEncrypted: false,
      ...(profile.signerCertificates.length > 0 ? { SignerCertificates: profile.signerCertificates } : {}),
      IsManaged: profile.managed,
      PayloadContent: profile.payloads.map((payload) => ({
        PayloadType: payload.PayloadType,
        PayloadVersion: payload.PayloadVersion,
        PayloadIdentifier: payload.PayloadIdentifier,
        PayloadUUID: payload.PayloadUUID,
        ...optionalTexts(payload),
      })),
    }));
  }

  /** The user adds an Exchange account in Settings; refused (throws) when the same account exists, as Settings does. */
  addUserAccount(host: string, emailAddress: string): ExchangeAccount {
    if (this.#accounts.some((account) => accountKey(account) === accountKey({ host, emailAddress }))) {
      throw new Error(`an account for ${emailAddress} on ${host} already exists`);
    }
    const account: ExchangeAccount = { id: this.#newId(), host, emailAddress, origin: 'user' };
    this.#accounts.push(account);
    return { ...account };
  }

  /** The user deletes their own account; false when they have none for this host and address. */
  removeUserAccount(host: string, emailAddress: string): boolean {
    const before = this.#accounts.length;
    this.#accounts = this.#accounts.filter((account) => account.origin !== 'user' || accountKey(account) !== accountKey({ host, emailAddress }));
    return this.#accounts.length !== before;
  }
}

function accountKey(account: { host: string; emailAddress: string }): string {
  return `${account.host.toLowerCase()}\n${account.emailAddress.toLowerCase()}`;
}

function optionalTexts(source: { PayloadDisplayName?: string; PayloadDescription?: string; PayloadOrganization?: string }) {
  return {
    ...(source.PayloadDisplayName === undefined ? {} : { PayloadDisplayName: source.PayloadDisplayName }),
    ...(source.PayloadDescription === undefined ? {} : { PayloadDescription: source.PayloadDescription }),
    ...(source.PayloadOrganization === undefined ? {} : { PayloadOrganization: source.PayloadOrganization }),
  };
}
