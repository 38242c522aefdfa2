import assert from 'node:assert/strict';
import { webcrypto } from 'node:crypto';
import { describe, it } from 'node:test';
import * as x509 from '../../src/lib/x509.ts';
import { enrollPc, randomPcHardware } from '../../sim/windows/enroll.ts';
import { actions, EnrollmentFaultError, EnrollmentProtocolError, ns, tokenTypes } from '../../sim/windows/mde2-messages.ts';
import { ProvisioningDocumentError } from '../../sim/windows/provisioning-doc.ts';
import { child, childrenNamed, descendants, parseXml, path, type XmlElement } from '../../sim/windows/xml.ts';
import { fixture, scriptedEnrollment } from './windows-sim-fixtures.ts';

const server = 'https://enterpriseenrollment.contoso.com';
const upn = 'jane@contoso.com';
const token = 'enr_secret-token';

function soap(body: string | undefined): { root: XmlElement; header: XmlElement; body: XmlElement } {
  const root = parseXml(body ?? '');
  assert.equal(root.name, 'Envelope');
  assert.equal(root.ns, ns.soap, 'a SOAP 1.2 envelope');
  return { root, header: child(root, 'Header', ns.soap)!, body: child(root, 'Body', ns.soap)! };
}

function assertUsernameToken(header: XmlElement) {
  const security = child(header, 'Security', ns.wsse);
  assert.ok(security, 'wsse:Security header');
  const usernameToken = child(security, 'UsernameToken', ns.wsse)!;
  assert.equal(child(usernameToken, 'Username', ns.wsse)?.text, upn);
  const password = child(usernameToken, 'Password', ns.wsse)!;
  assert.equal(password.text, token);
  assert.equal(password.attributes['wsse:Type'], tokenTypes.passwordText);
}

