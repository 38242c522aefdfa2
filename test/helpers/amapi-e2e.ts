import assert from 'node:assert/strict';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { Writable } from 'node:stream';
import type { AddressInfo } from 'node:net';
import { createEnvelope, loggerOptions, type Envelope } from '../../src/main.ts';
import type { AmapiQuota } from '../../src/protocols/amapi/amapi-rate-limiter.ts';
import { AmapiStandIn, type AmapiStandInOptions, type SimulatedDeviceOptions } from '../../sim/amapi/amapi-standin.ts';
import { adminRequester } from './https-envelope.ts';
import type { Reply } from './test-app.ts';
import { openTestDb } from './test-db.ts';

type Dict = Record<string, unknown>;

export const gmail = 'com.google.android.gm';
export const nineWork = 'com.ninefolders.hd3.work';
export const enterpriseName = 'enterprises/LC0envelopetest';

/** A Google service-account key file as Google issues it (a fresh RSA key). */
export function serviceAccountKeyFile(): { json: string; privateKeyPem: string; clientEmail: string } {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const privateKeyPem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  const clientEmail = `envelope-${randomBytes(3).toString('hex')}@contoso-emm.iam.gserviceaccount.com`;
  const json = JSON.stringify({
    type: 'service_account', project_id: 'contoso-emm', private_key_id: randomBytes(20).toString('hex'), private_key: privateKeyPem,
    client_email: clientEmail, client_id: '1234567890', auth_uri: 'https://accounts.google.com/o/oauth2/auth', token_uri: 'https://oauth2.googleapis.com/token',
  });
  return { json, privateKeyPem, clientEmail };
}

export interface AmapiE2e {
  envelope: Envelope;
  standIn: AmapiStandIn;
  origin: string;
  key: ReturnType<typeof serviceAccountKeyFile>;
  /** The Pub/Sub push token the settings PUT issued. */
  pubsubToken: string;
  /** Everything Envelope logged. */
  logs: string[];
  request(method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE', url: string, body?: unknown): Promise<Reply>;
  query<R = Dict>(sql: string, params?: unknown[]): Promise<R[]>;
  /** A user in a group of their own. */
  user(name: string): Promise<{ userId: string; groupId: string; upn: string }>;
  mailProfile(type: 'gmail' | 'nineWork', displayName: string, extra?: Dict): Promise<string>;
  assign(profileId: string, groupIds: string[]): Promise<void>;
  /** Enrolls a simulated work profile for `userId` through Envelope's enroll endpoint and waits for its first policy; returns Envelope's device id and the AMAPI name. */
  enrollDevice(userId: string, options?: SimulatedDeviceOptions): Promise<{ deviceId: string; amapiName: string }>;
  /** The device's status row for the profile (Graph deviceStatuses), or undefined. */
  status(profileId: string, deviceId: string): Promise<Dict | undefined>;
  waitFor<T>(what: string, probe: () => Promise<T | undefined | null | false>, timeoutMs?: number): Promise<T>;
  close(): Promise<void>;
}

export async function startAmapiE2e(options: { standIn?: AmapiStandInOptions; quota?: AmapiQuota; mailAppInstallType?: 'FORCE_INSTALLED' | 'AVAILABLE' } = {}): Promise<AmapiE2e> {
  const testDb = await openTestDb();
  const standIn = new AmapiStandIn(options.standIn);
  const rootUrl = await standIn.start();
  const logs: string[] = [];
  const stream = new Writable({ write(chunk, _encoding, done) { logs.push(chunk.toString()); done(); } });
  const adminToken = `env_test_${randomBytes(24).toString('base64url')}`;
  // The public URL is only known once listening: take a port first.
  const envelope = await createEnvelope({
    db: testDb.db,
    secretKey: randomBytes(32),
    adminToken,
    // The server's own logger options (redaction included), into memory.
    logger: { ...(loggerOptions('debug') as object), stream },
    publicUrl: 'http://127.0.0.1',
    wake: { pollIntervalMs: 50 },
    amapi: { url: rootUrl, ...(options.quota ? { quota: options.quota } : {}), clientOptions: { quotaBackoffMs: 300 }, sync: { pollIntervalMs: 50, retryAfterMs: 200 } },
  });
  await envelope.app.listen({ port: 0, host: '127.0.0.1' });
  const origin = `http://127.0.0.1:${(envelope.app.server.address() as AddressInfo).port}`;
  envelope.wakeWorker.start();
  envelope.amapiSync.start();
  const request = adminRequester(() => envelope.app, adminToken);
  const ok = (reply: Reply, status: number | number[]) => {
    assert.ok((Array.isArray(status) ? status : [status]).includes(reply.status), `HTTP ${reply.status}: ${JSON.stringify(reply.body)}`);
    return reply.body as Dict;
  };
  const key = serviceAccountKeyFile();
  standIn.registerServiceAccount(key.clientEmail, key.privateKeyPem);
  const settings = ok(await request('PUT', '/graph/beta/envelope/androidEnterpriseSettings', { enterpriseName, serviceAccountKey: key.json, mailAppInstallType: options.mailAppInstallType ?? 'AVAILABLE' }), 200);
  const pubsubToken = settings.pubsubPushToken as string;
  standIn.pushUrl = `${origin}/mdm/android/enterprise/pubsub?token=${pubsubToken}`;

  const waitFor: AmapiE2e['waitFor'] = async (what, probe, timeoutMs = 20_000) => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const value = await probe();
      if (value !== undefined && value !== null && value !== false) return value as never;
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
  };
  const query: AmapiE2e['query'] = (sql, params) => testDb.db.query(sql, params);

