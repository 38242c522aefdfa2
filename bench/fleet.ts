// The fleet benchmark (issue 7): N simulated iPhones, one email profile assigned to all of them, timed
// from the assignment until every device reports success, against `envelope serve` child processes on
// PGlite, on PostgreSQL, or two processes sharing one PostgreSQL database.
//
//   node bench/fleet.ts --devices 10000 --backend pglite|postgres --processes 1|2 [--sockets 128]
//        [--addresses 8] [--cpu-prof DIR] [--timeout-s 600]
//
// PostgreSQL: BENCH_DATABASE_URL (default postgres://postgres@127.0.0.1:5432/postgres); a database
// envelope_bench_<random> is created for the run and dropped after it.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import https from 'node:https';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { ApnsStandIn, type AcceptedPush } from '../sim/apns/apns-standin.ts';
import { createTestCa, issuePushCertificate, issueServerCertificate } from '../sim/apns/apns-test-pki.ts';
import { createDeviceHttp, type DeviceHttp } from '../sim/ios/device-http.ts';
import type { IosEnrollment } from '../sim/ios/enroll.ts';
import { LatencyWindow } from '../sim/ios/latency-window.ts';
import { SimulatedIphone, type CommandLoopReport } from '../sim/ios/simulated-iphone.ts';
import { TenantService } from '../src/services/auth/tenant-service.ts';
import type { Db } from '../src/store/db.ts';
import { migrate } from '../src/store/postgres/migrate.ts';
import { openPostgresDb } from '../src/store/postgres/pg-db.ts';
import { openPgliteDb } from '../src/store/postgres/pglite-db.ts';
import { createStores } from '../src/store/postgres/stores.ts';
import { benchIdentity, createBenchIdentities, signMdmMessageFast } from './fleet-identities.ts';
import { machineLine } from './machine.ts';

const root = new URL('..', import.meta.url).pathname;
const defaultDatabaseUrl = 'postgres://postgres@127.0.0.1:5432/postgres';

export interface FleetBenchOptions {
  devices: number;
  backend: 'pglite' | 'postgres';
  processes: 1 | 2;
  /** Keep-alive sockets of the whole fleet (and of the ceiling's client), over all servers and addresses. Default 128. */
  sockets?: number;
  /**
   * Source addresses (127.0.0.1, .2, …) the fleet's connections come from. The server allows 60,000
   * MDM requests a minute per client address (1,000/s), which one address would hit. Default 8.
   */
  addresses?: number;
  /** Devices per directory user (10: N/10 users). */
  devicesPerUser?: number;
  databaseUrl?: string;
  /** Run the servers with `--cpu-prof` into this directory. */
  cpuProfDir?: string;
  timeoutMs?: number;
  /** How long the ceiling (bare Fastify) is loaded. Default 5 s. */
  ceilingMs?: number;
  log?: (line: string) => void;
}

export interface ServerFigures {
  port: number;
  requests: number;
  requestsPerSecond: number;
  p50Ms: number | null;
  p95Ms: number | null;
  peakRssMb: number;
  cpuSeconds: number;
  /** The server's CPU time per device request it answered: what bounds its throughput per core. */
  cpuMsPerRequest: number;
}

export interface FleetBenchResult {
  machine: string;
  devices: number;
  backend: 'pglite' | 'postgres';
  processes: number;
  sockets: number;
  addresses: number;
  users: number;
  setupSeconds: number;
  converged: boolean;
  successCount: number;
  convergenceSeconds: number;
  /** The assign request itself (resolution and fan-out before it answers). */
  assignMs: number;
  requests: number;
  requestsPerSecond: number;
  requestsFailed: number;
  p50Ms: number | null;
  p95Ms: number | null;
  pushes: number;
  wakes: number;
  profilesInstalled: number;
  commandErrors: number;
  /** How loops that did not end idle ended (e.g. `http-status 503`). */
  unfinishedLoops: Record<string, number>;
  servers: ServerFigures[];
  benchCpuSeconds: number;
  /** CPU of the PostgreSQL backends serving the run's database (0 on PGlite). */
  postgresCpuSeconds: number;
  /** Busy share of all cores during the convergence, from /proc/stat. */
  machineBusyPercent: number;
  /** 1-minute load average at the start and the end of the convergence (other work on the machine shows here). */
  loadAverage: [number, number];
  benchPeakRssMb: number;
  ceiling: { requestsPerSecond: number; p50Ms: number | null; p95Ms: number | null };
}

