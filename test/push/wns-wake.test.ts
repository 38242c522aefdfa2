import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { after, before, beforeEach, describe, it } from 'node:test';
import { WnsStandIn } from '../../sim/wns/wns-standin.ts';
import { createEnvelope, type Envelope } from '../../src/main.ts';
import { openTestDb, type TestDb } from '../helpers/test-db.ts';
import { drain, pushTenant, testWakeOptions, type PushTenant } from './push-fixture.ts';

const sid = 'S-1-15-2-2972962901-2322836549-3722629029-1345238579-3987825745-2155616079-650196962';
const secret = 'Vex8L9WOFZuj95euaLrvSH7XyoDhLJc7';

interface LogLine {
  level: number;
  msg: string;
  [key: string]: unknown;
}

/**
 * Wakes of Windows PCs end to end: the wake queue and fan-out of migration 0004, the wake worker,
 * the WNS channel with the tenant's settings from the admin API, and the HTTPS WNS stand-in. The
 * channel URIs are written into `windows_enrollments` directly, as an OMA-DM session would.
 */
describe('waking Windows PCs through WNS', () => {
  let testDb: TestDb;
  let standIn: WnsStandIn;
  let envelope: Envelope;
  let t: PushTenant;
  let jane: string;
  let bob: string;
  let sales: string;
  const pc: Record<string, string> = {};
  const logs: LogLine[] = [];

  const putSettings = async (clientSecret: string, admin = t.admin) => {
    const reply = await envelope.app.inject({ method: 'PUT', url: '/graph/beta/envelope/windowsPushSettings', headers: { authorization: `Bearer ${admin}` }, payload: { packageSid: sid, clientSecret } });
    assert.equal(reply.statusCode, 200, reply.body);
  };
  /** A PC of `userId` enrolled over MS-MDE2, whose last session reported `channelUri` (none when null). */
  const windowsPc = async (tenant: PushTenant, userId: string, name: string, channel: 'standIn' | null) => {
    const device = await envelope.services.devices.create(tenant.tenantId, { deviceName: name, operatingSystem: 'Windows', osVersion: '10.0.22631.3296', userId });
    const channelUri = channel === null ? null : standIn.channelUriFor(device.id);
    await testDb.db.query(
      `INSERT INTO windows_enrollments (tenant_id, device_id, windows_device_id, enrollment_type, certificate_sha256, certificate_serial,
         certificate_not_after, digest_username, sealed_digest_secret, push_channel_uri, push_channel_updated_at)
       VALUES ($1, $2, $3, 'Full', $4, $5, now() + interval '1 year', $6, $7, $8::text, CASE WHEN $8::text IS NULL THEN NULL ELSE now() END)`,
      [tenant.tenantId, device.id, randomUUID().toUpperCase(), randomBytes(32), randomBytes(8).toString('hex'), `digest-${device.id}`, randomBytes(40), channelUri],
    );
    await envelope.services.delivery.checkIn(tenant.tenantId, device.id, Date.now());
    return device.id;
  };
  const channelUriOf = async (deviceId: string) =>
    (await testDb.db.query<{ push_channel_uri: string | null }>('SELECT push_channel_uri FROM windows_enrollments WHERE device_id = $1', [deviceId]))[0]!.push_channel_uri;
  const setChannelUri = (deviceId: string, uri: string) => testDb.db.query('UPDATE windows_enrollments SET push_channel_uri = $2 WHERE device_id = $1', [deviceId, uri]);
  const wake = async (deviceIds: string[], tenantId = t.tenantId) => {
    await envelope.services.wake.wakeNow(tenantId, deviceIds, 'test');
    await drain(envelope);
  };
  const lines = (level: number, fragment: string) => logs.filter((line) => line.level === level && line.msg.includes(fragment));

  before(async () => {
    testDb = await openTestDb();
    standIn = await WnsStandIn.start({ apps: [{ packageSid: sid, clientSecret: secret }] });
    envelope = await createEnvelope({
      db: testDb.db,
      secretKey: randomBytes(32),
      adminToken: `env_test_${randomBytes(24).toString('base64url')}`,
      logger: { level: 'debug', stream: { write: (line: string) => void logs.push(JSON.parse(line) as LogLine) } },
      publicUrl: 'https://envelope.test',
      wns: { url: standIn.url, ca: standIn.caCertificatePem },
      wake: testWakeOptions,
    });
    t = await pushTenant(envelope, null);
    await putSettings(secret);
    jane = await t.user('Jane');
    bob = await t.user('Bob');
    sales = await t.group('Sales', [jane]);
    pc.jane = await windowsPc(t, jane, 'Jane PC', 'standIn');
    pc.janeNoChannel = await windowsPc(t, jane, 'Jane laptop', null);
    pc.bob = await windowsPc(t, bob, 'Bob PC', 'standIn');
    await drain(envelope);
  });
  after(async () => {
    await envelope.close().catch(() => undefined);
    await testDb.dispose();
    await standIn.close();
  });
  beforeEach(() => {
    standIn.notifications.length = 0;
    standIn.tokenRequests.length = 0;
    logs.length = 0;
  });

  it('delivers one raw notification to each woken PC that has a channel URI, and none to a PC without one', async () => {
    await wake([pc.jane!, pc.janeNoChannel!, pc.bob!]);
    assert.deepEqual(standIn.notifiedDeviceKeys(), [pc.jane!, pc.bob!].sort());
    assert.ok(standIn.notifications.every((notification) => notification.type === 'wns/raw' && notification.cachePolicy === 'cache'));
    assert.equal(await testDb.db.query('SELECT 1 FROM wake_queue').then((rows) => rows.length), 0);
  });

  it('pushes the PCs a Windows profile targets when it is assigned, through the fan-out', async () => {
    const profile = await envelope.services.profiles.create(t.tenantId, {
      '@odata.type': '#microsoft.graph.windows10EasEmailProfileConfiguration', displayName: 'Contoso mail (Windows)', accountName: 'Contoso', hostName: 'mail.contoso.com',
      usernameSource: 'userPrincipalName', emailAddressSource: 'userPrincipalName', requireSsl: true, durationOfEmailToSync: 'oneWeek',
    });
    await t.assign(profile.id, [sales]);
    await drain(envelope);
    assert.deepEqual(standIn.notifiedDeviceKeys(), [pc.jane!], "Jane's PC with a channel; Bob is not in Sales");
  });

  it('reuses the access token from wake to wake', async () => {
    await wake([pc.jane!]);
    await wake([pc.bob!]);
    assert.equal(standIn.notifications.length, 2);
    assert.equal(standIn.tokenRequests.length, 0, 'the token of the first wake is still in use');
    assert.equal(standIn.counters.tokensIssued, 1);
  });

  it('fetches a new token when WNS says the token expired, and still delivers', async () => {
    standIn.expireTokens();
    await wake([pc.jane!, pc.bob!]);
    assert.deepEqual(standIn.notifiedDeviceKeys(), [pc.jane!, pc.bob!].sort());
    assert.equal(standIn.tokenRequests.length, 1);
  });

  it('clears the channel URI WNS answers 410 for, and pushes that PC no more until a session reports a new one', async () => {
    const uri = await channelUriOf(pc.jane!);
    standIn.expireChannel(pc.jane!);
    await wake([pc.jane!, pc.bob!]);
    assert.deepEqual(standIn.notifiedDeviceKeys(), [pc.bob!]);
    assert.equal(await channelUriOf(pc.jane!), null);
    assert.equal(lines(30, 'channel is gone').length, 1);
    assert.equal(JSON.stringify(logs).includes(new URL(uri!).searchParams.get('token')!), false, 'the channel URI is not logged');

    const requests = standIn.counters.notificationRequests;
    await wake([pc.jane!]);
    assert.equal(standIn.counters.notificationRequests, requests, 'no request for a PC without a channel URI');

    await setChannelUri(pc.jane!, standIn.renewChannel(pc.jane!));
    standIn.notifications.length = 0;
    await wake([pc.jane!]);
    assert.deepEqual(standIn.notifiedDeviceKeys(), [pc.jane!]);
  });

  it('does not clear a channel URI a session replaced while the push was under way', async () => {
    // WNS takes a while to answer 410 for the old URI; meanwhile a session reports a renewed one.
    let renewalSaved!: () => void;
    const requests = standIn.counters.notificationRequests;
    standIn.script(pc.bob!, { status: 410, until: new Promise<void>((resolve) => { renewalSaved = resolve; }) });
    const settled = wake([pc.bob!]);
    for (let waited = 0; standIn.counters.notificationRequests === requests && waited < 10_000; waited += 10) {
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    const renewed = standIn.renewChannel(pc.bob!);
    await setChannelUri(pc.bob!, renewed);
    renewalSaved();
    await settled;
    const [gone] = lines(30, 'channel is gone');
    assert.equal(gone?.cleared, false, 'WNS did answer 410, but for a URI the row no longer holds');
    assert.equal(await channelUriOf(pc.bob!), renewed);
  });

  it('retries a PC answered 429 no sooner than its Retry-After, then delivers', async () => {
    standIn.script(pc.bob!, { status: 429, retryAfter: 1 });
    const started = Date.now();
    let deliveredAt = 0;
    const unsubscribe = standIn.onNotification((notification) => {
      if (notification.deviceKey === pc.bob) deliveredAt = Date.now();
    });
    await envelope.services.wake.wakeNow(t.tenantId, [pc.bob!], 'test');
    await envelope.wakeWorker.pollOnce();
    const [queued] = await testDb.db.query<{ attempts: number; wait_ms: number }>(
      'SELECT attempts, (extract(epoch FROM due_at - now()) * 1000)::int AS wait_ms FROM wake_queue WHERE device_id = $1',
      [pc.bob!],
    );
    assert.equal(queued?.attempts, 1);
    assert.ok(queued.wait_ms > 800, `queued for about a second, not the test backoff of 20 ms (${queued.wait_ms} ms)`);
    await drain(envelope);
    unsubscribe();
    assert.ok(deliveredAt - started >= 1000, `delivered ${deliveredAt - started} ms after the wake`);
    assert.deepEqual(standIn.notifiedDeviceKeys(), [pc.bob!]);
  });

  it('refuses a channel URI that is not on the WNS host without any request, and says so', async () => {
    const good = (await channelUriOf(pc.bob!))!;
    await setChannelUri(pc.bob!, 'https://169.254.169.254/latest/meta-data/iam?token=x');
    const requests = standIn.counters.notificationRequests;
    await wake([pc.bob!]);
    assert.equal(standIn.counters.notificationRequests, requests);
    const [warning] = lines(40, 'not on WNS');
    assert.equal(warning?.deviceId, pc.bob);
    assert.equal(warning?.host, '169.254.169.254');
    assert.equal(await channelUriOf(pc.bob!), 'https://169.254.169.254/latest/meta-data/iam?token=x', 'left for the next session to replace');
    await setChannelUri(pc.bob!, good);
  });

  it('drops the wakes when the client secret is wrong, with one clear error line however many PCs and wakes', async () => {
    await putSettings('not-the-secret');
    await wake([pc.jane!, pc.bob!]);
    await wake([pc.jane!, pc.bob!]);
    assert.equal(standIn.notifications.length, 0);
    assert.deepEqual(standIn.tokenRequests.map((request) => [request.secretMatched, request.status]), [[false, 400]], 'refused credentials are not tried again at once');
    const errors = logs.filter((line) => line.level >= 50);
    assert.equal(errors.length, 1, JSON.stringify(errors));
    assert.match(errors[0]!.msg, /WNS refused pushes .*Package SID or client secret is wrong/);
    assert.deepEqual([errors[0]!.reason, errors[0]!.devices, errors[0]!.tenantId], ['Token:invalid_client', 2, t.tenantId]);
    const logged = JSON.stringify(logs);
    assert.equal(logged.includes('not-the-secret') || logged.includes(secret), false, 'no secret in the logs');
    assert.equal(await testDb.db.query('SELECT 1 FROM wake_queue').then((rows) => rows.length), 0, 'dropped, not retried');

    await putSettings(secret);
    await wake([pc.jane!, pc.bob!]);
    assert.deepEqual(standIn.notifiedDeviceKeys(), [pc.jane!, pc.bob!].sort(), 'corrected settings are used at the next wake');
  });

  it('leaves the PCs of a tenant without push settings to their poll schedule, and stops pushing after DELETE', async () => {
    const other = await pushTenant(envelope, 'fabrikam');
    const carol = await other.user('Carol');
    const carolPc = await windowsPc(other, carol, 'Carol PC', 'standIn');
    const requests = standIn.counters.notificationRequests;
    await wake([carolPc], other.tenantId);
    await wake([pc.jane!], other.tenantId);
    assert.equal(standIn.counters.notificationRequests, requests, "no push for a tenant without settings, nor for another tenant's device id");

    const deleted = await envelope.app.inject({ method: 'DELETE', url: '/graph/beta/envelope/windowsPushSettings', headers: { authorization: `Bearer ${t.admin}` } });
    assert.equal(deleted.statusCode, 204);
    await wake([pc.jane!, pc.bob!]);
    assert.equal(standIn.counters.notificationRequests, requests);
    await putSettings(secret);
  });
});
