import { randomBytes, randomInt, X509Certificate } from 'node:crypto';
import {
  actions, discoverRequest, EnrollmentProtocolError, getPoliciesRequest, newMessageId, readDiscoverResponse, readGetPoliciesResponse,
  readRequestSecurityTokenResponse, readSoapAnswer, requestSecurityToken, soapContentType, type DiscoverResult, type PolicyResult,
} from './mde2-messages.ts';
import type { PcHttp, PcResponse } from './pc-http.ts';
import { createPkcs10, generateDeviceKey, windowsStyleCommonName, type DeviceKeyPair } from './pkcs10.ts';
import { readProvisioningDocument, type AppAuth, type ProvisioningDocument } from './provisioning-doc.ts';

/** What a simulated PC says about itself during enrollment and in DevInfo/DevDetail. */
export interface PcHardware {
  /** The enrollment's DeviceID (AdditionalContext), later the SyncHdr Source: 32 upper-case hex digits. */
  deviceId: string;
  /** HWDevID: 64 upper-case hex digits, stable for the hardware (re-enrollment reuses it). */
  hwDevId: string;
  deviceName: string;
  osVersion: string;
  /** OSEdition, the product type ([MS-MDE2] §2.2.9.6): 48 Professional, 4 Enterprise. */
  osEdition: number;
  macAddress: string;
  serialNumber: string;
  locale: string;
}

export function randomPcHardware(): PcHardware {
  const hex = (bytes: number) => randomBytes(bytes).toString('hex').toUpperCase();
  return {
    deviceId: hex(16),
    hwDevId: hex(32),
    deviceName: `DESKTOP-${hex(4).slice(0, 7)}`,
    osVersion: '10.0.26100.4061',
    osEdition: 48,
    macAddress: Array.from({ length: 6 }, () => randomInt(256).toString(16).padStart(2, '0').toUpperCase()).join('-'),
    serialNumber: `SIM${hex(6)}`,
    locale: 'en-US',
  };
}

export interface EnrollPcOptions {
  /** The server's base URL (discovery is `<server>/EnrollmentServer/Discovery.svc`) or the discovery URL itself. */
  server: string;
  /** The user's UPN: Discover's EmailAddress and the UsernameToken's Username. */
  upn: string;
  /** The UsernameToken's Password (OnPremise): an Envelope enrollment token. */
  enrollmentToken: string;
  http: PcHttp;
  hardware: PcHardware;
  /** Discover's and the RST's RequestVersion. Default "6.0"; Windows 11 25H2 sends "9.0". */
  requestVersion?: string;
  /** Give the PKCS#10 the subject real Windows writes (a PrintableString CN with `!` and a NUL). Default false. */
  windowsStyleCsrSubject?: boolean;
  enrollmentType?: 'Full' | 'Device';
}

/** The device's DIGEST credentials from the w7 APPAUTH (name, secret, nonce bytes as base64). */
export interface DigestCredentials {
  name: string;
  secret: string;
  nonce: string | undefined;
  /** Which APPAUTH level they came from (APPSRV per w7-application-csp.md; CLIENT as a fallback). */
  level: string;
}

/** A PC after a successful enrollment: its identity and what the provisioning document configured. */
export interface WindowsEnrollment {
  upn: string;
  hardware: PcHardware;
  discovery: DiscoverResult;
  policy: PolicyResult;
  provisioning: ProvisioningDocument;
  keys: DeviceKeyPair;
  identity: { certificatePem: string; privateKeyPem: string; certificateDer: Uint8Array };
  managementUrl: string;
  providerId: string;
  digest: DigestCredentials | undefined;
  /** Non-fatal findings (a RelatesTo that does not match our MessageID…). */
  notes: string[];
}

export function discoveryUrlFor(server: string): string {
  return /\/EnrollmentServer\/Discovery\.svc$/i.test(server) ? server : `${server.replace(/\/+$/, '')}/EnrollmentServer/Discovery.svc`;
}

