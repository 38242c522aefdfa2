/**
 * A way to wake devices so they check in now: APNs for Apple devices today; WNS and FCM later. The
 * wake worker hands every channel the same device ids; each channel pushes those it can reach and
 * leaves the others out of its answer.
 */
export interface WakeChannel {
  /** For logs and metrics (`apns`). */
  readonly name: string;
  /**
   * Pushes those of `deviceIds` (one tenant) this channel reaches. The answer has an outcome for each
   * device the channel knows and none for the others. Rejects only when it could not try at all (the
   * database is unreachable); per-device and transport failures are outcomes.
   */
  wake(tenantId: string, deviceIds: readonly string[]): Promise<Map<string, WakeOutcome>>;
  /** Releases connections; the worker calls it when it stops. */
  close(): Promise<void>;
}

/**
 * - `sent`: the push service accepted the push.
 * - `retry`: a transient failure (rate limit, server error, connection); try again later, not before
 *   `retryAfterMs` when given.
 * - `dropped`: retrying cannot help (dead token, certificate problem, no push certificate); the
 *   channel has logged why. The device's own periodic check-in still comes.
 */
export type WakeOutcome =
  | { kind: 'sent' }
  | { kind: 'retry'; reason: string; retryAfterMs?: number }
  | { kind: 'dropped'; reason: string };