interface Server {
  process: ChildProcess;
  port: number;
  origin: string;
  output: string;
}

/** Runs one configuration end to end; never leaves a server, database or temporary directory behind. */
export async function benchFleet(options: FleetBenchOptions): Promise<FleetBenchResult> {
  const log = options.log ?? (() => undefined);
  const devices = options.devices;
  const processes = options.processes;
  const sockets = options.sockets ?? 128;
  const addresses = options.addresses ?? 8;
  const devicesPerUser = options.devicesPerUser ?? 10;
  if (options.backend === 'pglite' && processes !== 1) throw new Error('PGlite allows one server process (its data directory is locked while open)');
  const setupStarted = performance.now();
  const dir = mkdtempSync(join(tmpdir(), 'envelope-fleet-bench-'));
  const cleanups: Array<() => Promise<unknown> | unknown> = [() => rmSync(dir, { recursive: true, force: true })];
  try {
    // PKI: the server's TLS identity (for 127.0.0.1), the APNs stand-in's, and the MDM push certificate.
    const tlsCa = await createTestCa('Envelope fleet bench TLS CA');
    const tls = await issueServerCertificate(tlsCa);
    const apnsCa = await createTestCa('Envelope fleet bench APNs CA');
    const apnsServer = await issueServerCertificate(apnsCa);
    const push = await issuePushCertificate(apnsCa, {});
    const topic = push.certificate.subjectName.getField('0.9.2342.19200300.100.1.1')[0]!;
    const files = { cert: join(dir, 'tls.pem'), key: join(dir, 'tls.key'), apnsCa: join(dir, 'apns-ca.pem') };
    writeFileSync(files.cert, tls.certificatePem);
    writeFileSync(files.key, tls.privateKeyPem, { mode: 0o600 });
    writeFileSync(files.apnsCa, apnsCa.certificatePem);

    const ceiling = await measureCeiling({ files, caPem: tlsCa.certificatePem, sockets, addresses, durationMs: options.ceilingMs ?? 5000 });
    log(`ceiling (bare Fastify over HTTPS, ${sockets} sockets): ${Math.round(ceiling.requestsPerSecond)} req/s, p50 ${fmt(ceiling.p50Ms)} ms, p95 ${fmt(ceiling.p95Ms)} ms`);

    const standIn = await ApnsStandIn.start({ certificatePem: apnsServer.certificatePem, privateKeyPem: apnsServer.privateKeyPem, clientCa: apnsCa.certificatePem });
    cleanups.push(() => standIn.close());

    // Database: created, migrated and seeded before any server starts (PGlite's directory is locked while a server has it open).
    const adminToken = `env_bench_${randomBytes(24).toString('base64url')}`;
    const secretKey = randomBytes(32).toString('hex');
    let databaseUrl: string | null = null;
    let databaseName: string | null = null;
    const dataDir = join(dir, 'data');
    let db: Db;
    if (options.backend === 'postgres') {
      const serverUrl = options.databaseUrl ?? process.env.BENCH_DATABASE_URL ?? defaultDatabaseUrl;
      const name = `envelope_bench_${randomBytes(6).toString('hex')}`;
      databaseName = name;
      await adminQuery(serverUrl, `CREATE DATABASE ${name}`);
      cleanups.push(() => adminQuery(serverUrl, `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`));
      const url = new URL(serverUrl);
      url.pathname = `/${name}`;
      databaseUrl = url.toString();
      db = openPostgresDb(databaseUrl);
    } else {
      db = await openPgliteDb({ dataDir: join(dataDir, 'pglite') });
    }
    const ports = await Promise.all(Array.from({ length: processes }, () => freePort()));
    const publicUrl = `https://127.0.0.1:${ports[0]}`;

    // Devices: identities made here, push tokens drawn by each SimulatedIphone; then the rows that bind them.
    const identities = await createBenchIdentities();
    const mdm: IosEnrollment['mdm'] = {
      ServerURL: `${publicUrl}/mdm/apple/server`, CheckInURL: `${publicUrl}/mdm/apple/checkin`, Topic: topic, SignMessage: true,
      IdentityCertificateUUID: '2D4F3A9E-6B1C-4E8A-9F00-000000000001', AccessRights: 8191, CheckOutWhenRemoved: false,
    };
    const profile: IosEnrollment['profile'] = {
      PayloadIdentifier: 'com.envelope.enrollment.bench', PayloadUUID: '2D4F3A9E-6B1C-4E8A-9F00-000000000000', PayloadVersion: 1,
      PayloadDisplayName: 'Envelope bench enrollment',
      payloads: [{ PayloadType: 'com.apple.mdm', PayloadIdentifier: 'com.envelope.enrollment.bench.mdm', PayloadUUID: '2D4F3A9E-6B1C-4E8A-9F00-000000000002', PayloadVersion: 1, dictionary: {} }],
    };
    const net = deviceNetwork({ caPem: tlsCa.certificatePem, ports, sockets, addresses });
    cleanups.push(() => net.destroy());
    const signMessage = (body: Uint8Array, identity: IosEnrollment['identity']) => signMdmMessageFast(body, identity.certificateDer, identities.key);
    const counters = { installed: 0, commandErrors: 0, wakes: 0, pushes: 0 };
    const observer = {
      command({ RequestType, Status }: { RequestType: string; Status: string }) {
        if (Status === 'Acknowledged' && RequestType === 'InstallProfile') counters.installed++;
        else if (Status !== 'Acknowledged') counters.commandErrors++;
      },
    };
    const byToken = new Map<string, SimulatedIphone>();
    const fleet: SimulatedIphone[] = new Array(devices);
    for (let i = 0; i < devices; i++) {
      const enrollment: IosEnrollment = {
        identity: benchIdentity(identities.certificate(i + 1), identities), mdm, profile, signerCertificates: [], verified: false, contentSha256: '00',
      };
      const device = new SimulatedIphone({ enrollment, http: net.httpFor(i), observer, signMessage });
      fleet[i] = device;
      byToken.set(device.pushTokenHex, device);
    }
    log(`${devices} devices made (${((performance.now() - setupStarted) / 1000).toFixed(1)} s since start); seeding the ${options.backend} database…`);
    let users: number;
    try {
      await migrate(db);
      await new TenantService(createStores(db).tenants).issueFirstAdminToken(adminToken);
      users = await seed(db, fleet, { topic, devicesPerUser });
    } finally {
      await db.close();
    }

    // Servers, one after the other (each migrates at start).
    const servers: Server[] = [];
    for (const port of ports) {
      const server = await startServer({
        port, publicUrl, files, apnsUrl: standIn.url, secretKey, adminToken, databaseUrl, dataDir,
        nodeArgs: options.cpuProfDir ? ['--cpu-prof', `--cpu-prof-dir=${options.cpuProfDir}`] : [],
      });
      servers.push(server);
      cleanups.push(() => stopServer(server));
    }
    const admin = adminClient(servers[0]!.origin, adminToken, tlsCa.certificatePem);
    cleanups.push(() => admin.destroy());
    await admin.call('PUT', '/graph/beta/envelope/applePushCertificate', { certificate: push.certificatePem, privateKey: push.privateKeyPem }, 200);
    const groupId = (await db2Group(admin)) as string;
    const profileId = (await admin.call('POST', '/graph/beta/deviceManagement/deviceConfigurations', {
      '@odata.type': '#microsoft.graph.iosEasEmailProfileConfiguration', displayName: 'Fleet bench mail', accountName: 'Fleet bench mail',
      hostName: 'mail.contoso.com', usernameSource: 'userPrincipalName', emailAddressSource: 'userPrincipalName', requireSsl: true, durationOfEmailToSync: 'oneWeek',
    }, 201)).id as string;

    // Devices wake on pushes, as iOS does.
    const unfinished: Record<string, number> = {};
    standIn.onPush((pushed: AcceptedPush) => {
      counters.pushes++;
      const device = byToken.get(pushed.token);
      if (!device || device.pushMagic !== pushed.pushMagic) return;
      counters.wakes++;
      void device.wake().then(() => {
        const ended = loopEnd(device.lastLoop);
        if (ended !== 'idle') unfinished[ended] = (unfinished[ended] ?? 0) + 1;
      });
    });
    const setupSeconds = (performance.now() - setupStarted) / 1000;
    log(`setup done in ${setupSeconds.toFixed(1)} s (${users} users, ${servers.length} server process${servers.length > 1 ? 'es' : ''}); assigning…`);

    // The clock: from the assignment until successCount = N.
    net.reset();
    const cpuBefore = { bench: process.cpuUsage(), servers: servers.map((s) => processCpuSeconds(s.process.pid!)), postgres: databaseName ? postgresCpuSeconds(databaseName) : 0, machine: machineTicks() };
    let benchPeakRss = process.memoryUsage().rss;
    const loadBefore = loadavg()[0]!;
    const started = performance.now();
    await admin.call('POST', `/graph/beta/deviceManagement/deviceConfigurations/${profileId}/assign`, {
      assignments: [{ target: { '@odata.type': '#microsoft.graph.groupAssignmentTarget', groupId } }],
    }, 200);
    const assignMs = performance.now() - started;
    const deadline = started + (options.timeoutMs ?? 600_000);
    let successCount = 0;
    let lastLog = started;
    let converged = false;
    while (performance.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      benchPeakRss = Math.max(benchPeakRss, process.memoryUsage().rss);
      const overview = await admin.call('GET', `/graph/beta/deviceManagement/deviceConfigurations/${profileId}/deviceStatusOverview`, undefined, 200);
      successCount = overview.successCount as number;
      if (successCount >= devices) {
        converged = true;
        break;
      }
      if (performance.now() - lastLog >= 5000) {
        lastLog = performance.now();
        log(`  ${((lastLog - started) / 1000).toFixed(0)} s: ${successCount}/${devices} succeeded, pending ${overview.pendingCount}, errors ${overview.errorCount}, failed ${overview.failedCount}; ` +
          `${net.total.requests} requests (${net.total.failed} failed), ${counters.pushes} pushes, ${counters.wakes} wakes`);
      }
    }
    const seconds = (performance.now() - started) / 1000;
    const cpuAfter = { bench: process.cpuUsage(cpuBefore.bench), servers: servers.map((s) => processCpuSeconds(s.process.pid!)), postgres: databaseName ? postgresCpuSeconds(databaseName) : 0, machine: machineTicks() };
    const busy = (cpuAfter.machine.busy - cpuBefore.machine.busy) / Math.max(1, cpuAfter.machine.total - cpuBefore.machine.total);
    const overall = net.total.latency.take();
    const result: FleetBenchResult = {
      machine: machineLine(),
      devices, backend: options.backend, processes, sockets, addresses, users,
      setupSeconds,
      converged, successCount, convergenceSeconds: seconds, assignMs,
      requests: net.total.requests,
      requestsPerSecond: net.total.requests / seconds,
      requestsFailed: net.total.failed,
      p50Ms: overall.p50, p95Ms: overall.p95,
      pushes: counters.pushes, wakes: counters.wakes, profilesInstalled: counters.installed, commandErrors: counters.commandErrors,
      // A copy: loops still running when the servers stop end in network errors that belong to no measurement.
      unfinishedLoops: { ...unfinished },
      servers: servers.map((server, index) => {
        const figures = net.perServer[index]!;
        const latency = figures.latency.take();
        const cpuSeconds = cpuAfter.servers[index]! - cpuBefore.servers[index]!;
        return {
          port: server.port, cpuMsPerRequest: figures.requests > 0 ? (cpuSeconds * 1000) / figures.requests : 0, requests: figures.requests, requestsPerSecond: figures.requests / seconds, p50Ms: latency.p50, p95Ms: latency.p95,
          peakRssMb: peakRssMb(server.process.pid!), cpuSeconds,
        };
      }),
      benchCpuSeconds: (cpuAfter.bench.user + cpuAfter.bench.system) / 1e6,
      postgresCpuSeconds: cpuAfter.postgres - cpuBefore.postgres,
      machineBusyPercent: busy * 100,
      loadAverage: [loadBefore, loadavg()[0]!],
      benchPeakRssMb: benchPeakRss / 2 ** 20,
      ceiling,
    };
    if (!converged) log(`NOT converged within ${(options.timeoutMs ?? 600_000) / 1000} s: ${successCount}/${devices}; server output:\n${servers.map((s) => s.output.slice(-3000)).join('\n')}`);
    return result;
  } finally {
    for (const cleanup of cleanups.reverse()) {
      try {
        await cleanup();
      } catch (error) {
        log(`cleanup failed: ${(error as Error).message}`);
      }
    }
  }
}

