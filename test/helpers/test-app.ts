import { randomBytes } from 'node:crypto';
import type { InjectOptions, LightMyRequestResponse } from 'fastify';
import { createEnvelope, type Envelope } from '../../src/main.ts';
import type { AppleMdmOptions } from '../../src/services/apple-mdm/apple-mdm-service.ts';
import { openTestDb, type TestDb } from './test-db.ts';

export interface TestApp {
  envelope: Envelope;
  /** The default tenant's first admin token. */
  adminToken: string;
  /** The key sealing secrets at rest in this app's database. */
  secretKey: Buffer;
  /** Sends a request with `Authorization: Bearer <token>` (the admin token unless given; `null` for none). */
  request(method: InjectOptions['method'], url: string, options?: { body?: unknown; token?: string | null; headers?: Record<string, string> }): Promise<Reply>;
  /** Creates a tenant with an admin and a readOnly token. */
  tenant(name: string): Promise<{ admin: string; readOnly: string }>;
  /** A readOnly token for the default tenant. */
  readOnlyToken(): Promise<string>;
  /** Rows of a table for assertions on what was (not) written. */
  count(table: string): Promise<number>;
  close(): Promise<void>;
}

export interface Reply {
  status: number;
  body: any; // eslint-disable-line @typescript-eslint/no-explicit-any -- test assertions read arbitrary JSON
  raw: LightMyRequestResponse;
}

/**
 * A complete Envelope (real database, real Fastify) for one test suite; `close()` disposes it all.
 * `db` replaces the suite's fresh database (e.g. one reached through a proxy); it is disposed too.
 */
export async function createTestApp(options: { db?: TestDb; appleMdmOptions?: Partial<AppleMdmOptions> } = {}): Promise<TestApp> {
  const testDb = options.db ?? (await openTestDb());
  const adminToken = `env_test_${randomBytes(24).toString('base64url')}`;
  const secretKey = randomBytes(32);
  const envelope = await createEnvelope({
    db: testDb.db,
    secretKey,
    adminToken,
    logger: false,
    publicUrl: 'https://envelope.test',
    appleMdmOptions: options.appleMdmOptions,
  });
  const request: TestApp['request'] = async (method, url, options = {}) => {
    const token = options.token === undefined ? adminToken : options.token;
    const raw = await envelope.app.inject({
      method,
      url: url.replace(/ /g, '%20').replace(/'/g, '%27'),
      headers: { ...options.headers, ...(token === null ? {} : { authorization: `Bearer ${token}` }) },
      ...(options.body === undefined ? {} : { payload: options.body as InjectOptions['payload'] }),
    });
    let body: unknown = raw.body;
    if ((raw.headers['content-type'] ?? '').toString().includes('json') && raw.body) body = JSON.parse(raw.body);
    return { status: raw.statusCode, body, raw };
  };
  return {
    envelope,
    adminToken,
    secretKey,
    request,
    async tenant(name) {
      await envelope.services.tenants.createTenant(name);
      const admin = await envelope.services.tenants.createToken(name, 'admin');
      const readOnly = await envelope.services.tenants.createToken(name, 'readOnly');
      return { admin: admin.token, readOnly: readOnly.token };
    },
    async readOnlyToken() {
      return (await envelope.services.tenants.createToken('default', 'readOnly')).token;
    },
    async count(table) {
      if (!/^[a-z_]+$/.test(table)) throw new Error(`bad table name ${table}`);
      const rows = await envelope.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${table}`);
      return rows[0]!.n;
    },
    async close() {
      await envelope.app.close();
      await testDb.dispose();
    },
  };
}
