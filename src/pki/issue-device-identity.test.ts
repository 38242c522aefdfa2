import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { Certificate } from 'pkijs';
import * as x509 from '../lib/x509.ts';
import type { IssuingCa } from './ca-certificate.ts';
import type { IssuanceEnvironment } from './issue-certificate.ts';
import { issueDeviceIdentity } from './issue-device-identity.ts';
import { certificatePem, openssl, skipWithoutOpenssl, withFiles } from './test-support/openssl.ts';
import { throwawayCa } from './test-support/throwaway-ca.ts';

const issuedAt = new Date('2030-03-15T08:00:00Z');
const atIssuance: IssuanceEnvironment = { now: () => issuedAt, randomBytes: (length) => globalThis.crypto.getRandomValues(new Uint8Array(length)) };
const enrollmentId = '6f1d2c3b-4a59-4e6f-8a7b-9c0d1e2f3a4b';

/** `sha256WithRSAEncryption` with NULL parameters, as an AlgorithmIdentifier's DER. */
const sha256WithRsaNull = Buffer.from('300d06092a864886f70d01010b0500', 'hex');

describe('issueDeviceIdentity', () => {
  let ca: IssuingCa;
  before(async () => {
    ca = await throwawayCa({ notBefore: new Date('2025-01-01T00:00:00Z'), notAfter: new Date('2035-01-01T00:00:00Z') });
  });

  it('the certificate chains to the CA and OpenSSL accepts it for TLS client authentication', { skip: skipWithoutOpenssl }, async () => {
    const identity = await issueDeviceIdentity({ ca, enrollmentId }, atIssuance);
    assert.equal(await Certificate.fromBER(identity.certificateDer).verify(Certificate.fromBER(new Uint8Array(ca.certificate.rawData))), true);
    withFiles({ 'ca.pem': certificatePem(new Uint8Array(ca.certificate.rawData)), 'device.pem': certificatePem(identity.certificateDer) }, (path) => {
      const attime = String(issuedAt.getTime() / 1000 + 60);
      const result = openssl(['verify', '-CAfile', path('ca.pem'), '-attime', attime, '-purpose', 'sslclient', path('device.pem')]);
      assert.equal(result.status, 0, result.stderr);
      const serverUse = openssl(['verify', '-CAfile', path('ca.pem'), '-attime', attime, '-purpose', 'sslserver', path('device.pem')]);
      assert.notEqual(serverUse.status, 0, 'a device identity is no TLS server certificate');
    });
  });

  it('the certificate names the enrollment and carries the MDM identity extensions, an RSA-2048 key and a SHA-256 signature with NULL parameters', async () => {
    const identity = await issueDeviceIdentity({ ca, enrollmentId }, atIssuance);
    const certificate = new x509.X509Certificate(identity.certificateDer);
    assert.equal(certificate.subject, `CN=${enrollmentId}`);
    assert.equal(certificate.issuer, ca.certificate.subject);
    assert.equal((certificate.publicKey.algorithm as { modulusLength?: number }).modulusLength, 2048);
    const keyUsage = certificate.getExtension(x509.KeyUsagesExtension);
    assert.equal(keyUsage?.critical, true);
    assert.equal(keyUsage?.usages, x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment);
    assert.deepEqual([...(certificate.getExtension(x509.ExtendedKeyUsageExtension)?.usages ?? [])], ['1.3.6.1.5.5.7.3.2']);
    assert.equal(certificate.getExtension(x509.BasicConstraintsExtension)?.ca, false);
    assert.equal(certificate.getExtension(x509.SubjectAlternativeNameExtension), null);
    assert.equal(certificate.getExtension(x509.AuthorityKeyIdentifierExtension)?.keyId, ca.certificate.getExtension(x509.SubjectKeyIdentifierExtension)?.keyId);
    assert.equal(occurrences(Buffer.from(identity.certificateDer), sha256WithRsaNull), 2, 'signature and signatureAlgorithm both with NULL parameters');
  });

  it('the certificate is valid from five minutes before issuance for one year, and never past the CA', async () => {
    const identity = await issueDeviceIdentity({ ca, enrollmentId }, atIssuance);
    assert.equal(identity.notBefore.toISOString(), '2030-03-15T07:55:00.000Z');
    assert.equal(identity.notAfter.toISOString(), '2031-03-15T08:00:00.000Z');
    const certificate = new x509.X509Certificate(identity.certificateDer);
    assert.equal(certificate.notAfter.toISOString(), identity.notAfter.toISOString());

    const late = await issueDeviceIdentity({ ca, enrollmentId }, { ...atIssuance, now: () => new Date('2034-06-01T00:00:00Z') });
    assert.equal(late.notAfter.toISOString(), '2035-01-01T00:00:00.000Z');
    await assert.rejects(issueDeviceIdentity({ ca, enrollmentId }, { ...atIssuance, now: () => new Date('2035-01-02T00:00:00Z') }), /The CA expired/);
  });

  it('OpenSSL opens the PKCS#12 with its password: legacy 3DES and SHA-1 MAC, one key matching the certificate, the CA as chain', { skip: skipWithoutOpenssl }, async () => {
    const identity = await issueDeviceIdentity({ ca, enrollmentId }, atIssuance);
    withFiles({ 'device.p12': identity.bytes }, (path) => {
      const pass = `pass:${identity.password}`;
      const info = openssl(['pkcs12', '-legacy', '-info', '-noout', '-in', path('device.p12'), '-passin', pass]);
      assert.equal(info.status, 0, info.stderr);
      const report = info.stdout + info.stderr;
      assert.match(report, /MAC: sha1, Iteration 2048/);
      assert.match(report, /PKCS7 Encrypted data: pbeWithSHA1And3-KeyTripleDES-CBC, Iteration 2048/);
      assert.match(report, /Shrouded Keybag: pbeWithSHA1And3-KeyTripleDES-CBC, Iteration 2048/);

      const key = openssl(['pkcs12', '-legacy', '-in', path('device.p12'), '-passin', pass, '-nocerts', '-nodes']);
      const leaf = openssl(['pkcs12', '-legacy', '-in', path('device.p12'), '-passin', pass, '-nokeys', '-clcerts']);
      const chain = openssl(['pkcs12', '-legacy', '-in', path('device.p12'), '-passin', pass, '-nokeys', '-cacerts']);
      assert.equal(pemBase64(leaf.stdout), Buffer.from(identity.certificateDer).toString('base64'));
      assert.equal(pemBase64(chain.stdout), Buffer.from(ca.certificate.rawData).toString('base64'));
      withFiles({ 'key.pem': key.stdout, 'leaf.pem': leaf.stdout }, (inner) => {
        const fromKey = openssl(['pkey', '-in', inner('key.pem'), '-pubout']);
        const fromCertificate = openssl(['x509', '-in', inner('leaf.pem'), '-noout', '-pubkey']);
        assert.equal(fromKey.status, 0, fromKey.stderr);
        assert.equal(fromKey.stdout, fromCertificate.stdout);
      });

      const wrong = openssl(['pkcs12', '-legacy', '-info', '-noout', '-in', path('device.p12'), '-passin', `${pass}x`]);
      assert.notEqual(wrong.status, 0);
    });
  });

  it('every identity has its own key, serial and password', async () => {
    const [first, second] = await Promise.all([issueDeviceIdentity({ ca, enrollmentId }, atIssuance), issueDeviceIdentity({ ca, enrollmentId }, atIssuance)]);
    const [a, b] = [first, second].map((identity) => new x509.X509Certificate(identity!.certificateDer));
    assert.notEqual(a!.serialNumber, b!.serialNumber);
    assert.notDeepEqual(Buffer.from(a!.publicKey.rawData), Buffer.from(b!.publicKey.rawData));
    assert.notEqual(first.password, second.password);
  });

  it('an empty or overlong enrollment id is refused', async () => {
    await assert.rejects(issueDeviceIdentity({ ca, enrollmentId: ' ' }, atIssuance), /1 to 64 characters/);
    await assert.rejects(issueDeviceIdentity({ ca, enrollmentId: 'x'.repeat(65) }, atIssuance), /1 to 64 characters/);
  });
});

function pemBase64(pem: string): string {
  return (/-----BEGIN CERTIFICATE-----([\s\S]*?)-----END CERTIFICATE-----/.exec(pem)?.[1] ?? '').replace(/\s/g, '');
}

function occurrences(haystack: Buffer, needle: Buffer): number {
  let count = 0;
  for (let at = haystack.indexOf(needle); at !== -1; at = haystack.indexOf(needle, at + 1)) count++;
  return count;
}