/** The enrollment client's User-Agent (the documented traces show the Windows Phone 8 one; Windows 10+ sends ENROLLClient). */
const userAgent = 'ENROLLClient';

/**
 * Enrolls as Windows does with AuthPolicy OnPremise: discovery GET then POST, GetPolicies, then the
 * RequestSecurityToken with a fresh RSA-2048 PKCS#10; reads the provisioning document and checks
 * that the issued client certificate carries our public key. Rejects with `EnrollmentFaultError`
 * (a SOAP fault, with its subcode), `EnrollmentProtocolError`, `ProvisioningDocumentError` or
 * `PcNetworkError`.
 */
export async function enrollPc(options: EnrollPcOptions): Promise<WindowsEnrollment> {
  const notes: string[] = [];
  const requestVersion = options.requestVersion ?? '6.0';
  const discoveryUrl = discoveryUrlFor(options.server);
  const probe = await options.http({ method: 'GET', url: discoveryUrl, headers: { 'user-agent': userAgent, pragma: 'no-cache' } });
  if (probe.status !== 200) throw new EnrollmentProtocolError('Discovery GET', `HTTP ${probe.status}; the discovery service must answer the GET with 200`);

  const hardware = options.hardware;
  const discover = await soapCall(options.http, 'Discover', discoveryUrl, (messageId) => discoverRequest({
    to: discoveryUrl, messageId, emailAddress: options.upn, requestVersion, deviceType: 'CIMClient_Windows',
    applicationVersion: hardware.osVersion, osEdition: hardware.osEdition, authPolicies: ['OnPremise', 'Federated'],
  }), actions.discoverResponse, notes);
  const discovery = readDiscoverResponse(discover);
  if (discovery.authPolicy !== 'OnPremise') throw new EnrollmentProtocolError('Discover', `AuthPolicy ${discovery.authPolicy}: this simulator enrolls with OnPremise only`);
  const policyUrl = discovery.enrollmentPolicyServiceUrl ?? discovery.enrollmentServiceUrl;
  for (const [name, url] of [['EnrollmentPolicyServiceUrl', policyUrl], ['EnrollmentServiceUrl', discovery.enrollmentServiceUrl]] as const) {
    if (!/^https:\/\//i.test(url) && !/^http:\/\/(127\.0\.0\.1|localhost)[:/]/i.test(url)) throw new EnrollmentProtocolError('Discover', `${name} must be https: ${url}`);
  }
  // "The policy service and the enrollment service must be on the same server; that is, they must have the same host name."
  if (new URL(policyUrl).hostname.toLowerCase() !== new URL(discovery.enrollmentServiceUrl).hostname.toLowerCase()) {
    throw new EnrollmentProtocolError('Discover', `the policy service (${policyUrl}) and the enrollment service (${discovery.enrollmentServiceUrl}) are on different hosts`);
  }

  const credentials = { username: options.upn, password: options.enrollmentToken };
  const policies = await soapCall(options.http, 'GetPolicies', policyUrl, (messageId) => getPoliciesRequest({ to: policyUrl, messageId, ...credentials }), actions.getPoliciesResponse, notes);
  const policy = readGetPoliciesResponse(policies);
  if (policy.minimalKeyLength !== undefined && policy.minimalKeyLength > 2048) throw new EnrollmentProtocolError('GetPolicies', `minimalKeyLength ${policy.minimalKeyLength}: this simulator makes RSA-2048 keys`);

  const keys = await generateDeviceKey();
  const windowsStyle = options.windowsStyleCsrSubject ?? false;
  const csr = await createPkcs10(keys, windowsStyle ? windowsStyleCommonName() : hardware.deviceId, { printableString: windowsStyle });
  const context: [string, string][] = [
    ['UXInitiated', 'true'], ['HWDevID', hardware.hwDevId], ['Locale', hardware.locale], ['TargetedUserLoggedIn', 'true'],
    ['EnrollmentData', ''], ['OSEdition', String(hardware.osEdition)], ['DeviceName', hardware.deviceName], ['MAC', hardware.macAddress],
    ['DeviceID', hardware.deviceId], ['EnrollmentType', options.enrollmentType ?? 'Full'], ['DeviceType', 'CIMClient_Windows'],
    ['OSVersion', hardware.osVersion], ['ApplicationVersion', hardware.osVersion], ['NotInOobe', 'false'], ['RequestVersion', requestVersion],
  ];
  const url = discovery.enrollmentServiceUrl;
  const rstrc = await soapCall(options.http, 'RequestSecurityToken', url, (messageId) => requestSecurityToken({
    to: url, messageId, ...credentials, pkcs10Base64: Buffer.from(csr).toString('base64'), context,
  }), actions.requestSecurityTokenResponse, notes);
  const provisioning = readProvisioningDocument(readRequestSecurityTokenResponse(rstrc));

  const certificate = new X509Certificate(provisioning.clientCertificate.certificateDer);
  const issuedSpki = certificate.publicKey.export({ type: 'spki', format: 'der' });
  if (!Buffer.from(keys.spkiDer).equals(issuedSpki)) throw new EnrollmentProtocolError('RequestSecurityToken', 'the client certificate in the provisioning document does not carry the public key of our PKCS#10');
  const now = Date.now();
  if (Date.parse(certificate.validFrom) > now + 5 * 60_000 || Date.parse(certificate.validTo) < now) notes.push(`the client certificate is not valid now (${certificate.validFrom} – ${certificate.validTo})`);

  return {
    upn: options.upn,
    hardware,
    discovery,
    policy,
    provisioning,
    keys,
    identity: {
      certificatePem: certificate.toString(),
      privateKeyPem: `-----BEGIN PRIVATE KEY-----\n${Buffer.from(keys.pkcs8Der).toString('base64').replace(/(.{64})/g, '$1\n').replace(/\n$/, '')}\n-----END PRIVATE KEY-----\n`,
      certificateDer: provisioning.clientCertificate.certificateDer,
    },
    managementUrl: provisioning.application.addr,
    providerId: provisioning.application.providerId,
    digest: digestCredentials(provisioning.application.auth),
    notes,
  };
}

/** w7-application-csp.md: APPSRV — "the client authenticates itself to the OMA DM Server"; CLIENT is the server's. */
function digestCredentials(auth: AppAuth[]): DigestCredentials | undefined {
  const pick = (level: string) => auth.find((entry) => entry.level === level && entry.type === 'DIGEST' && entry.name !== undefined && entry.secret !== undefined);
  const entry = pick('APPSRV') ?? pick('CLIENT');
  return entry ? { name: entry.name!, secret: entry.secret!, nonce: entry.data, level: entry.level } : undefined;
}

async function soapCall(http: PcHttp, step: string, url: string, build: (messageId: string) => string, expectedAction: string, notes: string[]) {
  const messageId = newMessageId();
  const response = await http({ method: 'POST', url, headers: { 'content-type': soapContentType, 'user-agent': userAgent }, body: build(messageId) });
  checkTransport(step, response);
  const { body, relatesTo } = readSoapAnswer(step, response.body, expectedAction, response.status);
  if (relatesTo !== undefined && relatesTo.replace(/\s+/g, '') !== messageId) notes.push(`${step}: RelatesTo ${relatesTo} is not our MessageID ${messageId}`);
  return body;
}

/** on-premise-authentication-device-enrollment.md: SOAP 1.2 (`application/soap+xml`); "The HTTP server response must not be chunked". */
function checkTransport(step: string, response: PcResponse): void {
  if (String(response.headers['transfer-encoding'] ?? '').toLowerCase().includes('chunked')) throw new EnrollmentProtocolError(step, 'the response is chunked; the enrollment services must send it as one message');
  const type = String(response.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
  if (type !== 'application/soap+xml') throw new EnrollmentProtocolError(step, `HTTP ${response.status} with Content-Type "${response.headers['content-type'] ?? ''}", not application/soap+xml`);
}
