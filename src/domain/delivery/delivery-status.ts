import type { DeliveryReasonCode } from './delivery-reason.ts';
import type { LedgerRow, LedgerState } from './ledger-row.ts';

/**
 * Graph `complianceStatus`, the `status` of `deviceConfigurationDeviceStatus` and
 * `deviceConfigurationUserStatus` (intune-email-model §4, §7), member names as on the wire.
 * https://learn.microsoft.com/graph/api/resources/intune-shared-compliancestatus
 */
export const complianceStatuses = ['unknown', 'notApplicable', 'compliant', 'remediated', 'nonCompliant', 'error', 'conflict', 'notAssigned'] as const;
export type ComplianceStatus = (typeof complianceStatuses)[number];

/** One (profile, device, user) status row as the admin API, the device view and the portal show it. */
export interface DeliveryStatus {
  status: ComplianceStatus;
  /** Envelope's finer state. */
  state: LedgerState;
  reasonCode: DeliveryReasonCode;
  adminMessage: string;
  /** What the end user can do about it (company portal); null when there is nothing for them to do. */
  endUserMessage: string | null;
  /** The device asks, or will ask, the user to act (re-enter the password) for this profile. */
  waitingForUser: boolean;
  /** Pending for longer than the configured time (see `isStuck`). */
  stuck: boolean;
  /** The version the device confirmed (`configurationVersion` in the overviews); null if none. */
  reportedVersion: number | null;
  /** Epoch ms of the device's last result (Graph `lastReportedDateTime`); null before one. */
  lastReportedAt: number | null;
}

export type StatusRow = Pick<
  LedgerRow,
  'state' | 'operation' | 'reasonCode' | 'message' | 'userPrompt' | 'installed' | 'nextAttemptAt' | 'stateChangedAt' | 'lastReportedAt'
>;

/**
 * Envelope state → Graph `complianceStatus`:
 * - `pending`, `sent`, `waitingForDependency` → `unknown` (Intune's "pending": no result yet);
 * - `succeeded`, `verified` → `compliant`; `conflict` → `conflict`; `notApplicable` → `notApplicable`;
 * - `error`, `missingDependency` → `error` (missing certificate is a configuration error the admin
 *   must fix, reported as such instead of as a failed install);
 * - `kept`, `removed`, and a removal on its way → `notAssigned`: the profile is no longer assigned
 *   to the device, so the profile's overviews do not count it; the device view still lists it with
 *   the reason. A removal that failed → `error`, so failed removals stay visible (a known complaint,
 *   delivery-protocols §d.6).
 * Delivery never produces `remediated` or `nonCompliant` (compliance policies do); the count deltas
 * handle them anyway.
 */
export function complianceStatusOf(row: Pick<StatusRow, 'state' | 'operation'>): ComplianceStatus {
  switch (row.state) {
    case 'pending':
    case 'sent':
      return row.operation === 'remove' ? 'notAssigned' : 'unknown';
    case 'waitingForDependency':
      return 'unknown';
    case 'succeeded':
    case 'verified':
      return 'compliant';
    case 'conflict':
      return 'conflict';
    case 'notApplicable':
      return 'notApplicable';
    case 'error':
    case 'missingDependency':
      return 'error';
    case 'kept':
    case 'removed':
      return 'notAssigned';
  }
}

/**
 * Whether a row has waited for the device longer than `stuckAfterMs`: queued, sent without a
 * result, or waiting for a certificate, since `stateChangedAt`. Drives the "stuck pending" alert
 * and lets the admin resend (a resend gives the command a new id).
 */
export function isStuck(row: Pick<StatusRow, 'state' | 'stateChangedAt'>, now: number, stuckAfterMs: number): boolean {
  const waiting = row.state === 'pending' || row.state === 'sent' || row.state === 'waitingForDependency';
  return waiting && now - row.stateChangedAt > stuckAfterMs;
}

/** The status of one ledger row at `now`; `stuckAfterMs` is configuration (e.g. 24 h). */
export function deliveryStatusOf(row: StatusRow, now: number, stuckAfterMs: number): DeliveryStatus {
  const waitingForUser = row.userPrompt !== null && row.operation !== 'remove' && (row.state === 'pending' || row.state === 'sent' || row.state === 'succeeded');
  return {
    status: complianceStatusOf(row),
    state: row.state,
    reasonCode: row.reasonCode,
    adminMessage: row.message,
    endUserMessage: endUserMessageOf(row, waitingForUser),
    waitingForUser,
    stuck: isStuck(row, now, stuckAfterMs),
    reportedVersion: row.installed?.version ?? null,
    lastReportedAt: row.lastReportedAt,
  };
}

function endUserMessageOf(row: StatusRow, waitingForUser: boolean): string | null {
  if (waitingForUser) {
    return 'Your email account is being updated. When your device asks for your email password, enter it to keep receiving mail.';
  }
  switch (row.reasonCode) {
    case 'duplicateAccount':
      return 'You have set up this email account yourself on this device. Remove the account you added yourself (Settings › Mail › Accounts); your company account is then set up automatically.';
    case 'noPrimaryUser':
      return 'This device is not assigned to a user, so company email cannot be set up. Contact your IT department.';
    case 'userAttributeMissing':
      return 'Your directory account lacks information needed to set up company email. Contact your IT department.';
    case 'accountConflict':
      return 'Two company email settings for the same account were sent to this device, so neither is set up. Contact your IT department.';
    case 'waitingForCertificate':
      return 'Your device is receiving a certificate first; company email is set up automatically right after.';
    case 'certificateNotAssigned':
    case 'certificateNotDeliverable':
      return 'A certificate company email needs is not available for this device. Contact your IT department.';
    case 'osVersionTooOld':
      return 'Update your device\'s operating system to receive company email.';
    case 'onlyEmailProfile':
      return 'This email account is no longer managed by your company but was left on your device because it is your only email account.';
    default:
      if (row.state !== 'error') return null;
      return row.nextAttemptAt === null
        ? 'Company email could not be set up on this device. Contact your IT department.'
        : 'Company email could not be set up yet; it is retried automatically. Contact your IT department if this persists.';
  }
}
