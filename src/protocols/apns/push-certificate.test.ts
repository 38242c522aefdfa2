import assert from 'node:assert/strict';
import { createPrivateKey } from 'node:crypto';
import { before, describe, it } from 'node:test';
import { createTestCa, issuePushCertificate, type TestCa, type TestIdentity } from '../../../sim/apns/apns-test-pki.ts';
import { EnvelopeError } from '../../domain/errors.ts';
import { parsePushCertificate, type PushCertificateUpload } from './push-certificate.ts';

const now = new Date();

function assertRejected(upload: PushCertificateUpload, field: 'certificate' | 'privateKey', message: RegExp, at = now): void {
  assert.throws(
    () => parsePushCertificate(upload, at),
    (error: unknown) => {
      assert.ok(error instanceof EnvelopeError, `expected an EnvelopeError, got ${String(error)}`);
      assert.equal(error.status, 400);
      assert.equal(error.code, 'BadRequest');
      assert.equal(error.target, field);
      assert.match(error.message, message);
      return true;
    },
  );
}

const convert = (pem: string, type: 'pkcs1' | 'sec1') => createPrivateKey(pem).export({ type, format: 'pem' }) as string;

describe('parsePushCertificate', () => {
  let ca: TestCa;
  let rsa: TestIdentity;
  let ec: TestIdentity;
  const topic = 'com.apple.mgmt.External.6a2f0b1c-3d4e-4f50-8a9b-0c1d2e3f4a5b';
  before(async () => {
    ca = await createTestCa('Apple Application Integration 2 Certification Authority (test)');
    rsa = await issuePushCertificate(ca, { topic });
    ec = await issuePushCertificate(ca, { keyAlgorithm: 'ec' });
  });

  it('returns the UID topic, validity, issuer and serial of a valid RSA certificate with its PKCS#8 key', () => {
    const parsed = parsePushCertificate({ certificate: rsa.certificatePem, privateKey: rsa.privateKeyPem }, now);
    assert.equal(parsed.topic, topic);
    assert.equal(parsed.notAfter.getTime(), rsa.certificate.notAfter.getTime());
    assert.equal(parsed.notBefore.getTime(), rsa.certificate.notBefore.getTime());
    assert.match(parsed.subject, new RegExp(`^UID=${topic.replaceAll('.', '\\.')}, CN=APSP:[0-9a-f-]{36}, C=US$`));
    assert.equal(parsed.issuer, 'CN=Apple Application Integration 2 Certification Authority (test)');
    assert.equal(parsed.serialNumber, rsa.certificate.serialNumber.toUpperCase());
    assert.match(parsed.certificatePem, /^-----BEGIN CERTIFICATE-----\n/);
    assert.match(parsed.privateKeyPem, /^-----BEGIN PRIVATE KEY-----\n/);
    assert.equal(createPrivateKey(parsed.privateKeyPem).asymmetricKeyType, 'rsa');
  });

  it('accepts the key as PKCS#1 (RSA PRIVATE KEY) and re-encodes it as PKCS#8', () => {
    const parsed = parsePushCertificate({ certificate: rsa.certificatePem, privateKey: convert(rsa.privateKeyPem, 'pkcs1') }, now);
    assert.match(parsed.privateKeyPem, /^-----BEGIN PRIVATE KEY-----\n/);
    assert.equal(createPrivateKey(parsed.privateKeyPem).export({ type: 'pkcs1', format: 'pem' }), convert(rsa.privateKeyPem, 'pkcs1'));
  });

  it('accepts an EC key as SEC1 (EC PRIVATE KEY), also after an EC PARAMETERS block as openssl ecparam writes it', () => {
    const sec1 = convert(ec.privateKeyPem, 'sec1');
    const parameters = '-----BEGIN EC PARAMETERS-----\nBggqhkjOPQMBBw==\n-----END EC PARAMETERS-----\n';
    for (const privateKey of [ec.privateKeyPem, sec1, parameters + sec1]) {
      const parsed = parsePushCertificate({ certificate: ec.certificatePem, privateKey }, now);
      assert.match(parsed.topic, /^com\.apple\.mgmt\.External\./);
      assert.equal(createPrivateKey(parsed.privateKeyPem).asymmetricKeyType, 'ec');
    }
  });

  it('ignores text around the PEM blocks, such as the "Bag Attributes" lines openssl pkcs12 writes', () => {
    const certificate = `Bag Attributes\n    friendlyName: APSP:x\nsubject=/UID=${topic}\n${rsa.certificatePem}`;
    assert.equal(parsePushCertificate({ certificate, privateKey: `Key Attributes: <No Attributes>\n${rsa.privateKeyPem}` }, now).topic, topic);
  });

  it('rejects an expired certificate, naming the expiry', () => {
    const after = new Date(rsa.certificate.notAfter.getTime() + 1000);
    assertRejected({ certificate: rsa.certificatePem, privateKey: rsa.privateKeyPem }, 'certificate', /expired on \d{4}-\d\d-\d\dT/, after);
  });

  it('rejects a certificate that is not valid yet', () => {
    const earlier = new Date(rsa.certificate.notBefore.getTime() - 1000);
    assertRejected({ certificate: rsa.certificatePem, privateKey: rsa.privateKeyPem }, 'certificate', /not valid until/, earlier);
  });

  it('rejects a certificate whose UID is not an MDM topic', async () => {
    const app = await issuePushCertificate(ca, { topic: 'com.example.app', keyAlgorithm: 'ec' });
    assertRejected({ certificate: app.certificatePem, privateKey: app.privateKeyPem }, 'certificate', /'com\.example\.app' is not an MDM push topic.*com\.apple\.mgmt/);
  });

  it('rejects a certificate without a subject UID', async () => {
    const noUid = await issuePushCertificate(ca, { withoutUid: true, keyAlgorithm: 'ec' });
    assertRejected({ certificate: noUid.certificatePem, privateKey: noUid.privateKeyPem }, 'certificate', /no UID \(0\.9\.2342\.19200300\.100\.1\.1\)/);
  });

  it('rejects a private key that belongs to another certificate', () => {
    assertRejected({ certificate: rsa.certificatePem, privateKey: ec.privateKeyPem }, 'privateKey', /does not belong to the certificate/);
    assertRejected({ certificate: ec.certificatePem, privateKey: rsa.privateKeyPem }, 'privateKey', /does not belong to the certificate/);
  });

  it('rejects a certificate field that is not PEM, is empty, holds a key, or holds two certificates', () => {
    const key = rsa.privateKeyPem;
    for (const [certificate, found] of [
      ['not a certificate', /found no PEM block/],
      ['', /found no PEM block/],
      [Buffer.from(rsa.certificate.rawData).toString('base64'), /found no PEM block/],
      [key, /found a 'PRIVATE KEY' block/],
      [rsa.certificatePem + ec.certificatePem, /found a 'CERTIFICATE' block and a 'CERTIFICATE' block/],
      [rsa.certificatePem + key, /found a 'CERTIFICATE' block and a 'PRIVATE KEY' block/],
    ] as const) {
      assertRejected({ certificate, privateKey: key }, 'certificate', found);
    }
  });

  it('rejects a CERTIFICATE block whose content is not base64 or not an X.509 certificate', () => {
    assertRejected({ certificate: '-----BEGIN CERTIFICATE-----\n!!!\n-----END CERTIFICATE-----', privateKey: rsa.privateKeyPem }, 'certificate', /not valid base64/);
    const garbage = `-----BEGIN CERTIFICATE-----\n${Buffer.from('definitely not DER').toString('base64')}\n-----END CERTIFICATE-----`;
    assertRejected({ certificate: garbage, privateKey: rsa.privateKeyPem }, 'certificate', /does not hold a valid X\.509 certificate/);
  });

  it('rejects a private key field that is empty, holds a certificate, or holds two keys', () => {
    for (const [privateKey, found] of [
      ['', /found no PEM block/],
      ['secret', /found no PEM block/],
      [rsa.certificatePem, /found a 'CERTIFICATE' block/],
      [rsa.privateKeyPem + ec.privateKeyPem, /found a 'PRIVATE KEY' block and a 'PRIVATE KEY' block/],
    ] as const) {
      assertRejected({ certificate: rsa.certificatePem, privateKey }, 'privateKey', found);
    }
  });

  it('rejects a key block that does not hold a key', () => {
    const garbage = `-----BEGIN RSA PRIVATE KEY-----\n${Buffer.from('definitely not DER').toString('base64')}\n-----END RSA PRIVATE KEY-----`;
    assertRejected({ certificate: rsa.certificatePem, privateKey: garbage }, 'privateKey', /'RSA PRIVATE KEY' does not hold a valid key/);
  });

  it('rejects an encrypted key, in PKCS#8 or in the legacy Proc-Type form, asking for it unencrypted', () => {
    const pkcs8 = createPrivateKey(rsa.privateKeyPem).export({ type: 'pkcs8', format: 'pem', cipher: 'aes-256-cbc', passphrase: 'pw' }) as string;
    const legacy = createPrivateKey(rsa.privateKeyPem).export({ type: 'pkcs1', format: 'pem', cipher: 'aes-256-cbc', passphrase: 'pw' }) as string;
    assert.match(legacy, /Proc-Type: 4,ENCRYPTED/);
    for (const privateKey of [pkcs8, legacy]) {
      assertRejected({ certificate: rsa.certificatePem, privateKey }, 'privateKey', /encrypted; upload it without a passphrase/);
    }
  });

  it('rejects a key that is neither RSA nor EC', () => {
    const ed25519 = '-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEIBm3Xq0bmS1S1qCqBfr8dVg1pYJ1t7c4Q8kFmB5l3t4g\n-----END PRIVATE KEY-----\n';
    assertRejected({ certificate: rsa.certificatePem, privateKey: ed25519 }, 'privateKey', /is ed25519; an APNs certificate key is RSA or EC/);
  });

  it('reports the certificate problem first when both fields are wrong', async () => {
    const app = await issuePushCertificate(ca, { topic: 'com.example.app', keyAlgorithm: 'ec' });
    assertRejected({ certificate: app.certificatePem, privateKey: 'garbage' }, 'certificate', /not an MDM push topic/);
  });
});
