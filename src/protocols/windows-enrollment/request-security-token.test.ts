import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { XMLParser } from 'fast-xml-parser';
import { buildGetPoliciesRequest, buildRequestSecurityToken, readProvisioningDocument } from './device-messages.ts';
import { EnrollmentFault } from './enrollment-fault.ts';
import { soapActions, tokenTypes } from './mde2-names.ts';
import { readRequestSecurityToken, renderRequestSecurityTokenResponse } from './request-security-token.ts';
import { parseSoapEnvelope, requireServiceRequest } from './soap-envelope.ts';
import { oddSubjectCertificateRequest, testdataBytes } from './test-support/testdata.ts';
import { readUsernameToken } from './username-token.ts';

const utf8 = (text: string) => new TextEncoder().encode(text);
const header = { messageId: 'urn:uuid:2', to: 'https://envelope.test/EnrollmentServer/Enrollment.svc' };
const credentials = { username: 'ada@contoso.com', password: 'enr_secret' };

function rst(context: Record<string, string>, edit: (xml: string) => string = (xml) => xml) {
  const xml = buildRequestSecurityToken(header, credentials, { certificateRequest: oddSubjectCertificateRequest(), context });
  return parseSoapEnvelope(utf8(edit(xml)));
}

function faultOf(fn: () => unknown): EnrollmentFault {
  try {
    fn();
  } catch (error) {
    assert.ok(error instanceof EnrollmentFault, String(error));
    return error;
  }
  assert.fail('expected a fault');
}

