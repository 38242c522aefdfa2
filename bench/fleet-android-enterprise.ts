// The Android Enterprise driver of the fleet benchmark (issue 9), run by
// `node bench/fleet.ts --platform android-enterprise`: convergence through the Android Management
// API stand-in (sim/amapi). N work profiles enroll through Envelope's enroll endpoint (setup, not
// timed, without a quota), then one Gmail profile is assigned to all of them and the clock runs until
// every device's ledger row is succeeded (each device: wake → sync worker → `policies.patch` →
// STATUS_REPORT over Pub/Sub push → acknowledged). Server, stand-in and devices share this process.
//
//   node bench/fleet.ts --platform android-enterprise --devices 1000 [--quota 1000 --quota-window-s 100] [--backend pglite|postgres]
//
// With a quota, the timed part runs against a second Envelope instance on the same database (a
// restarted server: its limiter starts empty) whose limiter is set to the quota, and the stand-in
// answers 429 past it from the same moment, as Google does. The ceiling is bench/hello-server.ts
// over plain HTTP, loaded from this process with as many requests in flight as the stand-in pushes.
import { randomBytes } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { loadavg } from 'node:os';
import { createEnvelope, type Envelope } from '../src/main.ts';
import type { AmapiQuota } from '../src/protocols/amapi/amapi-rate-limiter.ts';
import { migrate } from '../src/store/postgres/migrate.ts';
import { AmapiStandIn } from '../sim/amapi/amapi-standin.ts';
import { AmapiFleet } from '../sim/amapi/fleet.ts';
import { serviceAccountKeyFile } from '../test/helpers/amapi-e2e.ts';
import { benchServerUrl, openBenchDb } from './bench-database.ts';
import { measureHelloCeiling, type Ceiling } from './ceiling.ts';
import { machineLine } from './machine.ts';
import { machineTicks, postgresCpuSeconds } from './process-stats.ts';

export interface AndroidEnterpriseBenchResult {
  devices: number;
  backend: 'pglite' | 'postgres';
  quota: AmapiQuota | null;
  setupSeconds: number;
  converged: boolean;
  convergenceSeconds: number;
  halfSeconds: number | null;
  /** Seconds from the assignment to the 1,000th patch and to the last (the quota's steps). */
  patchAtSeconds: { first: number | null; thousandth: number | null; last: number | null };
  /** Most patches in any window of the quota's length (or 100 s), during the timed part. */
  maxPatchesPerWindow: number;
  policyPatches: number;
  queries: number;
  quotaRefusals: number;
  pushesRedelivered: number;
  /** The statuses Envelope answered those pushes with (status → count, over the whole run). */
  redeliveryStatuses: Record<string, number>;
  /** This process's CPU (server, stand-in and devices) during convergence. */
  processCpuSeconds: number;
  postgresCpuSeconds: number | null;
  peakRssMb: number;
  machineBusyPercent: number;
  loadAverage: [number, number];
  ceiling: Ceiling;
  machine: string;
}

