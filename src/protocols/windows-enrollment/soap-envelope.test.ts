import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { EnrollmentFault } from './enrollment-fault.ts';
import { soapActions } from './mde2-names.ts';
import { maxSoapRequestBytes, parseSoapEnvelope, requireServiceRequest } from './soap-envelope.ts';
import { testdataBytes } from './test-support/testdata.ts';

function faultOf(fn: () => unknown): EnrollmentFault {
  try {
    fn();
  } catch (error) {
    assert.ok(error instanceof EnrollmentFault, `an EnrollmentFault, not ${String(error)}`);
    return error;
  }
  assert.fail('expected a fault');
}

const utf8 = (text: string) => new TextEncoder().encode(text);

describe('parseSoapEnvelope', () => {
  it('reads the action and message id of Microsoft\'s sample, trimming the whitespace around them', () => {
    const envelope = parseSoapEnvelope(testdataBytes('discover-request.xml'));
    assert.equal(envelope.action, soapActions.discover);
    assert.equal(envelope.messageId, 'urn:uuid:748132ec-a575-4329-b01b-6171a9cf8478');
    assert.equal(requireServiceRequest(envelope, 'discovery'), 'urn:uuid:748132ec-a575-4329-b01b-6171a9cf8478');
  });

  it('matches elements by local name whatever prefixes the client binds', () => {
    const envelope = parseSoapEnvelope(utf8(`<env:Envelope xmlns:env="http://www.w3.org/2003/05/soap-envelope" xmlns:wsa="http://www.w3.org/2005/08/addressing">
      <env:Header><wsa:Action>${soapActions.getPolicies}</wsa:Action><wsa:MessageID>urn:uuid:1</wsa:MessageID></env:Header><env:Body/></env:Envelope>`));
    assert.equal(requireServiceRequest(envelope, 'policy'), 'urn:uuid:1');
  });

  const malformed: [string, Uint8Array, RegExp][] = [
    ['an empty body', new Uint8Array(0), /empty/],
    ['bytes that are not UTF-8', new Uint8Array([0x3c, 0xff, 0xfe, 0x3e]), /not UTF-8/],
    ['a document type declaration', utf8('<!DOCTYPE x [<!ENTITY a "b">]><Envelope><Header/><Body/></Envelope>'), /document type declaration/],
    ['XML that is not well-formed', utf8('<s:Envelope><s:Header></s:Body></s:Envelope>'), /not well-formed XML.*line 1/],
    ['XML that is not SOAP', utf8('<plist><dict/></plist>'), /root element is not Envelope/],
    ['an envelope without a header', utf8('<Envelope><Body/></Envelope>'), /no Header/],
    ['an envelope without a body', utf8('<Envelope><Header><Action>x</Action></Header></Envelope>'), /no Body/],
    ['an oversized body', new Uint8Array(maxSoapRequestBytes + 1).fill(0x20), /at most/],
    ['nesting deeper than the parser allows', utf8(`<Envelope><Header/><Body>${'<a>'.repeat(200)}${'</a>'.repeat(200)}</Body></Envelope>`), /./],
  ];
  for (const [what, bytes, reason] of malformed) {
    it(`refuses ${what} with s:messageformat and HTTP 400`, () => {
      const fault = faultOf(() => parseSoapEnvelope(bytes));
      assert.equal(fault.subcode, 's:messageformat');
      assert.equal(fault.httpStatus, 400);
      assert.match(fault.message, reason);
    });
  }
});

describe('requireServiceRequest', () => {
  it('names the action it got and the one the service accepts', () => {
    const envelope = parseSoapEnvelope(testdataBytes('discover-request.xml'));
    const fault = faultOf(() => requireServiceRequest(envelope, 'enrollment'));
    assert.equal(fault.subcode, 's:messageformat');
    assert.ok(fault.message.includes(soapActions.discover) && fault.message.includes(soapActions.requestSecurityToken), fault.message);
  });

  it('refuses a request without a:Action or a:MessageID', () => {
    const noAction = parseSoapEnvelope(utf8('<Envelope><Header><MessageID>m</MessageID></Header><Body/></Envelope>'));
    assert.match(faultOf(() => requireServiceRequest(noAction, 'discovery')).message, /no a:Action/);
    const noId = parseSoapEnvelope(utf8(`<Envelope><Header><Action>${soapActions.discover}</Action></Header><Body/></Envelope>`));
    assert.equal(noId.messageId, null);
    assert.match(faultOf(() => requireServiceRequest(noId, 'discovery')).message, /no a:MessageID/);
  });
});
