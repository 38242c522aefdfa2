import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import type { SimulatedIphone } from '../../sim/ios/simulated-iphone.ts';
import { adminHelpers, createE2ePki, deviceHttpFor, enrollIphoneAt, startApnsStandIn, startHttpsEnvelope, wakeOnPush, type ApnsStandIn, type E2ePki, type HttpsEnvelope } from '../helpers/https-envelope.ts';
import { openTestDb, type TestDb } from '../helpers/test-db.ts';

const host = 'rollout.contoso.com';

/**
 * Issue 11's staged rollout end to end: simulated iPhones over HTTPS, woken through the APNs
 * stand-in, a rollout in group rings judged by the rollout worker. The second ring's phones carry
 * an account their users made by hand for the same host and address, which blocks the profile
 * (duplicateAccount → conflict): the worker pauses the rollout, and the kill switch keeps the
 * third ring untouched.
 */
describe('a staged rollout to simulated iPhones advances on success, pauses on errors and stops at once', () => {
  let testDb: TestDb;
  let pki: E2ePki;
  let standIn: ApnsStandIn;
  let server: HttpsEnvelope;
  let admin: ReturnType<typeof adminHelpers>;
  const iphones: SimulatedIphone[] = [];
  let stopWaking: () => void;
  const rings: Record<'pilot' | 'wave' | 'rest', { userId: string; upn: string; iphone: SimulatedIphone; deviceId: string }[]> = { pilot: [], wave: [], rest: [] };

  before(async () => {
    testDb = await openTestDb();
    pki = await createE2ePki();
    standIn = await startApnsStandIn(pki);
    server = await startHttpsEnvelope({ db: testDb.db, pki, secretKey: randomBytes(32), apnsUrl: standIn.url });
    admin = adminHelpers(server.request);
    await admin.uploadPushCertificate(pki.push);
    stopWaking = wakeOnPush(standIn, () => iphones);
    const sizes = { pilot: 2, wave: 4, rest: 3 } as const;
    for (const ring of ['pilot', 'wave', 'rest'] as const) {
      for (let i = 0; i < sizes[ring]; i++) {
        const upn = `${ring}${i}@contoso.com`;
        const userId = await admin.user(upn);
        const iphone = await enrollIphoneAt(await admin.enrollmentToken(userId), deviceHttpFor(pki));
        iphones.push(iphone);
        await iphone.wake();
        rings[ring].push({ userId, upn, iphone, deviceId: await admin.managedDeviceIdOf(iphone.hardware.SerialNumber) });
      }
    }
    // Three of the four second-ring users set up the account by hand before the rollout.
    for (const member of rings.wave.slice(0, 3)) member.iphone.addUserAccount(host, member.upn);
  });
  after(async () => {
    stopWaking();
    await server.close();
    await standIn.close();
    await testDb.dispose();
  });

  async function eventually(what: string, check: () => Promise<boolean>): Promise<void> {
    const deadline = Date.now() + 30_000;
    while (!(await check())) {
      assert.ok(Date.now() < deadline, `timed out waiting until ${what}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
  const managedAccounts = (iphone: SimulatedIphone) => iphone.accounts().filter((a) => a.origin !== 'user' && a.host === host);

  it('installs on the pilot only, advances when it succeeds, pauses when the next ring conflicts, and the kill switch holds the rest', async () => {
    const all = [...rings.pilot, ...rings.wave, ...rings.rest];
    const staff = await admin.group('Staff', all.map((m) => m.userId));
    const pilot = await admin.group('Pilot', rings.pilot.map((m) => m.userId));
    const wave = await admin.group('Wave 2', rings.wave.map((m) => m.userId));
    const profileId = await admin.mailProfile('Rollout mail', host);
    const url = `/graph/beta/deviceManagement/deviceConfigurations/${profileId}/envelope/rollout`;
    const status = async (deviceId: string) => {
      const rows = (await server.request('GET', `/graph/beta/deviceManagement/deviceConfigurations/${profileId}/deviceStatuses`)).body.value as { deviceId?: string; id: string; status: string }[];
      return rows.find((r) => r.deviceId === deviceId || r.id.includes(deviceId))?.status ?? 'none';
    };

    const started = await server.request('POST', url, {
      assign: { assignments: [{ target: { '@odata.type': '#microsoft.graph.groupAssignmentTarget', groupId: staff } }] },
      rings: [{ groupIds: [pilot] }, { groupIds: [wave] }, { percent: 100 }],
      errorThresholdPercent: 25,
      soakMinutes: 0,
    });
    assert.equal(started.status, 201, JSON.stringify(started.body));

    // Ring 1: the assignment's push reaches the pilot phones, which install; nobody else gets it.
    for (const m of rings.pilot) await eventually(`${m.upn} is compliant`, async () => (await status(m.deviceId)) === 'compliant');
    for (const m of rings.pilot) assert.equal(managedAccounts(m.iphone).length, 1);
    for (const m of [...rings.wave, ...rings.rest]) {
      await m.iphone.wake();
      assert.equal(managedAccounts(m.iphone).length, 0, `${m.upn} is not in ring 1`);
    }
    assert.deepEqual((await server.request('GET', url)).body.reached, { reached: 2, succeeded: 2, errors: 0, pending: 0, errorRatePercent: 0 });

    // The worker judges the soaked ring: no errors → ring 2, whose phones are pushed.
    assert.deepEqual((await server.envelope.rolloutWorker.pollOnce()).map((s) => s.action), ['advance']);
    for (const m of rings.wave) await eventually(`${m.upn} has answered`, async () => ['compliant', 'conflict'].includes(await status(m.deviceId)));
    assert.deepEqual(await Promise.all(rings.wave.map((m) => status(m.deviceId))), ['conflict', 'conflict', 'conflict', 'compliant']);
    for (const m of rings.wave.slice(0, 3)) assert.equal(managedAccounts(m.iphone).length, 0, 'the hand-made account blocks the profile');

    // 3 of 6 reached devices in conflict: 50 % > 25 % → paused, with the reason.
    assert.deepEqual((await server.envelope.rolloutWorker.pollOnce()).map((s) => s.action), ['pause']);
    const paused = (await server.request('GET', url)).body;
    assert.deepEqual([paused.state, paused.currentRing, paused.reached.errors, paused.reached.reached], ['paused', 2, 3, 6]);
    assert.equal(paused.pausedReason, 'Error rate 50 % (3 of 6 devices reached) is above the 25 % threshold.');

    // Kill switch: no further device, even when the admin would advance; the reached devices keep what they have.
    const stopped = await server.request('POST', `${url}/stop`, {});
    assert.equal(stopped.status, 200);
    assert.equal(stopped.body.state, 'stopped');
    assert.equal((await server.request('POST', `${url}/advance`)).status, 409);
    assert.deepEqual(await server.envelope.rolloutWorker.pollOnce(), []);
    for (const m of rings.rest) {
      await m.iphone.wake();
      assert.equal(managedAccounts(m.iphone).length, 0, `${m.upn} never gets it`);
      assert.equal(await status(m.deviceId), 'none');
    }
    for (const m of [...rings.pilot, rings.wave[3]!]) assert.equal(managedAccounts(m.iphone).length, 1, `${m.upn} keeps it`);
    assert.deepEqual((await server.request('GET', url)).body.history.map((h: { action: string }) => h.action), ['start', 'advance', 'pause', 'stop']);
  });
});
