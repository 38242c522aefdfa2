import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import {
  decodeCheckinMessage,
  encodeCheckinMessage,
  signMdmMessage,
  verifyMdmSignature,
  type AuthenticateMessage,
  type TokenUpdateMessage,
} from '../../src/protocols/apple-mdm/index.ts';
import { EnvelopeError } from '../../src/domain/errors.ts';
import { skipWithoutOpenssl } from '../../src/pki/test-support/openssl.ts';
import { createTestCa, issuePushCertificate } from '../../sim/apns/apns-test-pki.ts';
import { createEnrollmentToken, createUser, download, openEnrollmentProfile, setUpEnrollment, tenantCaPem, type EnrollmentSetup, type OpenedEnrollmentProfile } from '../helpers/apple-enrollment.ts';
import { createTestApp, type TestApp } from '../helpers/test-app.ts';

/** A device's check-in as it travels: encoded by the device-side codec, signed, verified and decoded on the server. */
async function checkin<M extends AuthenticateMessage | TokenUpdateMessage>(t: TestApp, device: OpenedEnrollmentProfile, message: Parameters<typeof encodeCheckinMessage>[0]) {
  const body = encodeCheckinMessage(message);
  const signature = await signMdmMessage(body, device.identity);
  const caDer = new Uint8Array(new X509Certificate(await tenantCaPem(t)).raw);
  const verified = await verifyMdmSignature(signature, body, { caCertificateDer: caDer, at: new Date() });
  return { certificateSha256: verified.certificateSha256, message: decodeCheckinMessage(body) as M };
}

function authenticateOf(topic: string, udid: string, extra: Partial<AuthenticateMessage> = {}): AuthenticateMessage {
  return { MessageType: 'Authenticate', UDID: udid, Topic: topic, OSVersion: '18.1', BuildVersion: '22B83', ProductName: 'iPhone16,1', SerialNumber: 'F2LXK0ABCDEF', ...extra };
}

function assertRefused(error: unknown, message: RegExp): true {
  assert.ok(error instanceof EnvelopeError, String(error));
  assert.equal(error.status, 403);
  assert.match(error.message, message);
  return true;
}

