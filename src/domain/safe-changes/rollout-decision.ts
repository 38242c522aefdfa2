/** How the devices reached so far stand on the rolled-out change (from the ledger; see rollout-store.ts). */
export interface RolloutCounts {
  /** Reached devices with a ledger row for the profile that is not `notApplicable`. */
  reached: number;
  /** On the new version or assignment, confirmed (`succeeded`, `verified`; or removed/kept when the change took it away). */
  succeeded: number;
  /** `error` or `conflict` (a failed delivery, a user-made account blocking it, no primary user…). */
  errors: number;
  /** Everything else: not yet sent, sent without an answer, waiting for a certificate, or still on the old version. */
  pending: number;
}

/** The error rate in percent: errors over reached (0 when nothing is reached). */
export function errorRatePercent(counts: RolloutCounts): number {
  return counts.reached === 0 ? 0 : (counts.errors * 100) / counts.reached;
}

export type RolloutVerdict =
  | { action: 'wait'; reason: string }
  | { action: 'pause'; reason: string }
  | { action: 'advance' }
  | { action: 'complete' };

/**
 * What the worker does with a running rollout now (epoch ms):
 * - the reached devices' error rate is above `errorThresholdPercent` → `pause`, naming the rate, once
 *   the ring's soak has passed (earlier samples are too small to judge);
 * - the soak has not passed → `wait`;
 * - devices were reached but none has answered yet → `wait` (no evidence either way);
 * - otherwise `advance` to the next ring, or `complete` after the last one.
 * `autoAdvance` false: the worker only pauses; advancing is the admin's.
 */
export function decideRollout(input: {
  counts: RolloutCounts;
  errorThresholdPercent: number;
  ringStartedAt: number;
  soakMs: number;
  now: number;
  currentRing: number;
  ringCount: number;
  autoAdvance: boolean;
}): RolloutVerdict {
  const { counts } = input;
  if (input.now < input.ringStartedAt + input.soakMs) return { action: 'wait', reason: 'The ring is soaking.' };
  const rate = errorRatePercent(counts);
  if (rate > input.errorThresholdPercent) {
    return {
      action: 'pause',
      reason: `Error rate ${formatPercent(rate)} % (${counts.errors} of ${counts.reached} devices reached) is above the ${formatPercent(input.errorThresholdPercent)} % threshold.`,
    };
  }
  if (!input.autoAdvance) return { action: 'wait', reason: 'Advancing is manual (autoAdvance is off).' };
  if (counts.reached > 0 && counts.succeeded + counts.errors === 0) return { action: 'wait', reason: 'No device of the ring has answered yet.' };
  return input.currentRing >= input.ringCount ? { action: 'complete' } : { action: 'advance' };
}

export function formatPercent(value: number): string {
  return String(Math.round(value * 100) / 100);
}
