import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { before, describe, it } from 'node:test';
import type * as asn1js from 'asn1js';
import forge from 'node-forge';
import { AuthenticatedSafe, CertBag, EncryptedContentInfo, EncryptedData, PFX, PKCS8ShroudedKeyBag, PrivateKeyInfo } from 'pkijs';
import { issueIdentity, type IssuedIdentity } from './issue-identity.ts';
import { buildPkcs12, type Pkcs12Contents, type Pkcs12Layout } from './pkcs12.ts';
import { testDevice, testUser } from './test-support/certificate-fixtures.ts';
import { openssl, skipWithoutOpenssl, withFiles } from './test-support/openssl.ts';
import { throwawayCa } from './test-support/throwaway-ca.ts';

const layouts: readonly Pkcs12Layout[] = ['legacy', 'aes'];

describe('buildPkcs12', () => {
  let identity: IssuedIdentity;
  let caDer: Uint8Array;
  let contents: Pkcs12Contents;
  before(async () => {
    const ca = await throwawayCa();
    caDer = new Uint8Array(ca.certificate.rawData);
    identity = await issueIdentity({
      ca,
      settings: {
        subjectNameFormat: 'commonName',
        subjectAlternativeNameType: 'userPrincipalName',
        certificateValidityPeriodValue: 1,
        certificateValidityPeriodScale: 'years',
      },
      user: testUser(),
      device: testDevice(),
    });
    contents = { privateKey: identity.privateKey, certificateDer: identity.certificateDer, chainDer: [caDer], friendlyName: 'Contoso email identity' };
  });

  it('aes: OpenSSL 3 opens the file without -legacy and finds one key, the certificate and its CA', { skip: skipWithoutOpenssl }, async () => {
    const file = await buildPkcs12(contents, 'aes');
    withFiles({ 'x.p12': file.bytes }, (path) => {
      const info = openssl(['pkcs12', '-in', path('x.p12'), '-passin', `pass:${file.password}`, '-info', '-noout']);
      assert.equal(info.status, 0, info.stderr);
      const report = info.stdout + info.stderr;
      assert.match(report, /MAC: sha256, Iteration 2048/);
      assert.match(report, /PKCS7 Encrypted data: PBES2, PBKDF2, AES-256-CBC, Iteration 2048, PRF hmacWithSHA256/);
      assert.equal(report.match(/Shrouded Keybag: PBES2, PBKDF2, AES-256-CBC, Iteration 2048, PRF hmacWithSHA256/g)?.length, 1);
      assert.equal(report.match(/Certificate bag/g)?.length, 2);

      const leaf = openssl(['pkcs12', '-in', path('x.p12'), '-passin', `pass:${file.password}`, '-nokeys', '-clcerts']);
      const ca = openssl(['pkcs12', '-in', path('x.p12'), '-passin', `pass:${file.password}`, '-nokeys', '-cacerts']);
      assert.equal(pemBody(leaf.stdout), Buffer.from(identity.certificateDer).toString('base64'));
      assert.equal(pemBody(ca.stdout), Buffer.from(caDer).toString('base64'));
    });
  });

  it('legacy: OpenSSL (-legacy) reports 3DES for the certificates and the key, a SHA-1 MAC, and finds the certificate and its CA', { skip: skipWithoutOpenssl }, async () => {
    const file = await buildPkcs12(contents, 'legacy');
    withFiles({ 'x.p12': file.bytes }, (path) => {
      const info = openssl(['pkcs12', '-legacy', '-in', path('x.p12'), '-passin', `pass:${file.password}`, '-info', '-noout']);
      assert.equal(info.status, 0, info.stderr);
      const report = info.stdout + info.stderr;
      assert.match(report, /MAC: sha1, Iteration 2048/);
      assert.match(report, /MAC length: 20, salt length: 8/);
      assert.match(report, /PKCS7 Encrypted data: pbeWithSHA1And3-KeyTripleDES-CBC, Iteration 2048/);
      assert.equal(report.match(/Shrouded Keybag: pbeWithSHA1And3-KeyTripleDES-CBC, Iteration 2048/g)?.length, 1);
      assert.equal(report.match(/Certificate bag/g)?.length, 2);
      assert.doesNotMatch(report, /PBES2|AES|sha256/);

      const leaf = openssl(['pkcs12', '-legacy', '-in', path('x.p12'), '-passin', `pass:${file.password}`, '-nokeys', '-clcerts']);
      const ca = openssl(['pkcs12', '-legacy', '-in', path('x.p12'), '-passin', `pass:${file.password}`, '-nokeys', '-cacerts']);
      assert.equal(pemBody(leaf.stdout), Buffer.from(identity.certificateDer).toString('base64'));
      assert.equal(pemBody(ca.stdout), Buffer.from(caDer).toString('base64'));
    });
  });

  it('legacy: node-forge reads the file back with the password (MAC verified), and the key matches the certificate', async () => {
    const file = await buildPkcs12(contents, 'legacy');
    const pfx = forge.pkcs12.pkcs12FromAsn1(forge.asn1.fromDer(Buffer.from(file.bytes).toString('binary')), true, file.password);
    assert.deepEqual(pfx.safeContents.map((safe) => safe.encrypted), [true, false], 'certificates in an EncryptedData, the key in a shrouded bag');
    const certificates = (pfx.getBags({ bagType: forge.pki.oids.certBag! })[forge.pki.oids.certBag!] ?? []).map((bag) => bag.cert!);
    const serialOf = (der: Uint8Array) => new X509Certificate(der).serialNumber.toLowerCase();
    assert.deepEqual(
      certificates.map((certificate) => certificate.serialNumber),
      [identity.certificateDer, caDer].map(serialOf),
      'the leaf, then its CA',
    );
    const keyBags = pfx.getBags({ bagType: forge.pki.oids.pkcs8ShroudedKeyBag! })[forge.pki.oids.pkcs8ShroudedKeyBag!] ?? [];
    assert.equal(keyBags.length, 1);
    const key = keyBags[0]?.key as forge.pki.rsa.PrivateKey;
    const publicKey = certificates[0]?.publicKey as forge.pki.rsa.PublicKey;
    assert.equal(key.n.toString(16), publicKey.n.toString(16));
    assert.equal(keyBags[0]?.attributes.friendlyName?.[0], 'Contoso email identity');
  });

  it('legacy: node-forge refuses the file with a wrong password', async () => {
    const file = await buildPkcs12(contents, 'legacy');
    const asn1 = forge.asn1.fromDer(Buffer.from(file.bytes).toString('binary'));
    assert.throws(() => forge.pkcs12.pkcs12FromAsn1(asn1, true, `${file.password}x`), /MAC could not be verified/);
  });

  for (const layout of layouts) {
    it(`${layout}: the key and the certificate pair up by the same localKeyID and friendlyName, and the key matches the certificate`, { skip: skipWithoutOpenssl }, async () => {
      const file = await buildPkcs12(contents, layout);
      withFiles({ 'x.p12': file.bytes }, (path) => {
        const dump = openssl(['pkcs12', '-in', path('x.p12'), '-passin', `pass:${file.password}`, '-nodes']);
        assert.equal(dump.status, 0, dump.stderr);
        const keyIds = [...dump.stdout.matchAll(/localKeyID: ([0-9A-F ]+)/g)].map((match) => match[1]?.trim());
        assert.equal(keyIds.length, 2, 'the key and the leaf certificate, not the CA, carry a localKeyID');
        assert.equal(keyIds[0], keyIds[1]);
        assert.equal(dump.stdout.match(/friendlyName: Contoso email identity/g)?.length, 2);

        const key = openssl(['pkcs12', '-in', path('x.p12'), '-passin', `pass:${file.password}`, '-nocerts', '-nodes']);
        const leaf = openssl(['pkcs12', '-in', path('x.p12'), '-passin', `pass:${file.password}`, '-nokeys', '-clcerts']);
        assert.equal(key.stdout.match(/-----BEGIN PRIVATE KEY-----/g)?.length, 1);
        withFiles({ 'key.pem': key.stdout, 'leaf.pem': leaf.stdout }, (inner) => {
          const fromKey = openssl(['pkey', '-in', inner('key.pem'), '-pubout']);
          const fromCertificate = openssl(['x509', '-in', inner('leaf.pem'), '-noout', '-pubkey']);
          assert.equal(fromKey.status, 0, fromKey.stderr);
          assert.equal(fromKey.stdout, fromCertificate.stdout);
        });
      });
    });

    it(`${layout}: a wrong password fails the integrity check (OpenSSL)`, { skip: skipWithoutOpenssl }, async () => {
      const file = await buildPkcs12(contents, layout);
      withFiles({ 'x.p12': file.bytes }, (path) => {
        const result = openssl(['pkcs12', '-in', path('x.p12'), '-passin', `pass:${file.password}x`, '-info', '-noout']);
        assert.notEqual(result.status, 0);
        assert.match(result.stderr, /Mac verify error/);
      });
    });

    it(`${layout}: the password is random per call, base64url, and carries 192 bits (at least 128)`, async () => {
      const passwords = await Promise.all([buildPkcs12(contents, layout), buildPkcs12(contents, layout), buildPkcs12(contents, layout)]).then((files) => files.map((file) => file.password));
      assert.equal(new Set(passwords).size, 3);
      for (const password of passwords) {
        assert.match(password, /^[A-Za-z0-9_-]{32}$/);
        assert.ok(Buffer.from(password, 'base64url').length * 8 >= 128);
      }
    });

    it(`${layout}: with injected randomness the file and password are reproducible`, async () => {
      let counter = 0;
      const randomBytes = () => (length: number) => Uint8Array.from({ length }, () => counter++ & 0xff);
      counter = 0;
      const first = await buildPkcs12(contents, layout, randomBytes());
      counter = 0;
      const second = await buildPkcs12(contents, layout, randomBytes());
      assert.equal(first.password, second.password);
      assert.deepEqual(first.bytes, second.bytes);
    });
  }

  it('aes: pkijs reads the file back with the password and refuses it with a wrong one', async () => {
    const file = await buildPkcs12(contents, 'aes');
    const secret = (password: string) => new TextEncoder().encode(password).buffer;

    const wrong = PFX.fromBER(file.bytes);
    await assert.rejects(wrong.parseInternalValues({ password: secret(`${file.password}x`), checkIntegrity: true }), /Integrity for the PKCS#12 data is broken/);

    const pfx = PFX.fromBER(file.bytes);
    await pfx.parseInternalValues({ password: secret(file.password), checkIntegrity: true });
    const safe = pfx.parsedValue?.authenticatedSafe as AuthenticatedSafe;
    await safe.parseInternalValues({ safeContents: [{ password: secret(file.password) }, {}] });
    const [certificates, keys] = safe.parsedValue.safeContents as { value: { safeBags: { bagValue: unknown }[] } }[];
    const certificateDers = (certificates?.value.safeBags ?? []).map((bag) => Buffer.from(((bag.bagValue as CertBag).certValue as asn1js.OctetString).valueBlock.valueHexView));
    assert.deepEqual(certificateDers.map((der) => der.toString('base64')), [identity.certificateDer, caDer].map((der) => Buffer.from(der).toString('base64')));
    assert.equal(keys?.value.safeBags.length, 1);
    const keyBag = keys?.value.safeBags[0]?.bagValue as PKCS8ShroudedKeyBag;
    const pkcs8 = await new EncryptedData({
      encryptedContentInfo: new EncryptedContentInfo({ contentType: '1.2.840.113549.1.7.1', contentEncryptionAlgorithm: keyBag.encryptionAlgorithm, encryptedContent: keyBag.encryptedData }),
    }).decrypt({ password: secret(file.password) });
    assert.equal(PrivateKeyInfo.fromBER(pkcs8).privateKeyAlgorithm.algorithmId, '1.2.840.113549.1.1.1');
  });
});

function pemBody(pem: string): string {
  const match = /-----BEGIN CERTIFICATE-----([\s\S]*?)-----END CERTIFICATE-----/.exec(pem);
  return (match?.[1] ?? '').replace(/\s/g, '');
}
