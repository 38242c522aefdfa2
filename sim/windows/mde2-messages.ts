import { randomUUID } from 'node:crypto';
import { child, descendants, escapeXml, parseXml, path, XmlSyntaxError, type XmlElement } from './xml.ts';

/**
 * The SOAP messages of Windows enrollment ([MS-MDE2] §3.1 discovery, [MS-XCEP] GetPolicies,
 * [MS-WSTEP] RequestSecurityToken) as the PC writes and reads them, after the examples in
 * MicrosoftDocs/windows-itpro-docs `windows/client-management/on-premise-authentication-device-enrollment.md`.
 * No I/O.
 */
export const ns = Object.freeze({
  soap: 'http://www.w3.org/2003/05/soap-envelope',
  addressing: 'http://www.w3.org/2005/08/addressing',
  wsse: 'http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd',
  wsu: 'http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd',
  wst: 'http://docs.oasis-open.org/ws-sx/ws-trust/200512',
  ac: 'http://schemas.xmlsoap.org/ws/2006/12/authorization',
  discovery: 'http://schemas.microsoft.com/windows/management/2012/01/enrollment',
  xcep: 'http://schemas.microsoft.com/windows/pki/2009/01/enrollmentpolicy',
  enrollment: 'http://schemas.microsoft.com/windows/pki/2009/01/enrollment',
  xsi: 'http://www.w3.org/2001/XMLSchema-instance',
});

export const actions = Object.freeze({
  discover: 'http://schemas.microsoft.com/windows/management/2012/01/enrollment/IDiscoveryService/Discover',
  discoverResponse: 'http://schemas.microsoft.com/windows/management/2012/01/enrollment/IDiscoveryService/DiscoverResponse',
  getPolicies: 'http://schemas.microsoft.com/windows/pki/2009/01/enrollmentpolicy/IPolicy/GetPolicies',
  getPoliciesResponse: 'http://schemas.microsoft.com/windows/pki/2009/01/enrollmentpolicy/IPolicy/GetPoliciesResponse',
  requestSecurityToken: 'http://schemas.microsoft.com/windows/pki/2009/01/enrollment/RST/wstep',
  requestSecurityTokenResponse: 'http://schemas.microsoft.com/windows/pki/2009/01/enrollment/RSTRC/wstep',
});

export const tokenTypes = Object.freeze({
  deviceEnrollmentToken: 'http://schemas.microsoft.com/5.0.0.0/ConfigurationManager/Enrollment/DeviceEnrollmentToken',
  provisionDoc: 'http://schemas.microsoft.com/5.0.0.0/ConfigurationManager/Enrollment/DeviceEnrollmentProvisionDoc',
  pkcs10: 'http://schemas.microsoft.com/windows/pki/2009/01/enrollment#PKCS10',
  base64Binary: 'http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd#base64binary',
  passwordText: 'http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-username-token-profile-1.0#PasswordText',
  issue: 'http://docs.oasis-open.org/ws-sx/ws-trust/200512/Issue',
});

export const soapContentType = 'application/soap+xml; charset=utf-8';

/** [MS-MDE2] §2.2.10: a SOAP fault from a service; `subcode` as written (e.g. `s:Authentication`). */
export class EnrollmentFaultError extends Error {
  readonly step: string;
  readonly code: string;
  readonly subcode: string;
  readonly reason: string;
  readonly httpStatus: number;
  readonly errorType: string | undefined;

  constructor(step: string, fault: { code: string; subcode: string; reason: string; errorType?: string }, httpStatus: number) {
    super(`${step} answered a SOAP fault ${fault.subcode || fault.code}: ${fault.reason}`);
    this.name = 'EnrollmentFaultError';
    this.step = step;
    this.code = fault.code;
    this.subcode = fault.subcode;
    this.reason = fault.reason;
    this.httpStatus = httpStatus;
    this.errorType = fault.errorType;
  }

  /** The subcode without its prefix, lower-case: `authentication`, `messageformat`, `invalidsecurity`… */
  get subcodeName(): string {
    return this.subcode.replace(/^.*:/, '').toLowerCase();
  }
}

/** An answer the PC cannot use (not SOAP, wrong action, missing field). */
export class EnrollmentProtocolError extends Error {
  readonly step: string;

  constructor(step: string, message: string) {
    super(`${step}: ${message}`);
    this.name = 'EnrollmentProtocolError';
    this.step = step;
  }
}

function header(action: string, to: string, messageId: string, security = ''): string {
  return `<s:Header><a:Action s:mustUnderstand="1">${action}</a:Action><a:MessageID>${messageId}</a:MessageID>` +
    `<a:ReplyTo><a:Address>http://www.w3.org/2005/08/addressing/anonymous</a:Address></a:ReplyTo>` +
    `<a:To s:mustUnderstand="1">${escapeXml(to)}</a:To>${security}</s:Header>`;
}

