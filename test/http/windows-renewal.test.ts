import assert from 'node:assert/strict';
import { createHash, webcrypto, X509Certificate } from 'node:crypto';
import { request as httpsRequest } from 'node:https';
import { after, before, describe, it } from 'node:test';
import { XMLParser } from 'fast-xml-parser';
import * as x509 from '../../src/lib/x509.ts';
import {
  buildGetPoliciesRequest,
  buildRenewalRequestSecurityToken,
  buildRequestSecurityToken,
  createCertificateRequest,
  createRenewalPkcs7,
  generateDeviceKeys,
  parseSoapEnvelope,
  readProvisioningDocument,
  readSoapFault,
  renewalNames,
  tokenTypes,
} from '../../src/protocols/windows-enrollment/index.ts';
import { createE2ePki, type E2ePki } from '../helpers/https-envelope.ts';
import { httpsTransport, readServerMessage, startWindowsEnvelope, TestWindowsPc, type WindowsTestEnvelope } from '../helpers/windows-pc.ts';

const enrollmentPath = '/EnrollmentServer/Enrollment.svc';

/** A TLS client identity: the PEM certificate and PKCS#8 key a PC presents. */
interface TlsIdentity {
  certificatePem: string;
  privateKeyPem: string;
}

/** A PC enrolled through the real MS-MDE2 RST, holding its key and the certificate Envelope issued. */
interface EnrolledPc {
  windowsDeviceId: string;
  deviceId: string;
  keys: webcrypto.CryptoKeyPair;
  certificateDer: Uint8Array;
  tls: TlsIdentity;
  digest: { username: string; secret: string };
}

interface Answer {
  status: number;
  body: string;
  fault: ReturnType<typeof readSoapFault>;
}

type WapNode = { '@_type'?: string; '@_name'?: string; '@_value'?: string; characteristic?: WapNode[]; parm?: WapNode[] };
const wapParser = new XMLParser({ ignoreAttributes: false, isArray: (name) => name === 'characteristic' || name === 'parm' });

function child(node: WapNode, type: string): WapNode | undefined {
  return (node.characteristic ?? []).find((c) => c['@_type'] === type);
}

function parmOf(node: WapNode, name: string): string | undefined {
  return (node.parm ?? []).find((p) => p['@_name'] === name)?.['@_value'];
}

/** The client certificate a provisioning document installs, and the document itself. */
function installedCertificate(answer: Answer): { der: Uint8Array; doc: WapNode; store: string } {
  assert.equal(answer.status, 200, answer.body);
  const xml = readProvisioningDocument(parseSoapEnvelope(new TextEncoder().encode(answer.body)));
  const doc = wapParser.parse(xml)['wap-provisioningdoc'] as WapNode;
  const my = child(child(doc, 'CertificateStore')!, 'My')!;
  const store = (my.characteristic ?? []).find((c) => c['@_type'] === 'User' || c['@_type'] === 'System')!;
  const node = store.characteristic!.find((c) => c['@_type'] !== 'PrivateKeyContainer')!;
  return { der: new Uint8Array(Buffer.from(parmOf(node, 'EncodedCertificate')!, 'base64')), doc, store: store['@_type']! };
}

async function tlsIdentity(certificateDer: Uint8Array, keys: webcrypto.CryptoKeyPair): Promise<TlsIdentity> {
  const pkcs8 = Buffer.from(await webcrypto.subtle.exportKey('pkcs8', keys.privateKey));
  return { certificatePem: new X509Certificate(certificateDer).toString(), privateKeyPem: x509.PemConverter.encode(pkcs8, 'PRIVATE KEY') };
}