/** The group of all users, made in the database by `seed`; found through the API. */
async function db2Group(admin: ReturnType<typeof adminClient>): Promise<string> {
  const groups = await admin.call('GET', `/graph/beta/groups?$filter=${encodeURIComponent("displayName eq 'Fleet bench'")}`, undefined, 200);
  const id = (groups.value as Array<{ id: string }>)[0]?.id;
  if (!id) throw new Error('the seeded group is not listed');
  return id;
}

function loopEnd(report: CommandLoopReport | undefined): string {
  if (!report) return 'none';
  if (report.ended === 'http-status') return `http-status ${report.status}: ${report.detail?.slice(0, 80) ?? ''}`;
  // Network errors name the URL first; the reason follows it.
  if (report.ended === 'network-error') return `network-error: ${report.detail?.replace(/^.*?\/mdm\/apple\/\w+: /, '').slice(0, 80) ?? ''}`;
  return report.ended;
}

/**
 * Users (devicesPerUser devices each), one group with all of them, the iOS managed devices with their
 * primary user, and each device's Apple enrollment bound to its certificate with push token and
 * PushMagic: what `Authenticate` and `TokenUpdate` would have left. Returns the number of users.
 */
async function seed(db: Db, fleet: SimulatedIphone[], options: { topic: string; devicesPerUser: number }): Promise<number> {
  const [tenant] = await db.query<{ id: string }>(`SELECT id FROM tenants WHERE is_default`);
  const tenantId = tenant!.id;
  const users = Math.ceil(fleet.length / options.devicesPerUser);
  await db.query(
    `INSERT INTO users (tenant_id, id, display_name, user_principal_name, mail)
     SELECT $1, gen_random_uuid(), 'Bench user ' || i, 'bench' || i || '@contoso.com', 'bench' || i || '@contoso.com' FROM generate_series(0, $2::int - 1) i`,
    [tenantId, users],
  );
  const groupId = (await db.query<{ id: string }>(`INSERT INTO groups (tenant_id, id, display_name) VALUES ($1, gen_random_uuid(), 'Fleet bench') RETURNING id`, [tenantId]))[0]!.id;
  await db.query(`INSERT INTO group_members (tenant_id, group_id, user_id) SELECT $1, $2, id FROM users WHERE tenant_id = $1`, [tenantId, groupId]);
  const userIds = (await db.query<{ id: string }>(`SELECT id FROM users WHERE tenant_id = $1 ORDER BY user_principal_name`, [tenantId])).map((row) => row.id);
  const batch = 5000;
  for (let from = 0; from < fleet.length; from += batch) {
    const slice = fleet.slice(from, from + batch);
    const ids = slice.map(() => randomUUID());
    await db.query(
      `INSERT INTO managed_devices (tenant_id, id, device_name, operating_system, os_version, model, user_id)
       SELECT $1, id, name, 'iOS', os, 'iPhone14,2', user_id FROM unnest($2::uuid[], $3::text[], $4::text[], $5::uuid[]) AS t(id, name, os, user_id)`,
      [tenantId, ids, slice.map((d) => `iPhone ${d.hardware.SerialNumber}`), slice.map((d) => d.hardware.OSVersion), slice.map((_, k) => userIds[(from + k) % users]!)],
    );
    await db.query(
      `INSERT INTO apple_enrollments (tenant_id, enrollment_id, device_id, certificate_sha256, enrollment_type, serial_number, topic, push_token_hex, push_magic, token_update_count)
       SELECT $1, udid, device_id, decode(sha, 'hex'), 'Device', serial, $2, token, magic, 1
         FROM unnest($3::text[], $4::uuid[], $5::text[], $6::text[], $7::text[], $8::text[]) AS t(udid, device_id, sha, serial, token, magic)`,
      [tenantId, options.topic, slice.map((d) => d.udid), ids, slice.map((d) => d.enrollment.identity.certificateSha256), slice.map((d) => d.hardware.SerialNumber),
        slice.map((d) => d.pushTokenHex), slice.map((d) => d.pushMagic)],
    );
  }
  await db.exec('ANALYZE');
  return users;
}