  return {
    envelope,
    standIn,
    origin,
    key,
    pubsubToken,
    logs,
    request,
    query,
    async user(name) {
      const upn = `${name}-${randomBytes(2).toString('hex')}@contoso.com`;
      const userId = ok(await request('POST', '/graph/beta/users', { displayName: name, userPrincipalName: upn, mail: upn }), 201).id as string;
      const groupId = ok(await request('POST', '/graph/beta/groups', { displayName: `${name}'s phones ${randomBytes(2).toString('hex')}`, 'members@odata.bind': [`https://graph.microsoft.com/beta/users/${userId}`] }), 201).id as string;
      return { userId, groupId, upn };
    },
    async mailProfile(type, displayName, extra = {}) {
      return ok(await request('POST', '/graph/beta/deviceManagement/deviceConfigurations', {
        '@odata.type': type === 'gmail' ? '#microsoft.graph.androidWorkProfileGmailEasConfiguration' : '#microsoft.graph.androidWorkProfileNineWorkEasConfiguration',
        displayName, hostName: 'mail.contoso.com', authenticationMethod: 'usernameAndPassword', usernameSource: 'userPrincipalName', emailAddressSource: 'userPrincipalName',
        requireSsl: true, durationOfEmailToSync: 'oneWeek',
        ...(type === 'nineWork' ? { syncCalendar: true, syncContacts: true, syncTasks: false } : {}),
        ...extra,
      }), 201).id as string;
    },
    async assign(profileId, groupIds) {
      ok(await request('POST', `/graph/beta/deviceManagement/deviceConfigurations/${profileId}/assign`, {
        assignments: groupIds.map((groupId) => ({ target: { '@odata.type': '#microsoft.graph.groupAssignmentTarget', groupId } })),
      }), 200);
    },
    async enrollDevice(userId, deviceOptions = {}) {
      const token = ok(await request('POST', '/graph/beta/envelope/enrollmentTokens', { userId, platform: 'Android', maxDevices: 1 }), 201).token as string;
      // A 503 (Google's quota spent for now) is retried, as the company portal does.
      let enrollment: Response;
      let body: Dict;
      for (let attempt = 0; ; attempt++) {
        enrollment = await fetch(`${origin}/mdm/android/enterprise/enroll`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ token }) });
        body = (await enrollment.json()) as Dict;
        if (enrollment.status !== 503 || attempt >= 100) break;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      assert.equal(enrollment.status, 200, JSON.stringify(body));
      const amapiName = standIn.enroll(body.enrollmentToken as string, deviceOptions);
      // Enrolled, and its own policy patched and assigned (the first sync after ENROLLMENT).
      const deviceId = await waitFor(`the device ${amapiName} in Envelope with its policy`, async () =>
        (await query<{ device_id: string }>('SELECT device_id FROM android_enterprise_devices WHERE amapi_device_name = $1 AND policy_assigned AND sync_due_at IS NULL', [amapiName]))[0]?.device_id);
      return { deviceId, amapiName };
    },
    async status(profileId, deviceId) {
      const rows = ok(await request('GET', `/graph/beta/deviceManagement/deviceConfigurations/${profileId}/deviceStatuses`), 200).value as Dict[];
      return rows.find((row) => String(row.id).includes(deviceId));
    },
    waitFor,
    async close() {
      await envelope.amapiSync.stop();
      await envelope.wakeWorker.stop();
      await envelope.maintenance.stop();
      await standIn.settled().catch(() => undefined);
      envelope.app.server.closeAllConnections();
      await envelope.app.close();
      await standIn.stop();
      await testDb.dispose();
    },
  };
}
