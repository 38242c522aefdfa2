import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import type { InjectOptions } from 'fastify';
import { createEnvelope, type Envelope } from '../../src/main.ts';
import type { Db } from '../../src/store/db.ts';
import { openPostgresDb } from '../../src/store/postgres/pg-db.ts';
import { adminRequester, createE2ePki, freePort, type E2ePki } from './https-envelope.ts';
import type { Reply } from './test-app.ts';
import { createServerDatabase, openTestDb } from './test-db.ts';

type EnvelopeOptions = Parameters<typeof createEnvelope>[0];

/** A running server of an end-to-end suite and the database handle it was given. */
export interface RunningEnvelope {
  envelope: Envelope;
  db: Db;
}

/**
 * The server side of a channel's end-to-end suite (Knox, Windows): HTTPS at 127.0.0.1 with its public
 * URL there, on the suite's database backend — PGlite (one embedded database that outlives a server),
 * or PostgreSQL with TEST_DATABASE_URL (a database of its own, on which each server opens its own
 * pool, as a second process would). `start()` starts a server with the wake worker running, `stop()`
 * drops one (its keep-alive connections die with it, as with a killed process); the same port, keys
 * and admin token each time.
 */
export async function createE2eServer(channelOptions: Omit<Partial<EnvelopeOptions>, 'db' | 'secretKey' | 'adminToken' | 'logger' | 'publicUrl' | 'https'>) {
  const pki: E2ePki = await createE2ePki();
  const serverUrl = process.env.TEST_DATABASE_URL;
  const shared = serverUrl ? null : await openTestDb();
  const database = serverUrl ? await createServerDatabase(serverUrl) : null;
  const port = await freePort();
  const origin = `https://127.0.0.1:${port}`;
  const secretKey = randomBytes(32);
  const adminToken = `env_test_${randomBytes(24).toString('base64url')}`;
  return {
    pki,
    origin,
    secretKey,
    adminToken,
    async start(): Promise<RunningEnvelope> {
      const db = shared?.db ?? openPostgresDb(database!.url, { max: 4 });
      const envelope = await createEnvelope({
        db,
        secretKey,
        adminToken,
        logger: false,
        publicUrl: origin,
        https: { cert: Buffer.from(pki.tls.certificatePem), key: Buffer.from(pki.tls.privateKeyPem) },
        // A command handed out but never answered (a lost answer, a crash) is offered again at the next contact.
        deliveryOptions: { reofferSentAfterMs: 0 },
        wake: { pollIntervalMs: 50 },
        ...channelOptions,
      });
      await envelope.app.listen({ port, host: '127.0.0.1' });
      envelope.wakeWorker.start();
      return { envelope, db };
    },
    async stop(running: RunningEnvelope): Promise<void> {
      await running.envelope.wakeWorker.stop();
      await running.envelope.maintenance.stop();
      running.envelope.app.server.closeAllConnections();
      await running.envelope.app.close();
      if (shared === null) await running.db.close();
    },
    /** After the last `stop()`: the embedded database, or the suite's PostgreSQL database. */
    async dispose(): Promise<void> {
      await shared?.dispose();
      await database?.drop();
    },
    request(running: () => RunningEnvelope): (method: InjectOptions['method'], url: string, body?: unknown) => Promise<Reply> {
      return adminRequester(() => running().envelope.app, adminToken);
    },
  };
}

type Dict = Record<string, unknown>;

/**
 * Graph admin steps every channel suite takes, for profiles of `profileType` (an `@odata.type`);
 * groups are named "<name>'s <devices>".
 */
export function graphAdmin(e2e: { request(method: InjectOptions['method'], url: string, body?: unknown): Promise<Reply> }, options: { profileType: string; devices: string }) {
  const ok = (reply: Reply, status: number | number[]) => {
    assert.ok((Array.isArray(status) ? status : [status]).includes(reply.status), `HTTP ${reply.status}: ${JSON.stringify(reply.body)}`);
    return reply.body;
  };
  const statuses = async (profileId: string) => ok(await e2e.request('GET', `/graph/beta/deviceManagement/deviceConfigurations/${profileId}/deviceStatuses`), 200).value as Dict[];
  return {
    ok,
    /** A user (UPN `name-xxxx@contoso.com`, mail `mail` or the UPN) in a group of their own. */
    async user(name: string, userOptions: { mail?: string } = {}): Promise<{ userId: string; groupId: string; upn: string; mail: string }> {
      const upn = `${name}-${randomBytes(2).toString('hex')}@contoso.com`;
      const mail = userOptions.mail ?? upn;
      const userId = ok(await e2e.request('POST', '/graph/beta/users', { displayName: name, userPrincipalName: upn, mail }), 201).id as string;
      const groupId = ok(await e2e.request('POST', '/graph/beta/groups', { displayName: `${name}'s ${options.devices} ${randomBytes(2).toString('hex')}`, 'members@odata.bind': [`https://graph.microsoft.com/beta/users/${userId}`] }), 201).id as string;
      return { userId, groupId, upn, mail };
    },
    async mailProfile(displayName: string, hostName: string, extra: Dict = {}): Promise<string> {
      return ok(await e2e.request('POST', '/graph/beta/deviceManagement/deviceConfigurations', {
        '@odata.type': options.profileType, displayName, accountName: displayName, hostName,
        usernameSource: 'userPrincipalName', emailAddressSource: 'userPrincipalName', requireSsl: true, durationOfEmailToSync: 'oneWeek', emailSyncSchedule: 'asMessagesArrive', ...extra,
      }), 201).id as string;
    },
    async patchProfile(profileId: string, changes: Dict): Promise<void> {
      ok(await e2e.request('PATCH', `/graph/beta/deviceManagement/deviceConfigurations/${profileId}`, { '@odata.type': options.profileType, ...changes }), [200, 204]);
    },
    async assign(profileId: string, groupIds: string[]): Promise<void> {
      ok(await e2e.request('POST', `/graph/beta/deviceManagement/deviceConfigurations/${profileId}/assign`, {
        assignments: groupIds.map((groupId) => ({ target: { '@odata.type': '#microsoft.graph.groupAssignmentTarget', groupId } })),
      }), 200);
    },
    async deviceStatus(profileId: string, deviceId: string): Promise<Dict> {
      const rows = await statuses(profileId);
      const row = rows.find((r) => String(r.id).includes(deviceId));
      assert.ok(row, `a status row for ${deviceId} in ${JSON.stringify(rows)}`);
      return row;
    },
    /** The device's status for the profile, or undefined while it has none. */
    async statusOf(profileId: string, deviceId: string): Promise<string | undefined> {
      return (await statuses(profileId)).find((r) => String(r.id).includes(deviceId))?.status as string | undefined;
    },
    async configurationState(deviceId: string, profileId: string): Promise<Dict | undefined> {
      const states = ok(await e2e.request('GET', `/graph/beta/deviceManagement/managedDevices/${deviceId}/deviceConfigurationStates`), 200).value as Dict[];
      return states.find((s) => String(s.id).includes(profileId));
    },
  };
}
