import assert from 'node:assert/strict';
import { randomBytes, X509Certificate } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { createTestCa, issueServerCertificate, type TestCa } from '../../sim/apns/apns-test-pki.ts';
import { createDeviceAgent, createDeviceHttp, DeviceNetworkError } from '../../sim/ios/device-http.ts';
import { EnrollmentError, enrollIphone } from '../../sim/ios/enroll.ts';
import { createEnvelope, type Envelope } from '../../src/main.ts';
import { signMdmMessage, verifyMdmSignature } from '../../src/protocols/apple-mdm/index.ts';
import { setUpEnrollment, tenantCaPem, type EnrollmentSetup } from '../helpers/apple-enrollment.ts';
import { freePort } from '../helpers/https-envelope.ts';
import type { TestApp } from '../helpers/test-app.ts';
import { openTestDb, type TestDb } from '../helpers/test-db.ts';

/**
 * The enrollment half of a simulated iPhone against a real Envelope serving HTTPS on 127.0.0.1,
 * whose ENVELOPE_PUBLIC_URL is that address (so the profile's ServerURL and CheckInURL point at it).
 */
describe('enrolling a simulated iPhone over HTTPS', () => {
  let testDb: TestDb;
  let envelope: Envelope;
  let tlsCa: TestCa;
  let origin: string;
  let setup: EnrollmentSetup;
  let admin: TestApp;

  before(async () => {
    testDb = await openTestDb();
    tlsCa = await createTestCa('Envelope test TLS CA');
    const tls = await issueServerCertificate(tlsCa);
    const port = await freePort();
    origin = `https://127.0.0.1:${port}`;
    const adminToken = `env_test_${randomBytes(24).toString('base64url')}`;
    envelope = await createEnvelope({
      db: testDb.db,
      secretKey: randomBytes(32),
      adminToken,
      logger: false,
      publicUrl: origin,
      https: { cert: Buffer.from(tls.certificatePem), key: Buffer.from(tls.privateKeyPem) },
    });
    await envelope.app.listen({ port, host: '127.0.0.1' });
    // The admin half goes through inject, as the other HTTP suites do; only the device half needs the socket.
    admin = {
      adminToken,
      async request(method, url, options = {}) {
        const raw = await envelope.app.inject({
          method,
          url,
          headers: { authorization: `Bearer ${options.token ?? adminToken}` },
          ...(options.body === undefined ? {} : { payload: options.body as object }),
        });
        return { status: raw.statusCode, body: raw.body ? JSON.parse(raw.body) : raw.body, raw };
      },
    } as TestApp;
    setup = await setUpEnrollment(admin, { maxDevices: 5 });
  });
  after(async () => {
    await envelope.app.close();
    await testDb.dispose();
  });

  function deviceHttp(trustServer = true) {
    return createDeviceHttp({ agent: createDeviceAgent(trustServer ? { serverCaPem: tlsCa.certificatePem } : {}), timeoutMs: 30_000 });
  }

  it('downloads the profile as Safari does and gets the identity the server bound to the pending enrollment, with the MDM settings', async () => {
    const caPem = await tenantCaPem(admin);
    const caDer = new Uint8Array(new X509Certificate(caPem).raw);
    const enrollment = await enrollIphone({ enrollmentUrl: setup.enrollmentUrl, http: deviceHttp(), trustedProfileRootsDer: [caDer] });
    assert.ok(setup.enrollmentUrl.startsWith(`${origin}/mdm/apple/enroll?token=`));

    const rows = await envelope.db.query<{ token_id: string }>('SELECT token_id FROM apple_pending_enrollments WHERE certificate_sha256 = $1', [Buffer.from(enrollment.identity.certificateSha256, 'hex')]);
    assert.deepEqual(rows.map((row) => row.token_id), [setup.tokenId]);
    assert.deepEqual(enrollment.mdm, {
      ServerURL: `${origin}/mdm/apple/server`,
      CheckInURL: `${origin}/mdm/apple/checkin`,
      Topic: setup.topic,
      SignMessage: true,
      IdentityCertificateUUID: enrollment.mdm.IdentityCertificateUUID,
      AccessRights: 1 + 2 + 16 + 1024,
      CheckOutWhenRemoved: true,
    });
    assert.equal(enrollment.verified, true, 'the profile signer chains to the tenant CA');
    assert.equal(enrollment.signerCertificates.length, 2);
    assert.deepEqual(enrollment.profile.payloads.map((p) => p.PayloadType), ['com.apple.security.pkcs12', 'com.apple.mdm']);

    // The private key pairs with the certificate: a signature the server-side verifier accepts, issued by the tenant CA.
    const body = new TextEncoder().encode('<plist/>');
    const verified = await verifyMdmSignature(await signMdmMessage(body, enrollment.identity), body, { caCertificateDer: caDer, at: new Date() });
    assert.equal(verified.certificateSha256, enrollment.identity.certificateSha256);
  });

  it('reports the profile as unverified when the signer’s root is not trusted, and installs it anyway', async () => {
    const enrollment = await enrollIphone({ enrollmentUrl: setup.enrollmentUrl, http: deviceHttp() });
    assert.equal(enrollment.verified, false);
  });

  it('refuses a server whose TLS certificate it does not trust', async () => {
    await assert.rejects(enrollIphone({ enrollmentUrl: setup.enrollmentUrl, http: deviceHttp(false) }), DeviceNetworkError);
  });

  it('reports a refused token with its status and the server’s message', async () => {
    await assert.rejects(enrollIphone({ enrollmentUrl: `${origin}/mdm/apple/enroll?token=enr_nonsense`, http: deviceHttp() }), (error: unknown) => {
      assert.ok(error instanceof EnrollmentError);
      assert.equal(error.code, 'http');
      assert.equal(error.status, 403);
      assert.match(error.message, /This enrollment link is not valid/);
      return true;
    });
  });

  // Last: it uses up this address's enrollment budget for the minute.
  it('reports the rate limit as rate-limited with the Retry-After the server sent', async () => {
    const http = deviceHttp();
    let limited: EnrollmentError | undefined;
    for (let attempt = 0; attempt < 70 && !limited; attempt++) {
      try {
        await enrollIphone({ enrollmentUrl: `${origin}/mdm/apple/enroll?token=enr_nonsense`, http });
      } catch (error) {
        if (error instanceof EnrollmentError && error.code === 'rate-limited') limited = error;
      }
    }
    assert.ok(limited, 'no 429 within 70 requests');
    assert.equal(limited.status, 429);
    assert.equal(typeof limited.retryAfterSeconds, 'number');
  });
});
