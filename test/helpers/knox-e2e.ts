import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import type { InjectOptions } from 'fastify';
import { createAgentHttp, type AgentHttp } from '../../sim/knox/agent-http.ts';
import { SimulatedKnoxDevice, type SimulatedKnoxDeviceOptions } from '../../sim/knox/simulated-knox-device.ts';
import { createEnvelope, type Envelope } from '../../src/main.ts';
import type { Db } from '../../src/store/db.ts';
import { openPostgresDb } from '../../src/store/postgres/pg-db.ts';
import { adminRequester, createE2ePki, freePort, type E2ePki } from './https-envelope.ts';
import type { Reply } from './test-app.ts';
import { createServerDatabase, openTestDb } from './test-db.ts';

/**
 * One Envelope for a Knox end-to-end suite, listening on HTTPS at 127.0.0.1 with its public URL
 * there, on the suite's database backend (PGlite, or PostgreSQL with TEST_DATABASE_URL); simulated
 * Knox agents (sim/knox) share one HTTPS client that trusts the suite's TLS root.
 */
export interface KnoxE2e {
  pki: E2ePki;
  origin: string;
  http: AgentHttp;
  readonly envelope: Envelope;
  /** The suite's database and the server's secret key (for wiring a second channel onto the same rows). */
  db: Db;
  secretKey: Buffer;
  request(method: InjectOptions['method'], url: string, body?: unknown): Promise<Reply>;
  query<R = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<R[]>;
  close(): Promise<void>;
}

export async function startKnoxE2e(options: { fcm?: { url: string; ca: string } } = {}): Promise<KnoxE2e> {
  const pki = await createE2ePki();
  const serverUrl = process.env.TEST_DATABASE_URL;
  const shared = serverUrl ? null : await openTestDb();
  const database = serverUrl ? await createServerDatabase(serverUrl) : null;
  const db: Db = shared?.db ?? openPostgresDb(database!.url, { max: 4 });
  const port = await freePort();
  const origin = `https://127.0.0.1:${port}`;
  const adminToken = `env_test_${randomBytes(24).toString('base64url')}`;
  const secretKey = randomBytes(32);
  const envelope = await createEnvelope({
    db,
    secretKey,
    adminToken,
    logger: false,
    publicUrl: origin,
    https: { cert: Buffer.from(pki.tls.certificatePem), key: Buffer.from(pki.tls.privateKeyPem) },
    deliveryOptions: { reofferSentAfterMs: 0 },
    ...(options.fcm ? { fcm: options.fcm } : {}),
    wake: { pollIntervalMs: 50 },
  });
  await envelope.app.listen({ port, host: '127.0.0.1' });
  envelope.wakeWorker.start();
  const { http, close: closeHttp } = createAgentHttp({ serverCaPem: pki.tlsCa.certificatePem });
  return {
    pki,
    origin,
    http,
    envelope,
    db,
    secretKey,
    request: adminRequester(() => envelope.app, adminToken),
    query: (sql, params) => db.query(sql, params),
    async close() {
      await envelope.wakeWorker.stop();
      await envelope.maintenance.stop();
      envelope.app.server.closeAllConnections();
      await envelope.app.close();
      closeHttp();
      if (shared) await shared.dispose();
      else await db.close();
      await database?.drop();
    },
  };
}

type Dict = Record<string, unknown>;

