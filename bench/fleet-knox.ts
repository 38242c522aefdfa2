// The Knox driver of the fleet benchmark (issue 9), run by `node bench/fleet.ts --platform knox`:
// N simulated Knox agents (sim/knox) enrolled through the API, one Knox email profile assigned to all
// of them, timed from the assignment until every device reports success, with the agents woken
// through the FCM stand-in (sim/fcm). The server is an `envelope serve` child process on PGlite or
// PostgreSQL; the agents run in this process. The ceiling is bench/hello-server.ts over HTTPS with the
// same certificate, loaded by the agents' own client in the same run.
//
//   node bench/fleet.ts --platform knox --devices 300 --backend pglite|postgres [--concurrency 8] [--timeout-s 300]
//
// Enrollment is setup (not timed) and limited to 600 a minute per address by the server, so N stays
// in the hundreds here. PostgreSQL: BENCH_DATABASE_URL (default postgres://postgres@127.0.0.1:5432/postgres);
// a database envelope_bench_<random> is created for the run and dropped after it.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadavg } from 'node:os';
import { createTestCa, issueServerCertificate } from '../sim/apns/apns-test-pki.ts';
import { FcmStandIn } from '../sim/fcm/fcm-standin.ts';
import { createAgentHttp, type AgentHttp } from '../sim/knox/agent-http.ts';
import { KnoxFleet } from '../sim/knox/fleet.ts';
import { benchServerUrl, createBenchDatabase, type BenchDatabase } from './bench-database.ts';
import { measureHelloCeiling, type Ceiling } from './ceiling.ts';
import { machineLine } from './machine.ts';
import { machineTicks, peakRssMb, postgresCpuSeconds, processCpuSeconds } from './process-stats.ts';

const root = new URL('..', import.meta.url).pathname;

export interface KnoxBenchResult {
  devices: number;
  backend: 'pglite' | 'postgres';
  setupSeconds: number;
  converged: boolean;
  convergenceSeconds: number;
  fcmMessages: number;
  requests: number;
  requestsFailed: number;
  p50Ms: number | null;
  p95Ms: number | null;
  /** The server process's CPU during convergence, and per agent request. */
  serverCpuSeconds: number;
  serverCpuMsPerRequest: number;
  /** PostgreSQL's backends for the bench database (null on PGlite, which runs inside the server). */
  postgresCpuSeconds: number | null;
  serverPeakRssMb: number;
  machineBusyPercent: number;
  loadAverage: [number, number];
  ceiling: Ceiling;
  machine: string;
}

