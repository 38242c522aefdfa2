import assert from 'node:assert/strict';
import { randomBytes, X509Certificate } from 'node:crypto';
import { createServer } from 'node:net';
import type { InjectOptions } from 'fastify';
import { ApnsStandIn } from '../../sim/apns/apns-standin.ts';
import { createTestCa, issuePushCertificate, issueServerCertificate, type TestCa } from '../../sim/apns/apns-test-pki.ts';
import { createDeviceAgent, createDeviceHttp, type DeviceHttp } from '../../sim/ios/device-http.ts';
import { enrollIphone } from '../../sim/ios/enroll.ts';
import { SimulatedIphone } from '../../sim/ios/simulated-iphone.ts';
import { createEnvelope, type Envelope } from '../../src/main.ts';
import type { AppleMdmOptions } from '../../src/services/apple-mdm/apple-mdm-service.ts';
import type { Db } from '../../src/store/db.ts';
import type { Reply } from './test-app.ts';

export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** The TLS and APNs material one end-to-end suite shares between its server processes. */
export interface E2ePki {
  tlsCa: TestCa;
  tls: { certificatePem: string; privateKeyPem: string };
  /** Signs the push certificate (as Apple does) and the stand-in's TLS certificate. */
  apnsCa: TestCa;
  apnsServer: { certificatePem: string; privateKeyPem: string };
  push: Awaited<ReturnType<typeof issuePushCertificate>>;
}

export async function createE2ePki(): Promise<E2ePki> {
  const tlsCa = await createTestCa('Envelope e2e TLS CA');
  const apnsCa = await createTestCa('Envelope e2e APNs CA');
  return { tlsCa, tls: await issueServerCertificate(tlsCa), apnsCa, apnsServer: await issueServerCertificate(apnsCa), push: await issuePushCertificate(apnsCa, {}) };
}

/** The APNs stand-in for the suite: client certificates must chain to the suite's APNs CA. */
export function startApnsStandIn(pki: E2ePki): Promise<ApnsStandIn> {
  return ApnsStandIn.start({ certificatePem: pki.apnsServer.certificatePem, privateKeyPem: pki.apnsServer.privateKeyPem, clientCa: pki.apnsCa.certificatePem });
}

/** Wakes the iPhone whose push token a push names, as iOS does on an MDM push. */
export function wakeOnPush(standIn: ApnsStandIn, iphones: () => Iterable<SimulatedIphone>): () => void {
  return standIn.onPush((push) => {
    for (const iphone of iphones()) if (iphone.pushTokenHex === push.token && iphone.pushMagic === push.pushMagic) void iphone.wake();
  });
}

/**
 * An admin request through inject with the admin token (the admin API needs no socket); `app` is
 * read at each call, so a helper whose server restarts keeps one requester.
 */
export function adminRequester(app: () => Envelope['app'], adminToken: string): HttpsEnvelope['request'] {
  return async (method, url, body) => {
    const raw = await app().inject({
      method,
      url: url.replace(/ /g, '%20'),
      headers: { authorization: `Bearer ${adminToken}` },
      ...(body === undefined ? {} : { payload: body as InjectOptions['payload'] }),
    });
    const parsed = (raw.headers['content-type'] ?? '').toString().includes('json') && raw.body ? JSON.parse(raw.body) : raw.body;
    return { status: raw.statusCode, body: parsed, raw };
  };
}

/** An Envelope listening on HTTPS at 127.0.0.1 with its public URL there, as devices reach it. */
export interface HttpsEnvelope {
  envelope: Envelope;
  origin: string;
  adminToken: string;
  /** An admin request through inject (the admin API needs no socket). */
  request(method: InjectOptions['method'], url: string, body?: unknown): Promise<Reply>;
  close(): Promise<void>;
}

export async function startHttpsEnvelope(options: {
  db: Db;
  pki: E2ePki;
  secretKey: Buffer;
  adminToken?: string;
  port?: number;
  appleMdmOptions?: Partial<AppleMdmOptions>;
  /** Pushes go to this stand-in and the wake worker runs. */
  apnsUrl?: string;
}): Promise<HttpsEnvelope> {
  const port = options.port ?? (await freePort());
  const origin = `https://127.0.0.1:${port}`;
  const adminToken = options.adminToken ?? `env_test_${randomBytes(24).toString('base64url')}`;
  const envelope = await createEnvelope({
    db: options.db,
    secretKey: options.secretKey,
    adminToken,
    logger: false,
    publicUrl: origin,
    https: { cert: Buffer.from(options.pki.tls.certificatePem), key: Buffer.from(options.pki.tls.privateKeyPem) },
    appleMdmOptions: options.appleMdmOptions,
    ...(options.apnsUrl ? { apns: { url: options.apnsUrl, ca: options.pki.apnsCa.certificatePem }, wake: { pollIntervalMs: 50 } } : {}),
  });
  await envelope.app.listen({ port, host: '127.0.0.1' });
  if (options.apnsUrl) envelope.wakeWorker.start();
  return {
    envelope,
    origin,
    adminToken,
    request: adminRequester(() => envelope.app, adminToken),
    async close() {
      await envelope.wakeWorker.stop();
      await envelope.app.close();
    },
  };
}

