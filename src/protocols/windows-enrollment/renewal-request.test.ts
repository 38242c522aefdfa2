import assert from 'node:assert/strict';
import { randomBytes, webcrypto } from 'node:crypto';
import { before, describe, it } from 'node:test';
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import * as x509 from '../../lib/x509.ts';
import { createCertificateRequest, generateDeviceKeys } from './device-messages.ts';
import { EnrollmentFault } from './enrollment-fault.ts';
import { tokenTypes } from './mde2-names.ts';
import { buildRenewalRequestSecurityToken, createRenewalPkcs7 } from './renewal-device-messages.ts';
import { isRenewalRequest, openRenewalPkcs7, readRenewalRequest, renewalNames } from './renewal-request.ts';
import { buildRenewalProvisioningDocument } from './renewal-response.ts';
import { parseSoapEnvelope } from './soap-envelope.ts';

const header = { messageId: 'urn:uuid:61a17f2c-42e9-4a45-9c85-f15c1c8baee8', to: 'https://envelope.test/EnrollmentServer/Enrollment.svc' };
const envelopeOf = (xml: string) => parseSoapEnvelope(new TextEncoder().encode(xml));

async function selfSigned(keys: webcrypto.CryptoKeyPair, commonName: string): Promise<Uint8Array> {
  const certificate = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: randomBytes(8).toString('hex').replace(/^[89a-f]/, '1'),
    name: `CN=${commonName}`,
    notBefore: new Date(Date.now() - 60_000),
    notAfter: new Date(Date.now() + 86_400_000),
    signingAlgorithm: { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' },
    keys: keys as never,
  }, webcrypto as never);
  return new Uint8Array(certificate.rawData);
}

function faultOf(fn: () => unknown, subcode: string, reason: RegExp): void {
  assert.throws(fn, (error: unknown) => error instanceof EnrollmentFault && error.subcode === subcode && reason.test(error.message));
}

describe('renewal RST (certificate-renewal-windows-mdm.md)', () => {
  let oldKeys: webcrypto.CryptoKeyPair;
  let oldCertificate: Uint8Array;
  let csr: Uint8Array;
  let pkcs7: Uint8Array;

  before(async () => {
    oldKeys = await generateDeviceKeys();
    oldCertificate = await selfSigned(oldKeys, 'F717C0F05F684AC3A34101B2544219DF');
    csr = await createCertificateRequest(await generateDeviceKeys(), 'F717C0F05F684AC3A34101B2544219DF');
    pkcs7 = await createRenewalPkcs7(csr, { certificateDer: oldCertificate, privateKey: oldKeys.privateKey });
  });

  it('reads a PKCS#7 token under either ValueType Microsoft uses, and the DeviceID when sent', () => {
    for (const valueType of renewalNames.pkcs7) {
      const xml = buildRenewalRequestSecurityToken(header, { token: pkcs7, valueType, context: { DeviceType: 'CIMClient_Windows', DeviceID: 'F717C0F05F684AC3A34101B2544219DF' } });
      assert.equal(XMLValidator.validate(xml), true);
      const envelope = envelopeOf(xml);
      assert.ok(isRenewalRequest(envelope));
      assert.deepEqual(readRenewalRequest(envelope), { format: 'pkcs7', token: pkcs7, deviceId: 'F717C0F05F684AC3A34101B2544219DF' });
    }
  });

  it('reads a bare PKCS#10, and a token base64-encoded twice as manual renewal sends it', () => {
    const bare = readRenewalRequest(envelopeOf(buildRenewalRequestSecurityToken(header, { token: csr, valueType: tokenTypes.pkcs10 })));
    assert.deepEqual(bare, { format: 'pkcs10', token: csr, deviceId: null });
    const twice = new TextEncoder().encode(Buffer.from(pkcs7).toString('base64'));
    assert.deepEqual(readRenewalRequest(envelopeOf(buildRenewalRequestSecurityToken(header, { token: twice }))).token, pkcs7);
  });

  it('refuses a request that is not a renewal, an unknown ValueType and a missing token with s:messageformat', () => {
    const issue = buildRenewalRequestSecurityToken(header, { token: pkcs7 }).replace(renewalNames.renew, tokenTypes.issue);
    assert.equal(isRenewalRequest(envelopeOf(issue)), false);
    faultOf(() => readRenewalRequest(envelopeOf(issue)), 's:messageformat', /RequestType/);
    faultOf(() => readRenewalRequest(envelopeOf(buildRenewalRequestSecurityToken(header, { token: pkcs7, valueType: 'urn:x509' }))), 's:messageformat', /ValueType 'urn:x509'/);
    const noToken = buildRenewalRequestSecurityToken(header, { token: pkcs7 }).replace(/<BinarySecurityToken[^>]*>[^<]*<\/BinarySecurityToken>/, '');
    faultOf(() => readRenewalRequest(envelopeOf(noToken)), 's:messageformat', /no wsse:BinarySecurityToken/);
  });

  it('opens the PKCS#7 signed with the presented certificate and returns the PKCS#10 byte for byte', async () => {
    assert.deepEqual(await openRenewalPkcs7(pkcs7, oldCertificate), csr);
  });

  it('refuses a PKCS#7 signed with another certificate (s:authentication) and bytes that are no PKCS#7 (s:certificaterequest)', async () => {
    const otherKeys = await generateDeviceKeys();
    const other = await selfSigned(otherKeys, 'F717C0F05F684AC3A34101B2544219DF');
    await assert.rejects(openRenewalPkcs7(pkcs7, other), (error: unknown) => error instanceof EnrollmentFault && error.subcode === 's:authentication');
    const forged = await createRenewalPkcs7(csr, { certificateDer: oldCertificate, privateKey: otherKeys.privateKey });
    await assert.rejects(openRenewalPkcs7(forged, oldCertificate), (error: unknown) => error instanceof EnrollmentFault && error.subcode === 's:authentication');
    await assert.rejects(openRenewalPkcs7(csr, oldCertificate), (error: unknown) => error instanceof EnrollmentFault && error.subcode === 's:certificaterequest');
  });
});

describe('renewal provisioning document', () => {
  it('holds only the root, the new certificate with its key container in the enrollment\'s store, and the PROVIDER-ID', () => {
    const xml = buildRenewalProvisioningDocument({ caCertificateDer: new Uint8Array([0x30, 0x00]), clientCertificateDer: new Uint8Array([0x30, 0x01, 0x00]), enrollmentType: 'Device', providerId: 'Envelope' });
    assert.equal(XMLValidator.validate(xml), true);
    const doc = new XMLParser({ ignoreAttributes: false }).parse(xml)['wap-provisioningdoc'];
    const [store, application] = doc.characteristic;
    assert.equal(store['@_type'], 'CertificateStore');
    assert.deepEqual(store.characteristic.map((c: { '@_type': string }) => c['@_type']), ['Root', 'My']);
    const system = store.characteristic[1].characteristic;
    assert.equal(system['@_type'], 'System', 'a Device enrollment renews into the system store');
    assert.equal(system.characteristic[0].parm['@_value'], 'MAEA');
    assert.equal(system.characteristic[1]['@_type'], 'PrivateKeyContainer');
    assert.deepEqual(application, { '@_type': 'APPLICATION', parm: { '@_name': 'PROVIDER-ID', '@_value': 'Envelope' } });
    assert.doesNotMatch(xml, /APPAUTH|DMClient|WSTEP/);
  });
});
