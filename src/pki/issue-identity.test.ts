import assert from 'node:assert/strict';
import { webcrypto } from 'node:crypto';
import { before, describe, it } from 'node:test';
import { Certificate } from 'pkijs';
import { MissingUserAttributeError } from '../domain/user-values.ts';
import * as x509 from '../lib/x509.ts';
import { systemIssuanceEnvironment, type IssuanceEnvironment } from './issue-certificate.ts';
import { issueIdentity, type IdentitySettings } from './issue-identity.ts';
import type { IssuingCa } from './ca-certificate.ts';
import { testDevice, testUser } from './test-support/certificate-fixtures.ts';
import { certificatePem, openssl, skipWithoutOpenssl, withFiles } from './test-support/openssl.ts';
import { throwawayCa } from './test-support/throwaway-ca.ts';

const issuedAt = new Date('2030-01-31T10:20:30.500Z');
const fixedClock = (now: Date, fill = 0x5a): IssuanceEnvironment => ({ now: () => now, randomBytes: (length) => new Uint8Array(length).fill(fill) });

const settings = (overrides: Partial<IdentitySettings> = {}): IdentitySettings => ({
  subjectNameFormat: 'commonNameIncludingEmail',
  subjectNameFormatString: null,
  subjectAlternativeNameType: 'emailAddress,userPrincipalName',
  certificateValidityPeriodValue: 1,
  certificateValidityPeriodScale: 'years',
  ...overrides,
});

