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
 * content, status nor user are not written. Returns every row as stored now (written or not), by profile.
 */
export async function writeCountedRows(
  store: DeliveryStore,
  tenantId: string,
  deviceId: string,
  changes: readonly { before: StoredLedgerRow | null; after: LedgerRow; changed: boolean }[],
  userId: string | null,
  now: number,
): Promise<Map<string, StoredLedgerRow>> {
  const current = new Map<string, StoredLedgerRow>();
  const toWrite: StoredLedgerRow[] = [];
  const moves: { profileId: string; from: CountedStatus | null; fromUser: string | null; to: CountedStatus; toUser: string | null }[] = [];
  for (const { before, after, changed } of changes) {
    const complianceStatus = complianceStatusOf(after);
    const stored: StoredLedgerRow = { ...after, complianceStatus, countedUserId: userId };
    if (!changed && before !== null && before.complianceStatus === complianceStatus && before.countedUserId === userId) {
      current.set(before.profileId, before);
      continue;
    }
    // As the store reads it back: command ids sit in a uuid column, which answers in lower case.
    current.set(stored.profileId, stored.commandId === null ? stored : { ...stored, commandId: stored.commandId.toLowerCase() });
    toWrite.push(stored);
    moves.push({
      profileId: after.profileId,
      from: before === null ? null : { status: before.complianceStatus, reasonCode: before.reasonCode },
      fromUser: before?.countedUserId ?? null,
      to: { status: complianceStatus, reasonCode: after.reasonCode },
      toUser: userId,
    });
  }
  if (toWrite.length === 0) return current;
  await store.writeLedgerRows(tenantId, toWrite, now);
  // Most writes (queued → sent, a re-offer) move no counter: skip the tally locks then.
  const bucket = (status: CountedStatus | null) => (status === null ? null : overviewBucketOf(status));
  if (moves.every((m) => m.fromUser === m.toUser && bucket(m.from) === bucket(m.to))) return current;

  // The tallies' own deltas do not depend on the tallies: add them first (one statement per tally,
  // which also locks it), then replay the moves from the tallies as they were to find the user
  // overview's deltas.
  const tallyDeltas = new Map<string, Partial<Record<OverviewBucket, number>>>();
  const perUser = (m: (typeof moves)[number]) =>
    m.fromUser === m.toUser
      ? [{ user: m.toUser, from: m.from, to: m.to }]
      : [{ user: m.fromUser, from: m.from, to: null }, { user: m.toUser, from: null, to: m.to }];
  for (const move of moves) {
    for (const { user, from, to } of perUser(move)) {
      if (user === null) continue;
      const key = tallyKey({ profileId: move.profileId, userId: user });
      const sum = tallyDeltas.get(key) ?? {};
      for (const [bucket, value] of Object.entries(statusCountDeltas(from, to, {}).userTally) as [OverviewBucket, number][]) sum[bucket] = (sum[bucket] ?? 0) + value;
      tallyDeltas.set(key, sum);
    }
  }
  const after = await store.addToUserTallies(tenantId, tallyDeltas);
  const tallies = new Map<string, Record<OverviewBucket, number>>();
  for (const [key, tally] of after) {
    const delta = tallyDeltas.get(key) ?? {};
    tallies.set(key, Object.fromEntries(overviewBuckets.map((b) => [b, tally[b] - (delta[b] ?? 0)])) as Record<OverviewBucket, number>);
  }

  const overview = new Map<string, OverviewDelta>();
  const add = (profileId: string, kind: 'device' | 'user', counts: Partial<OverviewCounts>) => {
    const key = `${profileId}|${kind}`;
    const delta = overview.get(key) ?? { profileId, kind, counts: {} };
    for (const [counter, value] of Object.entries(counts) as [keyof OverviewCounts, number][]) delta.counts[counter] = (delta.counts[counter] ?? 0) + value;
    overview.set(key, delta);
  };
  for (const move of moves) {
    for (const { user, from, to } of perUser(move)) {
      if (user === null) {
        add(move.profileId, 'device', statusCountDeltas(from, to, {}).device);
        continue;
      }
      const key = tallyKey({ profileId: move.profileId, userId: user });
      const tally = tallies.get(key) ?? emptyTally();
      const deltas = statusCountDeltas(from, to, tally);
      add(move.profileId, 'device', deltas.device);
      add(move.profileId, 'user', deltas.user);
      const next = { ...tally };
      for (const [bucket, value] of Object.entries(deltas.userTally) as [OverviewBucket, number][]) next[bucket] += value;
      tallies.set(key, next);
    }
  }
  await store.addToOverview(tenantId, overviewShardOf(deviceId), [...overview.values()], now);
  return current;
}

function emptyTally(): Record<OverviewBucket, number> {
  return Object.fromEntries(overviewBuckets.map((b) => [b, 0])) as Record<OverviewBucket, number>;
}