export async function benchAndroidEnterpriseFleet(options: {
  devices: number; backend: 'pglite' | 'postgres'; quota?: AmapiQuota | null; databaseUrl?: string; timeoutMs?: number; ceilingMs?: number; log?: (line: string) => void;
}): Promise<AndroidEnterpriseBenchResult> {
  const log = options.log ?? (() => undefined);
  const quota = options.quota ?? null;
  const devices = options.devices;
  const { db, database, drop } = await openBenchDb(options.backend === 'postgres' ? benchServerUrl(options.databaseUrl) : null, { max: 10 });
  const standIn = new AmapiStandIn({});
  let envelope: Envelope | null = null;
  try {
    await migrate(db);
    const rootUrl = await standIn.start();
    const adminToken = `env_bench_${randomBytes(24).toString('base64url')}`;
    const secretKey = randomBytes(32);
    const start = async (limit: AmapiQuota) => {
      const started = await createEnvelope({
        db, secretKey, adminToken, logger: false, publicUrl: 'http://127.0.0.1',
        wake: { pollIntervalMs: 50 },
        amapi: { url: rootUrl, quota: limit, clientOptions: { quotaBackoffMs: 1000 }, sync: { pollIntervalMs: 50, retryAfterMs: 500 } },
      });
      await started.app.listen({ port: 0, host: '127.0.0.1' });
      started.wakeWorker.start();
      started.amapiSync.start();
      return { envelope: started, origin: `http://127.0.0.1:${(started.app.server.address() as AddressInfo).port}` };
    };
    const unlimited: AmapiQuota = { limit: 10_000_000, windowMs: 1000 };
    let running = await start(unlimited);
    envelope = running.envelope;
    const request = async (method: 'POST' | 'PUT', url: string, body: unknown) => {
      const reply = await envelope!.app.inject({ method, url, headers: { authorization: `Bearer ${adminToken}` }, payload: body as object });
      if (reply.statusCode >= 300) throw new Error(`${method} ${url}: ${reply.statusCode} ${reply.body}`);
      return JSON.parse(reply.body) as Record<string, string>;
    };

    const key = serviceAccountKeyFile();
    standIn.registerServiceAccount(key.clientEmail, key.privateKeyPem);
    const settings = await request('PUT', '/graph/beta/envelope/androidEnterpriseSettings', { enterpriseName: 'enterprises/LC0bench', serviceAccountKey: key.json });
    const pushPath = new URL(settings.pubsubPushUrl!).pathname + new URL(settings.pubsubPushUrl!).search;
    standIn.pushUrl = `${running.origin}${pushPath}`;
    const userId = (await request('POST', '/graph/beta/users', { displayName: 'Bench', userPrincipalName: 'bench@contoso.com', mail: 'bench@contoso.com' })).id!;
    const groupId = (await request('POST', '/graph/beta/groups', { displayName: 'Bench phones', 'members@odata.bind': [`https://graph.microsoft.com/beta/users/${userId}`] })).id!;

    // Setup: enroll, 100 devices per enrollment token (its maximum).
    const setupStart = performance.now();
    for (let done = 0; done < devices; done += 100) {
      const token = (await request('POST', '/graph/beta/envelope/enrollmentTokens', { userId, platform: 'Android', maxDevices: 100 })).token!;
      const fleet = new AmapiFleet({ server: running.origin, enrollmentToken: token, devices: Math.min(100, devices - done), missingAppPercent: 0, installAfterSeconds: null, concurrency: 8, standIn });
      await fleet.start();
      if (fleet.lastError) throw new Error(fleet.lastError);
    }
    const count = async (sql: string, params: unknown[] = []) => Number((await db.query<{ n: number }>(sql, params))[0]!.n);
    while ((await count('SELECT count(*)::int AS n FROM android_enterprise_devices WHERE last_policy_version IS NOT NULL AND sync_due_at IS NULL')) < devices || standIn.pendingPushes > 0) {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    await standIn.settled();
    if (quota !== null) {
      // A restarted server with the quota: its limiter starts empty, and so does the stand-in's count.
      // The setup's grants are forgotten too (they were counted in the project's shared window,
      // decision 0033): the timed part starts as a change made long after the devices enrolled.
      await stopEnvelope(envelope);
      await db.query('DELETE FROM amapi_quota_projects');
      running = await start(quota);
      envelope = running.envelope;
      standIn.pushUrl = `${running.origin}${pushPath}`;
      standIn.setQuota(quota.limit, quota.windowMs);
    }
    const profileId = (await request('POST', '/graph/beta/deviceManagement/deviceConfigurations', {
      '@odata.type': '#microsoft.graph.androidWorkProfileGmailEasConfiguration', displayName: 'Bench Gmail', hostName: 'mail.contoso.com', authenticationMethod: 'usernameAndPassword',
      usernameSource: 'userPrincipalName', emailAddressSource: 'userPrincipalName', requireSsl: true, durationOfEmailToSync: 'oneWeek',
    })).id!;
    // The ceiling: as many HTTP requests in flight as the stand-in pushes at once, from this process.
    const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });
    const ceiling = await measureHelloCeiling({
      tls: null, concurrency: 64, durationMs: options.ceilingMs ?? 3000,
      request: (url) => new Promise<void>((resolve, reject) => {
        const req = http.request(url, { method: 'POST', agent, headers: { 'content-type': 'application/json' } }, (res) => {
          res.resume();
          res.on('end', () => (res.statusCode === 200 ? resolve() : reject(new Error(`ceiling: HTTP ${res.statusCode}`))));
        });
        req.on('error', reject);
        req.end('{}');
      }),
    });
    agent.destroy();
    log(`ceiling (bare Fastify over HTTP, 64 in flight): ${Math.round(ceiling.requestsPerSecond)} req/s`);
    const setupSeconds = (performance.now() - setupStart) / 1000;
    const patchesBefore = standIn.patches.length;
    const queriesBefore = standIn.counts.queries;
    const refusalsBefore = standIn.counts.quotaRefusals;
    const redeliveredBefore = redelivered(standIn);
    const cpuBefore = process.cpuUsage();
    const postgresBefore = database ? postgresCpuSeconds(database.name) : 0;
    const ticksBefore = machineTicks();
    const loadBefore = loadavg()[0]!;
    let peakRss = process.memoryUsage().rss;
    const sampler = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage().rss)), 100);

    // Timed: one Gmail profile to every device.
    const started = Date.now();
    await request('POST', `/graph/beta/deviceManagement/deviceConfigurations/${profileId}/assign`, { assignments: [{ target: { '@odata.type': '#microsoft.graph.groupAssignmentTarget', groupId } }] });
    let half: number | null = null;
    let converged = false;
    let lastReport = started;
    const deadline = started + (options.timeoutMs ?? 3_600_000);
    while (Date.now() < deadline) {
      const succeeded = await count("SELECT count(*)::int AS n FROM delivery_ledger WHERE profile_id = $1 AND state IN ('succeeded', 'verified')", [profileId]);
      if (half === null && succeeded * 2 >= devices) half = (Date.now() - started) / 1000;
      if (succeeded >= devices) {
        converged = true;
        break;
      }
      if (Date.now() - lastReport >= 10_000) {
        lastReport = Date.now();
        log(`  ${Math.round((Date.now() - started) / 1000)} s: ${succeeded}/${devices} succeeded, ${standIn.patches.length - patchesBefore} patches, ${standIn.counts.quotaRefusals - refusalsBefore} answered 429`);
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const convergenceSeconds = (Date.now() - started) / 1000;
    clearInterval(sampler);
    const cpu = process.cpuUsage(cpuBefore);
    const ticksAfter = machineTicks();
    const timed = standIn.patches.slice(patchesBefore);
    const windowMs = quota?.windowMs ?? 100_000;
    let maxPerWindow = 0;
    for (let i = 0, j = 0; j < timed.length; j++) {
      while (timed[j]!.at - timed[i]!.at >= windowMs) i++;
      maxPerWindow = Math.max(maxPerWindow, j - i + 1);
    }
    const at = (index: number) => (timed[index] ? (timed[index].at - started) / 1000 : null);
    return {
      devices, backend: options.backend, quota, setupSeconds, converged, convergenceSeconds, halfSeconds: half,
      patchAtSeconds: { first: at(0), thousandth: at(999), last: at(timed.length - 1) },
      maxPatchesPerWindow: maxPerWindow,
      policyPatches: timed.length,
      queries: standIn.counts.queries - queriesBefore,
      quotaRefusals: standIn.counts.quotaRefusals - refusalsBefore,
      pushesRedelivered: redelivered(standIn) - redeliveredBefore,
      redeliveryStatuses: nonSuccessAnswers(standIn).reduce<Record<string, number>>((counts, status) => ({ ...counts, [status]: (counts[status] ?? 0) + 1 }), {}),
      processCpuSeconds: (cpu.user + cpu.system) / 1e6,
      postgresCpuSeconds: database ? postgresCpuSeconds(database.name) - postgresBefore : null,
      peakRssMb: peakRss / 2 ** 20,
      machineBusyPercent: (100 * (ticksAfter.busy - ticksBefore.busy)) / Math.max(1, ticksAfter.total - ticksBefore.total),
      loadAverage: [loadBefore, loadavg()[0]!],
      ceiling,
      machine: machineLine(),
    };
  } finally {
    if (envelope) await stopEnvelope(envelope);
    await standIn.settled().catch(() => undefined);
    await standIn.stop();
    await db.close();
    await drop();
  }
}

