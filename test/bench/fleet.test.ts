import assert from 'node:assert/strict';
import { it } from 'node:test';
import { benchFleet } from '../../bench/fleet.ts';

it('the fleet benchmark runs end to end: 20 devices on PGlite converge through a real envelope serve', { timeout: 60_000 }, async () => {
  const result = await benchFleet({ devices: 20, backend: 'pglite', processes: 1, sockets: 8, addresses: 2, ceilingMs: 300, timeoutMs: 45_000 });
  assert.equal(result.converged, true, JSON.stringify(result));
  assert.equal(result.successCount, 20);
  assert.equal(result.profilesInstalled, 20);
  assert.ok(result.requests >= 40, `an Idle poll, the install and the ProfileList per device (${result.requests})`);
  assert.ok(result.servers[0]!.peakRssMb > 0);
  assert.ok(result.ceiling.requestsPerSecond > 0);
});