describe('Windows enrollment client (MS-MDE2, MS-XCEP, MS-WSTEP)', () => {
  it('discovers with a GET then a SOAP Discover, follows the documented policy and enrollment URLs, and sends well-formed requests', async () => {
    const { http, requests } = scriptedEnrollment();
    const hardware = randomPcHardware();
    const enrollment = await enrollPc({ server, upn, enrollmentToken: token, http, hardware });

    assert.deepEqual(requests.map((request) => `${request.method} ${request.url}`), [
      `GET ${server}/EnrollmentServer/Discovery.svc`,
      `POST ${server}/EnrollmentServer/Discovery.svc`,
      'POST https://enrolltest.contoso.com/ENROLLMENTSERVER/DEVICEENROLLMENTWEBSERVICE.SVC',
      'POST https://enrolltest.contoso.com/ENROLLMENTSERVER/DEVICEENROLLMENTWEBSERVICE.SVC',
    ]);
    for (const request of requests.slice(1)) assert.equal(request.headers['content-type'], 'application/soap+xml; charset=utf-8');

    const discover = soap(requests[1]!.body);
    assert.equal(child(discover.header, 'Action', ns.addressing)?.text, actions.discover);
    assert.equal(child(discover.header, 'Action', ns.addressing)?.attributes['s:mustUnderstand'], '1');
    assert.match(child(discover.header, 'MessageID', ns.addressing)!.text, /^urn:uuid:[0-9a-f-]{36}$/);
    assert.equal(child(discover.header, 'To', ns.addressing)?.text, `${server}/EnrollmentServer/Discovery.svc`);
    const request = path(discover.body, 'Discover', 'request')!;
    assert.equal(child(discover.body, 'Discover')?.ns, ns.discovery);
    assert.equal(child(request, 'EmailAddress')?.text, upn);
    assert.equal(child(request, 'RequestVersion')?.text, '6.0');
    assert.equal(child(request, 'DeviceType')?.text, 'CIMClient_Windows');
    assert.match(child(request, 'ApplicationVersion')!.text, /^\d+\.\d+\.\d+\.\d+$/);
    assert.equal(child(request, 'OSEdition')?.text, '48');
    assert.deepEqual(childrenNamed(child(request, 'AuthPolicies'), 'AuthPolicy').map((item) => item.text), ['OnPremise', 'Federated']);

    const policies = soap(requests[2]!.body);
    assert.equal(child(policies.header, 'Action', ns.addressing)?.text, actions.getPolicies);
    assertUsernameToken(policies.header);
    assert.equal(child(policies.body, 'GetPolicies')?.ns, ns.xcep);

    const rst = soap(requests[3]!.body);
    assert.equal(child(rst.header, 'Action', ns.addressing)?.text, actions.requestSecurityToken);
    assertUsernameToken(rst.header);
    const rstBody = child(rst.body, 'RequestSecurityToken', ns.wst)!;
    assert.equal(child(rstBody, 'TokenType', ns.wst)?.text, tokenTypes.deviceEnrollmentToken);
    assert.equal(child(rstBody, 'RequestType', ns.wst)?.text, tokenTypes.issue);
    const binary = child(rstBody, 'BinarySecurityToken', ns.wsse)!;
    assert.equal(binary.attributes.ValueType, tokenTypes.pkcs10);
    assert.equal(binary.attributes.EncodingType, tokenTypes.base64Binary);
    const context = Object.fromEntries(descendants(child(rstBody, 'AdditionalContext', ns.ac)!, 'ContextItem').map((item) => [item.attributes.Name, child(item, 'Value', ns.ac)?.text]));
    assert.equal(context.DeviceID, hardware.deviceId);
    assert.equal(context.HWDevID, hardware.hwDevId);
    assert.equal(context.EnrollmentType, 'Full');
    assert.equal(context.DeviceName, hardware.deviceName);
    assert.equal(context.OSVersion, hardware.osVersion);
    assert.equal(context.OSEdition, '48');
    assert.equal(context.RequestVersion, '6.0');

    // The PKCS#10 round-trips, is RSA-2048, carries the key of the enrolled identity and its signature verifies.
    const csr = new x509.Pkcs10CertificateRequest(Buffer.from(binary.text, 'base64'));
    assert.equal(await csr.verify(), true);
    assert.equal((csr.publicKey.algorithm as { modulusLength?: number }).modulusLength, 2048);
    assert.deepEqual(Buffer.from(csr.publicKey.rawData), Buffer.from(enrollment.keys.spkiDer));
    assert.equal(csr.subject, `CN=${hardware.deviceId}`);

    // What the provisioning document configured.
    assert.equal(enrollment.managementUrl, 'https://mdm.contoso.com/ManagementServer/MDM.svc');
    assert.equal(enrollment.providerId, 'TestMDMServer');
    assert.deepEqual(enrollment.digest, { name: 'dm-user', secret: 's3cret', nonce: 'AAECA/7/ECA=', level: 'APPSRV' });
    assert.equal(enrollment.provisioning.trustedRoots.length, 1);
    assert.equal(enrollment.provisioning.dmClient?.poll.IntervalForRemainingScheduledRetries, '1560');
    assert.equal(enrollment.policy.minimalKeyLength, 2048);
    assert.equal(enrollment.policy.hashAlgorithmOid, '1.3.14.3.2.29');
    assert.match(enrollment.identity.privateKeyPem, /^-----BEGIN PRIVATE KEY-----\n/);
  });

  it('sends RequestVersion 9.0 when told to', async () => {
    const { http, requests } = scriptedEnrollment();
    await enrollPc({ server, upn, enrollmentToken: token, http, hardware: randomPcHardware(), requestVersion: '9.0' });
    assert.equal(descendants(parseXml(requests[1]!.body!), 'RequestVersion')[0]?.text, '9.0');
    const context = descendants(parseXml(requests[3]!.body!), 'ContextItem').find((item) => item.attributes.Name === 'RequestVersion');
    assert.equal(child(context, 'Value')?.text, '9.0');
  });

  it('can write the subject real Windows writes: a PrintableString CN with "!" and a NUL byte, still signed correctly', async () => {
    const { http, requests } = scriptedEnrollment();
    await enrollPc({ server, upn, enrollmentToken: token, http, hardware: randomPcHardware(), windowsStyleCsrSubject: true });
    const der = Buffer.from(descendants(parseXml(requests[3]!.body!), 'BinarySecurityToken')[0]!.text, 'base64');
    const csr = new x509.Pkcs10CertificateRequest(der);
    assert.equal(await csr.verify(), true);
    const cnOid = Buffer.from([0x06, 0x03, 0x55, 0x04, 0x03]);
    const at = der.indexOf(cnOid);
    assert.ok(at > 0);
    assert.equal(der[at + cnOid.length], 0x13, 'the CN is a PrintableString');
    const length = der[at + cnOid.length + 1]!;
    const value = der.subarray(at + cnOid.length + 2, at + cnOid.length + 2 + length);
    assert.ok(value.includes(0x21), 'the CN carries "!"');
    assert.ok(value.includes(0x00), 'the CN carries a NUL byte');
  });

  it('turns the documented SOAP fault into an EnrollmentFaultError with its subcode and reason', async () => {
    const { http } = scriptedEnrollment({ answer: { RST: () => ({ status: 500, headers: { 'content-type': 'application/soap+xml; charset=utf-8' }, body: fixture('fault-authorization.xml') }) } });
    await assert.rejects(enrollPc({ server, upn, enrollmentToken: token, http, hardware: randomPcHardware() }), (error: unknown) => {
      assert.ok(error instanceof EnrollmentFaultError);
      assert.equal(error.step, 'RequestSecurityToken');
      assert.equal(error.code, 's:Receiver');
      assert.equal(error.subcode, 's:Authorization');
      assert.equal(error.subcodeName, 'authorization');
      assert.equal(error.reason, 'This User is not authorized to enroll');
      assert.equal(error.errorType, 'Authorization');
      assert.equal(error.httpStatus, 500);
      return true;
    });
  });

  it('refuses answers a Windows client could not use, naming the step', async () => {
    const cases: [Parameters<typeof scriptedEnrollment>[0], RegExp][] = [
      [{ answer: { Discover: () => ({ status: 200, headers: { 'content-type': 'text/xml' }, body: fixture('discover-response.xml') }) } }, /Discover: .*not application\/soap\+xml/],
      [{ answer: { Discover: () => ({ status: 200, headers: { 'content-type': 'application/soap+xml', 'transfer-encoding': 'chunked' }, body: fixture('discover-response.xml') }) } }, /chunked/],
      [{ answer: { GetPolicies: () => ({ status: 200, headers: { 'content-type': 'application/soap+xml' }, body: fixture('discover-response.xml') }) } }, /GetPolicies: the answer's Action is .*DiscoverResponse/],
      [{ answer: { Discover: () => ({ status: 200, headers: { 'content-type': 'application/soap+xml' }, body: fixture('discover-response.xml').replace(/<EnrollmentServiceUrl>[\s\S]*?<\/EnrollmentServiceUrl>/, '<EnrollmentServiceUrl>https://other.example.com/x</EnrollmentServiceUrl>') }) } }, /different hosts/],
      [{ answer: { Discover: () => ({ status: 200, headers: { 'content-type': 'application/soap+xml' }, body: fixture('discover-response.xml').replace('<AuthPolicy>OnPremise</AuthPolicy>', '<AuthPolicy>Federated</AuthPolicy>') }) } }, /AuthPolicy Federated/],
      [{ addr: 'http://mdm.contoso.com/x' }, /ADDR must be an https URL/],
    ];
    for (const [options, message] of cases) {
      const { http } = scriptedEnrollment(options);
      await assert.rejects(enrollPc({ server, upn, enrollmentToken: token, http, hardware: randomPcHardware() }), (error: unknown) => {
        assert.ok(error instanceof EnrollmentProtocolError || error instanceof ProvisioningDocumentError, String(error));
        assert.match((error as Error).message, message);
        return true;
      });
    }
  });

  it('refuses a provisioning document whose client certificate does not carry the key of its PKCS#10', async () => {
    const other = (await webcrypto.subtle.generateKey({ name: 'RSASSA-PKCS1-v1_5', modulusLength: 2048, publicExponent: new Uint8Array([1, 0, 1]), hash: 'SHA-256' }, true, ['sign', 'verify'])) as webcrypto.CryptoKeyPair;
    const { http } = scriptedEnrollment({ foreignKey: other.publicKey });
    await assert.rejects(enrollPc({ server, upn, enrollmentToken: token, http, hardware: randomPcHardware() }), /does not carry the public key of our PKCS#10/);
  });

  it('answers a discovery GET that is not 200 with a typed error', async () => {
    const http = async () => ({ status: 404, headers: {}, body: '' });
    await assert.rejects(enrollPc({ server, upn, enrollmentToken: token, http, hardware: randomPcHardware() }), (error: unknown) => error instanceof EnrollmentProtocolError && /Discovery GET: HTTP 404/.test(error.message));
  });
});