function usernameToken(username: string, password: string): string {
  return `<wsse:Security s:mustUnderstand="1"><wsse:UsernameToken u:Id="uuid-${randomUUID()}-1">` +
    `<wsse:Username>${escapeXml(username)}</wsse:Username>` +
    `<wsse:Password wsse:Type="${tokenTypes.passwordText}">${escapeXml(password)}</wsse:Password></wsse:UsernameToken></wsse:Security>`;
}

const envelopeOpen = `<s:Envelope xmlns:s="${ns.soap}" xmlns:a="${ns.addressing}" xmlns:u="${ns.wsu}" xmlns:wsse="${ns.wsse}" xmlns:wst="${ns.wst}" xmlns:ac="${ns.ac}">`;

export function newMessageId(): string {
  return `urn:uuid:${randomUUID()}`;
}

export interface DiscoverRequest {
  to: string;
  messageId: string;
  emailAddress: string;
  requestVersion: string;
  deviceType: string;
  applicationVersion: string;
  osEdition: number;
  authPolicies: readonly string[];
}

/** [MS-MDE2] §3.1.4.1.3.1 DiscoveryRequest. */
export function discoverRequest(request: DiscoverRequest): string {
  return `<?xml version="1.0" encoding="utf-8"?>${envelopeOpen}${header(actions.discover, request.to, request.messageId)}<s:Body>` +
    `<Discover xmlns="${ns.discovery}"><request xmlns:i="${ns.xsi}"><EmailAddress>${escapeXml(request.emailAddress)}</EmailAddress>` +
    `<RequestVersion>${escapeXml(request.requestVersion)}</RequestVersion><DeviceType>${escapeXml(request.deviceType)}</DeviceType>` +
    `<ApplicationVersion>${escapeXml(request.applicationVersion)}</ApplicationVersion><OSEdition>${request.osEdition}</OSEdition>` +
    `<AuthPolicies>${request.authPolicies.map((policy) => `<AuthPolicy>${escapeXml(policy)}</AuthPolicy>`).join('')}</AuthPolicies></request></Discover></s:Body></s:Envelope>`;
}

/** [MS-XCEP] GetPolicies with the OnPremise UsernameToken (on-premise-authentication-device-enrollment.md). */
export function getPoliciesRequest(request: { to: string; messageId: string; username: string; password: string }): string {
  return `<?xml version="1.0" encoding="utf-8"?>${envelopeOpen}${header(actions.getPolicies, request.to, request.messageId, usernameToken(request.username, request.password))}` +
    `<s:Body xmlns:xsi="${ns.xsi}" xmlns:xsd="http://www.w3.org/2001/XMLSchema"><GetPolicies xmlns="${ns.xcep}"><client>` +
    `<lastUpdate xsi:nil="true"/><preferredLanguage xsi:nil="true"/></client><requestFilter xsi:nil="true"/></GetPolicies></s:Body></s:Envelope>`;
}

/** [MS-WSTEP] RequestSecurityToken carrying the base64 PKCS#10 and the AdditionalContext items, in order. */
export function requestSecurityToken(request: { to: string; messageId: string; username: string; password: string; pkcs10Base64: string; context: readonly (readonly [string, string])[] }): string {
  const items = request.context.map(([name, value]) => `<ac:ContextItem Name="${escapeXml(name)}"><ac:Value>${escapeXml(value)}</ac:Value></ac:ContextItem>`).join('');
  return `<?xml version="1.0" encoding="utf-8"?>${envelopeOpen}${header(actions.requestSecurityToken, request.to, request.messageId, usernameToken(request.username, request.password))}` +
    `<s:Body><wst:RequestSecurityToken><wst:TokenType>${tokenTypes.deviceEnrollmentToken}</wst:TokenType><wst:RequestType>${tokenTypes.issue}</wst:RequestType>` +
    `<wsse:BinarySecurityToken ValueType="${tokenTypes.pkcs10}" EncodingType="${tokenTypes.base64Binary}">${request.pkcs10Base64}</wsse:BinarySecurityToken>` +
    `<ac:AdditionalContext xmlns="${ns.ac}">${items}</ac:AdditionalContext></wst:RequestSecurityToken></s:Body></s:Envelope>`;
}

/**
 * Reads a service's answer: a SOAP fault becomes `EnrollmentFaultError`; otherwise the Body's first
 * element is returned once the Action is the expected one. SOAP 1.1 envelopes are accepted too (the
 * documented RSTRC example uses one).
 */