export async function benchKnoxFleet(options: { devices: number; backend: 'pglite' | 'postgres'; concurrency?: number; timeoutMs?: number; databaseUrl?: string; ceilingMs?: number; log?: (line: string) => void }): Promise<KnoxBenchResult> {
  const setupStarted = performance.now();
  const dir = mkdtempSync(join(tmpdir(), 'envelope-knox-bench-'));
  const tlsCa = await createTestCa('Knox bench TLS CA');
  const tls = await issueServerCertificate(tlsCa);
  writeFileSync(join(dir, 'tls.pem'), tls.certificatePem);
  writeFileSync(join(dir, 'tls.key'), tls.privateKeyPem, { mode: 0o600 });
  const fcm = await FcmStandIn.start();
  writeFileSync(join(dir, 'fcm-ca.pem'), fcm.caCertificatePem);
  let database: BenchDatabase | null = null;
  if (options.backend === 'postgres') database = await createBenchDatabase(benchServerUrl(options.databaseUrl));
  const port = 20_000 + Math.floor(Math.random() * 20_000);
  const origin = `https://127.0.0.1:${port}`;
  const adminToken = `env_bench_${randomBytes(24).toString('base64url')}`;
  const server = spawn(process.execPath, [join(root, 'bin', 'envelope.js'), 'serve'], {
    env: {
      PATH: process.env.PATH, HOME: process.env.HOME, PORT: String(port), HOST: '127.0.0.1', ENVELOPE_PUBLIC_URL: origin,
      ENVELOPE_TLS_CERT: join(dir, 'tls.pem'), ENVELOPE_TLS_KEY: join(dir, 'tls.key'), ENVELOPE_FCM_URL: fcm.url, ENVELOPE_FCM_CA: join(dir, 'fcm-ca.pem'),
      ENVELOPE_SECRET_KEY: randomBytes(32).toString('base64'), ENVELOPE_ADMIN_TOKEN: adminToken, ENVELOPE_DATA_DIR: join(dir, 'data'), LOG_LEVEL: 'warn', LOG_FORMAT: 'json',
      ENVELOPE_WAKE_POLL_MS: '100',
      ...(database ? { DATABASE_URL: database.url } : {}),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  server.stderr.on('data', (chunk: Buffer) => (output = (output + chunk.toString()).slice(-10_000)));
  const { http, close } = createAgentHttp({ serverCaPem: tlsCa.certificatePem, maxSockets: 256 });
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`the server did not start:\n${output}`)), 120_000);
      server.stdout.on('data', (chunk: Buffer) => {
        output = (output + chunk.toString()).slice(-10_000);
        if (/listening on https:/.test(output)) {
          clearTimeout(timer);
          resolve();
        }
      });
      server.on('exit', (code) => reject(new Error(`the server exited ${code}:\n${output}`)));
    });
    const admin = adminCall(http, origin, adminToken);
    await admin('PUT', '/graph/beta/envelope/knoxPushSettings', { serviceAccount: fcm.createServiceAccount('envelope-bench') }, 200);
    // One user (and token, ≤ 100 devices each) per 100 devices, all users in one group.
    const fleets: KnoxFleet[] = [];
    const userIds: string[] = [];
    for (let start = 0; start < options.devices; start += 100) {
      const count = Math.min(100, options.devices - start);
      const upn = `knox-bench-${start / 100}@contoso.com`;
      const userId = (await admin('POST', '/graph/beta/users', { displayName: upn, userPrincipalName: upn, mail: upn }, 201)).id as string;
      userIds.push(userId);
      const token = (await admin('POST', '/graph/beta/envelope/enrollmentTokens', { userId, platform: 'Android', maxDevices: count }, 201)).token as string;
      fleets.push(new KnoxFleet({ server: origin, enrollmentToken: token, devices: count, concurrency: options.concurrency ?? 8, http, fcm }));
    }
    for (const fleet of fleets) await fleet.start();
    const enrolled = fleets.reduce((sum, fleet) => sum + fleet.snapshot().enrolled, 0);
    if (enrolled !== options.devices) throw new Error(`only ${enrolled} of ${options.devices} devices enrolled`);
    const groupId = (await admin('POST', '/graph/beta/groups', { displayName: 'Knox bench', 'members@odata.bind': userIds.map((id) => `https://graph.microsoft.com/beta/users/${id}`) }, 201)).id as string;
    const profileId = (await admin('POST', '/graph/beta/deviceManagement/deviceConfigurations', {
      '@odata.type': '#microsoft.graph.androidEasEmailProfileConfiguration', displayName: 'Knox bench mail', accountName: 'Knox bench mail', hostName: 'mail.contoso.com',
      usernameSource: 'userPrincipalName', emailAddressSource: 'userPrincipalName', requireSsl: true, durationOfEmailToSync: 'oneWeek', emailSyncSchedule: 'asMessagesArrive',
    }, 201)).id as string;
    for (const fleet of fleets) fleet.snapshot();
    // The ceiling: the same agent client (same sockets, same TLS root) against a bare Fastify, just before the clock.
    const ceiling = await measureHelloCeiling({
      tls: { cert: join(dir, 'tls.pem'), key: join(dir, 'tls.key') }, concurrency: 256, durationMs: options.ceilingMs ?? 3000,
      request: async (url) => {
        const response = await http({ method: 'POST', url, body: {} });
        if (response.status !== 200) throw new Error(`ceiling: HTTP ${response.status}`);
      },
    });
    options.log?.(`ceiling (bare Fastify over HTTPS, the agents' client): ${Math.round(ceiling.requestsPerSecond)} req/s`);
    const setupSeconds = (performance.now() - setupStarted) / 1000;
    const messagesBefore = fcm.messages.length;
    const requestsBefore = fleets.reduce((sum, fleet) => sum + fleet.snapshot().requests, 0);
    const cpuBefore = processCpuSeconds(server.pid!);
    const postgresBefore = database ? postgresCpuSeconds(database.name) : 0;
    const ticksBefore = machineTicks();
    const loadBefore = loadavg()[0]!;

    const started = performance.now();
    await admin('POST', `/graph/beta/deviceManagement/deviceConfigurations/${profileId}/assign`, { assignments: [{ target: { '@odata.type': '#microsoft.graph.groupAssignmentTarget', groupId } }] }, 200);
    const deadline = started + (options.timeoutMs ?? 300_000);
    let converged = false;
    while (performance.now() < deadline) {
      const overview = await admin('GET', `/graph/beta/deviceManagement/deviceConfigurations/${profileId}/deviceStatusOverview`, undefined, 200);
      if (overview.successCount === options.devices) {
        converged = true;
        break;
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const convergenceSeconds = (performance.now() - started) / 1000;
    const serverCpuSeconds = processCpuSeconds(server.pid!) - cpuBefore;
    const postgresSeconds = database ? postgresCpuSeconds(database.name) - postgresBefore : null;
    const ticksAfter = machineTicks();
    const totals = fleets.map((fleet) => fleet.snapshot());
    for (const fleet of fleets) fleet.stop();
    const requests = totals.reduce((sum, t) => sum + t.requests, 0) - requestsBefore;
    return {
      devices: options.devices, backend: options.backend, setupSeconds, converged, convergenceSeconds,
      fcmMessages: fcm.messages.length - messagesBefore,
      requests,
      requestsFailed: totals.reduce((sum, t) => sum + t.requestsFailed, 0),
      serverCpuSeconds, serverCpuMsPerRequest: requests > 0 ? (serverCpuSeconds * 1000) / requests : 0,
      postgresCpuSeconds: postgresSeconds, serverPeakRssMb: peakRssMb(server.pid!),
      machineBusyPercent: (100 * (ticksAfter.busy - ticksBefore.busy)) / Math.max(1, ticksAfter.total - ticksBefore.total),
      loadAverage: [loadBefore, loadavg()[0]!], ceiling,
      // The last window of each fleet: the timed part (setup's window was taken before the clock started).
      p50Ms: Math.max(...totals.map((t) => t.latencyP50Ms ?? 0)) || null,
      p95Ms: Math.max(...totals.map((t) => t.latencyP95Ms ?? 0)) || null,
      machine: machineLine(),
    };
  } finally {
    close();
    server.kill('SIGTERM');
    await new Promise((resolve) => (server.exitCode !== null ? resolve(undefined) : server.once('exit', resolve)));
    await fcm.close();
    await database?.drop();
    rmSync(dir, { recursive: true, force: true });
  }
}

