import type { AndroidManagementMode, DeviceOperatingSystem, DirectoryUser } from '../directory.ts';
import type { Profile } from '../profiles/profile.ts';
import { isEmailProfileType, profileKindOf, type ProfileKind, type ProfileType } from '../profiles/profile-types.ts';
import { MissingUserAttributeError, resolveAccountUserValues } from '../user-values.ts';
import { accountIdentityKey } from '../account-identity.ts';
import { certificatesTravelInsideProfile, conflictKeyOf, promptKeyOf, recreateKeyOf } from './account-change-rules.ts';
import { certificateDependenciesOf, type CertificateDependency } from './certificate-dependencies.ts';
import type { DeliveryReasonCode } from './delivery-reason.ts';
import type { DeviceTargeting } from './device-targeting.ts';
import { inapplicabilityOf } from './platform-applicability.ts';

/** One managed device as delivery sees it, with its primary user's directory record (or none). */
export interface DeliveryDevice {
  id: string;
  operatingSystem: DeviceOperatingSystem;
  osVersion: string;
  androidManagementMode: AndroidManagementMode | null;
  primaryUser: DirectoryUser | null;
}

/**
 * A profile assigned to the device (email or certificate), with how the assignment resolver placed
 * the device (`deviceTargetingIndex` turns a `ResolverResult` into this per device).
 */
export interface AssignedProfile extends Pick<Profile, 'id' | 'displayName' | 'odataType' | 'version' | 'settings' | 'links'> {
  targeting: DeviceTargeting;
}

/**
 * What should become of one assigned profile on the device:
 * - `deliver`: send it (or keep it) at `version`;
 * - `notApplicable`: platform or OS version mismatch;
 * - `error`: the device has no primary user, or the user lacks an attribute the profile needs;
 * - `conflict`: another Envelope profile would create the same account here; neither is sent;
 * - `missingDependency`: a certificate profile it needs is not assigned to the device, or cannot be
 *   delivered itself.
 * (`waitingForDependency` — the certificate is assigned but not yet on the device — needs the
 * ledger, so the plan decides it; see plan-device-delivery.ts.)
 */
export type DesiredOutcome = 'deliver' | 'notApplicable' | 'error' | 'conflict' | 'missingDependency';

export interface DesiredEntry {
  profileId: string;
  displayName: string;
  odataType: ProfileType;
  kind: ProfileKind;
  version: number;
  outcome: DesiredOutcome;
  reasonCode: DeliveryReasonCode | null;
  /** Why the outcome is not `deliver`, naming the attribute, certificate or colliding profiles; null for `deliver`. */
  message: string | null;
  /** The user the payload is rendered for: the primary user for email, SCEP and PKCS; null for trusted roots. */
  userId: string | null;
  /**
   * Everything besides `version` that changes the rendered payload: the user and the account values
   * resolved for them, and on iOS the versions of the embedded certificate profiles. A changed key
   * at the same version is an update (e.g. the user's address changed in the directory).
   */
  renderKey: string;
  /** `accountIdentityKey` of the account (email profiles whose values resolved), else null. */
  identityKey: string | null;
  /** See `recreateKeyOf`. */
  recreateKey: string | null;
  /** See `promptKeyOf`. */
  promptKey: string | null;
  dependencies: CertificateDependency[];
  /** The key equal profiles collide under (`conflictKeyOf`; email profiles whose values resolved), else null. */
  conflictKey: string | null;
  /** Ids of the profiles this one conflicts with (outcome `conflict`), sorted. */
  conflictsWith: string[];
}

/**
 * The desired set of one device: one entry per assigned profile, in delivery order (trusted roots,
 * then SCEP/PKCS identities, then email profiles; by profile id within a kind). Pure and cheap:
 * O(p log p) for p assigned profiles, no I/O.
 *
 * Checks run in this order, the first failure deciding the outcome: platform (the resolver's
 * verdict, then the family and OS floor of `inapplicabilityOf`) → primary user (email, SCEP and
 * PKCS profiles are rendered for a user; a trusted root is not) → the user's directory attributes
 * (email) → conflicts between email profiles that passed so far (equal `conflictKeyOf`; every
 * member of a group gets `conflict` and the message names the others by display name) →
 * certificate dependencies (each must be assigned and itself `deliver`; checked transitively, so an
 * email profile whose SCEP profile lacks its trusted root is `missingDependency` too).
 */
export function computeDesiredSet(device: DeliveryDevice, profiles: readonly AssignedProfile[]): DesiredEntry[] {
  const entries = profiles.map((profile) => evaluate(device, profile));
  markConflicts(entries);
  entries.sort(compareDeliveryOrder);
  const byId = new Map(entries.map((entry) => [entry.profileId, entry]));
  // Delivery order puts every dependency before its dependants, so one pass sees final outcomes.
  for (const entry of entries) {
    if (entry.outcome !== 'deliver') continue;
    for (const dependency of entry.dependencies) {
      const target = byId.get(dependency.profileId);
      if (target === undefined) {
        setOutcome(entry, 'missingDependency', 'certificateNotAssigned',
          `Its ${dependency.role} (certificate profile '${dependency.profileId}') is not assigned to this device; assign it to the same groups.`);
        break;
      }
      if (target.outcome !== 'deliver') {
        setOutcome(entry, 'missingDependency', 'certificateNotDeliverable',
          `Its ${dependency.role} '${target.displayName}' cannot be delivered to this device (${target.outcome}: ${target.message ?? ''})`);
        break;
      }
    }
    if (entry.outcome === 'deliver' && certificatesTravelInsideProfile(entry.odataType) && entry.dependencies.length > 0) {
      entry.renderKey += `|certificates:${entry.dependencies.map((d) => `${d.profileId}@${byId.get(d.profileId)?.version ?? ''}`).join(',')}`;
    }
  }
  return entries;
}