export function readSoapAnswer(step: string, xml: string, expectedAction: string, httpStatus: number): { body: XmlElement; relatesTo: string | undefined } {
  let root: XmlElement;
  try {
    root = parseXml(xml);
  } catch (error) {
    if (error instanceof XmlSyntaxError) throw new EnrollmentProtocolError(step, `the answer (HTTP ${httpStatus}) is not XML: ${error.message}`);
    throw error;
  }
  if (root.name !== 'Envelope' || (root.ns !== ns.soap && root.ns !== 'http://schemas.xmlsoap.org/soap/envelope/')) throw new EnrollmentProtocolError(step, `the answer is <${root.name}>, not a SOAP Envelope`);
  const body = child(root, 'Body');
  const fault = child(body, 'Fault');
  if (fault) {
    const errorType = descendants(fault, 'ErrorType')[0]?.text;
    throw new EnrollmentFaultError(step, {
      code: path(fault, 'Code', 'Value')?.text ?? '',
      subcode: path(fault, 'Code', 'Subcode', 'Value')?.text ?? '',
      reason: path(fault, 'Reason', 'Text')?.text ?? '',
      ...(errorType ? { errorType } : {}),
    }, httpStatus);
  }
  if (httpStatus !== 200) throw new EnrollmentProtocolError(step, `HTTP ${httpStatus} without a SOAP fault`);
  const action = path(root, 'Header', 'Action')?.text;
  if (action !== expectedAction) throw new EnrollmentProtocolError(step, `the answer's Action is ${action ?? '(none)'}, expected ${expectedAction}`);
  const first = body?.children[0];
  if (!first) throw new EnrollmentProtocolError(step, 'the answer has an empty Body');
  return { body: first, relatesTo: path(root, 'Header', 'RelatesTo')?.text };
}

export interface DiscoverResult {
  authPolicy: string;
  enrollmentVersion: string | undefined;
  enrollmentPolicyServiceUrl: string | undefined;
  enrollmentServiceUrl: string;
  authenticationServiceUrl: string | undefined;
}

export function readDiscoverResponse(body: XmlElement): DiscoverResult {
  const result = child(body, 'DiscoverResult');
  const field = (name: string) => child(result, name)?.text || undefined;
  if (body.name !== 'DiscoverResponse' || !result) throw new EnrollmentProtocolError('Discover', `expected DiscoverResponse/DiscoverResult, got <${body.name}>`);
  const enrollmentServiceUrl = field('EnrollmentServiceUrl');
  const authPolicy = field('AuthPolicy');
  if (!enrollmentServiceUrl || !authPolicy) throw new EnrollmentProtocolError('Discover', 'DiscoverResult lacks AuthPolicy or EnrollmentServiceUrl (both mandatory)');
  return { authPolicy, enrollmentVersion: field('EnrollmentVersion'), enrollmentPolicyServiceUrl: field('EnrollmentPolicyServiceUrl'), enrollmentServiceUrl, authenticationServiceUrl: field('AuthenticationServiceUrl') };
}

export interface PolicyResult {
  minimalKeyLength: number | undefined;
  /** The OID the policy's hashAlgorithmOIDReference points at, if any. */
  hashAlgorithmOid: string | undefined;
}

/** [MS-XCEP] GetPoliciesResponse: the first policy's key length and hash algorithm (what Windows honours). */
export function readGetPoliciesResponse(body: XmlElement): PolicyResult {
  if (body.name !== 'GetPoliciesResponse') throw new EnrollmentProtocolError('GetPolicies', `expected GetPoliciesResponse, got <${body.name}>`);
  const attributes = path(body, 'response', 'policies', 'policy', 'attributes');
  if (!attributes) throw new EnrollmentProtocolError('GetPolicies', 'no response/policies/policy/attributes');
  const keyLength = Number(path(attributes, 'privateKeyAttributes', 'minimalKeyLength')?.text);
  const reference = child(attributes, 'hashAlgorithmOIDReference');
  const oid = reference && reference.attributes['xsi:nil'] !== 'true'
    ? descendants(body, 'oID').find((item) => child(item, 'oIDReferenceID')?.text === reference.text)
    : undefined;
  return { minimalKeyLength: Number.isInteger(keyLength) ? keyLength : undefined, hashAlgorithmOid: oid ? child(oid, 'value')?.text : undefined };
}

/** [MS-WSTEP] RSTRC: the provisioning document carried in RequestedSecurityToken/BinarySecurityToken. */
export function readRequestSecurityTokenResponse(body: XmlElement): string {
  if (body.name !== 'RequestSecurityTokenResponseCollection') throw new EnrollmentProtocolError('RequestSecurityToken', `expected RequestSecurityTokenResponseCollection, got <${body.name}>`);
  const response = child(body, 'RequestSecurityTokenResponse');
  const tokenType = child(response, 'TokenType')?.text;
  if (tokenType !== tokenTypes.deviceEnrollmentToken) throw new EnrollmentProtocolError('RequestSecurityToken', `TokenType is ${tokenType ?? '(none)'}`);
  const token = path(response, 'RequestedSecurityToken', 'BinarySecurityToken');
  if (!token) throw new EnrollmentProtocolError('RequestSecurityToken', 'no RequestedSecurityToken/BinarySecurityToken');
  if (token.attributes.ValueType !== tokenTypes.provisionDoc) throw new EnrollmentProtocolError('RequestSecurityToken', `BinarySecurityToken ValueType is ${token.attributes.ValueType ?? '(none)'}, expected ${tokenTypes.provisionDoc}`);
  const text = token.text.replace(/\s+/g, '');
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(text) || text === '') throw new EnrollmentProtocolError('RequestSecurityToken', 'BinarySecurityToken is not base64');
  return Buffer.from(text, 'base64').toString('utf8');
}
