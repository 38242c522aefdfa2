import type { ProfileType } from '../profiles/profile-types.ts';
import type { DeliveryReasonCode } from './delivery-reason.ts';

/**
 * The ledger: per (device, profile), what Envelope asked the device to do and what the device is
 * known to hold. The store persists one `LedgerRow` per pair (README.md lists the columns) and never
 * deletes it while the device exists: `generation` must keep counting, or a re-created row would
 * reuse command ids that already have results.
 *
 * States (see README.md for the transition table):
 * - `pending`: an operation is decided and queued; the device has not fetched it.
 * - `sent`: the device fetched the command; no result yet.
 * - `succeeded`: acknowledged by the device. `verified`: confirmed by inventory (ProfileList, Get, policy report).
 * - `error`: the device (or channel) reported a failure, see `lastError`; or Envelope cannot deliver
 *   (no primary user, missing user attribute: `lastError` null).
 * - `conflict`: two Envelope profiles would create the same account (`lastError` null), or the
 *   device refused a duplicate of an account the user made (`lastError.errorClass = duplicateAccount`).
 * - `removed`: the device confirmed the removal (or never had it).
 * - `kept`: no longer assigned but left on the device: the only email profile there, or a
 *   certificate an email profile on the device still uses.
 * - `notApplicable`, `waitingForDependency`, `missingDependency`: nothing sent, see the reason.
 */
export const ledgerStates = [
  'pending',
  'sent',
  'succeeded',
  'verified',
  'error',
  'conflict',
  'removed',
  'kept',
  'notApplicable',
  'waitingForDependency',
  'missingDependency',
] as const;
export type LedgerState = (typeof ledgerStates)[number];

/** `replace` deletes the live account and creates it again (new account id): see `recreateKeyOf`. */
export type DeliveryOperationKind = 'install' | 'update' | 'replace' | 'remove';

/**
 * How a failure is retried (channels classify; see README.md):
 * - `transient`: bounded exponential backoff (`retryPolicy`);
 * - `duplicateAccount`: the user's own account blocks the profile (iOS `MCEASErrorDomain` 21005):
 *   status `conflict`, retried on a slow schedule and at once on an admin resend;
 * - `terminal`: the payload itself is wrong (format error, duplicate profile UUID, a setting the
 *   device rejects): never retried automatically, only on an admin resend.
 */
export type DeliveryErrorClass = 'transient' | 'duplicateAccount' | 'terminal';

export interface DeliveryError {
  errorClass: DeliveryErrorClass;
  /** The channel's code, e.g. `MCEASErrorDomain (21005)`, `SyncML 500`, `APP_NOT_INSTALLED`. */
  code: string;
  message: string;
}

/** What one operation puts on the device; `installed` holds the last one the device confirmed. */
export interface DeliveredSnapshot {
  version: number;
  renderKey: string;
  userId: string | null;
  identityKey: string | null;
  recreateKey: string | null;
  promptKey: string | null;
  /** Certificate profiles this version uses: they are not removed while it stays on the device. */
  dependencyProfileIds: string[];
  /**
   * The account's native id, derived by `accountIdFor`: the Windows ActiveSync account GUID, the
   * Knox agent's account key; a replace moves to a new one. Null for iOS and Android Enterprise
   * email profiles, which derive their ids from profile and user (see ios-payload-ids.ts), and for
   * certificate profiles.
   */
  accountId: string | null;
}

export type UserPrompt = 'reenterPassword';

export interface LedgerRow {
  deviceId: string;
  profileId: string;
  /** Kept on the row so a deleted profile can still be removed in the right order. */
  odataType: ProfileType;
  displayName: string;
  state: LedgerState;
  reasonCode: DeliveryReasonCode;
  /** The admin message for `reasonCode`. */
  message: string;
  /** The operation last planned; null before the first one. */
  operation: DeliveryOperationKind | null;
  /** The command of that operation (replace: its install command). */
  commandId: string | null;
  /** Commands issued for this row so far; part of every command id, never reset. */
  generation: number;
  /** Sends of the current target (first send = 1; re-offers do not count). */
  attempts: number;
  /** What the current or last operation delivers (or removes); null before the first. */
  target: DeliveredSnapshot | null;
  /** What the device confirmed holding; null when it holds nothing of this profile. */
  installed: DeliveredSnapshot | null;
  /** Bumped by each replace; `accountIdFor` derives the account id from it. */
  accountIncarnation: number;
  lastError: DeliveryError | null;
  /** Epoch ms of the next automatic retry of a failed operation; null for none. */
  nextAttemptAt: number | null;
  /** Set by the admin API ("resend"); the next plan acts on it and clears it. */
  resendRequested: boolean;
  /** The current operation makes the device ask the user for something. */
  userPrompt: UserPrompt | null;
  /** Epoch ms of the last state change (for "stuck"). */
  stateChangedAt: number;
  /** Epoch ms of the device's last result for this row (Graph `lastReportedDateTime`). */
  lastReportedAt: number | null;
}

/** States in which an operation is on its way and its result still counts. */
export function isInFlight(row: Pick<LedgerRow, 'state'>): boolean {
  return row.state === 'pending' || row.state === 'sent';
}
