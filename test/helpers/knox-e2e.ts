import assert from 'node:assert/strict';
import type { InjectOptions } from 'fastify';
import { createAgentHttp, type AgentHttp } from '../../sim/knox/agent-http.ts';
import { SimulatedKnoxDevice, type SimulatedKnoxDeviceOptions } from '../../sim/knox/simulated-knox-device.ts';
import type { Envelope } from '../../src/main.ts';
import type { Db } from '../../src/store/db.ts';
import { createE2eServer, graphAdmin } from './e2e-server.ts';
import type { E2ePki } from './https-envelope.ts';
import type { Reply } from './test-app.ts';

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
  const server = await createE2eServer(options.fcm ? { fcm: options.fcm } : {});
  const running = await server.start();
  const { http, close: closeHttp } = createAgentHttp({ serverCaPem: server.pki.tlsCa.certificatePem });
  return {
    pki: server.pki,
    origin: server.origin,
    http,
    envelope: running.envelope,
    db: running.db,
    secretKey: server.secretKey,
    request: server.request(() => running),
    query: (sql, params) => running.db.query(sql, params),
    async close() {
      await server.stop(running);
      closeHttp();
      await server.dispose();
    },
  };
}

/** Admin steps of the Knox suite, through the Graph API of the running server. */
export function knoxAdmin(e2e: Pick<KnoxE2e, 'request' | 'query'>) {
  const { ok, ...steps } = graphAdmin(e2e, { profileType: '#microsoft.graph.androidEasEmailProfileConfiguration', devices: 'phones' });
  return {
    ...steps,
    async enrollmentToken(userId: string, options: { platform?: string; maxDevices?: number } = {}): Promise<string> {
      return ok(await e2e.request('POST', '/graph/beta/envelope/enrollmentTokens', { userId, platform: options.platform ?? 'Android', maxDevices: options.maxDevices ?? 1 }), 201).token as string;
    },
    async putPushSettings(serviceAccount: string): Promise<void> {
      ok(await e2e.request('PUT', '/graph/beta/envelope/knoxPushSettings', { serviceAccount }), 200);
    },
    async trustedRoot(displayName: string, certificateBase64: string): Promise<string> {
      return ok(await e2e.request('POST', '/graph/beta/deviceManagement/deviceConfigurations', {
        '@odata.type': '#microsoft.graph.androidTrustedRootCertificate', displayName, trustedRootCertificate: certificateBase64, certFileName: 'root.cer',
      }), 201).id as string;
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
