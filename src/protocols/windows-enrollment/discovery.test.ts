import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { XMLParser } from 'fast-xml-parser';
import { buildDiscoverRequest } from './device-messages.ts';
import { readDiscoverRequest, renderDiscoverResponse } from './discovery.ts';
import { EnrollmentFault } from './enrollment-fault.ts';
import { soapActions } from './mde2-names.ts';
import { parseSoapEnvelope } from './soap-envelope.ts';
import { testdataBytes } from './test-support/testdata.ts';

const header = { messageId: 'urn:uuid:1', to: 'https://envelope.test/EnrollmentServer/Discovery.svc' };

function discover(requestVersion: string) {
  return parseSoapEnvelope(new TextEncoder().encode(buildDiscoverRequest(header, { emailAddress: 'ada@contoso.com', requestVersion })));
}

function faultOf(fn: () => unknown): EnrollmentFault {
  try {
    fn();
  } catch (error) {
    assert.ok(error instanceof EnrollmentFault);
    return error;
  }
  assert.fail('expected a fault');
}

describe('readDiscoverRequest', () => {
  it('reads Microsoft\'s sample as Windows 11 25H2 sends it (RequestVersion 9.0)', () => {
    const request = readDiscoverRequest(parseSoapEnvelope(testdataBytes('discover-request.xml')));
    assert.deepEqual(request, {
      emailAddress: 'user@contoso.com',
      requestVersion: '9.0',
      deviceType: 'CIMClient_Windows',
      applicationVersion: '10.0.26200.6584',
      osEdition: '48',
      authPolicies: ['OnPremise', 'Federated'],
    });
  });

  for (const version of ['4.0', '5.0', '6.0', '7.0', '9.0', '10.0', '4', '4.5']) {
    it(`accepts RequestVersion ${version}`, () => {
      assert.equal(readDiscoverRequest(discover(version)).requestVersion, version);
    });
  }

  it('refuses RequestVersion 3.0 as DeviceNotSupported', () => {
    const fault = faultOf(() => readDiscoverRequest(discover('3.0')));
    assert.equal(fault.subcode, 's:messageformat');
    assert.equal(fault.errorType, 'DeviceNotSupported');
    assert.match(fault.message, /RequestVersion 3\.0 is not supported/);
  });

  for (const version of ['', 'four', '4.0.1', '-5', '1e3']) {
    it(`refuses RequestVersion '${version}' naming it`, () => {
      const fault = faultOf(() => readDiscoverRequest(discover(version)));
      assert.equal(fault.subcode, 's:messageformat');
      assert.match(fault.message, /RequestVersion/);
    });
  }

  it('refuses a device that does not offer OnPremise, and a body without Discover', () => {
    const federated = parseSoapEnvelope(new TextEncoder().encode(
      buildDiscoverRequest(header, { emailAddress: 'a@b.c', requestVersion: '5.0' }).replace('<AuthPolicy>OnPremise</AuthPolicy>', ''),
    ));
    assert.match(faultOf(() => readDiscoverRequest(federated)).message, /offers the authentication policies Federated/);
    const empty = parseSoapEnvelope(new TextEncoder().encode(`<Envelope><Header><Action>${soapActions.discover}</Action></Header><Body/></Envelope>`));
    assert.match(faultOf(() => readDiscoverRequest(empty)).message, /no Discover element/);
  });
});

describe('renderDiscoverResponse', () => {
  it('answers OnPremise, EnrollmentVersion 4.0 and both service URLs, relating to the request', () => {
    const xml = renderDiscoverResponse(
      { enrollmentPolicyServiceUrl: 'https://e.test/EnrollmentServer/Policy.svc', enrollmentServiceUrl: 'https://e.test/EnrollmentServer/Enrollment.svc' },
      { relatesTo: 'urn:uuid:1', activityId: 'a1' },
    );
    const parsed = new XMLParser({ ignoreAttributes: false, parseTagValue: false }).parse(xml);
    const envelope = parsed['s:Envelope'];
    assert.equal(envelope['@_xmlns:s'], 'http://www.w3.org/2003/05/soap-envelope');
    assert.equal(envelope['s:Header']['a:Action']['#text'], soapActions.discoverResponse);
    assert.equal(envelope['s:Header']['a:Action']['@_s:mustUnderstand'], '1');
    assert.equal(envelope['s:Header']['a:RelatesTo'], 'urn:uuid:1');
    const response = envelope['s:Body'].DiscoverResponse;
    assert.equal(response['@_xmlns'], 'http://schemas.microsoft.com/windows/management/2012/01/enrollment');
    assert.deepEqual(response.DiscoverResult, {
      AuthPolicy: 'OnPremise',
      EnrollmentVersion: '4.0',
      EnrollmentPolicyServiceUrl: 'https://e.test/EnrollmentServer/Policy.svc',
      EnrollmentServiceUrl: 'https://e.test/EnrollmentServer/Enrollment.svc',
    });
  });
});
