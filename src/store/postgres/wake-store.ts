import type { Queryable } from '../db.ts';

/** A queued wake a worker claimed: push the device, then settle it under `claim`. */
export interface ClaimedWake {
  tenantId: string;
  deviceId: string;
  /** Failed pushes so far. */
  attempts: number;
  reason: string;
}

/** A profile fan-out job a worker holds by lease. */
export interface ClaimedFanout {
  tenantId: string;
  profileId: string;
  reason: string;
  /** The last device id of the pages already pushed in this run; null at the start of a run. */
  cursorDeviceId: string | null;
}

/** A wake to retry after `delayMs`, having failed `attempts` times. */
export interface WakeRetry {
  tenantId: string;
  deviceId: string;
  attempts: number;
  delayMs: number;
}

/**
 * The wake queue and the profile fan-out jobs (migration 0004, docs/decisions/0013). Triggers fill
 * both in the transaction of a change; workers in any number of processes take their work with
 * `FOR UPDATE SKIP LOCKED` and hold it by claim or lease, never by a lock kept across a push. All
 * times are the database's clock, so servers never compare their own clocks with each other's.
 */
export class WakeStore {
  readonly #db: Queryable;

  constructor(db: Queryable) {
    this.#db = db;
  }

  /**
   * Requests a push of these devices of the tenant at `dueAt` (the database's now when null). Ids of
   * devices not in the tenant are ignored. A device already queued keeps the earlier due time.
   * Returns the number of devices queued.
   */
  async enqueue(tenantId: string, deviceIds: readonly string[], dueAt: Date | null, reason: string): Promise<number> {
    if (deviceIds.length === 0) return 0;
    const rows = await this.#db.query<{ n: number }>('SELECT wake_enqueue($1, $2::uuid[], COALESCE($3::timestamptz, now()), $4) AS n', [tenantId, deviceIds, dueAt, reason]);
    return rows[0]?.n ?? 0;
  }