/** Directory, profile and assignment helpers over an admin `request`. */
export function adminHelpers(request: HttpsEnvelope['request']) {
  const ok = (reply: Reply, status: number) => {
    assert.equal(reply.status, status, JSON.stringify(reply.body));
    return reply.body;
  };
  return {
    async user(userPrincipalName: string): Promise<string> {
      return ok(await request('POST', '/graph/beta/users', { displayName: userPrincipalName, userPrincipalName }), 201).id;
    },
    async group(displayName: string, userIds: string[]): Promise<string> {
      return ok(await request('POST', '/graph/beta/groups', { displayName, 'members@odata.bind': userIds.map((id) => `https://graph.microsoft.com/beta/users/${id}`) }), 201).id;
    },
    async mailProfile(displayName: string, hostName: string, extra: Record<string, unknown> = {}): Promise<string> {
      return ok(await request('POST', '/graph/beta/deviceManagement/deviceConfigurations', {
        '@odata.type': '#microsoft.graph.iosEasEmailProfileConfiguration', displayName, accountName: displayName, hostName,
        usernameSource: 'userPrincipalName', emailAddressSource: 'userPrincipalName', requireSsl: true, durationOfEmailToSync: 'oneWeek', ...extra,
      }), 201).id;
    },
    async assign(profileId: string, groupIds: string[]): Promise<void> {
      ok(await request('POST', `/graph/beta/deviceManagement/deviceConfigurations/${profileId}/assign`, {
        assignments: groupIds.map((groupId) => ({ target: { '@odata.type': '#microsoft.graph.groupAssignmentTarget', groupId } })),
      }), 200);
    },
    async enrollmentToken(userId: string, maxDevices = 1): Promise<string> {
      return ok(await request('POST', '/graph/beta/envelope/enrollmentTokens', { userId, platform: 'iOS', maxDevices }), 201).enrollmentUrl;
    },
    async uploadPushCertificate(push: E2ePki['push']): Promise<void> {
      ok(await request('PUT', '/graph/beta/envelope/applePushCertificate', { certificate: push.certificatePem, privateKey: push.privateKeyPem }), 200);
    },
    async deviceStatus(profileId: string, deviceId: string): Promise<Record<string, unknown>> {
      const rows = ok(await request('GET', `/graph/beta/deviceManagement/deviceConfigurations/${profileId}/deviceStatuses`), 200).value as Record<string, unknown>[];
      const row = rows.find((r) => r.deviceId === deviceId || String(r.id).includes(deviceId));
      assert.ok(row, `a status row for ${deviceId} in ${JSON.stringify(rows)}`);
      return row;
    },
    async managedDeviceIdOf(serialNumber: string): Promise<string> {
      const devices = ok(await request('GET', '/graph/beta/deviceManagement/managedDevices?$top=999'), 200).value as Record<string, unknown>[];
      const found = devices.find((d) => String(d.deviceName).includes(serialNumber) || d.serialNumber === serialNumber);
      assert.ok(found, `a managed device with serial ${serialNumber}`);
      return found.id as string;
    },
  };
}

/** A simulated iPhone's network: HTTPS trusting the suite's TLS CA. */
export function deviceHttpFor(pki: E2ePki): DeviceHttp {
  return createDeviceHttp({ agent: createDeviceAgent({ serverCaPem: pki.tlsCa.certificatePem }), timeoutMs: 30_000 });
}

/** Enrolls a simulated iPhone through `enrollmentUrl` (download, Authenticate, TokenUpdate). */
export async function enrollIphoneAt(enrollmentUrl: string, http: DeviceHttp, tenantCaPem?: string): Promise<SimulatedIphone> {
  const roots = tenantCaPem ? [new Uint8Array(new X509Certificate(tenantCaPem).raw)] : undefined;
  const enrollment = await enrollIphone({ enrollmentUrl, http, ...(roots ? { trustedProfileRootsDer: roots } : {}) });
  const iphone = new SimulatedIphone({ enrollment, http });
  await iphone.authenticate();
  await iphone.tokenUpdate();
  return iphone;
}

export type { ApnsStandIn };