describe('issueIdentity', () => {
  let ca: IssuingCa;
  before(async () => {
    ca = await throwawayCa({ notBefore: new Date('2020-01-01T00:00:00Z'), notAfter: new Date('2040-01-01T00:00:00Z') });
  });

  const issue = (overrides: Partial<IdentitySettings> = {}, env = fixedClock(issuedAt)) =>
    issueIdentity({ ca, settings: settings(overrides), user: testUser(), device: testDevice() }, env);

  it('the issued certificate chains to the tenant CA (pkijs signature check)', async () => {
    const identity = await issue();
    const leaf = Certificate.fromBER(identity.certificateDer);
    assert.equal(await leaf.verify(Certificate.fromBER(new Uint8Array(ca.certificate.rawData))), true);
  });

  it('openssl verifies the chain and accepts the certificate for TLS client auth and S/MIME', { skip: skipWithoutOpenssl }, async () => {
    const identity = await issue();
    withFiles({ 'ca.pem': certificatePem(new Uint8Array(ca.certificate.rawData)), 'leaf.pem': certificatePem(identity.certificateDer) }, (path) => {
      const attime = String(Math.floor(issuedAt.getTime() / 1000) + 3600);
      for (const purpose of ['sslclient', 'smimesign', 'smimeencrypt']) {
        const result = openssl(['verify', '-CAfile', path('ca.pem'), '-attime', attime, '-purpose', purpose, path('leaf.pem')]);
        assert.equal(result.status, 0, `${purpose}: ${result.stderr}`);
        assert.match(result.stdout, /leaf\.pem: OK/);
      }
    });
  });

  it('the certificate carries the subject, SAN, key usage and EKU the profile asks for, and the CA as issuer', async () => {
    const certificate = new x509.X509Certificate((await issue()).certificateDer);
    assert.equal(certificate.subject, 'CN=jane.doe, E=jane@contoso.com');
    assert.equal(certificate.issuer, ca.certificate.subject);
    assert.equal(Certificate.fromBER(certificate.rawData).signatureAlgorithm.algorithmId, '1.2.840.113549.1.1.11', 'sha256WithRSAEncryption');
    assert.equal((certificate.publicKey.algorithm as { modulusLength?: number }).modulusLength, 2048);

    const san = certificate.getExtension(x509.SubjectAlternativeNameExtension);
    assert.deepEqual(san?.names.items.map((name) => [name.type, name.value]), [
      ['email', 'jane@contoso.com'],
      ['upn', 'jane.doe@contoso.com'],
    ]);
    const keyUsage = certificate.getExtension(x509.KeyUsagesExtension);
    assert.equal(keyUsage?.critical, true);
    assert.equal(keyUsage?.usages, x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment);
    assert.deepEqual([...(certificate.getExtension(x509.ExtendedKeyUsageExtension)?.usages ?? [])], ['1.3.6.1.5.5.7.3.2', '1.3.6.1.5.5.7.3.4']);
    assert.equal(certificate.getExtension(x509.BasicConstraintsExtension)?.ca, false);
    const caKeyId = ca.certificate.getExtension(x509.SubjectKeyIdentifierExtension)?.keyId;
    assert.ok(caKeyId);
    assert.equal(certificate.getExtension(x509.AuthorityKeyIdentifierExtension)?.keyId, caKeyId);
    assert.ok(certificate.getExtension(x509.SubjectKeyIdentifierExtension)?.keyId);
  });

  it('a profile without SAN flags issues a certificate without a SAN extension; extra EKUs are added once', async () => {
    const certificate = new x509.X509Certificate(
      (await issue({ subjectAlternativeNameType: 'none', subjectNameFormat: 'commonName', extendedKeyUsages: [{ objectIdentifier: '1.3.6.1.5.5.7.3.2' }, { objectIdentifier: '1.3.6.1.4.1.311.20.2.2' }] }))
        .certificateDer,
    );
    assert.equal(certificate.subject, 'CN=jane.doe');
    assert.equal(certificate.getExtension(x509.SubjectAlternativeNameExtension), null);
    assert.deepEqual([...(certificate.getExtension(x509.ExtendedKeyUsageExtension)?.usages ?? [])], ['1.3.6.1.5.5.7.3.2', '1.3.6.1.5.5.7.3.4', '1.3.6.1.4.1.311.20.2.2']);
  });

  const validity: [name: string, now: Date, value: number, scale: string, notAfter: string][] = [
    ['30 days', issuedAt, 30, 'days', '2030-03-02T10:20:30.000Z'],
    ['1 month, clamped to the end of February', issuedAt, 1, 'months', '2030-02-28T10:20:30.000Z'],
    ['13 months', issuedAt, 13, 'months', '2031-02-28T10:20:30.000Z'],
    ['2 years', issuedAt, 2, 'years', '2032-01-31T10:20:30.000Z'],
    ['1 year from a leap day', new Date('2028-02-29T00:00:00Z'), 1, 'years', '2029-02-28T00:00:00.000Z'],
    ['20 years, cut at the CA certificate’s own end', issuedAt, 20, 'years', '2040-01-01T00:00:00.000Z'],
  ];
  for (const [name, now, value, scale, notAfter] of validity) {
    it(`a validity period of ${name} starts five minutes before issuance and ends as asked`, async () => {
      const identity = await issue({ certificateValidityPeriodValue: value, certificateValidityPeriodScale: scale }, fixedClock(now));
      const certificate = new x509.X509Certificate(identity.certificateDer);
      const start = new Date(Math.floor(now.getTime() / 1000) * 1000 - 5 * 60 * 1000);
      assert.equal(certificate.notBefore.toISOString(), start.toISOString());
      assert.equal(certificate.notAfter.toISOString(), notAfter);
      assert.deepEqual([identity.notBefore.toISOString(), identity.notAfter.toISOString()], [start.toISOString(), notAfter]);
    });
  }

  it('serial numbers come from the injected randomness and are always positive 16-byte integers', async () => {
    const low = new x509.X509Certificate((await issue({}, fixedClock(issuedAt, 0x00))).certificateDer);
    const high = new x509.X509Certificate((await issue({}, fixedClock(issuedAt, 0xff))).certificateDer);
    assert.equal(low.serialNumber, `40${'00'.repeat(15)}`);
    assert.equal(high.serialNumber, `7f${'ff'.repeat(15)}`);
  });

  it('each issuance has a fresh key pair and, with system randomness, a fresh serial number', async () => {
    const env: IssuanceEnvironment = { ...systemIssuanceEnvironment, now: () => issuedAt };
    const [a, b] = await Promise.all([issue({}, env), issue({}, env)]);
    const certificateA = new x509.X509Certificate(a.certificateDer);
    const certificateB = new x509.X509Certificate(b.certificateDer);
    assert.notEqual(certificateA.serialNumber, certificateB.serialNumber);
    assert.notDeepEqual(new Uint8Array(certificateA.publicKey.rawData), new Uint8Array(certificateB.publicKey.rawData));
  });

  it('the private key matches the certificate and is exportable for PKCS#12', async () => {
    const identity = await issue();
    const certificate = new x509.X509Certificate(identity.certificateDer);
    const data = new TextEncoder().encode('proof of possession');
    const signature = await webcrypto.subtle.sign('RSASSA-PKCS1-v1_5', identity.privateKey, data);
    const publicKey = await certificate.publicKey.export({ name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' }, ['verify'], webcrypto as never);
    assert.equal(await webcrypto.subtle.verify('RSASSA-PKCS1-v1_5', publicKey as webcrypto.CryptoKey, signature, data), true);
    assert.equal(identity.privateKey.extractable, true);
  });

  it('an expired tenant CA refuses to issue', async () => {
    await assert.rejects(issue({}, fixedClock(new Date('2041-01-01T00:00:00Z'))), /The CA expired on 2040/);
  });

  it('a user without the attribute the subject needs gets MissingUserAttributeError, not a certificate', async () => {
    await assert.rejects(
      issueIdentity({ ca, settings: settings({ subjectNameFormat: 'commonNameAsEmail' }), user: testUser({ mail: null }), device: testDevice() }, fixedClock(issuedAt)),
      (error: unknown) => error instanceof MissingUserAttributeError && error.attribute === 'mail',
    );
  });
});