  /**
   * Claims up to `limit` due wakes (oldest due first), skipping rows another worker is claiming
   * right now. Each claimed row's due time moves `claimMs` ahead: if this worker never settles it,
   * another takes it after that.
   */
  async claimDue(claim: string, limit: number, claimMs: number): Promise<ClaimedWake[]> {
    const rows = await this.#db.query<{ tenant_id: string; device_id: string; attempts: number; reason: string }>(
      `UPDATE wake_queue q SET claim = $1, due_at = clock_timestamp() + $3::float8 * interval '1 millisecond'
         FROM (SELECT tenant_id, device_id FROM wake_queue WHERE due_at <= clock_timestamp()
                ORDER BY due_at LIMIT $2 FOR UPDATE SKIP LOCKED) due
        WHERE q.tenant_id = due.tenant_id AND q.device_id = due.device_id
        RETURNING q.tenant_id, q.device_id, q.attempts, q.reason`,
      [claim, limit, claimMs],
    );
    return rows.map((row) => ({ tenantId: row.tenant_id, deviceId: row.device_id, attempts: row.attempts, reason: row.reason }));
  }

  /** Deletes claimed wakes that are done (delivered, nothing to push, or given up); rows re-requested since the claim stay. */
  async finishClaimed(claim: string, tenantId: string, deviceIds: readonly string[]): Promise<void> {
    if (deviceIds.length === 0) return;
    await this.#db.query('DELETE FROM wake_queue WHERE claim = $1 AND tenant_id = $2 AND device_id = ANY($3::uuid[])', [claim, tenantId, deviceIds]);
  }

  /** Puts claimed wakes back with their new attempt count and due time; rows re-requested since the claim keep the new request. */
  async retryClaimed(claim: string, retries: readonly WakeRetry[]): Promise<void> {
    if (retries.length === 0) return;
    await this.#db.query(
      `UPDATE wake_queue q SET attempts = r.attempts, due_at = clock_timestamp() + r.delay_ms * interval '1 millisecond', claim = NULL, updated_at = now()
         FROM unnest($2::uuid[], $3::uuid[], $4::int[], $5::float8[]) AS r(tenant_id, device_id, attempts, delay_ms)
        WHERE q.claim = $1 AND q.tenant_id = r.tenant_id AND q.device_id = r.device_id`,
      [claim, retries.map((r) => r.tenantId), retries.map((r) => r.deviceId), retries.map((r) => r.attempts), retries.map((r) => r.delayMs)],
    );
  }

  /**
   * Queues wakes that failed outside the queue (a fan-out page) for a retry: inserted with their
   * attempts and due time, or merged into a queued row (earlier due time, higher attempt count).
   */
  async queueRetries(retries: readonly WakeRetry[], reason: string): Promise<void> {
    if (retries.length === 0) return;
    await this.#db.query(
      `INSERT INTO wake_queue AS q (tenant_id, device_id, due_at, attempts, reason)
         SELECT d.tenant_id, d.id, clock_timestamp() + r.delay_ms * interval '1 millisecond', r.attempts, $5
           FROM unnest($1::uuid[], $2::uuid[], $3::int[], $4::float8[]) AS r(tenant_id, device_id, attempts, delay_ms)
           JOIN managed_devices d ON d.tenant_id = r.tenant_id AND d.id = r.device_id
       ON CONFLICT (tenant_id, device_id) DO UPDATE SET
         due_at = CASE WHEN q.claim IS NULL THEN LEAST(q.due_at, EXCLUDED.due_at) ELSE EXCLUDED.due_at END,
         attempts = GREATEST(q.attempts, EXCLUDED.attempts), claim = NULL, updated_at = now()`,
      [retries.map((r) => r.tenantId), retries.map((r) => r.deviceId), retries.map((r) => r.attempts), retries.map((r) => r.delayMs), reason],
    );
  }

  /** Queued wakes (claimed ones included), for metrics. */
  async queueDepth(): Promise<number> {
    const rows = await this.#db.query<{ n: number }>('SELECT count(*)::int AS n FROM wake_queue');
    return rows[0]?.n ?? 0;
  }

  /**
   * Takes the oldest fan-out job no live lease holds (skipping one another worker is taking right
   * now) and leases it to `owner` for `leaseMs`. A job without a cursor starts a run: it records the
   * change count it covers.
   */
  async claimFanout(owner: string, leaseMs: number): Promise<ClaimedFanout | null> {
    const rows = await this.#db.query<{ tenant_id: string; profile_id: string; reason: string; cursor_device_id: string | null }>(
      `UPDATE wake_fanouts f SET lease_owner = $1, lease_until = clock_timestamp() + $2::float8 * interval '1 millisecond',
              run_changes = CASE WHEN f.cursor_device_id IS NULL THEN f.changes ELSE f.run_changes END
         FROM (SELECT tenant_id, profile_id FROM wake_fanouts
                WHERE lease_until IS NULL OR lease_until < clock_timestamp()
                ORDER BY created_at LIMIT 1 FOR UPDATE SKIP LOCKED) free
        WHERE f.tenant_id = free.tenant_id AND f.profile_id = free.profile_id
        RETURNING f.tenant_id, f.profile_id, f.reason, f.cursor_device_id`,
      [owner, leaseMs],
    );
    const row = rows[0];
    return row ? { tenantId: row.tenant_id, profileId: row.profile_id, reason: row.reason, cursorDeviceId: row.cursor_device_id } : null;
  }

  /** Records a pushed page (cursor) and renews the lease; false when `owner` lost the lease (stop working the job). */
  async advanceFanout(owner: string, job: ClaimedFanout, cursorDeviceId: string, leaseMs: number): Promise<boolean> {
    const rows = await this.#db.query(
      `UPDATE wake_fanouts SET cursor_device_id = $4, lease_until = clock_timestamp() + $5::float8 * interval '1 millisecond'
        WHERE tenant_id = $1 AND profile_id = $2 AND lease_owner = $3 RETURNING 1`,
      [job.tenantId, job.profileId, owner, cursorDeviceId, leaseMs],
    );
    return rows.length > 0;
  }

  /**
   * Ends a run that reached the last page. When no change arrived since the run started the job is
   * deleted (`done`); otherwise it starts over from the first device under the same lease
   * (`restarted`). `lost`: another worker holds the job now.
   */
  async finishFanoutRun(owner: string, job: ClaimedFanout, leaseMs: number): Promise<'done' | 'restarted' | 'lost'> {
    const deleted = await this.#db.query(
      'DELETE FROM wake_fanouts WHERE tenant_id = $1 AND profile_id = $2 AND lease_owner = $3 AND changes = run_changes RETURNING 1',
      [job.tenantId, job.profileId, owner],
    );
    if (deleted.length > 0) return 'done';
    const restarted = await this.#db.query(
      `UPDATE wake_fanouts SET cursor_device_id = NULL, run_changes = changes, lease_until = clock_timestamp() + $4::float8 * interval '1 millisecond'
        WHERE tenant_id = $1 AND profile_id = $2 AND lease_owner = $3 RETURNING 1`,
      [job.tenantId, job.profileId, owner, leaseMs],
    );
    return restarted.length > 0 ? 'restarted' : 'lost';
  }

  /** Gives the job back before its lease ends (another worker may continue from its cursor at once). */
  async releaseFanout(owner: string, job: ClaimedFanout): Promise<void> {
    await this.#db.query(
      'UPDATE wake_fanouts SET lease_owner = NULL, lease_until = NULL WHERE tenant_id = $1 AND profile_id = $2 AND lease_owner = $3',
      [job.tenantId, job.profileId, owner],
    );
  }

  /**
   * Devices holding the profile with something installed or on its way (a ledger row with an
   * installed snapshot or a command in flight), after `afterDeviceId`, in id order: an unassign or a
   * deletion must wake the devices that have to remove it.
   */
  async profileHolders(tenantId: string, profileId: string, afterDeviceId: string | null, limit: number): Promise<string[]> {
    const rows = await this.#db.query<{ device_id: string }>(
      `SELECT device_id FROM delivery_ledger
        WHERE tenant_id = $1 AND profile_id = $2 AND ($3::uuid IS NULL OR device_id > $3::uuid)
          AND (installed IS NOT NULL OR command_id IS NOT NULL)
        ORDER BY device_id LIMIT $4`,
      [tenantId, profileId, afterDeviceId, limit],
    );
    return rows.map((row) => row.device_id);
  }
}
