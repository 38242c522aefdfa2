import { createHash, webcrypto } from 'node:crypto';
import { readFileSync } from 'node:fs';
import * as x509 from '../../src/lib/x509.ts';
import { actions } from '../../sim/windows/mde2-messages.ts';
import type { PcHttp, PcRequest, PcResponse } from '../../sim/windows/pc-http.ts';
import { parseXml, path } from '../../sim/windows/xml.ts';

/**
 * Test support for the Windows simulator: Microsoft's documented responses (sim/windows/testdata,
 * each file names its source) served by a scripted `PcHttp`. Not a server: it answers by SOAP
 * action with the fixture text, and issues the client certificate from the PC's own PKCS#10 so the
 * provisioning document can carry it.
 */
export function fixture(name: string): string {
  return readFileSync(new URL(`../../sim/windows/testdata/${name}`, import.meta.url), 'utf8');
}

const soapHeaders = { 'content-type': 'application/soap+xml; charset=utf-8' };
const algorithm = { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256', publicExponent: new Uint8Array([1, 0, 1]), modulusLength: 2048 };

let ca: Promise<{ certificate: x509.X509Certificate; keys: webcrypto.CryptoKeyPair }> | undefined;

/** One test CA per process (RSA key generation is slow). */
export function testCa() {
  ca ??= (async () => {
    const keys = (await webcrypto.subtle.generateKey(algorithm, true, ['sign', 'verify'])) as webcrypto.CryptoKeyPair;
    const certificate = await x509.X509CertificateGenerator.createSelfSigned({
      serialNumber: '01', name: 'CN=Envelope sim test CA', notBefore: new Date(Date.now() - 60_000), notAfter: new Date(Date.now() + 86_400_000),
      keys, signingAlgorithm: algorithm, extensions: [new x509.BasicConstraintsExtension(true, undefined, true)],
    });
    return { certificate, keys };
  })();
  return ca;
}

/** A certificate for the public key of `csrDer` (or `publicKeyOverride`), signed by the test CA. */
export async function issueFromCsr(csrDer: Uint8Array, publicKeyOverride?: webcrypto.CryptoKey): Promise<x509.X509Certificate> {
  const { certificate, keys } = await testCa();
  const csr = new x509.Pkcs10CertificateRequest(csrDer);
  return x509.X509CertificateGenerator.create({
    serialNumber: Date.now().toString(16), subject: 'CN=simulated-pc', issuer: certificate.subject, notBefore: new Date(Date.now() - 60_000), notAfter: new Date(Date.now() + 86_400_000),
    publicKey: publicKeyOverride ?? (await csr.publicKey.export()), signingKey: keys.privateKey, signingAlgorithm: algorithm,
  });
}

export function thumbprint(der: ArrayBuffer | Uint8Array): string {
  return createHash('sha1').update(new Uint8Array(der)).digest('hex').toUpperCase();
}

export interface ScriptedEnrollment {
  http: PcHttp;
  requests: PcRequest[];
}

export interface ScriptedEnrollmentOptions {
  addr?: string;
  digest?: { name: string; secret: string; nonce: string };
  /** Replace the answer to one step (by SOAP action name: Discover, GetPolicies, RST). */
  answer?: Partial<Record<'Discover' | 'GetPolicies' | 'RST', (request: PcRequest) => PcResponse | Promise<PcResponse>>>;
  /** Issue the client certificate for another key (the check that it carries ours). */
  foreignKey?: webcrypto.CryptoKey;
}

/** Answers discovery, GetPolicies and RST with the documented examples (sim/windows/testdata). */
export function scriptedEnrollment(options: ScriptedEnrollmentOptions = {}): ScriptedEnrollment {
  const requests: PcRequest[] = [];
  const addr = options.addr ?? 'https://mdm.contoso.com/ManagementServer/MDM.svc';
  const digest = options.digest ?? { name: 'dm-user', secret: 's3cret', nonce: 'AAECA/7/ECA=' };
  const http: PcHttp = async (request) => {
    requests.push(request);
    if (request.method === 'GET') return { status: 200, headers: { 'content-type': 'text/html', 'content-length': '0' }, body: '' };
    const action = path(parseXml(request.body ?? ''), 'Header', 'Action')?.text;
    const step = action === actions.discover ? 'Discover' : action === actions.getPolicies ? 'GetPolicies' : action === actions.requestSecurityToken ? 'RST' : undefined;
    if (!step) return { status: 400, headers: {}, body: 'unknown action' };
    const custom = options.answer?.[step];
    if (custom) return custom(request);
    if (step === 'Discover') return { status: 200, headers: soapHeaders, body: fixture('discover-response.xml') };
    if (step === 'GetPolicies') return { status: 200, headers: soapHeaders, body: fixture('get-policies-response.xml') };
    const csr = Buffer.from(path(parseXml(request.body!), 'Body', 'RequestSecurityToken', 'BinarySecurityToken')!.text, 'base64');
    const client = await issueFromCsr(new Uint8Array(csr), options.foreignKey);
    const root = (await testCa()).certificate;
    const document = fixture('provisioning-doc.xml')
      .replaceAll('{{ROOT_THUMBPRINT}}', thumbprint(root.rawData)).replaceAll('{{ROOT_CERTIFICATE}}', Buffer.from(root.rawData).toString('base64'))
      .replaceAll('{{CLIENT_THUMBPRINT}}', thumbprint(client.rawData)).replaceAll('{{CLIENT_CERTIFICATE}}', Buffer.from(client.rawData).toString('base64'))
      .replaceAll('{{ADDR}}', addr).replaceAll('{{DIGEST_NAME}}', digest.name).replaceAll('{{DIGEST_SECRET}}', digest.secret).replaceAll('{{DIGEST_NONCE}}', digest.nonce);
    return { status: 200, headers: soapHeaders, body: fixture('rstrc.xml').replace('B64EncodedSampleBinarySecurityToken', Buffer.from(document).toString('base64')) };
  };
  return { http, requests };
}

/** Fills a SyncML template's {{NAME}} placeholders. */
export function fill(template: string, values: Record<string, string>): string {
  return template.replace(/\{\{([A-Z_]+)\}\}/g, (_, name: string) => {
    if (!(name in values)) throw new Error(`no value for {{${name}}}`);
    return values[name]!;
  });
}

export const syncMlHeaders = { 'content-type': 'application/vnd.syncml.dm+xml' };

/** A scripted management server: each POST is recorded and answered by the next function queued. */
export function syncMlScript() {
  const sent: PcRequest[] = [];
  const queue: ((request: PcRequest) => PcResponse | string)[] = [];
  const http: PcHttp = async (request) => {
    sent.push(request);
    const next = queue.shift();
    if (!next) throw new Error(`no scripted answer for message ${sent.length}`);
    const answer = next(request);
    return typeof answer === 'string' ? { status: 200, headers: syncMlHeaders, body: answer } : answer;
  };
  return { http, sent, queue };
}

/** The header fields of a device message. */
export function deviceHeader(body: string | undefined) {
  const root = parseXml(body ?? '');
  const header = path(root, 'SyncHdr')!;
  return { root, sessionId: path(header, 'SessionID')!.text, msgId: path(header, 'MsgID')!.text, header };
}

/** Enrolls a PC through the documented fixtures and gives it a scripted management server. */
export async function enrolledPc(options: Omit<import('../../sim/windows/simulated-pc.ts').SimulatedPcOptions, 'enrollment' | 'http'> & { digest?: { name: string; secret: string; nonce: string } } = {}) {
  const { enrollPc, randomPcHardware } = await import('../../sim/windows/enroll.ts');
  const { SimulatedPc } = await import('../../sim/windows/simulated-pc.ts');
  const enrollment = await enrollPc({ server: 'https://enterpriseenrollment.contoso.com', upn: 'jane@contoso.com', enrollmentToken: 'enr_x', http: scriptedEnrollment(options.digest ? { digest: options.digest } : {}).http, hardware: randomPcHardware() });
  const script = syncMlScript();
  const pc = new SimulatedPc({ ...options, enrollment, http: script.http });
  const values = (sessionId: string) => ({ SESSION_ID: sessionId, DEVICE_ID: pc.deviceId, SERVER_URL: enrollment.managementUrl });
  return { pc, script, enrollment, values };
}
