import { webcrypto } from 'node:crypto';
import * as asn1js from 'asn1js';
import { AttributeTypeAndValue, CertificationRequest, RelativeDistinguishedNames } from 'pkijs';
import { namespaces, soapActions, tokenTypes } from './mde2-names.ts';
import { attributeOf, firstOf, isNode, textOf, type SoapEnvelope } from './soap-envelope.ts';
import { buildXml, type XmlElement } from './soap-response.ts';

/**
 * The PC's side of MS-MDE2, for the Windows simulator and the tests: the three requests as Windows
 * writes them (on-premise-authentication-device-enrollment.md), a PKCS#10 like the one certenroll
 * makes, and readers for the answers.
 */

export interface DeviceRequestHeader {
  /** `a:MessageID`, e.g. `urn:uuid:…`. */
  messageId: string;
  /** `a:To`: the service URL. */
  to: string;
}

function requestEnvelope(action: string, header: DeviceRequestHeader, body: XmlElement, credentials?: { username: string; password: string }): string {
  const soapHeader: XmlElement = {
    'a:Action': { '@_s:mustUnderstand': '1', '#text': action },
    'a:MessageID': header.messageId,
    'a:ReplyTo': { 'a:Address': 'http://www.w3.org/2005/08/addressing/anonymous' },
    'a:To': { '@_s:mustUnderstand': '1', '#text': header.to },
  };
  if (credentials !== undefined) {
    soapHeader['wsse:Security'] = {
      '@_s:mustUnderstand': '1',
      'wsse:UsernameToken': {
        '@_u:Id': 'uuid-cc1ccc1f-2fba-4bcf-b063-ffc0cac77917-4',
        'wsse:Username': credentials.username,
        'wsse:Password': { '@_wsse:Type': tokenTypes.passwordText, '#text': credentials.password },
      },
    };
  }
  return buildXml({
    's:Envelope': {
      '@_xmlns:s': namespaces.soap,
      '@_xmlns:a': namespaces.addressing,
      '@_xmlns:u': namespaces.securityUtility,
      '@_xmlns:wsse': namespaces.securityExtensions,
      '@_xmlns:wst': namespaces.wsTrust,
      '@_xmlns:ac': namespaces.authorization,
      's:Header': soapHeader,
      's:Body': body,
    },
  });
}

/** `Discover` with `OnPremise` and `Federated` offered, as "Enroll only in device management" sends it. */
export function buildDiscoverRequest(header: DeviceRequestHeader, request: { emailAddress: string; requestVersion: string; applicationVersion?: string }): string {
  return requestEnvelope(soapActions.discover, header, {
    Discover: {
      '@_xmlns': `${namespaces.discovery}/`,
      request: {
        '@_xmlns:i': namespaces.xsi,
        EmailAddress: request.emailAddress,
        RequestVersion: request.requestVersion,
        DeviceType: 'CIMClient_Windows',
        ApplicationVersion: request.applicationVersion ?? '10.0.26100.1',
        OSEdition: '48',
        AuthPolicies: { AuthPolicy: [{ '#text': 'OnPremise' }, { '#text': 'Federated' }] },
      },
    },
  });
}

/** `GetPolicies` with the OnPremise `UsernameToken`. */
export function buildGetPoliciesRequest(header: DeviceRequestHeader, credentials: { username: string; password: string }): string {
  return requestEnvelope(soapActions.getPolicies, header, {
    GetPolicies: {
      '@_xmlns': namespaces.enrollmentPolicy,
      client: { lastUpdate: { '@_xsi:nil': 'true', '@_xmlns:xsi': namespaces.xsi }, preferredLanguage: { '@_xsi:nil': 'true', '@_xmlns:xsi': namespaces.xsi } },
      requestFilter: { '@_xsi:nil': 'true', '@_xmlns:xsi': namespaces.xsi },
    },
  }, credentials);
}