function adminCall(http: AgentHttp, origin: string, token: string) {
  return async (method: string, path: string, body: unknown, expected: number): Promise<Record<string, unknown>> => {
    const response = await http({ method, url: `${origin}${path}`, credential: token, body });
    if (response.status !== expected) throw new Error(`${method} ${path}: HTTP ${response.status} ${JSON.stringify(response.body)}`);
    return response.body as Record<string, unknown>;
  };
}

export function formatKnoxResult(r: KnoxBenchResult): string[] {
  const perSecond = r.convergenceSeconds > 0 ? r.requests / r.convergenceSeconds : 0;
  return [
    r.machine,
    `${r.devices} Knox agents, ${r.backend}, woken through FCM (stand-in); setup ${r.setupSeconds.toFixed(1)} s (enrollment through the API, not timed)`,
    `${r.converged ? 'converged' : 'NOT converged'} in ${r.convergenceSeconds.toFixed(1)} s (${(r.devices / r.convergenceSeconds).toFixed(1)} devices/s); ${r.fcmMessages} FCM messages; ${r.requests} agent requests (${r.requestsFailed} failed), ${perSecond.toFixed(0)}/s, p50 ${r.p50Ms ?? '–'} ms p95 ${r.p95Ms ?? '–'} ms`,
    `server: CPU ${r.serverCpuSeconds.toFixed(1)} s (${r.serverCpuMsPerRequest.toFixed(1)} ms per agent request), peak RSS ${r.serverPeakRssMb.toFixed(0)} MB; postgres CPU ${r.postgresCpuSeconds === null ? '(in the server)' : `${r.postgresCpuSeconds.toFixed(1)} s`}; machine ${r.machineBusyPercent.toFixed(0)} % busy, load average ${r.loadAverage[0].toFixed(1)} → ${r.loadAverage[1].toFixed(1)}`,
    `ceiling (bare Fastify over HTTPS, the agents' client, 256 in flight): ${Math.round(r.ceiling.requestsPerSecond).toLocaleString('en-US')} req/s, p50 ${r.ceiling.p50Ms?.toFixed(0) ?? '–'} ms, p95 ${r.ceiling.p95Ms?.toFixed(0) ?? '–'} ms`,
  ];
}
