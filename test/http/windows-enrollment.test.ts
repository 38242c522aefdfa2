import assert from 'node:assert/strict';
import { createHash, randomBytes, webcrypto, X509Certificate } from 'node:crypto';
import { Writable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { XMLParser } from 'fast-xml-parser';
import { Certificate } from 'pkijs';
import { createEnvelope, loggerOptions, type Envelope } from '../../src/main.ts';
import {
  buildDiscoverRequest,
  buildGetPoliciesRequest,
  buildRequestSecurityToken,
  createCertificateRequest,
  generateDeviceKeys,
  parseSoapEnvelope,
  readProvisioningDocument,
  readSoapFault,
  soapActions,
} from '../../src/protocols/windows-enrollment/index.ts';
import { oddSubjectCertificateRequest } from '../../src/protocols/windows-enrollment/test-support/testdata.ts';
import { windowsDigestSecretContext } from '../../src/services/enrollment/windows-enrollment-service.ts';
import { SecretBox } from '../../src/services/secrets/secret-box.ts';
import { createEnrollmentToken, createUser, tenantCaPem } from '../helpers/apple-enrollment.ts';
import { createTestApp, type TestApp } from '../helpers/test-app.ts';
import { openTestDb, type TestDb } from '../helpers/test-db.ts';

const paths = { discovery: '/EnrollmentServer/Discovery.svc', policy: '/EnrollmentServer/Policy.svc', enrollment: '/EnrollmentServer/Enrollment.svc' };
const soapType = 'application/soap+xml; charset=utf-8';

type Inject = Envelope['app']['inject'];

interface SoapAnswer {
  status: number;
  headers: Record<string, unknown>;
  body: string;
  fault: ReturnType<typeof readSoapFault>;
  relatesTo: string | undefined;
}

let messages = 0;
function header(path: string) {
  return { messageId: `urn:uuid:00000000-0000-4000-8000-${String(++messages).padStart(12, '0')}`, to: `https://envelope.test${path}` };
}

async function post(inject: Inject, path: string, xml: string | Uint8Array): Promise<SoapAnswer> {
  const reply = await inject({ method: 'POST', url: path, headers: { 'content-type': soapType }, payload: typeof xml === 'string' ? xml : Buffer.from(xml) });
  const envelope = parseSoapEnvelope(reply.rawPayload);
  const relatesTo = envelope.header.RelatesTo;
  return { status: reply.statusCode, headers: reply.headers, body: reply.body, fault: readSoapFault(envelope), relatesTo: typeof relatesTo === 'string' ? relatesTo : undefined };
}

interface Pc {
  deviceId: string;
  hwDevId?: string;
  deviceName?: string;
  osVersion?: string;
  enrollmentType?: 'Full' | 'Device';
  keys?: webcrypto.CryptoKeyPair;
  certificateRequest?: Uint8Array;
}

function contextOf(pc: Pc): Record<string, string> {
  return {
    UXInitiated: 'true',
    ...(pc.hwDevId === undefined ? {} : { HWDevID: pc.hwDevId }),
    DeviceName: pc.deviceName ?? 'DESKTOP-ADA',
    DeviceID: pc.deviceId,
    EnrollmentType: pc.enrollmentType ?? 'Full',
    OSVersion: pc.osVersion ?? '10.0.26200.6584',
    NotInOobe: 'true',
    RequestVersion: '9.0',
  };
}

async function rst(inject: Inject, credentials: { username: string; password: string }, pc: Pc): Promise<SoapAnswer & { messageId: string }> {
  const certificateRequest = pc.certificateRequest ?? (await createCertificateRequest(pc.keys ?? (await generateDeviceKeys()), pc.deviceId));
  const requestHeader = header(paths.enrollment);
  const answer = await post(inject, paths.enrollment, buildRequestSecurityToken(requestHeader, credentials, { certificateRequest, context: contextOf(pc) }));
  return { ...answer, messageId: requestHeader.messageId };
}

type WapNode = { '@_type'?: string; '@_name'?: string; '@_value'?: string; characteristic?: WapNode[]; parm?: WapNode[] };
const wapParser = new XMLParser({ ignoreAttributes: false, isArray: (name) => name === 'characteristic' || name === 'parm' });

function wapAt(root: WapNode, path: string[]): WapNode {
  return path.reduce((node, type) => {
    const found = (node.characteristic ?? []).find((child) => child['@_type'] === type);
    assert.ok(found, `characteristic ${path.join('/')}`);
    return found;
  }, root);
}

function parmOf(node: WapNode, name: string): string | undefined {
  return (node.parm ?? []).find((p) => p['@_name'] === name)?.['@_value'];
}

/** The provisioning document of a successful RST, with the client certificate it installs. */
function provisioningOf(answer: SoapAnswer) {
  assert.equal(answer.status, 200, answer.body);
  const xml = readProvisioningDocument(parseSoapEnvelope(new TextEncoder().encode(answer.body)));
  const doc = wapParser.parse(xml)['wap-provisioningdoc'] as WapNode;
  const my = wapAt(doc, ['CertificateStore', 'My']);
  const store = (my.characteristic ?? []).find((c) => c['@_type'] === 'User' || c['@_type'] === 'System')!;
  const certificateNode = store.characteristic!.find((c) => c['@_type'] !== 'PrivateKeyContainer')!;
  const certificate = new X509Certificate(Buffer.from(parmOf(certificateNode, 'EncodedCertificate')!, 'base64'));
  const application = wapAt(doc, ['APPLICATION']);
  const appsrv = application.characteristic!.find((c) => parmOf(c, 'AAUTHLEVEL') === 'APPSRV')!;
  return { xml, doc, store: store['@_type'], thumbprint: certificateNode['@_type'], certificate, application, digest: { username: parmOf(appsrv, 'AAUTHNAME')!, secret: parmOf(appsrv, 'AAUTHSECRET')! } };
}

describe('Windows enrollment over MS-MDE2 (OnPremise)', () => {
  let t: TestApp;
  let inject: Inject;
  let userId: string;
  let ada: { username: string; password: string };
  let tokenId: string;

  /** What a refused request must leave as it was. */
  async function snapshot() {
    const used = await t.envelope.db.query<{ n: number }>('SELECT coalesce(sum(used_count), 0)::int AS n FROM enrollment_tokens');
    return { devices: await t.count('managed_devices'), enrollments: await t.count('windows_enrollments'), used: used[0]!.n };
  }

  async function windowsToken(body: Record<string, unknown> = {}): Promise<{ id: string; token: string }> {
    return createEnrollmentToken(t, { userId, platform: 'Windows', maxDevices: 10, ...body });
  }

  before(async () => {
    t = await createTestApp();
    inject = t.envelope.app.inject.bind(t.envelope.app);
    userId = await createUser(t, 'ada@contoso.com');
    const token = await windowsToken();
    ada = { username: 'Ada@Contoso.com', password: token.token };
    tokenId = token.id;
  });
  after(() => t.close());

  describe('discovery', () => {
    it('answers the GET probe with 200 and an empty body', async () => {
      const reply = await inject({ method: 'GET', url: paths.discovery });
      assert.equal(reply.statusCode, 200);
      assert.equal(reply.body, '');
      assert.equal(reply.headers['content-length'], '0');
    });

    for (const version of ['4.0', '5.0', '9.0']) {
      it(`answers Discover with RequestVersion ${version}: OnPremise, EnrollmentVersion and both URLs on the public host, unchunked`, async () => {
        const requestHeader = header(paths.discovery);
        const answer = await post(inject, paths.discovery, buildDiscoverRequest(requestHeader, { emailAddress: 'ada@contoso.com', requestVersion: version }));
        assert.equal(answer.status, 200, answer.body);
        assert.equal(answer.headers['content-type'], soapType);
        assert.equal(answer.headers['content-length'], String(Buffer.byteLength(answer.body)));
        assert.equal(answer.headers['transfer-encoding'], undefined);
        assert.equal(answer.relatesTo, requestHeader.messageId);
        const result = new XMLParser({ removeNSPrefix: true, parseTagValue: false }).parse(answer.body).Envelope.Body.DiscoverResponse.DiscoverResult;
        assert.deepEqual(result, {
          AuthPolicy: 'OnPremise',
          EnrollmentVersion: '4.0',
          EnrollmentPolicyServiceUrl: 'https://envelope.test/EnrollmentServer/Policy.svc',
          EnrollmentServiceUrl: 'https://envelope.test/EnrollmentServer/Enrollment.svc',
        });
      });
    }

    it('refuses RequestVersion 3.0 with s:messageformat (DeviceNotSupported) and HTTP 400', async () => {
      const requestHeader = header(paths.discovery);
      const answer = await post(inject, paths.discovery, buildDiscoverRequest(requestHeader, { emailAddress: 'ada@contoso.com', requestVersion: '3.0' }));
      assert.equal(answer.status, 400);
      assert.equal(answer.fault?.subcode, 's:messageformat');
      assert.equal(answer.fault?.errorType, 'DeviceNotSupported');
      assert.match(answer.fault!.reason, /RequestVersion 3\.0/);
      assert.equal(answer.relatesTo, requestHeader.messageId);
    });
  });

  describe('policy (GetPolicies)', () => {
    it('answers an RSA key of 2048 bits or more and SHA-256 for a valid token, consuming nothing', async () => {
      const before = await snapshot();
      const answer = await post(inject, paths.policy, buildGetPoliciesRequest(header(paths.policy), ada));
      assert.equal(answer.status, 200, answer.body);
      const response = new XMLParser({ removeNSPrefix: true, parseTagValue: false }).parse(answer.body).Envelope.Body.GetPoliciesResponse;
      const attributes = response.response.policies.policy.attributes;
      assert.equal(attributes.privateKeyAttributes.minimalKeyLength, '2048');
      const hash = response.oIDs.oID.find((oid: { oIDReferenceID: string }) => oid.oIDReferenceID === attributes.hashAlgorithmOIDReference);
      assert.equal(hash.value, '2.16.840.1.101.3.4.2.1');
      assert.deepEqual(await snapshot(), before);
    });

    it('refuses a bad, expired, revoked, other-platform or other user\'s token with s:authentication and HTTP 401', async () => {
      const expired = await windowsToken();
      await t.envelope.db.query("UPDATE enrollment_tokens SET expires_at = now() - interval '1 second' WHERE id = $1", [expired.id]);
      const revoked = await windowsToken();
      assert.equal((await t.request('DELETE', `/graph/beta/envelope/enrollmentTokens/${revoked.id}`)).status, 204);
      const ios = await createEnrollmentToken(t, { userId, platform: 'iOS' });
      const bobId = await createUser(t, 'bob@contoso.com');
      const bobs = await createEnrollmentToken(t, { userId: bobId, platform: 'Windows' });
      const cases: [string, string, RegExp][] = [
        ['unknown', 'enr_not-a-token', /not valid/],
        ['expired', expired.token, /expired on/],
        ['revoked', revoked.token, /revoked/],
        ['other platform', ios.token, /for iOS devices, not Windows/],
        ['other user', bobs.token, /issued to another user/],
      ];
      const before = await snapshot();
      for (const [what, password, reason] of cases) {
        for (const path of [paths.policy, paths.enrollment]) {
          const answer = path === paths.policy
            ? await post(inject, path, buildGetPoliciesRequest(header(path), { username: 'ada@contoso.com', password }))
            : await rst(inject, { username: 'ada@contoso.com', password }, { deviceId: `REFUSED-${what}`.replace(/\s/g, '') });
          assert.equal(answer.status, 401, `${what} at ${path}: ${answer.body}`);
          assert.equal(answer.fault?.subcode, 's:authentication', what);
          assert.match(answer.fault!.reason, reason, what);
          assert.ok(!answer.body.includes(password), 'the fault never repeats the token');
        }
      }
      assert.deepEqual(await snapshot(), before);
    });
  });

  describe('enrollment (RST)', () => {
    it('issues a certificate for the CSR\'s key that chains to the tenant CA, and the PC appears as the token user\'s managed device', async () => {
      const keys = await generateDeviceKeys();
      const answer = await rst(inject, ada, { deviceId: 'F717C0F05F684AC3A34101B2544219DF', hwDevId: 'HW-ADA-1', deviceName: 'ADA-LAPTOP', osVersion: '10.0.22631.4460', keys });
      assert.equal(answer.relatesTo, answer.messageId);
      assert.equal(answer.headers['content-length'], String(Buffer.byteLength(answer.body)));
      const timestamp = new XMLParser({ removeNSPrefix: true }).parse(answer.body).Envelope.Header.Security.Timestamp;
      assert.ok(Date.parse(timestamp.Expires) > Date.parse(timestamp.Created));
      const { certificate, store, thumbprint, doc, application } = provisioningOf(answer);

      const ca = new X509Certificate(await tenantCaPem(t));
      assert.equal(certificate.checkIssued(ca), true);
      assert.equal(certificate.verify(ca.publicKey), true);
      assert.deepEqual(certificate.publicKey.export({ type: 'spki', format: 'der' }), Buffer.from(await webcrypto.subtle.exportKey('spki', keys.publicKey)));
      assert.equal(certificate.subject, 'CN=F717C0F05F684AC3A34101B2544219DF');
      assert.deepEqual(certificate.keyUsage, ['1.3.6.1.5.5.7.3.2']);
      assert.equal(certificate.ca, false);
      const lifetimeDays = (Date.parse(certificate.validTo) - Date.parse(certificate.validFrom)) / 86_400_000;
      assert.ok(lifetimeDays > 365 && lifetimeDays < 366, `${lifetimeDays} days`);
      assert.equal(Certificate.fromBER(certificate.raw).signatureAlgorithm.algorithmId, '1.2.840.113549.1.1.11', 'sha256WithRSAEncryption');
      assert.equal(store, 'User');
      assert.equal(thumbprint, createHash('sha1').update(certificate.raw).digest('hex').toUpperCase());
      assert.equal(wapAt(doc, ['CertificateStore', 'Root', 'System']).characteristic![0]!['@_type'], createHash('sha1').update(ca.raw).digest('hex').toUpperCase());
      assert.equal(parmOf(application, 'ADDR'), 'https://envelope.test/ManagementServer/MDM.svc');
      assert.equal(parmOf(application, 'PROVIDER-ID'), 'Envelope');
      assert.ok(wapAt(doc, ['DMClient', 'Provider', 'Envelope', 'Poll']));

      const devices = await t.request('GET', `/graph/beta/deviceManagement/managedDevices?$filter=deviceName eq 'ADA-LAPTOP'`);
      assert.equal(devices.status, 200);
      assert.equal(devices.body.value.length, 1);
      const device = devices.body.value[0];
      assert.equal(device.operatingSystem, 'Windows');
      assert.equal(device.osVersion, '10.0.22631.4460');
      assert.equal(device.userId, userId);
      assert.equal(device.userPrincipalName, 'ada@contoso.com');
      assert.equal(parmOf(wapAt(doc, ['DMClient', 'Provider', 'Envelope']), 'EntDMID'), device.id);

      const rows = await t.envelope.db.query<{ certificate_sha256: Uint8Array; certificate_serial: string; certificate_not_after: Date; windows_device_id: string; hw_dev_id: string; enrollment_type: string; token_id: string }>(
        'SELECT certificate_sha256, certificate_serial, certificate_not_after, windows_device_id, hw_dev_id, enrollment_type, token_id FROM windows_enrollments WHERE device_id = $1',
        [device.id],
      );
      assert.equal(rows.length, 1);
      const row = rows[0]!;
      assert.equal(Buffer.from(row.certificate_sha256).toString('hex'), createHash('sha256').update(certificate.raw).digest('hex'));
      assert.equal(row.certificate_serial, certificate.serialNumber.toUpperCase());
      assert.equal(new Date(row.certificate_not_after).getTime(), Date.parse(certificate.validTo));
      assert.deepEqual([row.windows_device_id, row.hw_dev_id, row.enrollment_type, row.token_id], ['F717C0F05F684AC3A34101B2544219DF', 'HW-ADA-1', 'Full', tokenId]);
      assert.equal((await t.request('GET', `/graph/beta/envelope/enrollmentTokens/${tokenId}`)).body.usedCount, 1);
    });

    it('installs a Device enrollment\'s certificate in the system store', async () => {
      const { store, application } = provisioningOf(await rst(inject, ada, { deviceId: 'DEVICE-SCOPE-1', enrollmentType: 'Device' }));
      assert.equal(store, 'System');
      assert.match(parmOf(application, 'SSLCLIENTCERTSEARCHCRITERIA')!, /Stores=My%5CSystem$/);
    });

    it('accepts the CSR whose PrintableString CN holds ! and NUL, as real PCs send it', async () => {
      const { certificate } = provisioningOf(await rst(inject, ada, { deviceId: 'ODD-CSR-PC', certificateRequest: oddSubjectCertificateRequest() }));
      assert.equal(certificate.subject, 'CN=ODD-CSR-PC');
    });

    it('refuses a CSR whose signature was tampered with: s:certificaterequest, HTTP 400, nothing written', async () => {
      const tampered = new Uint8Array(oddSubjectCertificateRequest());
      tampered[tampered.length - 1]! ^= 0x01;
      const before = await snapshot();
      const answer = await rst(inject, ada, { deviceId: 'TAMPERED-PC', certificateRequest: tampered });
      assert.equal(answer.status, 400);
      assert.equal(answer.fault?.subcode, 's:certificaterequest');
      assert.match(answer.fault!.reason, /signature does not verify/);
      assert.deepEqual(await snapshot(), before);
    });

    it('refuses the PC after the token\'s maxDevices with s:authorization (DeviceCapReached), HTTP 403, nothing written', async () => {
      const token = await windowsToken({ maxDevices: 1 });
      const credentials = { username: 'ada@contoso.com', password: token.token };
      assert.equal((await rst(inject, credentials, { deviceId: 'CAP-PC-1' })).status, 200);
      const before = await snapshot();
      for (const answer of [await rst(inject, credentials, { deviceId: 'CAP-PC-2' }), await post(inject, paths.policy, buildGetPoliciesRequest(header(paths.policy), credentials))]) {
        assert.equal(answer.status, 403, answer.body);
        assert.equal(answer.fault?.subcode, 's:authorization');
        assert.equal(answer.fault?.errorType, 'DeviceCapReached');
      }
      assert.deepEqual(await snapshot(), before);
    });

    it('lets exactly one of two PCs racing for a token\'s last slot enroll', async () => {
      const token = await windowsToken({ maxDevices: 1 });
      const credentials = { username: 'ada@contoso.com', password: token.token };
      const before = await snapshot();
      const answers = await Promise.all([rst(inject, credentials, { deviceId: 'RACE-PC-1' }), rst(inject, credentials, { deviceId: 'RACE-PC-2' })]);
      assert.deepEqual(answers.map((a) => a.status).sort(), [200, 403], answers.map((a) => a.body).join('\n'));
      const after = await snapshot();
      assert.deepEqual(after, { devices: before.devices + 1, enrollments: before.enrollments + 1, used: before.used + 1 });
    });

    it('replaces the earlier enrollment of the same HWDevID: one managed device is left, the new one', async () => {
      const first = provisioningOf(await rst(inject, ada, { deviceId: 'REENROLL-A', hwDevId: 'HW-REENROLL', deviceName: 'REENROLL-PC' }));
      const second = provisioningOf(await rst(inject, ada, { deviceId: 'REENROLL-B', hwDevId: 'HW-REENROLL', deviceName: 'REENROLL-PC' }));
      const devices = await t.request('GET', `/graph/beta/deviceManagement/managedDevices?$filter=deviceName eq 'REENROLL-PC'`);
      assert.equal(devices.body.value.length, 1);
      const rows = await t.envelope.db.query<{ device_id: string; windows_device_id: string }>("SELECT device_id, windows_device_id FROM windows_enrollments WHERE hw_dev_id = 'HW-REENROLL'");
      assert.deepEqual(rows.map((r) => [r.device_id, r.windows_device_id]), [[devices.body.value[0].id, 'REENROLL-B']]);
      assert.notEqual(first.digest.username, second.digest.username);
    });

    it('replaces the earlier enrollment of the same DeviceID when the PC sends no HWDevID', async () => {
      await rst(inject, ada, { deviceId: 'NO-HW-PC', deviceName: 'NO-HW-PC' });
      provisioningOf(await rst(inject, ada, { deviceId: 'NO-HW-PC', deviceName: 'NO-HW-PC' }));
      const devices = await t.request('GET', `/graph/beta/deviceManagement/managedDevices?$filter=deviceName eq 'NO-HW-PC'`);
      assert.equal(devices.body.value.length, 1);
    });

    it('leaves another tenant\'s enrollment of the same hardware alone', async () => {
      const other = await t.tenant('fabrikam');
      const joeId = await createUser(t, 'joe@fabrikam.com', other.admin);
      const joes = await createEnrollmentToken(t, { userId: joeId, platform: 'Windows' }, other.admin);
      provisioningOf(await rst(inject, { username: 'joe@fabrikam.com', password: joes.token }, { deviceId: 'SHARED-HW-F', hwDevId: 'HW-SHARED', deviceName: 'SHARED-HW' }));
      provisioningOf(await rst(inject, ada, { deviceId: 'SHARED-HW-C', hwDevId: 'HW-SHARED', deviceName: 'SHARED-HW' }));
      const rows = await t.envelope.db.query<{ n: number }>("SELECT count(*)::int AS n FROM windows_enrollments WHERE hw_dev_id = 'HW-SHARED'");
      assert.equal(rows[0]!.n, 2);
    });
  });

  describe('malformed requests', () => {
    const cases: [string, string, () => string | Uint8Array, number, string, RegExp][] = [
      ['bytes that are not XML', paths.enrollment, () => 'this is not xml <', 400, 's:messageformat', /not well-formed XML/],
      ['an empty body', paths.policy, () => '', 400, 's:messageformat', /empty/],
      ['XML that is not SOAP', paths.discovery, () => '<plist version="1.0"><dict/></plist>', 400, 's:messageformat', /not a SOAP envelope/],
      ['a Discover posted to the enrollment service', paths.enrollment, () => buildDiscoverRequest(header(paths.enrollment), { emailAddress: 'a@b.c', requestVersion: '5.0' }), 400, 's:messageformat', new RegExp(`'${soapActions.discover}' is not served here`)],
      ['an RST without a UsernameToken', paths.enrollment, () => buildRequestSecurityToken(header(paths.enrollment), { username: 'ada@contoso.com', password: 'x' }, { certificateRequest: oddSubjectCertificateRequest(), context: { DeviceID: 'NO-CREDENTIALS' } }).replace(/<wsse:Security[\s\S]*<\/wsse:Security>/, ''), 401, 'a:invalidsecurity', /no wsse:Security/],
      ['an RST without a DeviceID', paths.enrollment, () => buildRequestSecurityToken(header(paths.enrollment), { username: 'ada@contoso.com', password: 'x' }, { certificateRequest: oddSubjectCertificateRequest(), context: { HWDevID: 'HW' } }), 400, 's:messageformat', /no DeviceID item/],
      ['a body larger than any RST', paths.enrollment, () => `<Envelope>${' '.repeat(300 * 1024)}</Envelope>`, 413, 's:messageformat', /too large/i],
    ];
    for (const [what, path, body, status, subcode, reason] of cases) {
      it(`answers ${what} with ${subcode} naming the problem, HTTP ${status}, nothing written`, async () => {
        const before = await snapshot();
        const answer = await post(inject, path, body());
        assert.equal(answer.status, status, answer.body);
        assert.equal(answer.headers['content-type'], soapType);
        assert.equal(answer.fault?.subcode, subcode);
        assert.match(answer.fault!.reason, reason);
        assert.deepEqual(await snapshot(), before);
      });
    }
  });
});

describe('Windows enrollment secrets', () => {
  const lines: string[] = [];
  let envelope: Envelope;
  let testDb: TestDb;
  const secretKey = randomBytes(32);
  const adminToken = `env_test_${randomBytes(24).toString('base64url')}`;

  async function admin(method: 'POST' | 'GET', url: string, payload?: unknown) {
    const reply = await envelope.app.inject({ method, url, headers: { authorization: `Bearer ${adminToken}` }, ...(payload === undefined ? {} : { payload: payload as object }) });
    return reply.json() as Record<string, string>;
  }

  before(async () => {
    testDb = await openTestDb();
    const sink = new Writable({
      write(chunk: Buffer, _encoding, done) {
        lines.push(...chunk.toString().split('\n').filter(Boolean));
        done();
      },
    });
    envelope = await createEnvelope({ db: testDb.db, secretKey, adminToken, logger: { ...(loggerOptions('debug') as object), stream: sink }, publicUrl: 'https://envelope.test' });
  });
  after(async () => {
    await envelope.app.close();
    await testDb.dispose();
  });

  it('keeps the DIGEST secret sealed in the database and out of the logs, with the enrollment token', async () => {
    const user = await admin('POST', '/graph/beta/users', { displayName: 'Ada', userPrincipalName: 'ada@contoso.com' });
    const token = await admin('POST', '/graph/beta/envelope/enrollmentTokens', { userId: user.id, platform: 'Windows' });
    const credentials = { username: 'ada@contoso.com', password: token.token! };
    const inject = envelope.app.inject.bind(envelope.app);
    await post(inject, paths.policy, buildGetPoliciesRequest(header(paths.policy), credentials));
    const { digest } = provisioningOf(await rst(inject, credentials, { deviceId: 'SECRET-PC', hwDevId: 'HW-SECRET' }));
    assert.ok(digest.secret.length >= 32);

    const rows = await envelope.db.query<{ tenant_id: string; device_id: string; digest_username: string; sealed_digest_secret: Uint8Array }>(
      'SELECT tenant_id, device_id, digest_username, sealed_digest_secret FROM windows_enrollments',
    );
    assert.equal(rows.length, 1);
    const row = rows[0]!;
    assert.equal(row.digest_username, digest.username);
    assert.equal(Buffer.from(row.sealed_digest_secret).includes(Buffer.from(digest.secret)), false, 'not in clear');
    const opened = new SecretBox(secretKey).open(row.sealed_digest_secret, windowsDigestSecretContext(row.tenant_id, row.device_id));
    assert.equal(opened.toString('utf8'), digest.secret, 'sealed under the documented context');
    const anywhere = await envelope.db.query<{ n: number }>(
      "SELECT count(*)::int AS n FROM windows_enrollments w WHERE row_to_json(w)::text LIKE '%' || $1 || '%'",
      [digest.secret],
    );
    assert.equal(anywhere[0]!.n, 0);

    const log = lines.join('\n');
    assert.ok(log.includes('windows: PC enrolled'), 'the enrollment is logged');
    assert.equal(log.includes(digest.secret), false, 'the DIGEST secret is never logged');
    assert.equal(log.includes(credentials.password), false, 'the enrollment token is never logged');
  });
});

describe('Windows enrollment without an https ENVELOPE_PUBLIC_URL', () => {
  let envelope: Envelope;
  let testDb: TestDb;

  before(async () => {
    testDb = await openTestDb();
    envelope = await createEnvelope({ db: testDb.db, secretKey: randomBytes(32), adminToken: null, logger: false, publicUrl: 'http://envelope.test' });
  });
  after(async () => {
    await envelope.app.close();
    await testDb.dispose();
  });

  it('answers Discover with s:enrollmentserver naming the variable, HTTP 500', async () => {
    const answer = await post(envelope.app.inject.bind(envelope.app), paths.discovery, buildDiscoverRequest(header(paths.discovery), { emailAddress: 'ada@contoso.com', requestVersion: '9.0' }));
    assert.equal(answer.status, 500);
    assert.equal(answer.fault?.subcode, 's:enrollmentserver');
    assert.match(answer.fault!.reason, /ENVELOPE_PUBLIC_URL is 'http:\/\/envelope\.test'; Windows enrolls and is managed over https only/);
  });
});
