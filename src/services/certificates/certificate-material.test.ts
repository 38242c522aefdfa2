import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { PFX } from 'pkijs';
import { isEnvelopeError } from '../../domain/errors.ts';
import { testRootCertificate } from '../../domain/profiles/profile-test-helpers.ts';
import { MissingUserAttributeError } from '../../domain/user-values.ts';
import * as x509 from '../../lib/x509.ts';
import type { ScepCertificateMaterial } from '../../payloads/apple/certificate-material.ts';
import { appleMaterialFor, isIssuedAtDelivery, type AppleMaterialRequest } from './certificate-material.ts';
import { CaPkcs12IdentityIssuer, type Pkcs12IdentityIssuer, type Pkcs12IdentityRequest } from './identity-issuer.ts';
import type { IssuingCa } from '../../pki/ca-certificate.ts';
import { certificateProfile, testDevice, testUser } from '../../pki/test-support/certificate-fixtures.ts';
import { openssl, skipWithoutOpenssl, withFiles } from '../../pki/test-support/openssl.ts';
import { throwawayCa } from '../../pki/test-support/throwaway-ca.ts';

const user = testUser();
const device = testDevice();
const request = (certificateProfileSettings: Parameters<typeof certificateProfile>, who = user): AppleMaterialRequest => ({
  certificateProfile: certificateProfile(...certificateProfileSettings),
  user: who,
  device,
});

/** An issuer that must not be reached (preview) or records what it was asked (delivery). */
class RecordingIssuer implements Pkcs12IdentityIssuer {
  readonly requests: Pkcs12IdentityRequest[] = [];
  async issue(request: Pkcs12IdentityRequest) {
    this.requests.push(request);
    return { bytes: new Uint8Array([0x30, 0x82]), password: 'transport-password', certificateDer: new Uint8Array(), notBefore: new Date(0), notAfter: new Date(1) };
  }
}

