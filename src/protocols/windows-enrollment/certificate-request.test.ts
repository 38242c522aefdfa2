import assert from 'node:assert/strict';
import { createPublicKey, webcrypto } from 'node:crypto';
import { describe, it } from 'node:test';
import * as asn1js from 'asn1js';
import { CertificationRequest } from 'pkijs';
import { readCertificateRequest } from './certificate-request.ts';
import { createCertificateRequest, generateDeviceKeys } from './device-messages.ts';
import { EnrollmentFault } from './enrollment-fault.ts';
import { oddSubjectCertificateRequest } from './test-support/testdata.ts';

function faultOf(fn: () => unknown): EnrollmentFault {
  try {
    fn();
  } catch (error) {
    assert.ok(error instanceof EnrollmentFault, String(error));
    return error;
  }
  assert.fail('expected a fault');
}

/** Flips one bit of the last signature byte. */
function tamperSignature(der: Uint8Array): Uint8Array {
  const copy = new Uint8Array(der);
  copy[copy.length - 1]! ^= 0x01;
  return copy;
}

describe('readCertificateRequest', () => {
  it('accepts the Windows-shaped request whose PrintableString CN holds ! and NUL, and returns its key', () => {
    const der = oddSubjectCertificateRequest();
    const subject = CertificationRequest.fromBER(der).subject.typesAndValues[0]!.value.valueBlock.value as string;
    assert.ok(subject.includes('!') && subject.includes('\u0000'), 'the fixture has the odd bytes');
    const request = readCertificateRequest(der);
    assert.equal(request.modulusBits, 2048);
    assert.equal(request.publicKey.asymmetricKeyType, 'rsa');
    assert.deepEqual(
      createPublicKey({ key: Buffer.from(request.publicKeySpki), format: 'der', type: 'spki' }).export({ format: 'jwk' }),
      request.publicKey.export({ format: 'jwk' }),
    );
  });

  it('accepts a request made like certenroll\'s (pkijs, SHA-256) and keeps the key byte for byte', async () => {
    const keys = await generateDeviceKeys();
    const request = readCertificateRequest(await createCertificateRequest(keys, 'F717C0F0-5F68-4AC3-A341-01B254!4219DF\u0000'));
    assert.deepEqual(Buffer.from(request.publicKeySpki), Buffer.from(await webcrypto.subtle.exportKey('spki', keys.publicKey)));
  });

  it('refuses the odd-subject request once its signature is tampered with', () => {
    const fault = faultOf(() => readCertificateRequest(tamperSignature(oddSubjectCertificateRequest())));
    assert.equal(fault.subcode, 's:certificaterequest');
    assert.equal(fault.httpStatus, 400);
    assert.match(fault.message, /signature does not verify/);
  });

  it('refuses a request whose signed part was changed after signing', () => {
    const der = new Uint8Array(oddSubjectCertificateRequest());
    const at = Buffer.from(der).indexOf('F717');
    der[at] = 0x45; // 'F' → 'E' inside the CN: same length, different bytes
    assert.match(faultOf(() => readCertificateRequest(der)).message, /signature does not verify/);
  });

  it('refuses an RSA key under 2048 bits', async () => {
    const keys = (await webcrypto.subtle.generateKey(
      { name: 'RSASSA-PKCS1-v1_5', modulusLength: 1024, publicExponent: new Uint8Array([1, 0, 1]), hash: 'SHA-256' }, true, ['sign', 'verify'],
    )) as webcrypto.CryptoKeyPair;
    const der = await createCertificateRequest(keys, 'small');
    assert.match(faultOf(() => readCertificateRequest(der)).message, /has 1024 bits; the policy asks for 2048/);
  });

  it('refuses an EC key, and bytes that are no PKCS#10', async () => {
    const keys = (await webcrypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, true, ['sign', 'verify'])) as webcrypto.CryptoKeyPair;
    const request = new CertificationRequest();
    await request.subjectPublicKeyInfo.importKey(keys.publicKey);
    await request.sign(keys.privateKey, 'SHA-256');
    assert.match(faultOf(() => readCertificateRequest(new Uint8Array(request.toSchema().toBER(false)))).message, /not RSA/);
    assert.match(faultOf(() => readCertificateRequest(new Uint8Array([1, 2, 3]))).message, /not a DER PKCS#10/);
    assert.match(faultOf(() => readCertificateRequest(new Uint8Array(new asn1js.Sequence().toBER(false)))).message, /not a DER PKCS#10/);
  });

  it('refuses a signature algorithm other than RSA PKCS#1 v1.5 with SHA-1 or SHA-2', () => {
    const der = new Uint8Array(oddSubjectCertificateRequest());
    // sha256WithRSAEncryption (…1.1.11) → md5WithRSAEncryption (…1.1.4) in the outer AlgorithmIdentifier.
    const oid = Buffer.from([0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0b]);
    const at = Buffer.from(der).lastIndexOf(oid);
    der[at + oid.length - 1] = 0x04;
    assert.match(faultOf(() => readCertificateRequest(der)).message, /1\.2\.840\.113549\.1\.1\.4/);
  });
});