describe('completeAppleEnrollment and recordTokenUpdate', { skip: skipWithoutOpenssl }, () => {
  let t: TestApp;
  let setup: EnrollmentSetup;
  let ca: string;
  const profile = async (url = setup.enrollmentUrl) => {
    const reply = await download(t, url);
    assert.equal(reply.status, 200);
    return openEnrollmentProfile(reply.bytes, ca);
  };
  before(async () => {
    t = await createTestApp();
    setup = await setUpEnrollment(t, { maxDevices: 10 });
    ca = await tenantCaPem(t);
  });
  after(() => t.close());

  it('creates the managed device with the token’s user as primary user, binds the certificate and counts the token on Authenticate', async () => {
    const device = await profile();
    const { certificateSha256, message } = await checkin<AuthenticateMessage>(t, device, authenticateOf(setup.topic, 'UDID-0001'));
    const completed = await t.envelope.services.appleEnrollments.completeAppleEnrollment(certificateSha256, message);
    assert.equal(completed.enrollmentId, 'UDID-0001');
    assert.equal(completed.userId, setup.userId);
    assert.equal(completed.counted, true);

    const managed = await t.request('GET', `/graph/beta/deviceManagement/managedDevices/${completed.deviceId}`);
    assert.equal(managed.status, 200);
    assert.equal(managed.body.userId, setup.userId);
    assert.equal(managed.body.operatingSystem, 'iOS');
    assert.equal(managed.body.osVersion, '18.1');
    assert.equal(managed.body.model, 'iPhone16,1');
    assert.equal(managed.body.deviceName, 'iPhone F2LXK0ABCDEF');
    assert.equal((await t.request('GET', `/graph/beta/envelope/enrollmentTokens/${setup.tokenId}`)).body.usedCount, 1);

    const rows = await t.envelope.db.query<{ device_id: string; certificate_sha256: Uint8Array; serial_number: string; topic: string; enabled: boolean; enrollment_type: string; push_token_hex: string | null }>(
      'SELECT device_id, certificate_sha256, serial_number, topic, enabled, enrollment_type, push_token_hex FROM apple_enrollments WHERE enrollment_id = $1',
      ['UDID-0001'],
    );
    assert.equal(rows.length, 1);
    assert.equal(Buffer.from(rows[0]!.certificate_sha256).toString('hex'), certificateSha256);
    assert.deepEqual({ ...rows[0], certificate_sha256: undefined }, { device_id: completed.deviceId, certificate_sha256: undefined, serial_number: 'F2LXK0ABCDEF', topic: setup.topic, enabled: true, enrollment_type: 'Device', push_token_hex: null });
    const pending = await t.envelope.db.query<{ completed_at: Date | null }>('SELECT completed_at FROM apple_pending_enrollments WHERE certificate_sha256 = $1', [Buffer.from(certificateSha256, 'hex')]);
    assert.notEqual(pending[0]!.completed_at, null);

    const again = await t.envelope.services.appleEnrollments.completeAppleEnrollment(certificateSha256, message);
    assert.deepEqual(again, { ...completed, counted: false }, 'a repeated Authenticate changes nothing');
    assert.equal((await t.request('GET', `/graph/beta/envelope/enrollmentTokens/${setup.tokenId}`)).body.usedCount, 1);
  });

  it('records TokenUpdates: push token hex, PushMagic, a tally and the time', async () => {
    const device = await profile();
    const auth = await checkin<AuthenticateMessage>(t, device, authenticateOf(setup.topic, 'UDID-0002', { ProductName: 'iPad13,4', SerialNumber: 'DMPXK0IPAD01' }));
    const completed = await t.envelope.services.appleEnrollments.completeAppleEnrollment(auth.certificateSha256, auth.message);
    assert.equal((await t.request('GET', `/graph/beta/deviceManagement/managedDevices/${completed.deviceId}`)).body.operatingSystem, 'iPadOS');

    const token = new Uint8Array(32).fill(0xab);
    for (const magic of ['magic-1', 'magic-2']) {
      const update = await checkin<TokenUpdateMessage>(t, device, { MessageType: 'TokenUpdate', UDID: 'UDID-0002', Topic: setup.topic, Token: token, PushMagic: magic });
      const record = await t.envelope.services.appleEnrollments.recordTokenUpdate(update.certificateSha256, update.message);
      assert.equal(record.pushTokenHex, 'ab'.repeat(32));
      assert.equal(record.pushMagic, magic);
      assert.equal(record.deviceId, completed.deviceId);
      assert.ok(Date.now() - Date.parse(record.lastSeenDateTime) < 60_000);
    }
    const rows = await t.envelope.db.query<{ token_update_count: number; push_magic: string }>('SELECT token_update_count, push_magic FROM apple_enrollments WHERE enrollment_id = $1', ['UDID-0002']);
    assert.deepEqual(rows[0], { token_update_count: 2, push_magic: 'magic-2' });
  });

  it('refuses a certificate bound to another enrollment, and TokenUpdates from unbound certificates, other topics or user channels', async () => {
    const device = await profile();
    const stranger = await profile();
    const auth = await checkin<AuthenticateMessage>(t, device, authenticateOf(setup.topic, 'UDID-0003'));
    await t.envelope.services.appleEnrollments.completeAppleEnrollment(auth.certificateSha256, auth.message);
    await assert.rejects(
      t.envelope.services.appleEnrollments.completeAppleEnrollment(auth.certificateSha256, { ...auth.message, UDID: 'UDID-OTHER' }),
      (error) => assertRefused(error, /bound to another enrollment/),
    );
    const counts = { devices: await t.count('managed_devices'), enrollments: await t.count('apple_enrollments') };

    const unbound = await checkin<TokenUpdateMessage>(t, stranger, { MessageType: 'TokenUpdate', UDID: 'UDID-0001', Topic: setup.topic, Token: new Uint8Array(32), PushMagic: 'm' });
    await assert.rejects(t.envelope.services.appleEnrollments.recordTokenUpdate(unbound.certificateSha256, unbound.message), (error) => assertRefused(error, /not bound to this enrollment/));
    const userChannel = await checkin<TokenUpdateMessage>(t, device, { MessageType: 'TokenUpdate', UDID: 'UDID-0001', UserID: 'A1', Topic: setup.topic, Token: new Uint8Array(32), PushMagic: 'm' });
    await assert.rejects(t.envelope.services.appleEnrollments.recordTokenUpdate(userChannel.certificateSha256, userChannel.message), (error) => assertRefused(error, /device channel only/));
    const otherEnrollment = await checkin<TokenUpdateMessage>(t, device, { MessageType: 'TokenUpdate', UDID: 'UDID-0001', Topic: setup.topic, Token: new Uint8Array(32), PushMagic: 'm' });
    await assert.rejects(t.envelope.services.appleEnrollments.recordTokenUpdate(otherEnrollment.certificateSha256, otherEnrollment.message), (error) => assertRefused(error, /not bound to this enrollment/));
    const otherTopic = await checkin<TokenUpdateMessage>(t, device, { MessageType: 'TokenUpdate', UDID: 'UDID-0003', Topic: 'com.apple.mgmt.External.other', Token: new Uint8Array(32), PushMagic: 'm' });
    await assert.rejects(t.envelope.services.appleEnrollments.recordTokenUpdate(otherTopic.certificateSha256, otherTopic.message), (error) => assertRefused(error, /names the topic/));
    const untouched = await t.envelope.db.query<{ token_update_count: number }>('SELECT token_update_count FROM apple_enrollments WHERE enrollment_id = $1', ['UDID-0003']);
    assert.equal(untouched[0]!.token_update_count, 0);
    assert.deepEqual({ devices: await t.count('managed_devices'), enrollments: await t.count('apple_enrollments') }, counts);
  });

  it('refuses a certificate whose profile was never served, a topic other than the profile’s, and a revoked token, writing nothing', async () => {
    const token = await createEnrollmentToken(t, { userId: setup.userId, platform: 'iOS', maxDevices: 5 });
    const device = await profile(token.enrollmentUrl);
    const before = { devices: await t.count('managed_devices'), enrollments: await t.count('apple_enrollments') };
    const wrongTopic = await checkin<AuthenticateMessage>(t, device, authenticateOf('com.apple.mgmt.External.someone-else', 'UDID-0004'));
    await assert.rejects(t.envelope.services.appleEnrollments.completeAppleEnrollment(wrongTopic.certificateSha256, wrongTopic.message), (error) => assertRefused(error, /names the topic/));
    await assert.rejects(
      t.envelope.services.appleEnrollments.completeAppleEnrollment('00'.repeat(32), wrongTopic.message),
      (error) => assertRefused(error, /was not issued in an enrollment profile/),
    );
    assert.equal((await t.request('DELETE', `/graph/beta/envelope/enrollmentTokens/${token.id}`)).status, 204);
    const auth = await checkin<AuthenticateMessage>(t, device, authenticateOf(setup.topic, 'UDID-0004'));
    await assert.rejects(t.envelope.services.appleEnrollments.completeAppleEnrollment(auth.certificateSha256, auth.message), (error) => assertRefused(error, /revoked/));
    assert.deepEqual({ devices: await t.count('managed_devices'), enrollments: await t.count('apple_enrollments') }, before);
    assert.equal((await t.request('GET', `/graph/beta/envelope/enrollmentTokens/${token.id}`)).body.usedCount, 0);
  });

  it('stops at maxDevices, reuses the managed device when the same device enrolls again, and refuses an expired pending enrollment', async () => {
    const userId = await createUser(t, 'sam@contoso.com');
    const token = await createEnrollmentToken(t, { userId, platform: 'iOS', maxDevices: 2 });
    const first = await profile(token.enrollmentUrl);
    const second = await profile(token.enrollmentUrl);
    const third = await profile(token.enrollmentUrl);
    const a = await checkin<AuthenticateMessage>(t, first, authenticateOf(setup.topic, 'UDID-SAM-1'));
    const enrolled = await t.envelope.services.appleEnrollments.completeAppleEnrollment(a.certificateSha256, a.message);
    const b = await checkin<AuthenticateMessage>(t, second, authenticateOf(setup.topic, 'UDID-SAM-1', { OSVersion: '18.2' }));
    const again = await t.envelope.services.appleEnrollments.completeAppleEnrollment(b.certificateSha256, b.message);
    assert.equal(again.deviceId, enrolled.deviceId, 'the same UDID keeps its managed device');
    assert.equal((await t.request('GET', `/graph/beta/deviceManagement/managedDevices/${enrolled.deviceId}`)).body.osVersion, '18.2');
    const rebound = await t.envelope.db.query<{ certificate_sha256: Uint8Array }>('SELECT certificate_sha256 FROM apple_enrollments WHERE enrollment_id = $1', ['UDID-SAM-1']);
    assert.equal(Buffer.from(rebound[0]!.certificate_sha256).toString('hex'), b.certificateSha256);
    assert.equal((await t.request('GET', `/graph/beta/envelope/enrollmentTokens/${token.id}`)).body.usedCount, 2);

    const c = await checkin<AuthenticateMessage>(t, third, authenticateOf(setup.topic, 'UDID-SAM-3'));
    await assert.rejects(t.envelope.services.appleEnrollments.completeAppleEnrollment(c.certificateSha256, c.message), (error) => assertRefused(error, /enrolled all the devices it may/));
    assert.equal((await download(t, token.enrollmentUrl)).status, 403, 'a used-up token serves no more profiles');

    const late = await profile();
    await t.envelope.db.query("UPDATE apple_pending_enrollments SET expires_at = now() - interval '1 second' WHERE certificate_sha256 = $1", [Buffer.from(late.identity.certificateSha256, 'hex')]);
    const d = await checkin<AuthenticateMessage>(t, late, authenticateOf(setup.topic, 'UDID-LATE'));
    await assert.rejects(t.envelope.services.appleEnrollments.completeAppleEnrollment(d.certificateSha256, d.message), (error) => assertRefused(error, /expired/));
  });

  it('lets only one of two devices racing for a token’s last place complete', async () => {
    const userId = await createUser(t, 'race@contoso.com');
    const token = await createEnrollmentToken(t, { userId, platform: 'iOS', maxDevices: 1 });
    const [one, two] = [await profile(token.enrollmentUrl), await profile(token.enrollmentUrl)];
    const a = await checkin<AuthenticateMessage>(t, one, authenticateOf(setup.topic, 'UDID-RACE-1'));
    const b = await checkin<AuthenticateMessage>(t, two, authenticateOf(setup.topic, 'UDID-RACE-2'));
    const results = await Promise.allSettled([
      t.envelope.services.appleEnrollments.completeAppleEnrollment(a.certificateSha256, a.message),
      t.envelope.services.appleEnrollments.completeAppleEnrollment(b.certificateSha256, b.message),
    ]);
    assert.deepEqual(results.map((result) => result.status).sort(), ['fulfilled', 'rejected']);
    assert.equal((await t.request('GET', `/graph/beta/envelope/enrollmentTokens/${token.id}`)).body.usedCount, 1);
  });

  it('keeps the push topic while devices are enrolled: another topic is refused with 409, a renewal is accepted', async () => {
    const apple = await createTestCa('Apple test CA');
    const other = await issuePushCertificate(apple);
    const refused = await t.request('PUT', '/graph/beta/envelope/applePushCertificate', { body: { certificate: other.certificatePem, privateKey: other.privateKeyPem } });
    assert.equal(refused.status, 409);
    assert.match(refused.body.error.message, /enroll again/);
    assert.equal((await t.request('GET', '/graph/beta/envelope/applePushCertificate')).body.topic, setup.topic);
    const renewal = await issuePushCertificate(apple, { topic: setup.topic });
    assert.equal((await t.request('PUT', '/graph/beta/envelope/applePushCertificate', { body: { certificate: renewal.certificatePem, privateKey: renewal.privateKeyPem } })).status, 200);
  });
});