describe('appleMaterialFor', () => {
  let ca: IssuingCa;
  before(async () => {
    ca = await throwawayCa();
  });

  it('a trusted root becomes root material with its DER certificate, file name and display name', async () => {
    const material = await appleMaterialFor(
      request(['iosTrustedRootCertificate', { displayName: 'Contoso Root', certFileName: 'contoso-root.cer' }]),
      { mode: 'preview' },
    );
    assert.deepEqual(material, {
      kind: 'root',
      der: new Uint8Array(Buffer.from(testRootCertificate, 'base64')),
      fileName: 'contoso-root.cer',
      displayName: 'Contoso Root',
    });
  });

  const scepCases: [name: string, settings: Record<string, unknown>, expected: Pick<ScepCertificateMaterial, 'subject' | 'keySize' | 'keyUsage' | 'subjectAltName'>][] = [
    [
      'profile defaults: CN, 2048 bits, signing + encryption, no SAN',
      {},
      { subject: [[['CN', 'jane.doe']]], keySize: 2048, keyUsage: 5, subjectAltName: null },
    ],
    [
      'common name including email, signing only, 4096 bits, email and UPN SAN',
      { subjectNameFormat: 'commonNameIncludingEmail', keyUsage: 'digitalSignature', keySize: 'size4096', subjectAlternativeNameType: 'emailAddress,userPrincipalName' },
      {
        subject: [[['CN', 'jane.doe']], [['1.2.840.113549.1.9.1', 'jane@contoso.com']]],
        keySize: 4096,
        keyUsage: 1,
        subjectAltName: { rfc822Name: 'jane@contoso.com', ntPrincipalName: 'jane.doe@contoso.com' },
      },
    ],
    [
      'common name as email, encryption only, 1024 bits, UPN SAN',
      { subjectNameFormat: 'commonNameAsEmail', keyUsage: 'keyEncipherment', keySize: 'size1024', subjectAlternativeNameType: 'userPrincipalName' },
      { subject: [[['CN', 'jane@contoso.com']]], keySize: 1024, keyUsage: 4, subjectAltName: { rfc822Name: null, ntPrincipalName: 'jane.doe@contoso.com' } },
    ],
    [
      'custom subject: Apple shortcuts for CN, OU, O, L, ST, C and dotted OIDs for the rest',
      { subjectNameFormat: 'custom', subjectNameFormatString: 'CN={{UserName}},OU=Mobile,O=Contoso,L=Redmond,ST=WA,C=US,STREET=1 Main St,E={{EmailAddress}}' },
      {
        subject: [
          [['CN', 'jane.doe']],
          [['OU', 'Mobile']],
          [['O', 'Contoso']],
          [['L', 'Redmond']],
          [['ST', 'WA']],
          [['C', 'US']],
          [['2.5.4.9', '1 Main St']],
          [['1.2.840.113549.1.9.1', 'jane@contoso.com']],
        ],
        keySize: 2048,
        keyUsage: 5,
        subjectAltName: null,
      },
    ],
  ];
  for (const [name, settings, expected] of scepCases) {
    it(`SCEP material maps ${name}`, async () => {
      const material = await appleMaterialFor(request(['iosScepCertificateProfile', settings]), { mode: 'preview' });
      assert.equal(material.kind, 'scep');
      const { subject, keySize, keyUsage, subjectAltName } = material;
      assert.deepEqual({ subject, keySize, keyUsage, subjectAltName }, expected);
    });
  }

  it('SCEP material enrolls at the first server URL, without a challenge, trusting the linked root', async () => {
    const material = await appleMaterialFor(
      request([
        'iosScepCertificateProfile',
        { displayName: 'Contoso SCEP', scepServerUrls: ['https://ndes1.contoso.com/certsrv/mscep/mscep.dll', 'https://ndes2.contoso.com/certsrv/mscep/mscep.dll'] },
      ]),
      { mode: 'deliver', identities: new RecordingIssuer() },
    );
    assert.equal(material.kind, 'scep');
    assert.equal(material.url, 'https://ndes1.contoso.com/certsrv/mscep/mscep.dll');
    assert.equal(material.challenge, null);
    assert.equal(material.rootCertificateId, 'root-1');
    assert.equal(material.displayName, 'Contoso SCEP');
  });

  it('SCEP material for a user without the attribute its subject needs throws MissingUserAttributeError', async () => {
    await assert.rejects(
      appleMaterialFor(request(['iosScepCertificateProfile', { subjectNameFormat: 'commonNameAsEmail' }], testUser({ mail: null })), { mode: 'preview' }),
      (error: unknown) => error instanceof MissingUserAttributeError && error.attribute === 'mail',
    );
  });

  it('PKCS delivery issues one identity for the user and device and carries its bytes and password', async () => {
    const issuer = new RecordingIssuer();
    const pkcs = request(['iosPkcsCertificateProfile', { displayName: 'Contoso identity' }]);
    const material = await appleMaterialFor(pkcs, { mode: 'deliver', identities: issuer });
    assert.deepEqual(material, {
      kind: 'pkcs12',
      bytes: new Uint8Array([0x30, 0x82]),
      password: 'transport-password',
      fileName: 'jane.doe.p12',
      displayName: 'Contoso identity',
      rootCertificateId: null,
    });
    assert.deepEqual(issuer.requests, [pkcs]);
    assert.equal(isIssuedAtDelivery(material), false);
  });

  it('PKCS delivery from the tenant CA yields a PKCS#12 that opens with its password and holds the user certificate', async () => {
    const pkcs = request(['iosPkcsCertificateProfile', { subjectNameFormat: 'commonNameAsEmail', subjectAlternativeNameType: 'userPrincipalName' }]);
    const material = await appleMaterialFor(pkcs, { mode: 'deliver', identities: new CaPkcs12IdentityIssuer(ca) });
    assert.equal(material.kind, 'pkcs12');
    assert.ok(material.password);
    const pfx = PFX.fromBER(material.bytes);
    await pfx.parseInternalValues({ password: new TextEncoder().encode(material.password).buffer, checkIntegrity: true });
    assert.ok(pfx.parsedValue?.authenticatedSafe);
  });

  it('preview PKCS material carries no key bytes and no password (preview mode has no issuer to call)', async () => {
    const material = await appleMaterialFor(request(['iosPkcsCertificateProfile', { displayName: 'Contoso identity' }]), { mode: 'preview' });
    assert.deepEqual(material, { kind: 'pkcs12', bytes: new Uint8Array(0), password: null, fileName: 'jane.doe.p12', displayName: 'Contoso identity', rootCertificateId: null });
    assert.equal(isIssuedAtDelivery(material), true);
  });

  it('preview fails with the same MissingUserAttributeError that delivery would', async () => {
    const pkcs = request(['iosPkcsCertificateProfile', { subjectNameFormat: 'commonNameAsEmail' }], testUser({ mail: null }));
    const isMissingMail = (error: unknown) => error instanceof MissingUserAttributeError && error.attribute === 'mail';
    await assert.rejects(appleMaterialFor(pkcs, { mode: 'preview' }), isMissingMail);
    await assert.rejects(appleMaterialFor(pkcs, { mode: 'deliver', identities: new CaPkcs12IdentityIssuer(ca) }), isMissingMail);
  });

  it('roots and SCEP requests are never mistaken for identities issued at delivery', async () => {
    const root = await appleMaterialFor(request(['iosTrustedRootCertificate']), { mode: 'preview' });
    const scep = await appleMaterialFor(request(['iosScepCertificateProfile']), { mode: 'preview' });
    assert.deepEqual([isIssuedAtDelivery(root), isIssuedAtDelivery(scep)], [false, false]);
  });

  it('a certificate profile of another platform is refused as a caller bug, not a client error', async () => {
    await assert.rejects(appleMaterialFor(request(['androidPkcsCertificateProfile']), { mode: 'preview' }), (error: unknown) => {
      assert.ok(error instanceof Error && !isEnvelopeError(error));
      assert.match(error.message, /iOS certificate profile/);
      return true;
    });
  });
});

