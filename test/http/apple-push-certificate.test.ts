import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createPrivateKey } from 'node:crypto';
import { createTestCa, issuePushCertificate, type TestCa } from '../../sim/apns/apns-test-pki.ts';
import { SecretBox } from '../../src/services/secrets/secret-box.ts';
import { createTestApp, type TestApp } from '../helpers/test-app.ts';

const path = '/graph/beta/envelope/applePushCertificate';

describe('the Apple MDM push certificate', () => {
  let t: TestApp;
  let ca: TestCa;
  const topic = 'com.apple.mgmt.External.2f4c8a10-5b3d-4e6f-9a7b-8c9d0e1f2a3b';
  before(async () => {
    t = await createTestApp();
    ca = await createTestCa('Apple Application Integration 2 Certification Authority (test)');
  });
  after(() => t.close());

  it('is 404 before the first upload', async () => {
    const reply = await t.request('GET', path);
    assert.equal(reply.status, 404);
    assert.equal(reply.body.error.code, 'ResourceNotFound');
  });

  it('uploads as topic, expirationDateTime, subject, issuer and serialNumber, and stores the key sealed for the tenant', async () => {
    const push = await issuePushCertificate(ca, { topic });
    const reply = await t.request('PUT', path, { body: { certificate: push.certificatePem, privateKey: push.privateKeyPem } });
    assert.equal(reply.status, 200, JSON.stringify(reply.body));
    assert.deepEqual(reply.body, {
      topic,
      expirationDateTime: push.certificate.notAfter.toISOString(),
      subject: reply.body.subject,
      issuer: 'CN=Apple Application Integration 2 Certification Authority (test)',
      serialNumber: push.certificate.serialNumber.toUpperCase(),
    });
    assert.match(reply.body.subject, new RegExp(`^UID=${topic.replaceAll('.', '\\.')}, CN=APSP:`));
    const shown = await t.request('GET', path, { token: await t.readOnlyToken() });
    assert.deepEqual(shown.body, reply.body);

    const rows = await t.envelope.db.query<{ tenant_id: string; sealed_private_key: Uint8Array; version: number }>('SELECT tenant_id, sealed_private_key, version FROM apple_push_certificates');
    assert.equal(rows.length, 1);
    assert.equal(rows[0]!.version, 1);
    const sealed = Buffer.from(rows[0]!.sealed_private_key);
    assert.equal(sealed.includes(Buffer.from('PRIVATE KEY')), false, 'no key in clear');
    const opened = new SecretBox(t.secretKey).open(sealed, `tenant:${rows[0]!.tenant_id}:applePushCertificate`).toString('utf8');
    assert.deepEqual(createPrivateKey(opened).export({ type: 'pkcs8', format: 'der' }), createPrivateKey(push.privateKeyPem).export({ type: 'pkcs8', format: 'der' }));
    assert.throws(() => new SecretBox(t.secretKey).open(sealed, 'tenant:other:applePushCertificate'));
  });

  it('counts the version up on renewal with the same topic', async () => {
    const renewed = await issuePushCertificate(ca, { topic });
    const reply = await t.request('PUT', path, { body: { certificate: renewed.certificatePem, privateKey: renewed.privateKeyPem } });
    assert.equal(reply.status, 200);
    assert.equal(reply.body.serialNumber, renewed.certificate.serialNumber.toUpperCase());
    const rows = await t.envelope.db.query<{ version: number }>('SELECT version FROM apple_push_certificates');
    assert.equal(rows[0]!.version, 2);
  });

  it('accepts a certificate with another topic while no device is enrolled', async () => {
    const other = await issuePushCertificate(ca);
    const reply = await t.request('PUT', path, { body: { certificate: other.certificatePem, privateKey: other.privateKeyPem } });
    assert.equal(reply.status, 200);
    assert.notEqual(reply.body.topic, topic);
    const back = await issuePushCertificate(ca, { topic });
    assert.equal((await t.request('PUT', path, { body: { certificate: back.certificatePem, privateKey: back.privateKeyPem } })).body.topic, topic);
  });

  it('refuses what is not an MDM push certificate and its key with 400 naming the field, changing nothing', async () => {
    const before = await t.envelope.db.query('SELECT * FROM apple_push_certificates');
    const push = await issuePushCertificate(ca, { topic });
    const stranger = await issuePushCertificate(ca, { topic });
    const withoutUid = await issuePushCertificate(ca, { withoutUid: true });
    const expired = await issuePushCertificate(ca, { topic, notBefore: new Date(Date.now() - 3 * 365 * 24 * 3600_000), notAfter: new Date(Date.now() - 3600_000) });
    const cases: Array<[unknown, string]> = [
      [{ certificate: 'not pem', privateKey: push.privateKeyPem }, 'certificate'],
      [{ certificate: withoutUid.certificatePem, privateKey: withoutUid.privateKeyPem }, 'certificate'],
      [{ certificate: expired.certificatePem, privateKey: expired.privateKeyPem }, 'certificate'],
      [{ certificate: push.certificatePem, privateKey: stranger.privateKeyPem }, 'privateKey'],
      [{ certificate: push.certificatePem }, 'privateKey'],
      [{ privateKey: push.privateKeyPem }, 'certificate'],
      [{ certificate: push.certificatePem, privateKey: push.privateKeyPem, topic: 'com.apple.mgmt.x' }, 'topic'],
    ];
    for (const [body, field] of cases) {
      const reply = await t.request('PUT', path, { body });
      assert.equal(reply.status, 400, JSON.stringify(reply.body));
      assert.equal(reply.body.error.target, field);
    }
    assert.deepEqual(await t.envelope.db.query('SELECT * FROM apple_push_certificates'), before);
  });

  it('needs a token (401), the admin role to upload (403), and belongs to one tenant', async () => {
    const push = await issuePushCertificate(ca, { topic });
    const body = { certificate: push.certificatePem, privateKey: push.privateKeyPem };
    assert.equal((await t.request('PUT', path, { body, token: null })).status, 401);
    assert.equal((await t.request('GET', path, { token: null })).status, 401);
    assert.equal((await t.request('PUT', path, { body, token: await t.readOnlyToken() })).status, 403);
    const other = await t.tenant('fabrikam');
    assert.equal((await t.request('GET', path, { token: other.admin })).status, 404);
    assert.equal((await t.request('PUT', path, { body, token: other.readOnly })).status, 403);
    assert.equal(await t.count('apple_push_certificates'), 1);
  });
});
