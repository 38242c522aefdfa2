import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { randomBytes } from 'node:crypto';
import { createEnvelope, type Envelope } from '../../src/main.ts';
import { skipWithoutOpenssl } from '../../src/pki/test-support/openssl.ts';
import { loadApplePayloadSchemas, validateAppleProfile } from '../conformance/apple-schema.ts';
import { createEnrollmentToken, createUser, download, openEnrollmentProfile, setUpEnrollment, tenantCaPem, uploadPushCertificate, type EnrollmentSetup } from '../helpers/apple-enrollment.ts';
import { createTestApp, type TestApp } from '../helpers/test-app.ts';
import { openTestDb, type TestDb } from '../helpers/test-db.ts';

const schemas = loadApplePayloadSchemas();
const invalidLink = 'This enrollment link is not valid. Ask your IT administrator for a new one.';

describe('GET /mdm/apple/enroll', { skip: skipWithoutOpenssl }, () => {
  let t: TestApp;
  let setup: EnrollmentSetup;
  before(async () => {
    t = await createTestApp();
    setup = await setUpEnrollment(t, { maxDevices: 3 });
  });
  after(() => t.close());

  it('serves a signed .mobileconfig that verifies against the tenant CA and that Apple’s YAML accepts', async () => {
    const reply = await download(t, setup.enrollmentUrl);
    assert.equal(reply.status, 200);
    assert.equal(reply.headers['content-type'], 'application/x-apple-aspen-config');
    const opened = await openEnrollmentProfile(reply.bytes, await tenantCaPem(t));
    assert.deepEqual(validateAppleProfile(schemas, opened.profile), []);
    assert.deepEqual(opened.profile.PayloadContent && (opened.profile.PayloadContent as Array<{ PayloadType: string }>).map((p) => p.PayloadType), ['com.apple.security.pkcs12', 'com.apple.mdm']);
  });

  it('names the push topic, the fixed server and check-in URLs, the identity and the final access rights in the MDM payload', async () => {
    const { mdmPayload, pkcs12Payload, profile } = await openEnrollmentProfile((await download(t, setup.enrollmentUrl)).bytes, await tenantCaPem(t));
    assert.deepEqual(mdmPayload, {
      PayloadType: 'com.apple.mdm',
      PayloadVersion: 1,
      PayloadIdentifier: `${profile.PayloadIdentifier as string}.mdm`,
      PayloadUUID: mdmPayload.PayloadUUID,
      PayloadDisplayName: 'Mobile device management',
      IdentityCertificateUUID: pkcs12Payload.PayloadUUID,
      Topic: setup.topic,
      ServerURL: 'https://envelope.test/mdm/apple/server',
      CheckInURL: 'https://envelope.test/mdm/apple/checkin',
      SignMessage: true,
      CheckOutWhenRemoved: true,
      AccessRights: 1 + 2 + 16 + 1024,
      UseDevelopmentAPNS: false,
    });
    assert.equal(typeof pkcs12Payload.Password, 'string');
    assert.ok((pkcs12Payload.Password as string).length >= 24);
  });

  it('keeps the top-level identifier and UUID per tenant, so enrolling again replaces the profile, with a new identity each time', async () => {
    const ca = await tenantCaPem(t);
    const first = await openEnrollmentProfile((await download(t, setup.enrollmentUrl)).bytes, ca);
    const second = await openEnrollmentProfile((await download(t, setup.enrollmentUrl)).bytes, ca);
    const tenantId = (await t.envelope.services.tenants.listTenants()).find((tenant) => tenant.isDefault)!.id;
    assert.equal(first.profile.PayloadIdentifier, `com.envelope.mdm.${tenantId}`);
    assert.equal(second.profile.PayloadIdentifier, first.profile.PayloadIdentifier);
    assert.equal(second.profile.PayloadUUID, first.profile.PayloadUUID);
    assert.equal(second.mdmPayload.PayloadUUID, first.mdmPayload.PayloadUUID);
    assert.notEqual(second.pkcs12Payload.PayloadUUID, first.pkcs12Payload.PayloadUUID);
    assert.notEqual(second.identity.certificateSha256, first.identity.certificateSha256);
    assert.equal(first.profile.PayloadDisplayName, 'default device management');
    assert.equal(first.profile.PayloadOrganization, 'default');
    assert.equal(first.profile.PayloadRemovalDisallowed, false);
    assert.equal(first.profile.PayloadScope, 'System');
  });

  it('records a pending enrollment bound to the identity certificate, issued by the tenant CA, with the token and user', async () => {
    const pendingBefore = await t.count('apple_pending_enrollments');
    const opened = await openEnrollmentProfile((await download(t, setup.enrollmentUrl)).bytes, await tenantCaPem(t));
    const rows = await t.envelope.db.query<{ id: string; token_id: string; user_id: string; topic: string; created_at: Date; expires_at: Date; completed_at: Date | null }>(
      'SELECT id, token_id, user_id, topic, created_at, expires_at, completed_at FROM apple_pending_enrollments WHERE certificate_sha256 = $1',
      [Buffer.from(opened.identity.certificateSha256, 'hex')],
    );
    assert.equal(await t.count('apple_pending_enrollments'), pendingBefore + 1);
    assert.equal(rows.length, 1);
    const row = rows[0]!;
    assert.equal(row.token_id, setup.tokenId);
    assert.equal(row.user_id, setup.userId);
    assert.equal(row.topic, setup.topic);
    assert.equal(row.completed_at, null);
    assert.equal(new Date(row.expires_at).getTime() - new Date(row.created_at).getTime() > 23 * 3600_000, true);
    const certificate = new X509Certificate(opened.identity.certificatePem);
    assert.equal(certificate.subject, `CN=${row.id}`);
    assert.equal(certificate.verify(new X509Certificate(await tenantCaPem(t)).publicKey), true);
    assert.equal(String(opened.pkcs12Payload.PayloadUUID).toLowerCase(), row.id);
    const token = await t.request('GET', `/graph/beta/envelope/enrollmentTokens/${setup.tokenId}`);
    assert.equal(token.body.usedCount, 0, 'downloads are not enrollments');
  });

  it('refuses a bad, foreign-platform, revoked or expired token with one plain 403, writing nothing', async () => {
    const windows = await createEnrollmentToken(t, { userId: setup.userId, platform: 'Windows' });
    const revoked = await createEnrollmentToken(t, { userId: setup.userId, platform: 'iOS' });
    assert.equal((await t.request('DELETE', `/graph/beta/envelope/enrollmentTokens/${revoked.id}`)).status, 204);
    const expired = await createEnrollmentToken(t, { userId: setup.userId, platform: 'iOS' });
    await t.envelope.db.query("UPDATE enrollment_tokens SET expires_at = now() - interval '1 second' WHERE id = $1", [expired.id]);
    const pending = await t.count('apple_pending_enrollments');
    const secrets = await t.count('tenant_secrets');
    for (const token of ['enr_nonsense', windows.token, revoked.token, expired.token, `${setup.token}x`]) {
      const reply = await download(t, `/mdm/apple/enroll?token=${encodeURIComponent(token)}`);
      assert.equal(reply.status, 403, token);
      assert.deepEqual(reply.json(), { error: { code: 'Forbidden', message: invalidLink } });
    }
    assert.equal((await download(t, '/mdm/apple/enroll')).status, 400);
    assert.equal(await t.count('apple_pending_enrollments'), pending);
    assert.equal(await t.count('tenant_secrets'), secrets);
  });

  it('refuses a token that has enrolled its maxDevices devices', async () => {
    const used = await createEnrollmentToken(t, { userId: setup.userId, platform: 'iOS', maxDevices: 2 });
    await t.envelope.db.query('UPDATE enrollment_tokens SET used_count = 2 WHERE id = $1', [used.id]);
    const reply = await download(t, used.enrollmentUrl);
    assert.equal(reply.status, 403);
    assert.equal(reply.json().error.message, invalidLink);
  });

  it('needs no bearer token, and says the admin must upload a push certificate when the tenant has none', async () => {
    const other = await t.tenant('fabrikam');
    const userId = await createUser(t, 'joe@fabrikam.com', other.admin);
    const token = await createEnrollmentToken(t, { userId, platform: 'iOS' }, other.admin);
    const reply = await download(t, token.enrollmentUrl);
    assert.equal(reply.status, 409);
    assert.match(reply.json().error.message, /must upload the organisation's Apple MDM push certificate/);
    await uploadPushCertificate(t, other.admin);
    const served = await download(t, token.enrollmentUrl);
    assert.equal(served.status, 200);
    const opened = await openEnrollmentProfile(served.bytes, await tenantCaPem(t, other.admin));
    assert.equal(opened.profile.PayloadDisplayName, 'fabrikam device management');
    assert.notEqual(opened.profile.PayloadIdentifier, `com.envelope.mdm.${(await t.envelope.services.tenants.listTenants()).find((x) => x.isDefault)!.id}`);
  });

  it('limits downloads per client address, generously, and not across addresses', async () => {
    let limited = null;
    for (let i = 0; i < 70 && !limited; i++) {
      const reply = await download(t, '/mdm/apple/enroll?token=enr_flood', '203.0.113.7');
      if (reply.status === 429) limited = { i, reply };
      else assert.equal(reply.status, 403);
    }
    assert.ok(limited, 'the flood was limited');
    assert.equal(limited.i, 60, 'after 60 requests a minute');
    assert.equal(limited.reply.json().error.code, 'TooManyRequests');
    assert.ok(Number(limited.reply.headers['retry-after']) > 0);
    assert.equal((await download(t, setup.enrollmentUrl, '203.0.113.8')).status, 200);
    assert.equal((await t.request('GET', '/graph/beta/users')).status, 200, 'the admin API is not limited by it');
  });
});

describe('GET /mdm/apple/enroll without a usable ENVELOPE_PUBLIC_URL', () => {
  let db: TestDb;
  let envelope: Envelope;
  before(async () => {
    db = await openTestDb();
    envelope = await createEnvelope({ db: db.db, secretKey: randomBytes(32), adminToken: `env_test_${randomBytes(24).toString('base64url')}`, logger: false, publicUrl: null });
  });
  after(async () => {
    await envelope.app.close();
    await db.dispose();
  });

  it('refuses to issue enrollment tokens, naming the variable', async () => {
    const adminToken = (await envelope.services.tenants.createToken('default', 'admin')).token;
    const user = await envelope.app.inject({ method: 'POST', url: '/graph/beta/users', headers: { authorization: `Bearer ${adminToken}` }, payload: { displayName: 'Jane', userPrincipalName: 'jane@contoso.com' } });
    const reply = await envelope.app.inject({
      method: 'POST',
      url: '/graph/beta/envelope/enrollmentTokens',
      headers: { authorization: `Bearer ${adminToken}` },
      payload: { userId: user.json().id, platform: 'iOS' },
    });
    assert.equal(reply.statusCode, 409);
    assert.match(reply.json().error.message, /ENVELOPE_PUBLIC_URL is not set/);
    assert.equal((await envelope.db.query('SELECT 1 FROM enrollment_tokens')).length, 0);
  });

  it('refuses to serve a profile when the public URL is unset or not https, naming the variable', async () => {
    const local = await createTestApp();
    try {
      const setup = await setUpEnrollment(local);
      const plain = await createEnvelope({ db: local.envelope.db, secretKey: local.secretKey, adminToken: null, logger: false, publicUrl: 'http://envelope.test' });
      const reply = await plain.app.inject({ method: 'GET', url: `/mdm/apple/enroll?token=${setup.token}` });
      assert.equal(reply.statusCode, 409);
      assert.match(reply.json().error.message, /ENVELOPE_PUBLIC_URL is 'http:\/\/envelope\.test'; Apple devices accept only https/);
      await plain.app.close();
      const unset = await createEnvelope({ db: local.envelope.db, secretKey: local.secretKey, adminToken: null, logger: false, publicUrl: null });
      const refused = await unset.app.inject({ method: 'GET', url: `/mdm/apple/enroll?token=${setup.token}`, headers: { host: 'guessed.example.com' } });
      assert.equal(refused.statusCode, 409);
      assert.match(refused.json().error.message, /ENVELOPE_PUBLIC_URL is not set/);
      await unset.app.close();
      assert.equal(await local.count('apple_pending_enrollments'), 0);
    } finally {
      await local.close();
    }
  });
});
