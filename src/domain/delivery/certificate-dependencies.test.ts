import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { certificateDependenciesOf } from './certificate-dependencies.ts';
import { assigned } from './delivery-test-support.ts';

describe('certificateDependenciesOf', () => {
  const allLinks = { identityCertificate: 'id', smimeSigningCertificate: 'sign', smimeEncryptionCertificate: 'enc' };
  const cases: [string, ReturnType<typeof assigned>, { profileId: string; role: string }[]][] = [
    ['password authentication needs no identity certificate even when one is linked', assigned('iosEasEmailProfileConfiguration', 'm', { links: allLinks }), []],
    ['certificate authentication needs the identity certificate', assigned('iosEasEmailProfileConfiguration', 'm', { settings: { authenticationMethod: 'certificate' }, links: allLinks }), [{ profileId: 'id', role: 'identityCertificate' }]],
    ['S/MIME needs the signing and encryption certificates', assigned('iosEasEmailProfileConfiguration', 'm', { settings: { requireSmime: true, signingCertificateType: 'certificate', encryptionCertificateType: 'certificate' }, links: allLinks }), [{ profileId: 'sign', role: 'smimeSigningCertificate' }, { profileId: 'enc', role: 'smimeEncryptionCertificate' }]],
    ['S/MIME where the user picks the encryption certificate needs only the signing one', assigned('iosEasEmailProfileConfiguration', 'm', { settings: { requireSmime: true, encryptionCertificateType: 'none' }, links: allLinks }), [{ profileId: 'sign', role: 'smimeSigningCertificate' }]],
    ['Knox S/MIME signing needs its certificate (Knox has no certificate-type setting)', assigned('androidEasEmailProfileConfiguration', 'm', { settings: { requireSmime: true }, links: { smimeSigningCertificate: 'sign' } }), [{ profileId: 'sign', role: 'smimeSigningCertificate' }]],
    ['one certificate used for identity and signing is listed once', assigned('iosEasEmailProfileConfiguration', 'm', { settings: { authenticationMethod: 'certificate', requireSmime: true }, links: { identityCertificate: 'id', smimeSigningCertificate: 'id' } }), [{ profileId: 'id', role: 'identityCertificate' }]],
    ['a SCEP profile needs its trusted root', assigned('androidScepCertificateProfile', 's', { links: { rootCertificate: 'root' } }), [{ profileId: 'root', role: 'rootCertificate' }]],
    ['a trusted root needs nothing', assigned('iosTrustedRootCertificate', 'r'), []],
  ];
  for (const [sentence, profile, expected] of cases) {
    it(sentence, () => assert.deepEqual(certificateDependenciesOf(profile), expected));
  }
});
