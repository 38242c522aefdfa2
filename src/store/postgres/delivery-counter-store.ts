import { overviewBuckets, type OverviewBucket, type OverviewCounter } from '../../domain/delivery/index.ts';
import type { Queryable } from '../db.ts';
import type { OverviewDelta } from '../delivery-store.ts';
import { bucketColumns, counterColumns } from './delivery-columns.ts';

/**
 * The status counters kept beside the ledger so overviews never scan it: per (profile, user) tallies
 * of device rows per bucket, and per-profile overview counters in 256 shards (migrations 0002, 0006).
 * Part of `PostgresDeliveryStore`; see `DeliveryStore` for the contracts.
 */
export class DeliveryCounterStore {
  readonly #db: Queryable;

  constructor(db: Queryable) {
    this.#db = db;
  }

  async addToUserTallies(
    tenantId: string,
    deltas: ReadonlyMap<string, Partial<Record<OverviewBucket, number>>>,
  ): Promise<Map<string, Record<OverviewBucket, number>>> {
    const tallies = new Map<string, Record<OverviewBucket, number>>();
    const columns = overviewBuckets.map((b) => bucketColumns[b]);
    // Key order: transactions that touch several tallies lock them in the same order, so none deadlock.
    for (const key of [...deltas.keys()].sort()) {
      const [profileId, userId] = key.split('|');
      const delta = deltas.get(key) ?? {};
      // An existing tally gets the deltas added; a new one is inserted with them (a new tally only
      // ever grows). ON CONFLICT covers a tally another transaction inserted after this statement's
      // snapshot: the insert waits for it, then adds. The tally stays locked until commit.
      const rows = await this.#db.query<Record<string, unknown>>(
        `WITH updated AS (
           UPDATE delivery_user_tally SET ${columns.map((c, i) => `${c} = ${c} + $${i + 4}`).join(', ')}
            WHERE tenant_id = $1 AND profile_id = $2 AND user_id = $3
           RETURNING ${columns.join(', ')}
         ), inserted AS (
           INSERT INTO delivery_user_tally AS t (tenant_id, profile_id, user_id, ${columns.join(', ')})
           SELECT $1, $2, $3, ${columns.map((_, i) => `$${i + 4}::int`).join(', ')} WHERE NOT EXISTS (SELECT 1 FROM updated)
           ON CONFLICT (tenant_id, profile_id, user_id) DO UPDATE SET ${columns.map((c) => `${c} = t.${c} + EXCLUDED.${c}`).join(', ')}
           RETURNING ${columns.map((c) => `t.${c}`).join(', ')}
         )
         SELECT * FROM updated UNION ALL SELECT * FROM inserted`,
        [tenantId, profileId, userId, ...overviewBuckets.map((b) => delta[b] ?? 0)],
      );
      const row = rows[0];
      if (row === undefined) continue;
      const tally = {} as Record<OverviewBucket, number>;
      for (const bucket of overviewBuckets) tally[bucket] = Number(row[bucketColumns[bucket]]);
      tallies.set(key, tally);
    }
    return tallies;
  }

  async addToOverview(tenantId: string, shard: number, deltas: readonly OverviewDelta[], now: number): Promise<void> {
    // Profile order: every transaction takes shard row locks in the same order, so none deadlock.
    const sorted = deltas.filter((d) => Object.keys(d.counts).length > 0).sort((a, b) => (a.profileId + a.kind < b.profileId + b.kind ? -1 : 1));
    if (sorted.length === 0) return;
    const counters = Object.keys(counterColumns) as OverviewCounter[];
    const columns = counters.map((c) => counterColumns[c]);
    await this.#db.query(
      `INSERT INTO delivery_overview (tenant_id, profile_id, kind, shard, ${columns.join(', ')}, updated_at)
       SELECT $1, k.profile_id, k.kind, $2, ${columns.map((c) => `k.${c}`).join(', ')}, $3
         FROM unnest($4::uuid[], $5::text[], ${columns.map((_, i) => `$${i + 6}::int[]`).join(', ')})
              WITH ORDINALITY AS k(profile_id, kind, ${columns.join(', ')}, ord)
        ORDER BY k.ord
       ON CONFLICT (tenant_id, profile_id, kind, shard) DO UPDATE SET
         ${columns.map((c) => `${c} = delivery_overview.${c} + EXCLUDED.${c}`).join(', ')},
         updated_at = EXCLUDED.updated_at`,
      [tenantId, shard, new Date(now), sorted.map((d) => d.profileId), sorted.map((d) => d.kind), ...counters.map((c) => sorted.map((d) => d.counts[c] ?? 0))],
    );
  }
}
