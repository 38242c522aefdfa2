import type { DeliveryReasonCode } from './delivery-reason.ts';
import type { DeliveryError, LedgerRow } from './ledger-row.ts';
import { defaultRetryPolicy, nextAttemptAt, type RetryPolicy } from './retry-policy.ts';

/**
 * What a channel learned about one queued command:
 * - `fetched`: the device took the command (Apple: returned in the check-in response; OMA-DM: sent
 *   in a session; AMAPI: policy patched);
 * - `acknowledged`: it applied it (Apple `Acknowledged`; SyncML 200/202 on every command; AMAPI
 *   report with the policy version and no non-compliance for the app). For a remove, a device
 *   saying the profile or account is not there (Apple 12075/4024, SyncML 404) is an acknowledgement.
 *   `note` adds what the admin should know to the row's message (Windows: a user-made account was replaced);
 * - `verified`: inventory confirms what the acknowledged command installed (ProfileList, Get, policy report);
 * - `missing`: inventory shows that what the device had acknowledged is gone (a user deleted the
 *   profile, the device was restored): the row loses `installed` and is retried at once, so the next
 *   reconcile installs it again under a new command id;
 * - `notNow`: the device deferred it (Apple `NotNow`); the channel re-offers it, nothing changes here;
 * - `failed`: with the channel's classification (see `DeliveryErrorClass`).
 * A channel that sends a replace as two commands reports a failure of either under the replace's
 * command id.
 */
export type DeviceResult =
  | { kind: 'fetched' | 'verified' | 'missing' | 'notNow'; commandId: string }
  | { kind: 'acknowledged'; commandId: string; note?: string }
  | { kind: 'failed'; commandId: string; error: DeliveryError };

/**
 * The ledger row after a device result, or the same row object when the result changes nothing:
 * a result for another command than the row's current one (superseded by a newer operation; the
 * device's copy of the old one is overwritten by the newer one), or a repeat of a result already
 * recorded — devices and Pub/Sub redeliver, so recording must be idempotent.
 *
 * A failure keeps `installed` as it was (a failed update leaves the previous version on the
 * device), sets `error` — `conflict` for a user-made duplicate account blocking an install, update
 * or replace; a removal is never a conflict — and schedules the next automatic attempt by `policy`.
 */
export function recordDeviceResult(row: LedgerRow, result: DeviceResult, now: number, policy: RetryPolicy = defaultRetryPolicy): LedgerRow {
  if (result.commandId !== row.commandId || row.operation === null || row.target === null) return row;
  const target = row.target;
  switch (result.kind) {
    case 'notNow':
      return row;
    case 'fetched':
      return row.state === 'pending' ? { ...row, state: 'sent', stateChangedAt: now } : row;
    case 'verified':
      return row.state === 'succeeded' && row.operation !== 'remove'
        ? { ...row, state: 'verified', reasonCode: 'verified', message: `Version ${target.version} is verified on the device.`, stateChangedAt: now, lastReportedAt: now }
        : row;
    case 'missing': {
      if (!(row.state === 'succeeded' || row.state === 'verified') || row.operation === 'remove' || row.installed === null) return row;
      const error: DeliveryError = { errorClass: 'transient', code: 'missingOnDevice', message: 'the device no longer lists it' };
      return {
        ...row,
        state: 'error',
        reasonCode: 'deliveryFailed',
        message: `'${row.displayName}' version ${row.installed.version} is no longer on the device (it was removed there); Envelope installs it again.`,
        installed: null,
        lastError: error,
        nextAttemptAt: now,
        stateChangedAt: now,
        lastReportedAt: now,
      };
    }
    case 'acknowledged': {
      if (!(row.state === 'pending' || row.state === 'sent')) return row;
      if (row.operation === 'remove') {
        return { ...row, state: 'removed', reasonCode: 'removed', message: `'${row.displayName}' was removed from the device.`, installed: null, lastError: null, nextAttemptAt: null, userPrompt: null, stateChangedAt: now, lastReportedAt: now };
      }
      const installed = row.userPrompt === 'reenterPassword'
        ? `Version ${target.version} is installed; the device asks the user to enter the account's password again.`
        : `Version ${target.version} is installed.`;
      const message = result.note === undefined ? installed : `${installed} ${result.note}`;
      return { ...row, state: 'succeeded', reasonCode: 'installed', message, installed: target, lastError: null, nextAttemptAt: null, stateChangedAt: now, lastReportedAt: now };
    }
    case 'failed': {
      if (!(row.state === 'pending' || row.state === 'sent')) return row;
      // A user-made duplicate account can only block what creates an account; a removal failing
      // with it (a channel's misclassification) is retried like any transient failure.
      const error = row.operation === 'remove' && result.error.errorClass === 'duplicateAccount'
        ? { ...result.error, errorClass: 'transient' as const }
        : result.error;
      const retryAt = nextAttemptAt(error.errorClass, row.attempts, now, row.commandId, policy);
      const duplicate = error.errorClass === 'duplicateAccount';
      const reasonCode: DeliveryReasonCode = duplicate ? 'duplicateAccount' : 'deliveryFailed';
      const what = duplicate
        ? `The device refused '${row.displayName}': the user has set up the same email account themselves (${error.code}). The user must remove that account; the profile then installs.`
        : `The ${row.operation} of '${row.displayName}' version ${target.version} failed: ${error.code}: ${error.message}.`;
      const next = retryAt === null ? ' Not retried automatically: fix the cause, then resend.' : ` Next automatic attempt at ${new Date(retryAt).toISOString()}.`;
      return { ...row, state: duplicate ? 'conflict' : 'error', reasonCode, message: what + next, lastError: error, nextAttemptAt: retryAt, stateChangedAt: now, lastReportedAt: now };
    }
  }
}

/**
 * The row of a device that left management (Apple `CheckOut`, Windows Alert 1226 — the user removed
 * the work account, or the device was reset): the OS removes what the MDM installed together with the
 * enrollment (Apple: "all managed profiles are removed"; Windows: disconnecting-from-mdm-unenrollment),
 * so nothing of the profile is on the device any more and the row leaves the profile's counts
 * (`removed` is `notAssigned`). Should the device come back under the same id, the next reconcile
 * installs it again (nothing is `installed`). A row already marked so is returned as it is.
 */
export function unenrolledRow(row: LedgerRow, now: number): LedgerRow {
  if (row.state === 'removed' && row.reasonCode === 'deviceUnenrolled') return row;
  return {
    ...row,
    state: 'removed',
    reasonCode: 'deviceUnenrolled',
    message: `The device left management (unenrolled), and '${row.displayName}' went with it.`,
    installed: null,
    lastError: null,
    nextAttemptAt: null,
    userPrompt: null,
    resendRequested: false,
    stateChangedAt: now,
    lastReportedAt: now,
  };
}
