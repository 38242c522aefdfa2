import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import * as asn1js from 'asn1js';
import { Attribute, Certificate, ContentInfo, EncapsulatedContentInfo, IssuerAndSerialNumber, SignedAndUnsignedAttributes, SignedData, SignerInfo } from 'pkijs';
import { encodeCheckinMessage } from './checkin-message.ts';
import { maxMdmSignatureLength, MdmSignatureError, signMdmMessage, verifyMdmSignature, type MdmSignatureErrorCode, type MdmSigningIdentity } from './mdm-signature.ts';
import { createTestCa, issueDeviceIdentity, type KeyKind, type TestCa } from './test-support/device-identity.ts';

const sha256 = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');
const body = encodeCheckinMessage({ MessageType: 'CheckOut', Topic: 'com.apple.mgmt.External.test', UDID: '00008110-000A1B2C3D4E5F60' });
const inside = new Date('2026-06-01T00:00:00Z');

async function rejectsWith(promise: Promise<unknown>, code: MdmSignatureErrorCode): Promise<void> {
  await assert.rejects(promise, (error: unknown) => {
    assert.ok(error instanceof MdmSignatureError, `expected MdmSignatureError, got ${String(error)}`);
    assert.equal(error.code, code, error.message);
    return true;
  });
}

/** Parses a header into pkijs objects, lets `change` alter them, and re-encodes it. */
function rewrite(header: string, change: (signedData: SignedData) => void): string {
  const contentInfo = ContentInfo.fromBER(Buffer.from(header, 'base64'));
  const signedData = new SignedData({ schema: contentInfo.content });
  change(signedData);
  const rebuilt = new ContentInfo({ contentType: contentInfo.contentType, content: signedData.toSchema(true) });
  return Buffer.from(rebuilt.toSchema().toBER(false)).toString('base64');
}