describe('CaPkcs12IdentityIssuer', () => {
  it('issues the certificate from the tenant CA with the profile’s subject and refuses non-PKCS profiles', async () => {
    const ca = await throwawayCa();
    const issuer = new CaPkcs12IdentityIssuer(ca);
    const identity = await issuer.issue({ certificateProfile: certificateProfile('iosPkcsCertificateProfile', { subjectNameFormat: 'commonNameAsEmail' }), user, device });
    const certificate = new x509.X509Certificate(identity.certificateDer);
    assert.equal(certificate.subject, 'CN=jane@contoso.com');
    assert.equal(certificate.issuer, ca.certificate.subject);
    assert.ok(identity.notAfter > identity.notBefore);
    await assert.rejects(issuer.issue({ certificateProfile: certificateProfile('iosScepCertificateProfile'), user, device }), /Expected a PKCS certificate profile/);
  });

  it('identities come as legacy PKCS#12 (3DES, SHA-1 MAC), the layout iOS 17 and older import', { skip: skipWithoutOpenssl }, async () => {
    const identity = await new CaPkcs12IdentityIssuer(await throwawayCa()).issue({ certificateProfile: certificateProfile('iosPkcsCertificateProfile'), user, device });
    withFiles({ 'identity.p12': identity.bytes }, (path) => {
      const info = openssl(['pkcs12', '-legacy', '-info', '-noout', '-in', path('identity.p12'), '-passin', `pass:${identity.password}`]);
      assert.equal(info.status, 0, info.stderr);
      assert.match(info.stdout + info.stderr, /MAC: sha1, Iteration 2048/);
      assert.match(info.stdout + info.stderr, /Shrouded Keybag: pbeWithSHA1And3-KeyTripleDES-CBC/);
      assert.match(info.stdout + info.stderr, /PKCS7 Encrypted data: pbeWithSHA1And3-KeyTripleDES-CBC/);
    });
  });
});