function evaluate(device: DeliveryDevice, profile: AssignedProfile): DesiredEntry {
  const kind = profileKindOf(profile.odataType);
  const needsUser = kind !== 'trustedRootCertificate';
  const user = needsUser ? device.primaryUser : null;
  const entry: DesiredEntry = {
    profileId: profile.id,
    displayName: profile.displayName,
    odataType: profile.odataType,
    kind,
    version: profile.version,
    outcome: 'deliver',
    reasonCode: null,
    message: null,
    userId: user?.id ?? null,
    renderKey: user === null ? '' : `user:${user.id}`,
    identityKey: null,
    recreateKey: null,
    promptKey: null,
    dependencies: certificateDependenciesOf(profile),
    conflictsWith: [],
    conflictKey: null,
  };
  const inapplicable =
    profile.targeting === 'platformMismatch'
      ? { reasonCode: 'platformMismatch' as const, message: `The profile's platform does not match this ${device.operatingSystem} device.` }
      : inapplicabilityOf(profile.odataType, device);
  if (inapplicable !== null) return setOutcome(entry, 'notApplicable', inapplicable.reasonCode, inapplicable.message);
  if (needsUser && (user === null || profile.targeting === 'withoutPrimaryUser')) {
    return setOutcome(entry, 'error', 'noPrimaryUser', 'The device has no primary user; email and user certificates are rendered for the primary user. Assign one to the device.');
  }
  if (user !== null && isEmailProfileType(profile.odataType)) {
    try {
      const values = resolveAccountUserValues(profile.settings, user);
      const hostName = String(profile.settings.hostName ?? '');
      entry.renderKey += `|${values.userName}|${values.domain ?? ''}|${values.emailAddress}`;
      entry.identityKey = accountIdentityKey(profile.odataType, { hostName, emailAddress: values.emailAddress });
      entry.recreateKey = recreateKeyOf(profile.odataType, values);
      entry.promptKey = promptKeyOf(profile.odataType, profile.settings);
      entry.conflictKey = conflictKeyOf(profile.odataType, hostName, values.emailAddress);
    } catch (error) {
      if (!(error instanceof MissingUserAttributeError)) throw error;
      return setOutcome(entry, 'error', 'userAttributeMissing', `${error.message} Fill in ${error.attribute} for the user in the directory.`);
    }
  }
  return entry;
}

function markConflicts(entries: DesiredEntry[]): void {
  const groups = new Map<string, DesiredEntry[]>();
  for (const entry of entries) {
    if (entry.outcome !== 'deliver' || entry.conflictKey === null) continue;
    const group = groups.get(entry.conflictKey);
    if (group === undefined) groups.set(entry.conflictKey, [entry]);
    else group.push(entry);
  }
  for (const group of groups.values()) {
    if (group.length < 2) continue;
    for (const entry of group) {
      const others = group.filter((other) => other !== entry).sort((a, b) => compareIds(a.profileId, b.profileId));
      entry.conflictsWith = others.map((other) => other.profileId);
      const names = others.map((other) => `'${other.displayName}'`).join(', ');
      setOutcome(entry, 'conflict', 'accountConflict',
        `'${entry.displayName}' and ${names} would create the same email account on this device (${describeKey(entry.conflictKey ?? '')}); neither is sent. Unassign all but one, or change the host or address source.`);
    }
  }
}

function describeKey(key: string): string {
  const [namespace, first, second] = key.split('|');
  if (namespace === 'androidEnterprise') return `one managed configuration of ${first} per device`;
  if (namespace === 'knox') return `same address ${first}; Knox ignores the host`;
  return `same host ${first} and address ${second}`;
}

function setOutcome<T extends DesiredEntry>(entry: T, outcome: DesiredOutcome, reasonCode: DeliveryReasonCode, message: string): T {
  entry.outcome = outcome;
  entry.reasonCode = reasonCode;
  entry.message = message;
  return entry;
}

const kindRank: Record<ProfileKind, number> = { trustedRootCertificate: 0, scepCertificate: 1, pkcsCertificate: 1, email: 2 };

/** Trusted roots, then identity certificates, then email profiles; by id within a rank. */
export function compareDeliveryOrder(a: { kind: ProfileKind; profileId: string }, b: { kind: ProfileKind; profileId: string }): number {
  return kindRank[a.kind] - kindRank[b.kind] || compareIds(a.profileId, b.profileId);
}

export function kindRankOf(kind: ProfileKind): number {
  return kindRank[kind];
}

function compareIds(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