interface Traffic {
  requests: number;
  failed: number;
  latency: LatencyWindow;
}

/**
 * The fleet's network: one keep-alive agent per (server, source address), `sockets` in all. Device
 * `i` talks to server `i % servers` (its requests' port rewritten: every server serves the same
 * paths and the TLS certificate names 127.0.0.1) from address 127.0.0.(1 + ⌊i / servers⌋ % addresses).
 */
function deviceNetwork(options: { caPem: string; ports: number[]; sockets: number; addresses: number }) {
  const perAgent = Math.max(1, Math.floor(options.sockets / (options.ports.length * options.addresses)));
  const newTraffic = (): Traffic => ({ requests: 0, failed: 0, latency: new LatencyWindow(20_000) });
  const total = newTraffic();
  const perServer = options.ports.map(() => newTraffic());
  const agents: https.Agent[] = [];
  const https_: DeviceHttp[][] = options.ports.map((port, server) => Array.from({ length: options.addresses }, (_, address) => {
    const agent = new https.Agent({ keepAlive: true, maxSockets: perAgent, maxFreeSockets: perAgent, ca: options.caPem, localAddress: `127.0.0.${1 + address}` });
    agents.push(agent);
    const http = createDeviceHttp({ agent, timeoutMs: 60_000 });
    const origin = `https://127.0.0.1:${options.ports[0]}`;
    const own = `https://127.0.0.1:${port}`;
    const traffic = perServer[server]!;
    return async (request) => {
      const started = performance.now();
      const count = (ok: boolean) => {
        const ms = performance.now() - started;
        for (const t of [total, traffic]) {
          t.requests++;
          if (!ok) t.failed++;
          t.latency.record(ms);
        }
      };
      try {
        const response = await http(own === origin ? request : { ...request, url: request.url.replace(origin, own) });
        count(response.status === 200);
        return response;
      } catch (error) {
        count(false);
        throw error;
      }
    };
  }));
  return {
    total,
    perServer,
    httpFor(i: number): DeviceHttp {
      const server = i % options.ports.length;
      return https_[server]![Math.floor(i / options.ports.length) % options.addresses]!;
    },
    reset() {
      for (const t of [total, ...perServer]) {
        t.requests = 0;
        t.failed = 0;
        t.latency.take();
      }
    },
    destroy() {
      for (const agent of agents) agent.destroy();
    },
  };
}

