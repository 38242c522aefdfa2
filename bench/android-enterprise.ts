// Android Enterprise convergence through the Android Management API stand-in (issue 9, part 2):
// N work profiles enrolled through Envelope's enroll endpoint (setup, not timed), then one Gmail
// profile assigned to all of them; timed until every device's status is compliant. Server, stand-in
// and devices share this one Node process.
//
//   node bench/android-enterprise.ts --devices 1000 [--quota 1000 --window-ms 100000] [--backend pglite|postgres]
//
// --quota/--window-ms: Google's quota as the stand-in enforces it (429 past it) and Envelope's limiter
// keeps to it; unset = no quota (Envelope's own throughput). --backend postgres uses BENCH_DATABASE_URL.
import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { createEnvelope } from '../src/main.ts';
import { migrate } from '../src/store/postgres/migrate.ts';
import { openPostgresDb } from '../src/store/postgres/pg-db.ts';
import { openPgliteDb } from '../src/store/postgres/pglite-db.ts';
import { AmapiStandIn } from '../sim/amapi/amapi-standin.ts';
import { AmapiFleet } from '../sim/amapi/fleet.ts';
import { serviceAccountKeyFile } from '../test/helpers/amapi-e2e.ts';
import { machineLine } from './machine.ts';

const { values } = parseArgs({ options: { devices: { type: 'string', default: '500' }, quota: { type: 'string' }, 'window-ms': { type: 'string', default: '100000' }, backend: { type: 'string', default: 'pglite' } } });
const devices = Number(values.devices);
const quota = values.quota === undefined ? null : { limit: Number(values.quota), windowMs: Number(values['window-ms']) };
const backend = values.backend === 'postgres' ? 'postgres' : 'pglite';

let dropDatabase = async () => {};
let db;
if (backend === 'postgres') {
  const serverUrl = process.env.BENCH_DATABASE_URL;
  if (!serverUrl) throw new Error('--backend postgres needs BENCH_DATABASE_URL');
  const name = `envelope_bench_amapi_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: serverUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  db = openPostgresDb(url.toString(), { max: 10 });
  dropDatabase = async () => {
    const cleanup = new pg.Client({ connectionString: serverUrl });
    await cleanup.connect();
    await cleanup.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await cleanup.end();
  };
} else {
  db = await openPgliteDb({ dataDir: `memory://amapi-bench-${randomBytes(4).toString('hex')}` });
}
await migrate(db);

const standIn = new AmapiStandIn(quota === null ? {} : { quota: quota.limit, quotaWindowMs: quota.windowMs });
const rootUrl = await standIn.start();
const adminToken = `env_bench_${randomBytes(24).toString('base64url')}`;
const envelope = await createEnvelope({
  db, secretKey: randomBytes(32), adminToken, logger: false, publicUrl: 'http://127.0.0.1',
  wake: { pollIntervalMs: 50 },
  amapi: { url: rootUrl, quota: quota ?? { limit: 10_000_000, windowMs: 1000 }, clientOptions: { quotaBackoffMs: 1000 }, sync: { pollIntervalMs: 50, retryAfterMs: 500 } },
});
await envelope.app.listen({ port: 0, host: '127.0.0.1' });
const origin = `http://127.0.0.1:${(envelope.app.server.address() as AddressInfo).port}`;
envelope.wakeWorker.start();
envelope.amapiSync.start();
const request = async (method: 'POST' | 'PUT', url: string, body: unknown) => {
  const reply = await envelope.app.inject({ method, url, headers: { authorization: `Bearer ${adminToken}` }, payload: body as object });
  if (reply.statusCode >= 300) throw new Error(`${method} ${url}: ${reply.statusCode} ${reply.body}`);
  return JSON.parse(reply.body) as Record<string, string>;
};

const key = serviceAccountKeyFile();
standIn.registerServiceAccount(key.clientEmail, key.privateKeyPem);
const settings = await request('PUT', '/graph/beta/envelope/androidEnterpriseSettings', { enterpriseName: 'enterprises/LC0bench', serviceAccountKey: key.json });
standIn.pushUrl = settings.pubsubPushUrl!.replace('http://127.0.0.1', origin);
const userId = (await request('POST', '/graph/beta/users', { displayName: 'Bench', userPrincipalName: 'bench@contoso.com', mail: 'bench@contoso.com' })).id!;
const groupId = (await request('POST', '/graph/beta/groups', { displayName: 'Bench phones', 'members@odata.bind': [`https://graph.microsoft.com/beta/users/${userId}`] })).id!;
const token = (await request('POST', '/graph/beta/envelope/enrollmentTokens', { userId, platform: 'Android', maxDevices: 100 })).token!;

