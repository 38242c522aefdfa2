import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { ApnsStandIn, type AcceptedPush } from '../../sim/apns/apns-standin.ts';
import { createTestCa, issuePushCertificate, issueServerCertificate, type TestCa } from '../../sim/apns/apns-test-pki.ts';
import { createEnvelope, type Envelope } from '../../src/main.ts';
import type { WakeWorkerOptions } from '../../src/services/push/wake-worker.ts';
import type { Db } from '../../src/store/db.ts';
import { AppleEnrollmentStore } from '../../src/store/postgres/apple-enrollment-store.ts';

/** Fast retries for tests: 20 ms, 40 ms, 80 ms, 100 ms, then given up. */
export const testWakeOptions: Partial<WakeWorkerOptions> = {
  pollIntervalMs: 20,
  backoff: { firstMs: 20, maxMs: 100, maxAttempts: 5, jitter: 0 },
};

/**
 * An APNs stand-in with a test CA (it plays Apple: it signs the stand-in's server certificate and the
 * push certificates it accepts), and Envelopes pointed at it. Every push the stand-in accepts is
 * recorded in `pushes`.
 */
export interface ApnsWorld {
  ca: TestCa;
  standIn: ApnsStandIn;
  pushes: AcceptedPush[];
  /** Tokens of the recorded pushes, sorted. */
  pushedTokens(): string[];
  /** An Envelope on `db` whose wakes go to the stand-in (not started: drive it with `drain` or start it). */
  envelope(db: Db, options?: { secretKey?: Buffer; wake?: Partial<WakeWorkerOptions> }): Promise<Envelope>;
  close(): Promise<void>;
}

export async function startApnsWorld(): Promise<ApnsWorld> {
  const ca = await createTestCa('APNs stand-in root');
  const server = await issueServerCertificate(ca);
  const standIn = await ApnsStandIn.start({ certificatePem: server.certificatePem, privateKeyPem: server.privateKeyPem, clientCa: ca.certificatePem });
  const pushes: AcceptedPush[] = [];
  standIn.onPush((push) => pushes.push(push));
  return {
    ca,
    standIn,
    pushes,
    pushedTokens: () => pushes.map((push) => push.token).sort(),
    envelope: (db, options = {}) =>
      createEnvelope({
        db,
        secretKey: options.secretKey ?? randomBytes(32),
        adminToken: `env_test_${randomBytes(24).toString('base64url')}`,
        logger: false,
        publicUrl: 'https://envelope.test',
        apns: { url: standIn.url, ca: ca.certificatePem },
        wake: { ...testWakeOptions, ...options.wake },
      }),
    close: () => standIn.close(),
  };
}

/** A tenant of `envelope` with helpers that change the directory through the real services (so the triggers fire). */
export interface PushTenant {
  tenantId: string;
  /** An admin token of the tenant. */
  admin: string;
  user(name: string): Promise<string>;
  group(name: string, users: string[]): Promise<string>;
  iosProfile(name: string): Promise<string>;
  assign(profileId: string, groupIds: string[]): Promise<void>;
  /**
   * An enrolled iPhone of `userId` (an `apple_enrollments` row) with push token `token` (from a
   * TokenUpdate) unless null; it checks in once, as an enrolled device does, so its delivery state exists.
   */
  iPhone(userId: string, token: string | null, operatingSystem?: 'iOS' | 'iPadOS'): Promise<string>;
  /** Uploads a push certificate issued by the stand-in's CA through the admin API. */
  uploadPushCertificate(ca: TestCa): Promise<string>;
}

export async function pushTenant(envelope: Envelope, name: string | null): Promise<PushTenant> {
  const s = envelope.services;
  if (name !== null) await s.tenants.createTenant(name);
  const admin = (await s.tenants.createToken(name ?? 'default', 'admin')).token;
  const { tenantId } = await s.tenants.authenticate(`Bearer ${admin}`);
  const enrollments = new AppleEnrollmentStore(envelope.db);
  let topic = 'com.apple.mgmt.External.none';
  return {
    tenantId,
    admin,
    async user(userName) {
      return (await s.users.create(tenantId, { displayName: userName, userPrincipalName: `${userName.toLowerCase().replace(/\W/g, '')}@contoso.com` })).id;
    },
    async group(groupName, users) {
      return (await s.groups.create(tenantId, { displayName: groupName }, users.map((id) => `https://graph.microsoft.com/beta/users/${id}`))).id;
    },
    async iosProfile(profileName) {
      return (await s.profiles.create(tenantId, {
        '@odata.type': '#microsoft.graph.iosEasEmailProfileConfiguration', displayName: profileName, accountName: profileName, hostName: 'mail.contoso.com',
        usernameSource: 'userPrincipalName', emailAddressSource: 'userPrincipalName', requireSsl: true, durationOfEmailToSync: 'oneWeek',
      })).id;
    },
    async assign(profileId, groupIds) {
      await s.assignments.assign(tenantId, profileId, { assignments: groupIds.map((groupId) => ({ target: { '@odata.type': '#microsoft.graph.groupAssignmentTarget', groupId } })) });
    },
    async iPhone(userId, token, operatingSystem = 'iOS') {
      const device = await s.devices.create(tenantId, { deviceName: `iPhone ${randomUUID().slice(0, 8)}`, operatingSystem, osVersion: '18.1', userId });
      const enrollmentId = randomUUID().toUpperCase();
      await enrollments.upsert(tenantId, { enrollmentId, deviceId: device.id, certificateSha256: randomBytes(32), enrollmentType: 'Device', serialNumber: null, topic });
      if (token !== null) await enrollments.recordTokenUpdate(tenantId, enrollmentId, { pushTokenHex: token, pushMagic: `magic-${token.slice(0, 8)}`, topic });
      await s.delivery.checkIn(tenantId, device.id, Date.now());
      return device.id;
    },
    async uploadPushCertificate(ca) {
      const push = await issuePushCertificate(ca);
      const reply = await envelope.app.inject({
        method: 'PUT',
        url: '/graph/beta/envelope/applePushCertificate',
        headers: { authorization: `Bearer ${admin}` },
        payload: { certificate: push.certificatePem, privateKey: push.privateKeyPem },
      });
      assert.equal(reply.statusCode, 200, reply.body);
      topic = (JSON.parse(reply.body) as { topic: string }).topic;
      return topic;
    },
  };
}

/**
 * Polls `envelope`'s wake worker until a poll finds nothing to do and no wake is queued any more
 * (retries included), or — with `untilEmpty: false` — until a poll finds nothing due.
 */
export async function drain(envelope: Envelope, options: { untilEmpty?: boolean; timeoutMs?: number } = {}): Promise<void> {
  const deadline = Date.now() + (options.timeoutMs ?? 20_000);
  for (;;) {
    const polled = await envelope.wakeWorker.pollOnce();
    if (polled.wakes === 0 && polled.pages === 0) {
      if (options.untilEmpty === false) return;
      const [queued] = await envelope.db.query<{ n: number }>('SELECT (SELECT count(*) FROM wake_queue)::int + (SELECT count(*) FROM wake_fanouts)::int AS n');
      if (queued!.n === 0) return;
      if (Date.now() > deadline) assert.fail(`the wake queue did not empty within the time (${queued!.n} rows left)`);
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  }
}
