import { createHash } from 'node:crypto';

/**
 * One ring of a staged rollout: a share of the fleet (`percent`, 0.01–100) or named groups (`groupIds`:
 * devices in one of them, or whose primary user is). Rings are cumulative: reaching ring k reaches
 * every device rings 1..k name, so widening from 1 % to 10 % only adds devices.
 */
export type RolloutRing = { percent: number } | { groupIds: string[] };

/** Buckets per rollout: a device's bucket is in 0..9999, so 1 % = buckets 0..99 (0.01 % steps). */
export const rolloutBuckets = 10_000;

/**
 * The device's bucket in this rollout: the first 32 bits of SHA-256 over `rolloutId:deviceId` (both
 * lower-case uuids) modulo 10,000. Deterministic and stable (the same device lands in the same bucket
 * on every process and every check-in), and independent between rollouts (another rollout samples
 * other devices first). `rolloutBucketSql` in rollout-store.ts is its SQL twin; a store test holds them
 * together.
 */
export function rolloutBucket(rolloutId: string, deviceId: string): number {
  const digest = createHash('sha256').update(`${rolloutId.toLowerCase()}:${deviceId.toLowerCase()}`, 'utf8').digest();
  return digest.readUInt32BE(0) % rolloutBuckets;
}

/** What rings 1..`reachedRings` reach together: buckets below `bucketLimit`, plus members of `groupIds`. */
export interface ReachedScope {
  /** Devices whose bucket is below this are reached (0 = none by percentage, 10,000 = all). */
  bucketLimit: number;
  groupIds: string[];
}

/** The union of the first `reachedRings` rings (0 → nobody). */
export function reachedScopeOf(rings: readonly RolloutRing[], reachedRings: number): ReachedScope {
  let bucketLimit = 0;
  const groupIds = new Set<string>();
  for (const ring of rings.slice(0, Math.max(0, reachedRings))) {
    if ('percent' in ring) bucketLimit = Math.max(bucketLimit, Math.round(ring.percent * 100));
    else for (const id of ring.groupIds) groupIds.add(id);
  }
  return { bucketLimit, groupIds: [...groupIds].sort() };
}

/**
 * Whether the device is reached: its bucket is under the limit, or the device or its primary user
 * is in one of the scope's groups (`memberOf`: the device's and its user's group ids).
 */
export function isDeviceReached(scope: ReachedScope, rolloutId: string, deviceId: string, memberOf: readonly string[]): boolean {
  if (scope.bucketLimit >= rolloutBuckets) return true;
  if (scope.groupIds.length > 0 && memberOf.some((id) => scope.groupIds.includes(id))) return true;
  return scope.bucketLimit > 0 && rolloutBucket(rolloutId, deviceId) < scope.bucketLimit;
}