describe('Windows client-certificate renewal (MS-WSTEP Renew, ROBO) over HTTPS', () => {
  let pki: E2ePki;
  let env: WindowsTestEnvelope;
  let credentials: { username: string; password: string };
  let tenantCaDer: Uint8Array;
  let messages = 0;

  function header() {
    return { messageId: `urn:uuid:00000000-0000-4000-9000-${String(++messages).padStart(12, '0')}`, to: `${env.origin}${enrollmentPath}` };
  }

  /** POSTs a SOAP body to the enrollment (or `path`) service over real HTTPS, with `identity` as TLS client certificate (none when null). */
  function post(xml: string, identity: TlsIdentity | null): Promise<Answer> {
    return postTo(enrollmentPath, xml, identity);
  }

  function postTo(path: string, xml: string, identity: TlsIdentity | null): Promise<Answer> {
    return new Promise((resolve, reject) => {
      const body = Buffer.from(xml, 'utf8');
      const request = httpsRequest(`${env.origin}${path}`, {
        method: 'POST',
        ca: pki.tlsCa.certificatePem,
        ...(identity === null ? {} : { cert: identity.certificatePem, key: identity.privateKeyPem }),
        headers: { 'content-type': 'application/soap+xml; charset=utf-8', 'content-length': String(body.length) },
        agent: false,
      }, (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          resolve({ status: response.statusCode ?? 0, body: text, fault: readSoapFault(parseSoapEnvelope(new TextEncoder().encode(text))) });
        });
      });
      request.on('error', reject);
      request.end(body);
    });
  }

  /** Enrolls a PC with the real RST (no client certificate, as a first enrollment has none). */
  async function enrollPc(): Promise<EnrolledPc> {
    const windowsDeviceId = createHash('sha256').update(String(Math.random())).digest('hex').slice(0, 32).toUpperCase();
    const keys = await generateDeviceKeys();
    const certificateRequest = await createCertificateRequest(keys, windowsDeviceId);
    const answer = await post(buildRequestSecurityToken(header(), credentials, {
      certificateRequest,
      context: { DeviceID: windowsDeviceId, HWDevID: `HW-${windowsDeviceId}`, EnrollmentType: 'Full', DeviceName: 'DESKTOP-RENEW', OSVersion: '10.0.26200.6584' },
    }), null);
    const { der, doc } = installedCertificate(answer);
    const appsrv = child(doc, 'APPLICATION')!.characteristic!.find((c) => parmOf(c, 'AAUTHLEVEL') === 'APPSRV')!;
    const [row] = await env.query<{ device_id: string }>('SELECT device_id FROM windows_enrollments WHERE windows_device_id = $1', [windowsDeviceId]);
    return {
      windowsDeviceId,
      deviceId: row!.device_id,
      keys,
      certificateDer: der,
      tls: await tlsIdentity(der, keys),
      digest: { username: parmOf(appsrv, 'AAUTHNAME')!, secret: parmOf(appsrv, 'AAUTHSECRET')! },
    };
  }

  /** A renewal RST as Windows sends it: a new key's PKCS#10 in a PKCS#7 signed with `signer` (the PC's current certificate by default). */
  async function renewalRequest(pc: EnrolledPc, options: { newKeys?: webcrypto.CryptoKeyPair; signer?: { certificateDer: Uint8Array; privateKey: webcrypto.CryptoKey }; bare?: boolean; context?: Record<string, string>; password?: string } = {}) {
    const newKeys = options.newKeys ?? (await generateDeviceKeys());
    const csr = await createCertificateRequest(newKeys, pc.windowsDeviceId);
    const token = options.bare ? csr : await createRenewalPkcs7(csr, options.signer ?? { certificateDer: pc.certificateDer, privateKey: pc.keys.privateKey });
    const xml = buildRenewalRequestSecurityToken(header(), {
      token,
      valueType: options.bare ? tokenTypes.pkcs10 : renewalNames.pkcs7[0],
      ...(options.context ? { context: options.context } : {}),
      ...(options.password === undefined ? {} : { username: credentials.username, password: options.password }),
    });
    return { xml, newKeys };
  }

  /** Everything a refused renewal must leave as it was. */
  async function snapshot() {
    return {
      enrollments: await env.query('SELECT device_id, windows_device_id, encode(certificate_sha256, \'hex\') AS sha, certificate_serial, certificate_not_after, digest_username, enabled FROM windows_enrollments ORDER BY device_id'),
      devices: await env.count('managed_devices'),
      ledger: await env.count('delivery_ledger'),
      tokensUsed: (await env.query<{ n: number }>('SELECT coalesce(sum(used_count), 0)::int AS n FROM enrollment_tokens'))[0]!.n,
    };
  }

  before(async () => {
    pki = await createE2ePki();
    env = await startWindowsEnvelope({ pki });
    const user = await env.request('POST', '/graph/beta/users', { displayName: 'Grace', userPrincipalName: 'grace@contoso.com', mail: 'grace@contoso.com' });
    assert.equal(user.status, 201, JSON.stringify(user.body));
    const group = await env.request('POST', '/graph/beta/groups', { displayName: 'Renewing PCs', 'members@odata.bind': [`https://graph.microsoft.com/beta/users/${user.body.id}`] });
    const profile = await env.request('POST', '/graph/beta/deviceManagement/deviceConfigurations', {
      '@odata.type': '#microsoft.graph.windows10EasEmailProfileConfiguration', displayName: 'Renewal mail', accountName: 'Renewal mail', hostName: 'mail.contoso.com',
      usernameSource: 'userPrincipalName', emailAddressSource: 'userPrincipalName', requireSsl: true, durationOfEmailToSync: 'oneWeek', emailSyncSchedule: 'asMessagesArrive',
    });
    assert.equal(profile.status, 201, JSON.stringify(profile.body));
    const assigned = await env.request('POST', `/graph/beta/deviceManagement/deviceConfigurations/${profile.body.id}/assign`, {
      assignments: [{ target: { '@odata.type': '#microsoft.graph.groupAssignmentTarget', groupId: group.body.id } }],
    });
    assert.equal(assigned.status, 200);
    const token = await env.request('POST', '/graph/beta/envelope/enrollmentTokens', { userId: user.body.id, platform: 'Windows', maxDevices: 50 });
    assert.equal(token.status, 201, JSON.stringify(token.body));
    credentials = { username: 'grace@contoso.com', password: token.body.token };
    const ca = await env.request('GET', '/graph/beta/envelope/certificateAuthority');
    tenantCaDer = new Uint8Array(Buffer.from(ca.body.certificate, 'base64'));
  });
  after(() => env.close());

  it('renews with the TLS client certificate: a new certificate for the new key, same CN, from the tenant CA; device, ledger and DIGEST unchanged', async () => {
    const pc = await enrollPc();
    // A first management session (old certificate) delivers the assigned profile, so the device has ledger rows.
    const managed = new TestWindowsPc({ deviceId: pc.deviceId, windowsDeviceId: pc.windowsDeviceId, digestUserName: pc.digest.username, digestSecret: pc.digest.secret,
      transport: httpsTransport(env.origin, pki.tlsCa.certificatePem, { ...pc.tls, der: Buffer.from(pc.certificateDer) }), serverUrl: `${env.origin}/ManagementServer/MDM.svc` });
    await managed.sync();
    assert.equal(managed.accountGuids().length, 1, 'the profile was installed before the renewal');
    const [beforeRow] = await env.query<{ sha: string; digest_username: string; sealed: string }>(
      'SELECT encode(certificate_sha256, \'hex\') AS sha, digest_username, encode(sealed_digest_secret, \'hex\') AS sealed FROM windows_enrollments WHERE device_id = $1', [pc.deviceId]);
    const ledgerBefore = await env.query('SELECT * FROM delivery_ledger WHERE device_id = $1 ORDER BY 1, 2', [pc.deviceId]);
    assert.ok(ledgerBefore.length > 0, 'the device has ledger rows');
    const devicesBefore = await env.count('managed_devices');

    const { xml, newKeys } = await renewalRequest(pc);
    const answer = await post(xml, pc.tls);
    const { der, doc, store } = installedCertificate(answer);
    assert.equal(answer.fault, null);
    assert.equal(store, 'User', 'a Full enrollment renews into the user store');
    assert.equal(parmOf(child(doc, 'APPLICATION')!, 'PROVIDER-ID'), 'Envelope');

    const renewed = new X509Certificate(der);
    const ca = new X509Certificate(tenantCaDer);
    assert.ok(renewed.verify(ca.publicKey), 'the new certificate chains to the tenant CA');
    assert.equal(renewed.issuer, ca.subject);
    assert.equal(renewed.subject, `CN=${pc.windowsDeviceId}`);
    const newSpki = Buffer.from(await webcrypto.subtle.exportKey('spki', newKeys.publicKey));
    assert.deepEqual(renewed.publicKey.export({ type: 'spki', format: 'der' }), newSpki, 'the new certificate carries the new key');
    assert.notEqual(renewed.serialNumber, new X509Certificate(pc.certificateDer).serialNumber);
    assert.ok(renewed.keyUsage?.includes('1.3.6.1.5.5.7.3.2'), 'clientAuth');
    const lifetimeDays = (Date.parse(renewed.validTo) - Date.parse(renewed.validFrom)) / 86_400_000;
    assert.ok(lifetimeDays > 364 && lifetimeDays < 366, `one year, was ${lifetimeDays} days`);

    const [afterRow] = await env.query<{ sha: string; serial: string; not_after: Date; digest_username: string; sealed: string }>(
      'SELECT encode(certificate_sha256, \'hex\') AS sha, certificate_serial AS serial, certificate_not_after AS not_after, digest_username, encode(sealed_digest_secret, \'hex\') AS sealed FROM windows_enrollments WHERE device_id = $1', [pc.deviceId]);
    assert.equal(afterRow!.sha, createHash('sha256').update(der).digest('hex'), 'the stored fingerprint is the new certificate\'s');
    assert.notEqual(afterRow!.sha, beforeRow!.sha);
    assert.equal(afterRow!.serial, renewed.serialNumber.toUpperCase());
    assert.equal(new Date(afterRow!.not_after).getTime(), Date.parse(renewed.validTo));
    assert.equal(afterRow!.digest_username, beforeRow!.digest_username);
    assert.equal(afterRow!.sealed, beforeRow!.sealed, 'the DIGEST credential stays');
    assert.deepEqual(await env.query('SELECT * FROM delivery_ledger WHERE device_id = $1 ORDER BY 1, 2', [pc.deviceId]), ledgerBefore, 'the ledger rows stay');
    assert.equal(await env.count('managed_devices'), devicesBefore, 'no device was created or deleted');

    // The OMA-DM endpoint now knows the PC by its new certificate, and no longer by the old one.
    const transport = (identity: TlsIdentity) => httpsTransport(env.origin, pki.tlsCa.certificatePem, { ...identity, der: Buffer.from(der) });
    const omaDm = (identity: TlsIdentity) => {
      const testPc = new TestWindowsPc({ deviceId: pc.deviceId, windowsDeviceId: pc.windowsDeviceId, digestUserName: pc.digest.username, digestSecret: pc.digest.secret, transport: transport(identity), serverUrl: `${env.origin}/ManagementServer/MDM.svc` });
      testPc.sendCredentials = false;
      return testPc.send('<Alert><CmdID>1</CmdID><Data>1201</Data></Alert>', { sessionId: 'R1', msgId: 1 });
    };
    const withNew = await omaDm(await tlsIdentity(der, newKeys));
    assert.equal(readServerMessage(withNew.body).statuses[0]!.Data, '200', 'the new certificate authenticates an OMA-DM session');
    const withOld = await omaDm(pc.tls);
    assert.equal(readServerMessage(withOld.body).statuses[0]!.Data, '407', 'the old certificate no longer does');
  });

  it('renews again with the renewed certificate, and accepts a bare PKCS#10 authenticated by TLS alone', async () => {
    const pc = await enrollPc();
    const first = await renewalRequest(pc, { bare: true });
    const { der } = installedCertificate(await post(first.xml, pc.tls));
    const renewedPc: EnrolledPc = { ...pc, keys: first.newKeys, certificateDer: der, tls: await tlsIdentity(der, first.newKeys) };
    const second = await renewalRequest(renewedPc);
    const { der: again } = installedCertificate(await post(second.xml, renewedPc.tls));
    const [row] = await env.query<{ sha: string }>('SELECT encode(certificate_sha256, \'hex\') AS sha FROM windows_enrollments WHERE device_id = $1', [pc.deviceId]);
    assert.equal(row!.sha, createHash('sha256').update(again).digest('hex'));
  });

  it('refuses a renewal without a TLS client certificate, even with a valid enrollment token as password, and changes nothing', async () => {
    const pc = await enrollPc();
    const before = await snapshot();
    const { xml } = await renewalRequest(pc, { password: credentials.password });
    const answer = await post(xml, null);
    assert.equal(answer.status, 401);
    assert.equal(answer.fault?.subcode, 's:authentication');
    assert.match(answer.fault!.reason, /client certificate/);
    assert.deepEqual(await snapshot(), before);
  });

  it('refuses an unknown certificate, an old (already renewed) certificate, an expired one and a disabled enrollment, changing nothing', async () => {
    const pc = await enrollPc();
    // Unknown: a certificate from another CA for the same DeviceID, with its own key.
    const { issuePcCertificate } = await import('../helpers/windows-pc.ts');
    const { createTestCa } = await import('../../sim/apns/apns-test-pki.ts');
    const stranger = await issuePcCertificate(await createTestCa('Not the tenant CA'), pc.windowsDeviceId);
    let before = await snapshot();
    let answer = await post((await renewalRequest(pc, { bare: true })).xml, stranger);
    assert.equal(answer.status, 401, answer.body);
    assert.equal(answer.fault?.subcode, 's:authentication');
    assert.match(answer.fault!.reason, /not the current MDM certificate/);
    assert.deepEqual(await snapshot(), before);

    // Old: once renewed, the previous certificate renews nothing.
    installedCertificate(await post((await renewalRequest(pc)).xml, pc.tls));
    before = await snapshot();
    answer = await post((await renewalRequest(pc)).xml, pc.tls);
    assert.equal(answer.fault?.subcode, 's:authentication');
    assert.deepEqual(await snapshot(), before);

    // Expired: the stored certificate's expiry has passed.
    const expired = await enrollPc();
    await env.query('UPDATE windows_enrollments SET certificate_not_after = now() - interval \'1 second\' WHERE device_id = $1', [expired.deviceId]);
    before = await snapshot();
    answer = await post((await renewalRequest(expired)).xml, expired.tls);
    assert.equal(answer.status, 401);
    assert.match(answer.fault!.reason, /expired/);
    assert.deepEqual(await snapshot(), before);

    // Disabled.
    const disabled = await enrollPc();
    await env.query('UPDATE windows_enrollments SET enabled = false WHERE device_id = $1', [disabled.deviceId]);
    before = await snapshot();
    answer = await post((await renewalRequest(disabled)).xml, disabled.tls);
    assert.equal(answer.status, 403);
    assert.equal(answer.fault?.subcode, 's:authorization');
    assert.match(answer.fault!.reason, /disabled/);
    assert.deepEqual(await snapshot(), before);
  });

  it('refuses another PC\'s certificate: a PKCS#7 signed by another PC, or another PC\'s DeviceID, changing nothing', async () => {
    const ada = await enrollPc();
    const bob = await enrollPc();
    const before = await snapshot();
    // Bob's TLS certificate, a PKCS#7 signed by Ada's certificate.
    let answer = await post((await renewalRequest(ada)).xml, bob.tls);
    assert.equal(answer.status, 401, answer.body);
    assert.equal(answer.fault?.subcode, 's:authentication');
    assert.match(answer.fault!.reason, /not signed with the client certificate presented in TLS/);
    // Bob's certificate throughout, but Ada's DeviceID.
    answer = await post((await renewalRequest(bob, { context: { DeviceID: ada.windowsDeviceId } })).xml, bob.tls);
    assert.equal(answer.status, 403);
    assert.equal(answer.fault?.subcode, 's:authorization');
    assert.deepEqual(await snapshot(), before);
  });

  it('refuses a weak key, a forged CSR signature and a malformed body with the first enrollment\'s faults, changing nothing', async () => {
    const pc = await enrollPc();
    const before = await snapshot();
    const weakKeys = (await webcrypto.subtle.generateKey({ name: 'RSASSA-PKCS1-v1_5', modulusLength: 1024, publicExponent: new Uint8Array([1, 0, 1]), hash: 'SHA-256' }, true, ['sign', 'verify'])) as webcrypto.CryptoKeyPair;
    let answer = await post((await renewalRequest(pc, { newKeys: weakKeys })).xml, pc.tls);
    assert.equal(answer.status, 400);
    assert.equal(answer.fault?.subcode, 's:certificaterequest');
    assert.match(answer.fault!.reason, /1024 bits/);

    const csr = await createCertificateRequest(await generateDeviceKeys(), pc.windowsDeviceId);
    csr[csr.length - 1]! ^= 0xff;
    const forged = await createRenewalPkcs7(csr, { certificateDer: pc.certificateDer, privateKey: pc.keys.privateKey });
    answer = await post(buildRenewalRequestSecurityToken(header(), { token: forged }), pc.tls);
    assert.equal(answer.fault?.subcode, 's:certificaterequest');
    assert.match(answer.fault!.reason, /signature does not verify/);

    answer = await post(buildRenewalRequestSecurityToken(header(), { token: new TextEncoder().encode('not a PKCS#7') }), pc.tls);
    assert.equal(answer.fault?.subcode, 's:certificaterequest');
    answer = await post(buildRenewalRequestSecurityToken(header(), { token: forged, valueType: 'urn:other' }), pc.tls);
    assert.equal(answer.status, 400);
    assert.equal(answer.fault?.subcode, 's:messageformat');
    answer = await post('<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope"><s:Header/><s:Body>', pc.tls);
    assert.equal(answer.fault?.subcode, 's:messageformat');
    assert.deepEqual(await snapshot(), before);
  });
  it('answers GetPolicies to a renewing PC by its TLS client certificate (empty password), and to no one else without a token', async () => {
    const pc = await enrollPc();
    const getPolicies = (password: string) => buildGetPoliciesRequest({ ...header(), to: `${env.origin}/EnrollmentServer/Policy.svc` }, { username: 'grace@contoso.com', password });
    const withCertificate = await postTo('/EnrollmentServer/Policy.svc', getPolicies(''), pc.tls);
    assert.equal(withCertificate.status, 200, withCertificate.body);
    assert.equal(withCertificate.fault, null);
    const without = await postTo('/EnrollmentServer/Policy.svc', getPolicies(''), null);
    assert.equal(without.status, 401);
    assert.equal(without.fault?.subcode, 'a:invalidsecurity');
    await env.query('UPDATE windows_enrollments SET enabled = false WHERE device_id = $1', [pc.deviceId]);
    const disabled = await postTo('/EnrollmentServer/Policy.svc', getPolicies(''), pc.tls);
    assert.equal(disabled.status, 401, 'a disabled enrollment\'s certificate is no credential');
    const withToken = await postTo('/EnrollmentServer/Policy.svc', getPolicies(credentials.password), null);
    assert.equal(withToken.status, 200, 'the token path is unchanged');
  });
});