/** Admin steps of the Knox suite, through the Graph API of the running server. */
export function knoxAdmin(e2e: Pick<KnoxE2e, 'request' | 'query'>) {
  const ok = (reply: Reply, status: number | number[]) => {
    assert.ok((Array.isArray(status) ? status : [status]).includes(reply.status), `HTTP ${reply.status}: ${JSON.stringify(reply.body)}`);
    return reply.body;
  };
  return {
    /** A user (UPN `name-xxxx@contoso.com`, mail `mail` or the UPN) in a group of their own. */
    async user(name: string, options: { mail?: string } = {}): Promise<{ userId: string; groupId: string; upn: string; mail: string }> {
      const upn = `${name}-${randomBytes(2).toString('hex')}@contoso.com`;
      const mail = options.mail ?? upn;
      const userId = ok(await e2e.request('POST', '/graph/beta/users', { displayName: name, userPrincipalName: upn, mail }), 201).id as string;
      const groupId = ok(await e2e.request('POST', '/graph/beta/groups', { displayName: `${name}'s phones ${randomBytes(2).toString('hex')}`, 'members@odata.bind': [`https://graph.microsoft.com/beta/users/${userId}`] }), 201).id as string;
      return { userId, groupId, upn, mail };
    },
    async enrollmentToken(userId: string, options: { platform?: string; maxDevices?: number } = {}): Promise<string> {
      return ok(await e2e.request('POST', '/graph/beta/envelope/enrollmentTokens', { userId, platform: options.platform ?? 'Android', maxDevices: options.maxDevices ?? 1 }), 201).token as string;
    },
    async mailProfile(displayName: string, hostName: string, extra: Dict = {}): Promise<string> {
      return ok(await e2e.request('POST', '/graph/beta/deviceManagement/deviceConfigurations', {
        '@odata.type': '#microsoft.graph.androidEasEmailProfileConfiguration', displayName, accountName: displayName, hostName,
        usernameSource: 'userPrincipalName', emailAddressSource: 'userPrincipalName', requireSsl: true, durationOfEmailToSync: 'oneWeek', emailSyncSchedule: 'asMessagesArrive', ...extra,
      }), 201).id as string;
    },
    async putPushSettings(serviceAccount: string): Promise<void> {
      ok(await e2e.request('PUT', '/graph/beta/envelope/knoxPushSettings', { serviceAccount }), 200);
    },
    async trustedRoot(displayName: string, certificateBase64: string): Promise<string> {
      return ok(await e2e.request('POST', '/graph/beta/deviceManagement/deviceConfigurations', {
        '@odata.type': '#microsoft.graph.androidTrustedRootCertificate', displayName, trustedRootCertificate: certificateBase64, certFileName: 'root.cer',
      }), 201).id as string;
    },
    async patchProfile(profileId: string, changes: Dict): Promise<void> {
      ok(await e2e.request('PATCH', `/graph/beta/deviceManagement/deviceConfigurations/${profileId}`, { '@odata.type': '#microsoft.graph.androidEasEmailProfileConfiguration', ...changes }), [200, 204]);
    },
    async assign(profileId: string, groupIds: string[]): Promise<void> {
      ok(await e2e.request('POST', `/graph/beta/deviceManagement/deviceConfigurations/${profileId}/assign`, {
        assignments: groupIds.map((groupId) => ({ target: { '@odata.type': '#microsoft.graph.groupAssignmentTarget', groupId } })),
      }), 200);
    },
    async deviceStatus(profileId: string, deviceId: string): Promise<Dict> {
      const rows = ok(await e2e.request('GET', `/graph/beta/deviceManagement/deviceConfigurations/${profileId}/deviceStatuses`), 200).value as Dict[];
      const row = rows.find((r) => String(r.id).includes(deviceId));
      assert.ok(row, `a status row for ${deviceId} in ${JSON.stringify(rows)}`);
      return row;
    },
    async configurationState(deviceId: string, profileId: string): Promise<Dict | undefined> {
      const states = ok(await e2e.request('GET', `/graph/beta/deviceManagement/managedDevices/${deviceId}/deviceConfigurationStates`), 200).value as Dict[];
      return states.find((s) => String(s.id).includes(profileId));
    },
    async ledger(deviceId: string, profileId: string): Promise<{ state: string; reason_code: string; message: string; command_id: string | null }> {
      const rows = await e2e.query<{ state: string; reason_code: string; message: string; command_id: string | null }>('SELECT state, reason_code, message, command_id FROM delivery_ledger WHERE device_id = $1 AND profile_id = $2', [deviceId, profileId]);
      assert.equal(rows.length, 1, 'one ledger row');
      return rows[0]!;
    },
  };
}

/** Enrolls a simulated Knox device with `enrollmentToken`. */
export function enrollKnoxDevice(e2e: KnoxE2e, enrollmentToken: string, options: Partial<Omit<SimulatedKnoxDeviceOptions, 'server' | 'http'>> = {}): Promise<SimulatedKnoxDevice> {
  return SimulatedKnoxDevice.enroll({ server: e2e.origin, http: e2e.http, enrollmentToken, ...options });
}