describe('Mdm-Signature', () => {
  const cas = {} as Record<KeyKind, TestCa>;
  const devices = {} as Record<KeyKind, MdmSigningIdentity>;
  let otherDevice: MdmSigningIdentity;
  let impostorCa: TestCa;
  before(async () => {
    for (const kind of ['RSA', 'ECDSA'] as const) {
      cas[kind] = await createTestCa(kind);
      devices[kind] = await issueDeviceIdentity(cas[kind], `device-${kind}`);
    }
    otherDevice = await issueDeviceIdentity(cas.ECDSA, 'another-device');
    // Same name as the real CA, different key: only a signature check tells them apart.
    impostorCa = await createTestCa('ECDSA');
  });

  for (const kind of ['RSA', 'ECDSA'] as const) {
    it(`verifies a ${kind} device's signature over the body and returns its certificate and SHA-256`, async () => {
      const header = await signMdmMessage(body, devices[kind]);
      const verified = await verifyMdmSignature(header, body, { caCertificateDer: cas[kind].certificateDer, at: inside });
      assert.deepEqual(verified.certificateDer, devices[kind].certificateDer);
      assert.equal(verified.certificateSha256, sha256(devices[kind].certificateDer));
      assert.match(verified.certificateSha256, /^[0-9a-f]{64}$/);
    });
  }

  it('writes a detached SignedData with one signer and the signer certificate only', async () => {
    const signedData = new SignedData({ schema: ContentInfo.fromBER(Buffer.from(await signMdmMessage(body, devices.RSA), 'base64')).content });
    assert.equal(signedData.encapContentInfo.eContent, undefined);
    assert.equal(signedData.signerInfos.length, 1);
    assert.equal(signedData.certificates?.length, 1);
    assert.equal(signedData.signerInfos[0]?.digestAlgorithm.algorithmId, '2.16.840.1.101.3.4.2.1');
  });

  it('rejects the signature when one byte of the body has changed', async () => {
    const header = await signMdmMessage(body, devices.ECDSA);
    const tampered = new Uint8Array(body);
    tampered[tampered.length - 20] = (tampered[tampered.length - 20] as number) ^ 0x01;
    await rejectsWith(verifyMdmSignature(header, tampered), 'wrong-content');
  });

  it("returns the actual signer's certificate when another device signs a body naming someone else's UDID", async () => {
    const verified = await verifyMdmSignature(await signMdmMessage(body, otherDevice), body, { caCertificateDer: cas.ECDSA.certificateDer, at: inside });
    assert.equal(verified.certificateSha256, sha256(otherDevice.certificateDer));
    assert.notEqual(verified.certificateSha256, sha256(devices.ECDSA.certificateDer));
  });

  it("rejects a signature made with another device's key that claims this device's certificate", async () => {
    const forged = await signMdmMessage(body, { certificateDer: devices.ECDSA.certificateDer, privateKey: otherDevice.privateKey });
    await rejectsWith(verifyMdmSignature(forged, body), 'bad-signature');
  });

  it('rejects a missing or empty header', async () => {
    await rejectsWith(verifyMdmSignature(undefined, body), 'missing-header');
    await rejectsWith(verifyMdmSignature('', body), 'missing-header');
  });

  it('rejects a header that is not standard base64 or is absurdly long', async () => {
    await rejectsWith(verifyMdmSignature('not base64!', body), 'not-base64');
    await rejectsWith(verifyMdmSignature('QUJDRA', body), 'not-base64');
    await rejectsWith(verifyMdmSignature('QUJD RA==', body), 'not-base64');
    await rejectsWith(verifyMdmSignature('A'.repeat(maxMdmSignatureLength + 4), body), 'not-base64');
  });

  it('rejects base64 that is not a CMS SignedData, including hostile nesting and trailing bytes', async () => {
    await rejectsWith(verifyMdmSignature(Buffer.from('hello, world').toString('base64'), body), 'not-cms');
    const valid = Buffer.from(await signMdmMessage(body, devices.ECDSA), 'base64');
    await rejectsWith(verifyMdmSignature(Buffer.concat([valid, Buffer.from([0])]).toString('base64'), body), 'not-cms');
    await rejectsWith(verifyMdmSignature(Buffer.from(devices.RSA.certificateDer).toString('base64'), body), 'not-cms');
    // 5,000 nested indefinite-length SEQUENCEs: 20 kB, within the header limit.
    const deep = Buffer.concat([Buffer.from('3080'.repeat(5_000), 'hex'), Buffer.from('0000'.repeat(5_000), 'hex')]);
    await rejectsWith(verifyMdmSignature(deep.toString('base64'), body), 'not-cms');
  });

  it('rejects a signature that carries other attached content than the body', async () => {
    const header = await signMdmMessage(body, devices.RSA);
    const attached = rewrite(header, (signedData) => {
      signedData.encapContentInfo.eContent = new asn1js.OctetString({ valueHex: new TextEncoder().encode('something else') });
    });
    await rejectsWith(verifyMdmSignature(attached, body), 'wrong-content');
  });

  it('rejects a signature value that does not verify', async () => {
    const header = await signMdmMessage(body, devices.RSA);
    const broken = rewrite(header, (signedData) => {
      const signerInfo = signedData.signerInfos[0] as SignerInfo;
      const signature = new Uint8Array(signerInfo.signature.valueBlock.valueHexView);
      signature[10] = (signature[10] as number) ^ 0xff;
      signerInfo.signature = new asn1js.OctetString({ valueHex: signature });
    });
    await rejectsWith(verifyMdmSignature(broken, body), 'bad-signature');
  });

  it('rejects zero signers and several signers', async () => {
    const header = await signMdmMessage(body, devices.RSA);
    await rejectsWith(verifyMdmSignature(rewrite(header, (signedData) => void (signedData.signerInfos = [])), body), 'not-one-signer');

    const other = new SignedData({ schema: ContentInfo.fromBER(Buffer.from(await signMdmMessage(body, otherDevice), 'base64')).content });
    const twoSigners = rewrite(header, (signedData) => {
      signedData.signerInfos.push(other.signerInfos[0] as SignerInfo);
      signedData.certificates?.push(...(other.certificates ?? []));
    });
    await rejectsWith(verifyMdmSignature(twoSigners, body), 'not-one-signer');
  });

  it("rejects a signature without the signer's certificate", async () => {
    const header = await signMdmMessage(body, devices.RSA);
    const withoutCertificate = rewrite(header, (signedData) => {
      const stranger = Certificate.fromBER(otherDevice.certificateDer);
      signedData.certificates = [stranger];
    });
    await rejectsWith(verifyMdmSignature(withoutCertificate, body), 'no-signer-certificate');
  });

  it('rejects a certificate that the device-identity CA did not issue, even under the same CA name', async () => {
    const header = await signMdmMessage(body, devices.ECDSA);
    await rejectsWith(verifyMdmSignature(header, body, { caCertificateDer: impostorCa.certificateDer, at: inside }), 'certificate-untrusted');
    await rejectsWith(verifyMdmSignature(header, body, { caCertificateDer: cas.RSA.certificateDer, at: inside }), 'certificate-untrusted');
  });

  it('rejects a certificate outside its validity at the injected time, and accepts it inside', async () => {
    const shortLived = await issueDeviceIdentity(cas.RSA, 'short-lived', { notBefore: new Date('2026-03-01T00:00:00Z'), notAfter: new Date('2026-04-01T00:00:00Z') });
    const header = await signMdmMessage(body, shortLived);
    const check = (at: string) => verifyMdmSignature(header, body, { caCertificateDer: cas.RSA.certificateDer, at: new Date(at) });
    await rejectsWith(check('2026-04-01T00:00:01Z'), 'certificate-expired');
    await rejectsWith(check('2026-02-28T23:59:59Z'), 'certificate-expired');
    assert.equal((await check('2026-03-15T00:00:00Z')).certificateSha256, sha256(shortLived.certificateDer));
  });

  it('treats a device-identity CA that is itself out of validity as untrusted', async () => {
    const header = await signMdmMessage(body, devices.RSA);
    await rejectsWith(verifyMdmSignature(header, body, { caCertificateDer: cas.RSA.certificateDer, at: new Date('2027-06-01T00:00:00Z') }), 'certificate-untrusted');
  });

  it('accepts signed attributes in any valid form, as made by a signer other than Envelope', async () => {
    // A signer whose signed attributes include more than content type and digest (as Apple's do).
    const identity = devices.RSA;
    const certificate = Certificate.fromBER(identity.certificateDer);
    const digest = createHash('sha256').update(body).digest();
    const signedData = new SignedData({
      version: 1,
      encapContentInfo: new EncapsulatedContentInfo({ eContentType: '1.2.840.113549.1.7.1' }),
      signerInfos: [
        new SignerInfo({
          version: 1,
          sid: new IssuerAndSerialNumber({ issuer: certificate.issuer, serialNumber: certificate.serialNumber }),
          signedAttrs: new SignedAndUnsignedAttributes({
            type: 0,
            attributes: [
              new Attribute({ type: '1.2.840.113549.1.9.3', values: [new asn1js.ObjectIdentifier({ value: '1.2.840.113549.1.7.1' })] }),
              new Attribute({ type: '1.2.840.113549.1.9.5', values: [new asn1js.UTCTime({ valueDate: inside })] }),
              new Attribute({ type: '1.2.840.113549.1.9.4', values: [new asn1js.OctetString({ valueHex: digest })] }),
            ],
          }),
        }),
      ],
      certificates: [certificate],
    });
    await signedData.sign(identity.privateKey, 0, 'SHA-256', body);
    const header = Buffer.from(new ContentInfo({ contentType: '1.2.840.113549.1.7.2', content: signedData.toSchema(true) }).toSchema().toBER(false)).toString('base64');
    assert.equal((await verifyMdmSignature(header, body)).certificateSha256, sha256(identity.certificateDer));
  });
});

