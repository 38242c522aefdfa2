import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { WnsStandIn } from '../../sim/wns/wns-standin.ts';
import { createEnvelope, type Envelope } from '../../src/main.ts';
import { defaultWakeWorkerOptions } from '../../src/services/push/wake-worker.ts';
import { openTestDb, type TestDb } from '../helpers/test-db.ts';
import { pushTenant } from './push-fixture.ts';

const devices = 1000;
const sid = 'S-1-15-2-2972962901-2322836549-3722629029-1345238579-3987825745-2155616079-650196962';
const secret = 'Vex8L9WOFZuj95euaLrvSH7XyoDhLJc7';

/**
 * How long an assignment takes to reach every PC's WNS channel, with the wake worker running at its
 * default poll interval (decision 0018 quotes the figures): one fan-out row at assignment time,
 * then one raw notification per PC with a channel URI, over one access token.
 */
describe(`a fan-out to ${devices.toLocaleString('en')} Windows PCs through WNS`, () => {
  let testDb: TestDb;
  let standIn: WnsStandIn;
  let envelope: Envelope;
  before(async () => {
    testDb = await openTestDb();
    standIn = await WnsStandIn.start({ apps: [{ packageSid: sid, clientSecret: secret }] });
    envelope = await createEnvelope({
      db: testDb.db,
      secretKey: randomBytes(32),
      adminToken: `env_test_${randomBytes(24).toString('base64url')}`,
      logger: false,
      publicUrl: 'https://envelope.test',
      wns: { url: standIn.url, ca: standIn.caCertificatePem },
    });
  });
  after(async () => {
    await envelope.close().catch(() => undefined);
    await testDb.dispose();
    await standIn.close();
  });

  it('reaches every PC once, within the poll interval plus the pushes', async () => {
    const t = await pushTenant(envelope, null);
    const settings = await envelope.app.inject({ method: 'PUT', url: '/graph/beta/envelope/windowsPushSettings', headers: { authorization: `Bearer ${t.admin}` }, payload: { packageSid: sid, clientSecret: secret } });
    assert.equal(settings.statusCode, 200);
    const user = await t.user('Everyone');
    const ids = await testDb.db.query<{ id: string }>(
      `INSERT INTO managed_devices (tenant_id, id, device_name, operating_system, os_version, user_id)
         SELECT $1, gen_random_uuid(), 'PC ' || n, 'Windows', '10.0.22631.3296', $2 FROM generate_series(1, $3::int) n
       RETURNING id`,
      [t.tenantId, user, devices],
    );
    await testDb.db.query(
      `INSERT INTO windows_enrollments (tenant_id, device_id, windows_device_id, enrollment_type, certificate_sha256, certificate_serial,
         certificate_not_after, digest_username, sealed_digest_secret, push_channel_uri)
       SELECT $1, d.id, 'DEV-' || d.id, 'Full', sha256(convert_to(d.id::text, 'UTF8')), 'serial', now() + interval '1 year',
              'digest-' || d.id, '\\x00'::bytea, c.uri
         FROM unnest($2::uuid[], $3::text[]) AS c(id, uri) JOIN managed_devices d ON d.tenant_id = $1 AND d.id = c.id`,
      [t.tenantId, ids.map((row) => row.id), ids.map((row) => standIn.channelUriFor(row.id))],
    );
    const group = await t.group('All of them', [user]);
    const profile = await envelope.services.profiles.create(t.tenantId, {
      '@odata.type': '#microsoft.graph.windows10EasEmailProfileConfiguration', displayName: 'Everyone mail', accountName: 'Contoso', hostName: 'mail.contoso.com',
      usernameSource: 'userPrincipalName', emailAddressSource: 'userPrincipalName', requireSsl: true, durationOfEmailToSync: 'oneWeek',
    });
    const allNotified = new Promise<number>((resolve) => {
      standIn.onNotification(() => {
        if (standIn.notifications.length === devices) resolve(performance.now());
      });
    });
    envelope.wakeWorker.start();

    const started = performance.now();
    await t.assign(profile.id, [group]);
    const assignMs = performance.now() - started;
    const doneAt = await allNotified;
    const totalMs = doneAt - started;
    assert.equal(new Set(standIn.notifiedDeviceKeys()).size, devices);
    assert.equal(standIn.counters.tokensIssued, 1);
    assert.ok(totalMs < defaultWakeWorkerOptions.pollIntervalMs + 30_000, `${totalMs} ms`);
    console.log(`WNS fan-out to ${devices} PCs (${testDb.db.kind}): assign ${assignMs.toFixed(0)} ms, assignment to last notification ${totalMs.toFixed(0)} ms (worker poll ${defaultWakeWorkerOptions.pollIntervalMs} ms)`);
  });
});