/** A bare Fastify over HTTPS (bench/hello-server.ts, a child process) under the same client load for `durationMs`. */
async function measureCeiling(options: { files: { cert: string; key: string }; caPem: string; sockets: number; addresses: number; durationMs: number }) {
  const child = spawn(process.execPath, [join(root, 'bench', 'hello-server.ts')], {
    env: { ...process.env, ENVELOPE_TLS_CERT: options.files.cert, ENVELOPE_TLS_KEY: options.files.key }, stdio: ['ignore', 'pipe', 'inherit'],
  });
  try {
    const port = await new Promise<number>((resolve, reject) => {
      let output = '';
      child.stdout!.on('data', (chunk: Buffer) => {
        output += chunk.toString();
        const match = /listening on (\d+)/.exec(output);
        if (match) resolve(Number(match[1]));
      });
      child.on('exit', (code) => reject(new Error(`the ceiling server exited ${code}`)));
    });
    const net = deviceNetwork({ caPem: options.caPem, ports: [port], sockets: options.sockets, addresses: options.addresses });
    const body = new Uint8Array(400);
    const request = { method: 'PUT' as const, url: `https://127.0.0.1:${port}/mdm/apple/server`, headers: { 'content-type': 'application/x-apple-aspen-mdm', 'user-agent': 'MDM/1.0' }, body };
    // Closed loop: twice as many requests in flight as there are sockets (as a woken fleet queues on its pool).
    const run = async (ms: number) => {
      const end = performance.now() + ms;
      await Promise.all(Array.from({ length: options.sockets * 2 }, async (_, i) => {
        const http = net.httpFor(i);
        while (performance.now() < end) await http(request);
      }));
    };
    await run(Math.min(1000, options.durationMs / 2));
    net.reset();
    const started = performance.now();
    await run(options.durationMs);
    const seconds = (performance.now() - started) / 1000;
    const latency = net.total.latency.take();
    net.destroy();
    return { requestsPerSecond: net.total.requests / seconds, p50Ms: latency.p50, p95Ms: latency.p95 };
  } finally {
    child.kill('SIGTERM');
  }
}

