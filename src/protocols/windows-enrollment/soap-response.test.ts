import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { readSoapFault } from './device-messages.ts';
import { authorizationFault, enrollmentServerFault, messageFormatFault } from './enrollment-fault.ts';
import { soapActions } from './mde2-names.ts';
import { renderGetPoliciesResponse } from './policy.ts';
import { parseSoapEnvelope } from './soap-envelope.ts';
import { renderFault } from './soap-response.ts';

const parser = new XMLParser({ ignoreAttributes: false, parseTagValue: false });
const utf8 = (text: string) => new TextEncoder().encode(text);

describe('renderFault', () => {
  it('writes code s:Receiver, the subcode, the reason in en-us, the ActivityId and RelatesTo', () => {
    const xml = renderFault(messageFormatFault('RequestVersion 3.0 is not supported <&>'), { action: soapActions.discoverResponse, relatesTo: 'urn:uuid:9', traceId: 't-1' });
    assert.equal(XMLValidator.validate(xml), true);
    const envelope = parser.parse(xml)['s:Envelope'];
    assert.equal(envelope['s:Header']['a:Action']['#text'], soapActions.discoverResponse);
    assert.equal(envelope['s:Header']['a:RelatesTo'], 'urn:uuid:9');
    assert.equal(envelope['s:Header'].ActivityId['@_CorrelationId'], 't-1');
    const fault = envelope['s:Body']['s:Fault'];
    assert.deepEqual(fault['s:Code'], { 's:Value': 's:Receiver', 's:Subcode': { 's:Value': 's:messageformat' } });
    assert.deepEqual(fault['s:Reason']['s:Text'], { '#text': 'RequestVersion 3.0 is not supported <&>', '@_xml:lang': 'en-us' });
    assert.equal(fault['s:Detail'], undefined);
  });

  it('adds DeviceEnrollmentServiceError with the error type and trace id for DeviceCapReached', () => {
    const xml = renderFault(authorizationFault('All devices enrolled.', 'DeviceCapReached'), { action: soapActions.requestSecurityTokenResponse, relatesTo: null, traceId: 't-2' });
    const read = readSoapFault(parseSoapEnvelope(utf8(xml)));
    assert.deepEqual(read, { subcode: 's:authorization', reason: 'All devices enrolled.', errorType: 'DeviceCapReached', traceId: 't-2' });
    assert.equal(parser.parse(xml)['s:Envelope']['s:Header']['a:RelatesTo'], undefined, 'no RelatesTo without a MessageID');
  });

  it('answers a busy database with a 503 the client may retry', () => {
    const fault = enrollmentServerFault('The database is unavailable.', { retryAfterSeconds: 5 });
    assert.equal(fault.httpStatus, 503);
    assert.equal(fault.retryAfterSeconds, 5);
    assert.equal(enrollmentServerFault('ENVELOPE_PUBLIC_URL is not set.').httpStatus, 500);
  });
});

describe('renderGetPoliciesResponse', () => {
  it('asks for an RSA key of at least 2048 bits, SHA-256, in the TPM or software KSP', () => {
    const xml = renderGetPoliciesResponse({ relatesTo: 'urn:uuid:3' });
    assert.equal(XMLValidator.validate(xml), true);
    const envelope = parser.parse(xml)['s:Envelope'];
    assert.equal(envelope['s:Header']['a:Action']['#text'], soapActions.getPoliciesResponse);
    assert.equal(envelope['s:Header']['a:RelatesTo'], 'urn:uuid:3');
    const response = envelope['s:Body'].GetPoliciesResponse;
    assert.equal(response['@_xmlns'], 'http://schemas.microsoft.com/windows/pki/2009/01/enrollmentpolicy');
    const attributes = response.response.policies.policy.attributes;
    assert.equal(attributes.policySchema, '3');
    assert.equal(attributes.privateKeyAttributes.minimalKeyLength, '2048');
    assert.deepEqual(attributes.privateKeyAttributes.cryptoProviders.provider, ['Microsoft Platform Crypto Provider', 'Microsoft Software Key Storage Provider']);
    assert.deepEqual(attributes.certificateValidity, { validityPeriodSeconds: '31536000', renewalPeriodSeconds: '3628800' });
    assert.equal(attributes.privateKeyAttributes.keySpec['@_xsi:nil'], 'true');
    const hash = response.oIDs.oID.find((oid: { oIDReferenceID: string }) => oid.oIDReferenceID === attributes.hashAlgorithmOIDReference);
    assert.deepEqual(hash, { value: '2.16.840.1.101.3.4.2.1', group: '1', oIDReferenceID: '0', defaultName: 'szOID_NIST_sha256' });
  });
});
