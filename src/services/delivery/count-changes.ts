import {
  complianceStatusOf,
  overviewBucketOf,
  overviewBuckets,
  statusCountDeltas,
  type CountedStatus,
  type LedgerRow,
  type OverviewBucket,
  type OverviewCounts,
} from '../../domain/delivery/index.ts';
import type { DeliveryStore, OverviewDelta, StoredLedgerRow } from '../../store/delivery-store.ts';
import { tallyKey } from '../../store/delivery-store.ts';

/**
 * The overview shard of a device: its id's first two hex digits (ids are random UUIDs, so the 256
 * shards fill evenly). Every counter change of one device lands in one shard row per profile; a
 * rollout's acknowledgements spread over 256 rows instead of queueing on a few (migration 0006).
 */
export function overviewShardOf(deviceId: string): number {
  const shard = Number.parseInt(deviceId.slice(0, 2), 16);
  return Number.isNaN(shard) ? 0 : shard;
}

/**
 * Writes ledger rows of one device together with their overview counter deltas and (profile, user)
 * tallies, in the caller's transaction (which holds the device lock). `before` is the stored row
 * (null for a new one); the row is counted under `userId` — the device's primary user now — and a
 * row whose user changed moves from the old user's tally to the new one's. Rows that change neither
 * content, status nor user are not written.
 */
export async function writeCountedRows(
  store: DeliveryStore,
  tenantId: string,
  deviceId: string,
  changes: readonly { before: StoredLedgerRow | null; after: LedgerRow; changed: boolean }[],
  userId: string | null,
  now: number,
): Promise<void> {
  const toWrite: StoredLedgerRow[] = [];
  const moves: { profileId: string; from: CountedStatus | null; fromUser: string | null; to: CountedStatus; toUser: string | null }[] = [];
  for (const { before, after, changed } of changes) {
    const complianceStatus = complianceStatusOf(after);
    const stored: StoredLedgerRow = { ...after, complianceStatus, countedUserId: userId };
    if (!changed && before !== null && before.complianceStatus === complianceStatus && before.countedUserId === userId) continue;
    toWrite.push(stored);
    moves.push({
      profileId: after.profileId,
      from: before === null ? null : { status: before.complianceStatus, reasonCode: before.reasonCode },
      fromUser: before?.countedUserId ?? null,
      to: { status: complianceStatus, reasonCode: after.reasonCode },
      toUser: userId,
    });
  }
  if (toWrite.length === 0) return;
  await store.writeLedgerRows(tenantId, toWrite, now);
  // Most writes (queued → sent, a re-offer) move no counter: skip the tally locks then.
  const bucket = (status: CountedStatus | null) => (status === null ? null : overviewBucketOf(status));
  if (moves.every((m) => m.fromUser === m.toUser && bucket(m.from) === bucket(m.to))) return;

  const keys = moves.flatMap((m) => [m.fromUser, m.toUser].filter((u): u is string => u !== null).map((u) => ({ profileId: m.profileId, userId: u })));
  const tallies = await store.lockUserTallies(tenantId, keys);
  const touched = new Map<string, Record<OverviewBucket, number>>();
  const overview = new Map<string, OverviewDelta>();
  const add = (profileId: string, kind: 'device' | 'user', counts: Partial<OverviewCounts>) => {
    const key = `${profileId}|${kind}`;
    const delta = overview.get(key) ?? { profileId, kind, counts: {} };
    for (const [counter, value] of Object.entries(counts) as [keyof OverviewCounts, number][]) delta.counts[counter] = (delta.counts[counter] ?? 0) + value;
    overview.set(key, delta);
  };
  const apply = (profileId: string, user: string | null, from: CountedStatus | null, to: CountedStatus | null) => {
    if (user === null) {
      add(profileId, 'device', statusCountDeltas(from, to, {}).device);
      return;
    }
    const key = tallyKey({ profileId, userId: user });
    const tally = touched.get(key) ?? tallies.get(key) ?? emptyTally();
    const deltas = statusCountDeltas(from, to, tally);
    add(profileId, 'device', deltas.device);
    add(profileId, 'user', deltas.user);
    const next = { ...tally };
    for (const [bucket, value] of Object.entries(deltas.userTally) as [OverviewBucket, number][]) next[bucket] += value;
    touched.set(key, next);
  };
  for (const move of moves) {
    if (move.fromUser === move.toUser) {
      apply(move.profileId, move.toUser, move.from, move.to);
    } else {
      apply(move.profileId, move.fromUser, move.from, null);
      apply(move.profileId, move.toUser, null, move.to);
    }
  }
  await store.writeUserTallies(tenantId, touched);
  await store.addToOverview(tenantId, overviewShardOf(deviceId), [...overview.values()], now);
}

function emptyTally(): Record<OverviewBucket, number> {
  return Object.fromEntries(overviewBuckets.map((b) => [b, 0])) as Record<OverviewBucket, number>;
}