async function startServer(options: {
  port: number; publicUrl: string; files: { cert: string; key: string; apnsCa: string }; apnsUrl: string; secretKey: string; adminToken: string;
  databaseUrl: string | null; dataDir: string; nodeArgs: string[];
}): Promise<Server> {
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    PORT: String(options.port),
    HOST: '127.0.0.1',
    ENVELOPE_PUBLIC_URL: options.publicUrl,
    ENVELOPE_TLS_CERT: options.files.cert,
    ENVELOPE_TLS_KEY: options.files.key,
    ENVELOPE_APNS_URL: options.apnsUrl,
    ENVELOPE_APNS_CA: options.files.apnsCa,
    ENVELOPE_SECRET_KEY: options.secretKey,
    ENVELOPE_ADMIN_TOKEN: options.adminToken,
    ENVELOPE_DATA_DIR: options.dataDir,
    LOG_LEVEL: 'warn',
    LOG_FORMAT: 'json',
    ...(options.databaseUrl ? { DATABASE_URL: options.databaseUrl } : {}),
  };
  // bin/envelope.js runs Envelope in its own process when this is the pinned Node (it is, under npm).
  const child = spawn(process.execPath, [...options.nodeArgs, join(root, 'bin', 'envelope.js'), 'serve'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  const server: Server = { process: child, port: options.port, origin: `https://127.0.0.1:${options.port}`, output: '' };
  const keep = (chunk: Buffer) => {
    server.output = (server.output + chunk.toString()).slice(-20_000);
  };
  child.stderr!.on('data', keep);
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the server did not start:\n${server.output}`)), 120_000);
    child.stdout!.on('data', (chunk: Buffer) => {
      keep(chunk);
      if (/listening on https:/.test(server.output)) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`the server exited ${code}:\n${server.output}`));
    });
  });
  return server;
}

async function stopServer(server: Server): Promise<void> {
  if (server.process.exitCode !== null) return;
  const exited = new Promise<void>((resolve) => server.process.once('exit', () => resolve()));
  server.process.kill('SIGTERM');
  const timer = setTimeout(() => server.process.kill('SIGKILL'), 15_000);
  await exited;
  clearTimeout(timer);
}

function adminClient(origin: string, token: string, caPem: string) {
  const agent = new https.Agent({ keepAlive: true, maxSockets: 2, ca: caPem });
  return {
    async call(method: string, path: string, body: unknown, expected: number): Promise<Record<string, unknown>> {
      const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
      const { status, text } = await new Promise<{ status: number; text: string }>((resolve, reject) => {
        const request = https.request(`${origin}${path}`, {
          method, agent,
          headers: { authorization: `Bearer ${token}`, ...(payload ? { 'content-type': 'application/json', 'content-length': payload.length } : {}) },
        }, (response) => {
          const chunks: Buffer[] = [];
          response.on('data', (chunk: Buffer) => chunks.push(chunk));
          response.on('end', () => resolve({ status: response.statusCode ?? 0, text: Buffer.concat(chunks).toString() }));
          response.on('error', reject);
        });
        request.on('error', reject);
        request.end(payload);
      });
      if (status !== expected) throw new Error(`${method} ${path} answered ${status}, not ${expected}: ${text.slice(0, 500)}`);
      return text ? (JSON.parse(text) as Record<string, unknown>) : {};
    },
    destroy: () => agent.destroy(),
  };
}

async function adminQuery(serverUrl: string, sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: serverUrl });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

async function freePort(): Promise<number> {
  const { createServer } = await import('node:net');
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** user + system CPU seconds of a process, from /proc/<pid>/stat (clock ticks of 10 ms). */
function processCpuSeconds(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return 0;
  }
}

/**
 * CPU seconds of the `postgres` backends serving `database` (their command line names it), or of every
 * `postgres` process when null. Backends that exit between two readings are missed: the servers' pools
 * keep their connections while busy.
 */
function postgresCpuSeconds(database: string | null): number {
  let total = 0;
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      if (stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')')) !== 'postgres') continue;
      if (database !== null && !readFileSync(`/proc/${entry}/cmdline`, 'utf8').includes(` ${database} `)) continue;
      total += processCpuSeconds(Number(entry));
    } catch {
      // gone meanwhile
    }
  }
  return total;
}

function machineTicks(): { busy: number; total: number } {
  const fields = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
  const total = fields.slice(0, 8).reduce((a, b) => a + b, 0);
  const idle = fields[3]! + fields[4]!;
  return { busy: total - idle, total };
}

/** The process's peak resident set (VmHWM), MB. */
function peakRssMb(pid: number): number {
  try {
    const match = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) / 1024 : 0;
  } catch {
    return 0;
  }
}

const fmt = (value: number | null, digits = 0) => (value === null ? '–' : value.toFixed(digits));

/** The result as printed lines. */
export function formatFleetResult(r: FleetBenchResult): string[] {
  const lines = [
    `fleet benchmark — ${r.machine}`,
    `${r.devices.toLocaleString('en-US')} devices (${r.users.toLocaleString('en-US')} users), ${r.backend}, ${r.processes} server process${r.processes > 1 ? 'es' : ''}, ${r.sockets} sockets from ${r.addresses} addresses; setup ${r.setupSeconds.toFixed(1)} s (not timed)`,
    `${r.converged ? 'converged' : 'NOT converged'}: ${r.successCount.toLocaleString('en-US')}/${r.devices.toLocaleString('en-US')} succeeded in ${r.convergenceSeconds.toFixed(1)} s (the assign request took ${r.assignMs.toFixed(0)} ms)`,
    `device requests: ${r.requests.toLocaleString('en-US')} (${r.requestsFailed} not 200), ${Math.round(r.requestsPerSecond).toLocaleString('en-US')}/s, latency as devices see it (waiting for a pool socket included) p50 ${fmt(r.p50Ms)} ms, p95 ${fmt(r.p95Ms)} ms; ` +
      `${r.pushes.toLocaleString('en-US')} pushes, ${r.wakes.toLocaleString('en-US')} wakes, ${r.profilesInstalled.toLocaleString('en-US')} profiles installed, ${r.commandErrors} commands not acknowledged`,
  ];
  if (Object.keys(r.unfinishedLoops).length > 0) lines.push(`loops not ending idle: ${JSON.stringify(r.unfinishedLoops)}`);
  r.servers.forEach((s, i) => lines.push(
    `server ${i + 1}: ${s.requests.toLocaleString('en-US')} requests, ${Math.round(s.requestsPerSecond).toLocaleString('en-US')}/s, p50 ${fmt(s.p50Ms)} ms, p95 ${fmt(s.p95Ms)} ms, peak RSS ${s.peakRssMb.toFixed(0)} MB, CPU ${s.cpuSeconds.toFixed(1)} s (${s.cpuMsPerRequest.toFixed(1)} ms per request)`,
  ));
  lines.push(`CPU during convergence: bench process (devices, APNs stand-in) ${r.benchCpuSeconds.toFixed(1)} s, postgres ${r.postgresCpuSeconds.toFixed(1)} s; machine ${r.machineBusyPercent.toFixed(0)} % busy, load average ${r.loadAverage[0].toFixed(1)} → ${r.loadAverage[1].toFixed(1)}; bench peak RSS ${r.benchPeakRssMb.toFixed(0)} MB`);
  lines.push(`ceiling (bare Fastify hello-world over HTTPS, same client and sockets): ${Math.round(r.ceiling.requestsPerSecond).toLocaleString('en-US')} req/s, p50 ${fmt(r.ceiling.p50Ms)} ms, p95 ${fmt(r.ceiling.p95Ms)} ms`);
  return lines;
}

if (import.meta.main) {
  const { values } = parseArgs({
    options: {
      devices: { type: 'string', default: '10000' },
      backend: { type: 'string', default: 'pglite' },
      processes: { type: 'string', default: '1' },
      sockets: { type: 'string', default: '128' },
      addresses: { type: 'string', default: '8' },
      'devices-per-user': { type: 'string', default: '10' },
      'cpu-prof': { type: 'string' },
      'timeout-s': { type: 'string', default: '600' },
      'ceiling-s': { type: 'string', default: '5' },
      json: { type: 'boolean', default: false },
    },
  });
  const devices = Number(values.devices);
  const processes = Number(values.processes);
  if (!Number.isInteger(devices) || devices < 1 || devices > 1_000_000) throw new Error('--devices must be a whole number from 1');
  if (values.backend !== 'pglite' && values.backend !== 'postgres') throw new Error('--backend must be pglite or postgres');
  if (processes !== 1 && processes !== 2) throw new Error('--processes must be 1 or 2');
  const result = await benchFleet({
    devices, backend: values.backend, processes, sockets: Number(values.sockets), addresses: Number(values.addresses),
    devicesPerUser: Number(values['devices-per-user']), timeoutMs: Number(values['timeout-s']) * 1000, ceilingMs: Number(values['ceiling-s']) * 1000,
    ...(values['cpu-prof'] ? { cpuProfDir: values['cpu-prof'] } : {}),
    log: (line) => console.log(line),
  });
  for (const line of formatFleetResult(result)) console.log(line);
  if (values.json) console.log(JSON.stringify(result));
  process.exitCode = result.converged ? 0 : 1;
}
