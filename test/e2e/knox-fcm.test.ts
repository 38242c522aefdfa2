import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { FcmStandIn } from '../../sim/fcm/fcm-standin.ts';
import { KnoxFleet } from '../../sim/knox/fleet.ts';
import { SecretBox } from '../../src/services/secrets/secret-box.ts';
import { KnoxPushChannel } from '../../src/services/push/knox-push-channel.ts';
import { createStores } from '../../src/store/postgres/stores.ts';
import type { SimulatedKnoxDevice } from '../../sim/knox/simulated-knox-device.ts';
import { enrollKnoxDevice, knoxAdmin, startKnoxE2e, type KnoxE2e } from '../helpers/knox-e2e.ts';

/** Polls `check` until it holds (20 s at most). */
async function eventually(what: string, check: () => Promise<boolean> | boolean): Promise<void> {
  const deadline = Date.now() + 20_000;
  while (!(await check())) {
    assert.ok(Date.now() < deadline, `timed out waiting until ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/**
 * FCM wake-ups of Knox agents: Envelope's wake worker sends FCM HTTP v1 messages through the FCM
 * stand-in (sim/fcm) with the tenant's service account, and a simulated agent whose registration
 * token a message names fetches its commands, as the agent app does in `onMessageReceived`.
 */
describe('waking simulated Knox agents through FCM', () => {
  let fcm: FcmStandIn;
  let e2e: KnoxE2e;
  let admin: ReturnType<typeof knoxAdmin>;
  const devices = new Map<string, SimulatedKnoxDevice>();

  before(async () => {
    fcm = await FcmStandIn.start();
    e2e = await startKnoxE2e({ fcm: { url: fcm.url, ca: fcm.caCertificatePem } });
    admin = knoxAdmin(e2e);
    fcm.onMessage((message) => void devices.get(message.deviceKey)?.sync().catch(() => undefined));
  });
  after(async () => {
    await e2e.close();
    await fcm.close();
  });

  it('keeps the service account sealed: 400 naming the field for a bad file, never returned', async () => {
    const bad = await e2e.request('PUT', '/graph/beta/envelope/knoxPushSettings', { serviceAccount: { type: 'service_account', project_id: 'contoso-envelope' } });
    assert.equal(bad.status, 400);
    assert.equal(bad.body.error.target, 'serviceAccount.client_email');
    assert.equal((await e2e.request('GET', '/graph/beta/envelope/knoxPushSettings')).status, 404);
    const keyFile = fcm.createServiceAccount('contoso-envelope');
    await admin.putPushSettings(keyFile);
    const shown = await e2e.request('GET', '/graph/beta/envelope/knoxPushSettings');
    assert.equal(shown.status, 200);
    assert.deepEqual(Object.keys(shown.body).sort(), ['clientEmail', 'projectId', 'updatedDateTime']);
    const [row] = await e2e.query<{ sealed_service_account: Uint8Array }>('SELECT sealed_service_account FROM knox_push_settings');
    assert.ok(!Buffer.from(row!.sealed_service_account).toString('latin1').includes('PRIVATE KEY'), 'the key is sealed at rest');
  });

  it('wakes the agent after an assignment: the FCM message reaches it and it installs the account; a dead token is cleared', async () => {
    const user = await admin.user('mary');
    const serial = `R58FCM${Date.now() % 100000}`;
    const device = await enrollKnoxDevice(e2e, await admin.enrollmentToken(user.userId), { facts: { serialNumber: serial, fcmToken: fcm.registrationTokenFor(serial) } });
    devices.set(serial, device);
    const profileId = await admin.mailProfile('Pushed mail', 'push.contoso.com');
    await admin.assign(profileId, [user.groupId]);
    await eventually('the pushed agent installed the account', () => device.accounts().length === 1);
    assert.ok(fcm.messages.some((m) => m.deviceKey === serial && m.data.envelope === 'checkIn'));
    await eventually('the account is compliant', async () => (await admin.deviceStatus(profileId, device.deviceId)).status === 'compliant');

    fcm.unregister(serial);
    await admin.patchProfile(profileId, { accountName: 'Pushed mail 2' });
    await eventually('the dead registration token is cleared', async () => {
      const [row] = await e2e.query<{ fcm_token: string | null }>('SELECT fcm_token FROM knox_enrollments WHERE device_id = $1', [device.deviceId]);
      return row!.fcm_token === null;
    });
    const fresh = fcm.registrationTokenFor(`${serial}-new`);
    devices.set(`${serial}-new`, device);
    await device.updateFcmToken(fresh);
    const [row] = await e2e.query<{ fcm_token: string | null }>('SELECT fcm_token FROM knox_enrollments WHERE device_id = $1', [device.deviceId]);
    assert.equal(row!.fcm_token, fresh);
  });

  it('converges a fleet (sim/knox/fleet.ts, as `envelope simulate knox` runs it) through FCM, overwriting the user-made accounts', async () => {
    const user = await admin.user('katherine');
    const token = (await e2e.request('POST', '/graph/beta/envelope/enrollmentTokens', { userId: user.userId, platform: 'Android', maxDevices: 6 })).body.token as string;
    const fleet = new KnoxFleet({ server: e2e.origin, enrollmentToken: token, devices: 6, http: e2e.http, fcm, userAccountsPercent: 50, userAccount: { host: 'imap.example.net', emailAddress: user.upn }, random: (() => { let i = 0; return () => (i++ % 2) * 0.99; })() });
    await fleet.start();
    assert.equal(fleet.snapshot().enrolled, 6);
    const profileId = await admin.mailProfile('Fleet mail', 'fleet.contoso.com');
    await admin.assign(profileId, [user.groupId]);
    await eventually('every device has the account', () => fleet.devices().every((d) => d.accounts().length === 1 && d.accounts()[0]!.accountKey !== null));
    const progress = fleet.snapshot();
    assert.equal(progress.userAccountsOverwritten, 3);
    assert.ok(progress.pushes >= 6, `pushes ${progress.pushes}`);
    await eventually('all compliant', async () => {
      const overview = (await e2e.request('GET', `/graph/beta/deviceManagement/deviceConfigurations/${profileId}/deviceStatusOverview`)).body as { successCount: number };
      return overview.successCount === 6;
    });
    fleet.stop();
  });

  it('maps FCM answers to wake outcomes: sent, retry with Retry-After (429, 503), dropped for a dead token (cleared) and for a refused sender; agents without a token are not its own', async () => {
    const stores = createStores(e2e.db);
    const log = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined };
    const channel = new KnoxPushChannel({ targets: stores.knoxAgent, settings: stores.knoxPushSettings, box: new SecretBox(e2e.secretKey), fcmUrl: fcm.url, ca: fcm.caCertificatePem, log });
    try {
      await admin.putPushSettings(fcm.createServiceAccount('contoso-envelope'));
      const user = await admin.user('emmy');
      const token = (await e2e.request('POST', '/graph/beta/envelope/enrollmentTokens', { userId: user.userId, platform: 'Android', maxDevices: 5 })).body.token as string;
      const keys = ['ok', 'throttled', 'unavailable', 'gone'].map((k) => `${k}-${Date.now()}`);
      const enrolled = await Promise.all(keys.map((key) => enrollKnoxDevice(e2e, token, { facts: { serialNumber: key, fcmToken: fcm.registrationTokenFor(key, 'contoso-envelope') } })));
      const silent = await enrollKnoxDevice(e2e, token);
      fcm.script(keys[1]!, { status: 429, retryAfter: 42 });
      fcm.script(keys[2]!, { status: 503 });
      fcm.unregister(keys[3]!);
      const [{ tenant_id: tenantId }] = await e2e.query<{ tenant_id: string }>('SELECT tenant_id FROM managed_devices WHERE id = $1', [silent.deviceId]) as [{ tenant_id: string }];
      const outcomes = await channel.wake(tenantId, [...enrolled.map((d) => d.deviceId), silent.deviceId]);
      assert.deepEqual(outcomes.get(enrolled[0]!.deviceId), { kind: 'sent' });
      assert.deepEqual(outcomes.get(enrolled[1]!.deviceId), { kind: 'retry', reason: 'QUOTA_EXCEEDED', retryAfterMs: 42_000 });
      assert.deepEqual(outcomes.get(enrolled[2]!.deviceId), { kind: 'retry', reason: 'UNAVAILABLE' });
      assert.deepEqual(outcomes.get(enrolled[3]!.deviceId), { kind: 'dropped', reason: 'UNREGISTERED' });
      assert.equal(outcomes.has(silent.deviceId), false, 'no registration token: left to polling');
      const [gone] = await e2e.query<{ fcm_token: string | null }>('SELECT fcm_token FROM knox_enrollments WHERE device_id = $1', [enrolled[3]!.deviceId]);
      assert.equal(gone!.fcm_token, null);

      await admin.putPushSettings(fcm.createServiceAccount('fabrikam-envelope'));
      const refused = await channel.wake(tenantId, [enrolled[0]!.deviceId]);
      assert.deepEqual(refused.get(enrolled[0]!.deviceId), { kind: 'dropped', reason: 'SENDER_ID_MISMATCH' }, 'the agents\' tokens belong to another project (the settings changed, so a new client was built)');
    } finally {
      await channel.close();
    }
  });
});
