import assert from 'node:assert/strict';
import { it } from 'node:test';
import { benchAndroidEnterpriseFleet } from '../../bench/fleet-android-enterprise.ts';
import { benchKnoxFleet } from '../../bench/fleet-knox.ts';

// On the suite's backend: PGlite, or PostgreSQL with TEST_DATABASE_URL (a database of the bench's own, dropped after).
const backend = process.env.TEST_DATABASE_URL ? 'postgres' as const : 'pglite' as const;
const databaseUrl = process.env.TEST_DATABASE_URL;

it('the Knox fleet bench converges 10 agents through a real envelope serve and FCM, beside its ceiling', { timeout: 180_000 }, async () => {
  const result = await benchKnoxFleet({ devices: 10, backend, ...(databaseUrl ? { databaseUrl } : {}), timeoutMs: 90_000, ceilingMs: 500 });
  assert.equal(result.converged, true);
  assert.equal(result.requestsFailed, 0);
  assert.ok(result.fcmMessages >= 10, `every agent woken through FCM (${result.fcmMessages})`);
  assert.ok(result.requests >= 20, `fetch and report per agent (${result.requests})`);
  assert.ok(result.serverCpuSeconds > 0 && result.ceiling.requestsPerSecond > 0);
  assert.equal(result.postgresCpuSeconds === null, backend === 'pglite');
});

it('the Android Enterprise fleet bench keeps to the AMAPI quota: at most 5 patches in any 2 s, so 12 devices take three windows', { timeout: 180_000 }, async () => {
  const result = await benchAndroidEnterpriseFleet({ devices: 12, backend, ...(databaseUrl ? { databaseUrl } : {}), quota: { limit: 5, windowMs: 2000 }, timeoutMs: 90_000, ceilingMs: 500 });
  assert.equal(result.converged, true);
  assert.equal(result.policyPatches, 12);
  assert.ok(result.maxPatchesPerWindow <= 5, `${result.maxPatchesPerWindow} patches in one window`);
  assert.ok(result.patchAtSeconds.last! >= 4, `the 11th and 12th patches wait for the third window (last at ${result.patchAtSeconds.last} s)`);
  assert.ok(result.ceiling.requestsPerSecond > 0);
});
