import type { Db } from '../db.ts';

export interface QuotaLease {
  /** Grants leased now (0 when the quota or a block leaves none). */
  granted: number;
  /** With none granted: how long until a lease could succeed (ms). */
  waitMs: number;
  /** The slot length (ms). */
  slotMs: number;
  /** How long from the lease the grants may be spent: until the end of the slot after the one they are counted in. */
  validMs: number;
}

/** Slots per quota window: leases are counted at this granularity (decision 0033). */
export const quotaSlotsPerWindow = 50;

/**
 * A slot: a fiftieth of the window (2 s of Google's 100 s), never under a second, so that a lease
 * (one short transaction, slower on a loaded machine) is always answered well within the slot its
 * grants may be spent in.
 */
export function quotaSlotMs(windowMs: number): number {
  return Math.max(1000, Math.floor(windowMs / quotaSlotsPerWindow));
}

/** The span the shared count holds `limit` grants to: the window in whole slots plus two (104 s of Google's 100 s). */
export function sharedQuotaSpanMs(windowMs: number): number {
  const slotMs = quotaSlotMs(windowMs);
  return (Math.ceil(windowMs / slotMs) + 2) * slotMs;
}

/**
 * The Android Management API quota of each Cloud project, shared by every Envelope process on the
 * database (decision 0033). `lease` takes up to `want` grants when the slots of the last window plus
 * one slot hold fewer than `limit`; the time is the database's, so every process counts on one clock.
 */
export class AmapiQuotaStore {
  readonly #db: Db;

  constructor(db: Db) {
    this.#db = db;
  }

  async lease(projectId: string, quota: { limit: number; windowMs: number }, want: number): Promise<QuotaLease> {
    const slotMs = quotaSlotMs(quota.windowMs);
    return this.#db.transaction(async (tx) => {
      await tx.query('INSERT INTO amapi_quota_projects (project_id) VALUES ($1) ON CONFLICT DO NOTHING', [projectId]);
      // The project row serialises leases of the project across processes.
      const [row] = await tx.query<{ now_ms: string; blocked_ms: string | null }>(
        `SELECT (extract(epoch FROM clock_timestamp()) * 1000)::bigint AS now_ms,
                CASE WHEN blocked_until > clock_timestamp() THEN (extract(epoch FROM blocked_until) * 1000)::bigint END AS blocked_ms
           FROM amapi_quota_projects WHERE project_id = $1 FOR UPDATE`,
        [projectId],
      );
      const now = Number(row!.now_ms);
      if (row!.blocked_ms !== null) return { granted: 0, waitMs: Math.max(1, Number(row!.blocked_ms) - now), slotMs, validMs: 0 };
      const current = Math.floor(now / slotMs);
      // A grant is spent by the end of the slot after its lease's: a window of sends lies within quotaSlotsPerWindow + 2 lease slots.
      const first = current - Math.ceil(quota.windowMs / slotMs) - 1;
      await tx.query('DELETE FROM amapi_quota_slots WHERE project_id = $1 AND slot < $2', [projectId, first]);
      const slots = await tx.query<{ slot: string; used: number }>('SELECT slot, used FROM amapi_quota_slots WHERE project_id = $1 ORDER BY slot', [projectId]);
      const used = slots.reduce((sum, s) => sum + s.used, 0);
      const granted = Math.max(0, Math.min(want, quota.limit - used));
      if (granted > 0) {
        await tx.query(
          `INSERT INTO amapi_quota_slots (project_id, slot, used) VALUES ($1, $2, $3)
           ON CONFLICT (project_id, slot) DO UPDATE SET used = amapi_quota_slots.used + EXCLUDED.used`,
          [projectId, current, granted],
        );
        return { granted, waitMs: 0, slotMs, validMs: (current + 2) * slotMs - now };
      }
      // Room comes back when the oldest counted slot leaves the window.
      let freed = 0;
      for (const s of slots) {
        freed += s.used;
        if (used - freed < quota.limit) return { granted: 0, waitMs: Math.max(1, (Number(s.slot) - first + 1) * slotMs - (now - current * slotMs)), slotMs, validMs: 0 };
      }
      return { granted: 0, waitMs: slotMs, slotMs, validMs: 0 };
    });
  }

  /** Google answered 429: no process leases before `now + ms`. */
  async block(projectId: string, ms: number): Promise<void> {
    await this.#db.query(
      `INSERT INTO amapi_quota_projects (project_id, blocked_until) VALUES ($1, clock_timestamp() + make_interval(secs => $2::float8 / 1000))
       ON CONFLICT (project_id) DO UPDATE SET blocked_until = greatest(amapi_quota_projects.blocked_until, EXCLUDED.blocked_until)`,
      [projectId, Math.max(0, ms)],
    );
  }
}