// Setup: enroll (an enrollment token allows 100 devices; a new one per 100).
const setupStart = performance.now();
for (let done = 0; done < devices; done += 100) {
  const batchToken = done === 0 ? token : (await request('POST', '/graph/beta/envelope/enrollmentTokens', { userId, platform: 'Android', maxDevices: 100 })).token!;
  const fleet = new AmapiFleet({ server: origin, enrollmentToken: batchToken, devices: Math.min(100, devices - done), missingAppPercent: 0, installAfterSeconds: null, concurrency: 8, standIn });
  await fleet.start();
  if (fleet.lastError) throw new Error(fleet.lastError);
}
const count = async (sql: string) => Number((await db.query<{ n: number }>(sql))[0]!.n);
while ((await count("SELECT count(*)::int AS n FROM android_enterprise_devices WHERE last_policy_version IS NOT NULL AND sync_due_at IS NULL")) < devices || standIn.pendingPushes > 0) {
  await new Promise((resolve) => setTimeout(resolve, 100));
}
const setupSeconds = (performance.now() - setupStart) / 1000;
const patchesBefore = standIn.patches.length;
const refusalsBefore = standIn.counts.quotaRefusals;

// Timed: one Gmail profile to every device.
const profileId = (await request('POST', '/graph/beta/deviceManagement/deviceConfigurations', {
  '@odata.type': '#microsoft.graph.androidWorkProfileGmailEasConfiguration', displayName: 'Bench Gmail', hostName: 'mail.contoso.com', authenticationMethod: 'usernameAndPassword',
  usernameSource: 'userPrincipalName', emailAddressSource: 'userPrincipalName', requireSsl: true, durationOfEmailToSync: 'oneWeek',
})).id!;
const start = performance.now();
await request('POST', `/graph/beta/deviceManagement/deviceConfigurations/${profileId}/assign`, { assignments: [{ target: { '@odata.type': '#microsoft.graph.groupAssignmentTarget', groupId } }] });
let half: number | null = null;
for (;;) {
  const succeeded = await count(`SELECT count(*)::int AS n FROM delivery_ledger WHERE profile_id = '${profileId}' AND state IN ('succeeded', 'verified')`);
  if (half === null && succeeded * 2 >= devices) half = (performance.now() - start) / 1000;
  if (succeeded >= devices) break;
  if (performance.now() - start > 3_600_000) throw new Error('not converged within an hour');
  await new Promise((resolve) => setTimeout(resolve, 100));
}
const seconds = (performance.now() - start) / 1000;
const timed = standIn.patches.slice(patchesBefore);
if (process.env.BENCH_DEBUG) console.log(`first patch ${timed[0]!.at - (Date.now() - seconds * 1000)} ms, last ${timed.at(-1)!.at - (Date.now() - seconds * 1000)} ms`);
const patches = standIn.patches.length - patchesBefore;
console.log(machineLine());
console.log(`android enterprise: ${devices} work profiles, ${backend}, quota ${quota === null ? 'none' : `${quota.limit} per ${quota.windowMs / 1000} s`}; setup ${setupSeconds.toFixed(1)} s (not timed)`);
console.log(`  converged: ${devices}/${devices} compliant in ${seconds.toFixed(1)} s (half in ${half!.toFixed(1)} s) = ${(devices / seconds).toFixed(1)} devices/s; ${patches} policy patches, ${standIn.counts.quotaRefusals - refusalsBefore} answered 429, ${standIn.pushed.reduce((n, m) => n + m.answers.filter((status) => status !== 204).length, 0)} pushes answered non-2xx (redelivered)`);
await envelope.amapiSync.stop();
await envelope.wakeWorker.stop();
await envelope.maintenance.stop();
await standIn.settled();
envelope.app.server.closeAllConnections();
await envelope.app.close();
await standIn.stop();
await db.close();
await dropDatabase();