const openssl = ((): string | null => {
  try {
    execFileSync('openssl', ['version'], { stdio: 'ignore' });
    return 'openssl';
  } catch {
    return null;
  }
})();

describe('Mdm-Signature interoperability with OpenSSL', { skip: openssl ? false : 'openssl is not installed on this machine' }, () => {
  it('verifies a detached signature made by openssl cms, and openssl verifies ours', async () => {
    const directory = mkdtempSync(join(tmpdir(), 'envelope-mdm-signature-'));
    const run = (args: string[]): Buffer => execFileSync(openssl as string, args, { cwd: directory, stdio: ['ignore', 'pipe', 'pipe'] });
    try {
      writeFileSync(join(directory, 'body.plist'), body);
      run(['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-subj', '/CN=openssl-device', '-keyout', 'key.pem', '-out', 'cert.pem', '-days', '1']);
      run(['cms', '-sign', '-binary', '-md', 'sha256', '-in', 'body.plist', '-signer', 'cert.pem', '-inkey', 'key.pem', '-outform', 'DER', '-out', 'sig.der']);
      const header = readFileSync(join(directory, 'sig.der')).toString('base64');
      const certificateDer = new Uint8Array(run(['x509', '-in', 'cert.pem', '-outform', 'DER']));
      assert.equal((await verifyMdmSignature(header, body)).certificateSha256, sha256(certificateDer));

      const ca = await createTestCa('RSA', 'Interop CA');
      const device = await issueDeviceIdentity(ca, 'interop-device');
      writeFileSync(join(directory, 'ours.der'), Buffer.from(await signMdmMessage(body, device), 'base64'));
      const content = run(['cms', '-verify', '-noverify', '-binary', '-inform', 'DER', '-in', 'ours.der', '-content', 'body.plist']);
      assert.deepEqual(new Uint8Array(content), body);
    } finally {
      rmSync(directory, { recursive: true, force: true });
    }
  });
});