/** Pushes the stand-in's Pub/Sub sent again after a non-2xx answer, and those answers' statuses. */
function redelivered(standIn: AmapiStandIn): number {
  return nonSuccessAnswers(standIn).length;
}

function nonSuccessAnswers(standIn: AmapiStandIn): number[] {
  return standIn.pushed.flatMap((message) => message.answers.filter((status) => status < 200 || status >= 300));
}

async function stopEnvelope(envelope: Envelope): Promise<void> {
  await envelope.amapiSync.stop();
  await envelope.wakeWorker.stop();
  await envelope.maintenance.stop();
  envelope.app.server.closeAllConnections();
  await envelope.app.close();
}

export function formatAndroidEnterpriseResult(r: AndroidEnterpriseBenchResult): string[] {
  const quota = r.quota === null ? 'no quota' : `quota ${r.quota.limit.toLocaleString('en-US')} queries per ${r.quota.windowMs / 1000} s (stand-in 429s and Envelope's limiter)`;
  const s = (value: number | null) => (value === null ? '–' : `${value.toFixed(1)} s`);
  return [
    r.machine,
    `${r.devices.toLocaleString('en-US')} Android Enterprise work profiles, ${r.backend}, ${quota}; setup ${r.setupSeconds.toFixed(1)} s (enrollment without a quota, not timed)`,
    `${r.converged ? 'converged' : 'NOT converged'}: ${r.devices} succeeded in ${r.convergenceSeconds.toFixed(1)} s (half in ${s(r.halfSeconds)}) = ${(r.devices / r.convergenceSeconds).toFixed(1)} devices/s = ${Math.round((r.devices / r.convergenceSeconds) * 3600).toLocaleString('en-US')} devices/hour`,
    `${r.policyPatches} policy patches (first at ${s(r.patchAtSeconds.first)}, 1,000th at ${s(r.patchAtSeconds.thousandth)}, last at ${s(r.patchAtSeconds.last)}; at most ${r.maxPatchesPerWindow} in any ${(r.quota?.windowMs ?? 100_000) / 1000} s), ${r.queries} AMAPI queries, ${r.quotaRefusals} answered 429, ${r.pushesRedelivered} Pub/Sub pushes redelivered (answers over the run: ${JSON.stringify(r.redeliveryStatuses)})`,
    `CPU: this process (server, stand-in, devices) ${r.processCpuSeconds.toFixed(1)} s, postgres ${r.postgresCpuSeconds === null ? '(in the process)' : `${r.postgresCpuSeconds.toFixed(1)} s`}; peak RSS ${r.peakRssMb.toFixed(0)} MB; machine ${r.machineBusyPercent.toFixed(0)} % busy, load average ${r.loadAverage[0].toFixed(1)} → ${r.loadAverage[1].toFixed(1)}`,
    `ceiling (bare Fastify over HTTP, 64 in flight, same process): ${Math.round(r.ceiling.requestsPerSecond).toLocaleString('en-US')} req/s, p50 ${r.ceiling.p50Ms?.toFixed(1) ?? '–'} ms, p95 ${r.ceiling.p95Ms?.toFixed(1) ?? '–'} ms`,
  ];
}