/** The RST: the base64 PKCS#10 and the `AdditionalContext` items (`DeviceID`, `HWDevID`, `EnrollmentType`, …) in `context` order. */
export function buildRequestSecurityToken(
  header: DeviceRequestHeader,
  credentials: { username: string; password: string },
  request: { certificateRequest: Uint8Array; context: Readonly<Record<string, string>> },
): string {
  return requestEnvelope(soapActions.requestSecurityToken, header, {
    'wst:RequestSecurityToken': {
      'wst:TokenType': tokenTypes.deviceEnrollmentToken,
      'wst:RequestType': tokenTypes.issue,
      'wsse:BinarySecurityToken': {
        '@_ValueType': tokenTypes.pkcs10,
        '@_EncodingType': tokenTypes.base64Binary,
        '#text': Buffer.from(request.certificateRequest).toString('base64'),
      },
      'ac:AdditionalContext': {
        '@_xmlns': namespaces.authorization,
        'ac:ContextItem': Object.entries(request.context).map(([name, value]) => ({ '@_Name': name, 'ac:Value': value })),
      },
    },
  }, credentials);
}

/** An RSA-2048 key pair as a PC's software KSP makes it (extractable, so tests can sign with it). */
export async function generateDeviceKeys(): Promise<webcrypto.CryptoKeyPair> {
  return (await webcrypto.subtle.generateKey(
    { name: 'RSASSA-PKCS1-v1_5', modulusLength: 2048, publicExponent: new Uint8Array([1, 0, 1]), hash: 'SHA-256' },
    true,
    ['sign', 'verify'],
  )) as webcrypto.CryptoKeyPair;
}

/**
 * A PKCS#10 (DER) for `keys`, subject `CN=<commonName>` as a PrintableString, signed with SHA-256.
 * asn1js writes the string's bytes as given, so a CN holding `!` and NUL reproduces what Windows sends.
 */
export async function createCertificateRequest(keys: webcrypto.CryptoKeyPair, commonName: string): Promise<Uint8Array> {
  const request = new CertificationRequest();
  const rdn = new asn1js.Set({ value: [new AttributeTypeAndValue({ type: '2.5.4.3', value: new asn1js.PrintableString({ value: commonName }) }).toSchema()] });
  request.subject = RelativeDistinguishedNames.fromBER(new asn1js.Sequence({ value: [rdn] }).toBER(false));
  await request.subjectPublicKeyInfo.importKey(keys.publicKey);
  await request.sign(keys.privateKey, 'SHA-256');
  return new Uint8Array(request.toSchema().toBER(false));
}

/** The fault of an answer, or null when it is none. */
export function readSoapFault(envelope: SoapEnvelope): { subcode: string; reason: string; errorType: string | null; traceId: string | null } | null {
  const fault = firstOf(envelope.body.Fault);
  if (!isNode(fault)) return null;
  const code = firstOf(fault.Code);
  const subcodeNode = isNode(code) ? firstOf(code.Subcode) : undefined;
  const subcode = isNode(subcodeNode) ? textOf(subcodeNode.Value) : undefined;
  const reasonNode = firstOf(fault.Reason);
  const reason = isNode(reasonNode) ? textOf(reasonNode.Text) : undefined;
  const detail = firstOf(fault.Detail);
  const error = isNode(detail) ? firstOf(detail.DeviceEnrollmentServiceError) : undefined;
  return {
    subcode: subcode ?? '',
    reason: reason ?? '',
    errorType: isNode(error) ? textOf(error.ErrorType) ?? null : null,
    traceId: isNode(error) ? textOf(error.TraceId) ?? null : null,
  };
}

/** The WAP provisioning document (XML text) of an RSTRC; throws when the answer holds none. */
export function readProvisioningDocument(envelope: SoapEnvelope): string {
  const collection = firstOf(envelope.body.RequestSecurityTokenResponseCollection);
  const response = isNode(collection) ? firstOf(collection.RequestSecurityTokenResponse) : undefined;
  const requested = isNode(response) ? firstOf(response.RequestedSecurityToken) : undefined;
  const token = isNode(requested) ? firstOf(requested.BinarySecurityToken) : undefined;
  if (token === undefined || attributeOf(token, 'ValueType') !== tokenTypes.provisioningDocument) {
    throw new Error('The answer holds no DeviceEnrollmentProvisionDoc BinarySecurityToken.');
  }
  return Buffer.from(textOf(token) ?? '', 'base64').toString('utf8');
}