describe('readRequestSecurityToken', () => {
  it('reads Microsoft\'s sample: the CSR, DeviceID, HWDevID, EnrollmentType, DeviceName and OSVersion', () => {
    const envelope = parseSoapEnvelope(testdataBytes('rst-request.xml'));
    assert.equal(requireServiceRequest(envelope, 'enrollment'), 'urn:uuid:0d5a1441-5891-453b-becf-a2e5f6ea3749');
    const message = readRequestSecurityToken(envelope);
    assert.deepEqual(Buffer.from(message.certificateRequest), Buffer.from(oddSubjectCertificateRequest()));
    assert.equal(message.deviceId, 'F717C0F05F684AC3A34101B2544219DF');
    assert.equal(message.hwDevId, '3D6A4C9F8E0B21A5C7D9E1F20364B58A7C9D0E1F2A3B4C5D6E7F8091A2B3C4D5');
    assert.equal(message.enrollmentType, 'Full');
    assert.equal(message.deviceName, 'DESKTOP-7Q2K9LM');
    assert.equal(message.osVersion, '10.0.26200.6584');
    assert.equal(message.context.OSEdition, '48');
    assert.equal(message.context.MAC, '00-15-5D-01-02-03', 'the first of repeated items');
    assert.deepEqual(readUsernameToken(envelope), { username: 'user@contoso.com', password: 'enr_mypassword' });
  });

  it('defaults EnrollmentType to Full and reads Device', () => {
    assert.equal(readRequestSecurityToken(rst({ DeviceID: 'd1' })).enrollmentType, 'Full');
    assert.equal(readRequestSecurityToken(rst({ DeviceID: 'd1', EnrollmentType: 'Device' })).enrollmentType, 'Device');
    assert.equal(readRequestSecurityToken(rst({ DeviceID: 'd1' })).hwDevId, null);
  });

  it('drops control characters from the device name', () => {
    assert.equal(readRequestSecurityToken(rst({ DeviceID: 'd1', DeviceName: ' PC\u0007-1 ' })).deviceName, 'PC-1');
  });

  const refusals: [string, Record<string, string>, (xml: string) => string, RegExp][] = [
    ['no DeviceID', { HWDevID: 'h' }, (x) => x, /no DeviceID item/],
    ['a DeviceID over 64 characters', { DeviceID: 'x'.repeat(65) }, (x) => x, /DeviceID item is 65 characters/],
    ['an unknown EnrollmentType', { DeviceID: 'd', EnrollmentType: 'Mobile' }, (x) => x, /EnrollmentType item is 'Mobile'/],
    ['a renewal request', { DeviceID: 'd' }, (x) => x.replace(`${tokenTypes.issue}<`, 'http://docs.oasis-open.org/ws-sx/ws-trust/200512/Renew<'), /a first enrollment is/],
    ['another token type', { DeviceID: 'd' }, (x) => x.replace('DeviceEnrollmentToken<', 'Other<'), /wst:TokenType is/],
    ['a PKCS#7 token', { DeviceID: 'd' }, (x) => x.replace('enrollment#PKCS10', 'enrollment#PKCS7'), /ValueType .*#PKCS7/],
    ['a token that is not base64', { DeviceID: 'd' }, (x) => x.replace(/(ValueType="[^"]+"[^>]*>)[^<]+/, '$1***'), /does not hold a base64/],
    ['no BinarySecurityToken', { DeviceID: 'd' }, (x) => x.replace(/<wsse:BinarySecurityToken[\s\S]*<\/wsse:BinarySecurityToken>/, ''), /no wsse:BinarySecurityToken/],
    ['no RequestSecurityToken', { DeviceID: 'd' }, (x) => x.replace(/<wst:RequestSecurityToken>[\s\S]*<\/wst:RequestSecurityToken>/, ''), /no wst:RequestSecurityToken/],
  ];
  for (const [what, context, edit, reason] of refusals) {
    it(`refuses ${what} with s:messageformat`, () => {
      const fault = faultOf(() => readRequestSecurityToken(rst(context, edit)));
      assert.equal(fault.subcode, 's:messageformat');
      assert.match(fault.message, reason);
    });
  }
});

describe('readUsernameToken', () => {
  it('reads the credential of GetPolicies', () => {
    assert.deepEqual(readUsernameToken(parseSoapEnvelope(testdataBytes('get-policies-request.xml'))), { username: 'user@contoso.com', password: 'enr_mypassword' });
  });

  const policies = buildGetPoliciesRequest(header, credentials);
  const refusals: [string, string, RegExp][] = [
    ['no Security header', policies.replace(/<wsse:Security[\s\S]*<\/wsse:Security>/, ''), /no wsse:Security/],
    ['no UsernameToken', policies.replace(/<wsse:UsernameToken[\s\S]*<\/wsse:UsernameToken>/, ''), /no wsse:UsernameToken/],
    ['an empty password', policies.replace('>enr_secret<', '><'), /no Password/],
    ['a digest password', policies.replace('#PasswordText', '#PasswordDigest'), /PasswordText only/],
  ];
  for (const [what, xml, reason] of refusals) {
    it(`refuses ${what} with a:invalidsecurity and HTTP 401, never repeating the password`, () => {
      const fault = faultOf(() => readUsernameToken(parseSoapEnvelope(utf8(xml))));
      assert.equal(fault.subcode, 'a:invalidsecurity');
      assert.equal(fault.httpStatus, 401);
      assert.match(fault.message, reason);
      assert.ok(!fault.message.includes('enr_secret'));
    });
  }
});

describe('renderRequestSecurityTokenResponse', () => {
  it('answers the RSTRC with the base64 provisioning document, RequestID 0 and a five-minute timestamp', () => {
    const now = new Date('2026-05-01T10:00:00.000Z');
    const xml = renderRequestSecurityTokenResponse('<wap-provisioningdoc version="1.1"/>', { relatesTo: 'urn:uuid:2', now });
    const envelope = new XMLParser({ ignoreAttributes: false, parseTagValue: false }).parse(xml)['s:Envelope'];
    const head = envelope['s:Header'];
    assert.equal(head['a:Action']['#text'], soapActions.requestSecurityTokenResponse);
    assert.equal(head['a:RelatesTo'], 'urn:uuid:2');
    assert.equal(head['o:Security']['@_s:mustUnderstand'], '1');
    assert.deepEqual(head['o:Security']['u:Timestamp'], { 'u:Created': '2026-05-01T10:00:00.000Z', 'u:Expires': '2026-05-01T10:05:00.000Z', '@_u:Id': '_0' });
    const response = envelope['s:Body'].RequestSecurityTokenResponseCollection.RequestSecurityTokenResponse;
    assert.equal(response.TokenType, tokenTypes.deviceEnrollmentToken);
    assert.equal(response.RequestID['#text'], '0');
    const token = response.RequestedSecurityToken.BinarySecurityToken;
    assert.equal(token['@_ValueType'], tokenTypes.provisioningDocument);
    assert.equal(token['@_EncodingType'], tokenTypes.base64Binary);
    assert.equal(readProvisioningDocument(parseSoapEnvelope(utf8(xml))), '<wap-provisioningdoc version="1.1"/>');
  });
});
