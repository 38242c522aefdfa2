// The fleet benchmark (issues 7 and 8): N simulated devices, one email profile per platform assigned
// to all of them, timed from the assignment until every device reports success, against `envelope
// serve` child processes on PGlite, on PostgreSQL, or two processes sharing one PostgreSQL database.
//
//   node bench/fleet.ts --devices 10000 --backend pglite|postgres --processes 1|2 [--sockets 128]
//        [--addresses 8] [--cpu-prof DIR] [--timeout-s 600]
//        [--platform ios|windows|mix|knox|android-enterprise] [--windows-wake wns|poll] [--poll-scale 60] [--poll-stage remaining|first]
//
// --platform ios (the default): iPhones woken through the APNs stand-in. windows: Windows PCs, woken
// through the WNS stand-in (--windows-wake wns) or left to their DMClient poll schedule (poll), which
// runs --poll-scale times faster than real time. mix: half iPhones, half PCs, both profiles at once.
// knox: Samsung Knox agents woken through the FCM stand-in (bench/fleet-knox.ts; [--concurrency 8]
// enrolling at once). android-enterprise: work profiles through the Android Management API stand-in
// (bench/fleet-android-enterprise.ts; [--quota 1000 --quota-window-s 100] for Google's quota). Both
// run one server and ignore --processes, --sockets, --addresses and the Windows options.
//
// PostgreSQL: BENCH_DATABASE_URL (default postgres://postgres@127.0.0.1:5432/postgres); a database
// envelope_bench_<random> is created for the run and dropped after it.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import https from 'node:https';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { ApnsStandIn, type AcceptedPush } from '../sim/apns/apns-standin.ts';
import { createTestCa, issuePushCertificate, issueServerCertificate } from '../sim/apns/apns-test-pki.ts';
import { createDeviceHttp, type DeviceHttp } from '../sim/ios/device-http.ts';
import type { IosEnrollment } from '../sim/ios/enroll.ts';
import { LatencyWindow } from '../sim/ios/latency-window.ts';
import { SimulatedIphone, type CommandLoopReport } from '../sim/ios/simulated-iphone.ts';
import type { SimulatedPc } from '../sim/windows/simulated-pc.ts';
import { WnsStandIn } from '../sim/windows/wns-standin.ts';
import { TenantService } from '../src/services/auth/tenant-service.ts';
import { SecretBox } from '../src/services/secrets/secret-box.ts';
import type { Db } from '../src/store/db.ts';
import { migrate } from '../src/store/postgres/migrate.ts';
import { openPostgresDb } from '../src/store/postgres/pg-db.ts';
import { openPgliteDb } from '../src/store/postgres/pglite-db.ts';
import { createStores } from '../src/store/postgres/stores.ts';
import { benchIdentity, createBenchIdentities, signMdmMessageFast } from './fleet-identities.ts';
import { benchServerUrl, createBenchDatabase } from './bench-database.ts';
import { benchAndroidEnterpriseFleet, formatAndroidEnterpriseResult } from './fleet-android-enterprise.ts';
import { benchKnoxFleet, formatKnoxResult } from './fleet-knox.ts';
import { startHelloServer } from './ceiling.ts';
import { machineLine } from './machine.ts';
import { machineTicks, peakRssMb, postgresCpuSeconds, processCpuSeconds } from './process-stats.ts';
import { createWindowsBenchPki, makeSeededPcs, seedWindowsPcs, startPolling, windowsNetwork, type SeededPc } from './windows-fleet.ts';

const root = new URL('..', import.meta.url).pathname;

export type FleetPlatform = 'ios' | 'windows' | 'mix';

export interface FleetBenchOptions {
  /** All devices; with `mix`, ⌊N/2⌋ iPhones and the rest PCs. */
  devices: number;
  backend: 'pglite' | 'postgres';
  processes: 1 | 2;
  /** Default `ios`. */
  platform?: FleetPlatform;
  /**
   * How PCs learn of the change: `wns` (default) — the admin configured WNS push settings with a
   * Package Family Name, each PC reports a channel URI, the server pushes through the WNS stand-in;
   * `poll` — no push settings: PCs run a session on their DMClient poll schedule.
   */
  windowsWake?: 'wns' | 'poll';
  /** The poll schedule runs this many times faster than real time (60: an hour lasts a minute). Default 60. */
  pollScale?: number;
  /** Where in the schedule the PCs are: `remaining` (default; enrolled hours ago, hourly) or `first` (just enrolled, every minute). */
  pollStage?: 'first' | 'remaining';
  /**
   * Keep-alive sockets of the iPhones (and of the ceiling's client), over all servers and addresses;
   * for PCs, sessions at once (each PC has its own connection). With `mix`, half each. Default 128.
   */
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

/** One platform's share of a run, counted until that platform converged (or the run ended). */
export interface PlatformFigures {
  platform: 'iOS' | 'Windows';
  devices: number;
  converged: boolean;
  successCount: number;
  /** From the assignment until successCount = devices; the whole run when not converged. */
  convergenceSeconds: number;
  requests: number;
  requestsPerSecond: number;
  requestsFailed: number;
  p50Ms: number | null;
  p95Ms: number | null;
  /** OMA-DM sessions (Windows); iPhones: command loops woken. */
  sessions: number;
  sessionsPerSecond: number;
  sessionsFailed: number;
  /** Session length as the PC sees it, waiting for a session slot excluded (Windows). */
  sessionP50Ms: number | null;
  sessionP95Ms: number | null;
  /** Pushes the stand-in accepted, and the wakes they caused (Windows poll mode: polls). */
  pushes: number;
  wakes: number;
  /** iPhones: profiles installed; PCs: managed ActiveSync accounts on the PCs at the end. */
  profilesInstalled: number;
  /** iPhones: commands not acknowledged; PCs: statuses ≥ 300 the PCs answered. */
  commandErrors: number;
  /** How loops (iPhones) or sessions (PCs) that did not end well ended. */
  unfinished: Record<string, number>;
}

export interface FleetBenchResult {
  machine: string;
  platform: FleetPlatform;
  devices: number;
  backend: 'pglite' | 'postgres';
  processes: number;
  sockets: number;
  addresses: number;
  users: number;
  /** Windows: `wns` or `poll`, and for poll the scale and the interval the PCs were on (real minutes). */
  windowsWake: 'wns' | 'poll' | null;
  pollScale: number | null;
  pollIntervalMinutes: number | null;
  setupSeconds: number;
  converged: boolean;
  successCount: number;
  convergenceSeconds: number;
  /** The assign requests themselves (resolution and fan-out before they answer). */
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
  platforms: PlatformFigures[];
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

/** A platform's bookkeeping during the run. */
interface PlatformRun {
  figures: PlatformFigures;
  profileId: string;
  traffic: { requests: number; failed: number; latency: LatencyWindow };
  sessionLatency: LatencyWindow | null;
  /** Snapshot taken when the platform converges. */
  done: boolean;
}

/** The WNS app identity the bench configures (any well-formed values: the stand-in accepts every client). */
const benchWnsApp = {
  packageSid: 'ms-app://S-1-15-2-2972962901-2322836549-3722629029-1345238579-3987825745-2155616079-650196962',
  clientSecret: 'bench-wns-secret',
  packageFamilyName: 'Envelope.FleetBench_8wekyb3d8bbwe',
};

/** Runs one configuration end to end; never leaves a server, database or temporary directory behind. */
export async function benchFleet(options: FleetBenchOptions): Promise<FleetBenchResult> {
  const log = options.log ?? (() => undefined);
  const devices = options.devices;
  const platform = options.platform ?? 'ios';
  const iosCount = platform === 'ios' ? devices : platform === 'mix' ? Math.floor(devices / 2) : 0;
  const windowsCount = devices - iosCount;
  const windowsWake = windowsCount > 0 ? options.windowsWake ?? 'wns' : null;
  const pollScale = windowsWake === 'poll' ? options.pollScale ?? 60 : null;
  const processes = options.processes;
  const sockets = options.sockets ?? 128;
  const platformSockets = platform === 'mix' ? Math.max(1, Math.floor(sockets / 2)) : sockets;
  const addresses = options.addresses ?? 8;
  const devicesPerUser = options.devicesPerUser ?? 10;
  if (options.backend === 'pglite' && processes !== 1) throw new Error('PGlite allows one server process (its data directory is locked while open)');
  if (pollScale !== null && !(pollScale > 0)) throw new Error('pollScale must be above 0');
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
    const files = { cert: join(dir, 'tls.pem'), key: join(dir, 'tls.key'), apnsCa: join(dir, 'apns-ca.pem'), wnsCa: join(dir, 'wns-ca.pem') };
    writeFileSync(files.cert, tls.certificatePem);
    writeFileSync(files.key, tls.privateKeyPem, { mode: 0o600 });
    writeFileSync(files.apnsCa, apnsCa.certificatePem);

    const ceiling = await measureCeiling({ files, caPem: tlsCa.certificatePem, sockets, addresses, durationMs: options.ceilingMs ?? 5000 });
    log(`ceiling (bare Fastify over HTTPS, ${sockets} sockets): ${Math.round(ceiling.requestsPerSecond)} req/s, p50 ${fmt(ceiling.p50Ms)} ms, p95 ${fmt(ceiling.p95Ms)} ms`);

    const standIn = await ApnsStandIn.start({ certificatePem: apnsServer.certificatePem, privateKeyPem: apnsServer.privateKeyPem, clientCa: apnsCa.certificatePem });
    cleanups.push(() => standIn.close());
    // The WNS stand-in (HTTPS, its CA given to the servers as ENVELOPE_WNS_CA): the token endpoint and the PCs' channel URIs.
    let wns: WnsStandIn | null = null;
    if (windowsWake === 'wns') {
      const wnsCa = await createTestCa('Envelope fleet bench WNS CA');
      const wnsServer = await issueServerCertificate(wnsCa);
      writeFileSync(files.wnsCa, wnsCa.certificatePem);
      wns = await WnsStandIn.start({ certificatePem: wnsServer.certificatePem, privateKeyPem: wnsServer.privateKeyPem });
      const started = wns;
      cleanups.push(() => started.close());
    }

    // Database: created, migrated and seeded before any server starts (PGlite's directory is locked while a server has it open).
    const adminToken = `env_bench_${randomBytes(24).toString('base64url')}`;
    const secretKey = randomBytes(32).toString('hex');
    let databaseUrl: string | null = null;
    let databaseName: string | null = null;
    const dataDir = join(dir, 'data');
    let db: Db;
    if (options.backend === 'postgres') {
      const database = await createBenchDatabase(benchServerUrl(options.databaseUrl));
      databaseName = database.name;
      cleanups.push(() => database.drop());
      databaseUrl = database.url;
      db = openPostgresDb(databaseUrl);
    } else {
      db = await openPgliteDb({ dataDir: join(dataDir, 'pglite') });
    }
    const ports = await Promise.all(Array.from({ length: processes }, () => freePort()));
    const publicUrl = `https://127.0.0.1:${ports[0]}`;

    // iPhones: identities made here, push tokens drawn by each SimulatedIphone; then the rows that bind them.
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
    const net = deviceNetwork({ caPem: tlsCa.certificatePem, ports, sockets: platformSockets, addresses });
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
    const fleet: SimulatedIphone[] = new Array(iosCount);
    for (let i = 0; i < iosCount; i++) {
      const enrollment: IosEnrollment = {
        identity: benchIdentity(identities.certificate(i + 1), identities), mdm, profile, signerCertificates: [], verified: false, contentSha256: '00',
      };
      const device = new SimulatedIphone({ enrollment, http: net.httpFor(i), observer, signMessage });
      fleet[i] = device;
      byToken.set(device.pushTokenHex, device);
    }

    // PCs: seeded as enrolled (bench/windows-fleet.ts), each with its own connection and client certificate.
    const winNet = windowsNetwork({ caPem: tlsCa.certificatePem, ports, addresses, concurrency: platformSockets });
    cleanups.push(() => winNet.destroy());
    const winCounters = { sessions: 0, sessionsFailed: 0, pushes: 0, wakes: 0 };
    const sessionLatency = new LatencyWindow(20_000);
    const winUnfinished: Record<string, number> = {};
    let pcs: SeededPc[] = [];
    if (windowsCount > 0) {
      const pki = await createWindowsBenchPki();
      pcs = await makeSeededPcs({
        count: windowsCount, pki, publicUrl, upnOf: (i) => `bench-pc${i}@contoso.com`, httpFor: (i) => winNet.httpFor(i),
        observer: {
          session({ ok, ms }) {
            winCounters.sessions++;
            if (!ok) winCounters.sessionsFailed++;
            sessionLatency.record(ms);
          },
        },
        ...(wns ? { channelUriBase: wns.url, pushPfn: benchWnsApp.packageFamilyName } : {}),
      });
    }
    log(`${iosCount > 0 ? `${iosCount} iPhones` : ''}${iosCount > 0 && windowsCount > 0 ? ' and ' : ''}${windowsCount > 0 ? `${windowsCount} PCs` : ''} made (${((performance.now() - setupStarted) / 1000).toFixed(1)} s since start); seeding the ${options.backend} database…`);
    let users: number;
    try {
      await migrate(db);
      await new TenantService(createStores(db).tenants).issueFirstAdminToken(adminToken);
      users = await seed(db, fleet, pcs, { topic, devicesPerUser, box: new SecretBox(Buffer.from(secretKey, 'hex')), channels: wns !== null });
    } finally {
      await db.close();
    }

    // Servers, one after the other (each migrates at start).
    const servers: Server[] = [];
    for (const port of ports) {
      const server = await startServer({
        port, publicUrl, files, apnsUrl: standIn.url, wnsUrl: wns?.url ?? null, secretKey, adminToken, databaseUrl, dataDir,
        nodeArgs: options.cpuProfDir ? ['--cpu-prof', `--cpu-prof-dir=${options.cpuProfDir}`] : [],
      });
      servers.push(server);
      cleanups.push(() => stopServer(server));
    }
    const admin = adminClient(servers[0]!.origin, adminToken, tlsCa.certificatePem);
    cleanups.push(() => admin.destroy());
    const groupId = (await db2Group(admin)) as string;
    const runs: PlatformRun[] = [];
    const newFigures = (name: PlatformFigures['platform'], count: number): PlatformFigures => ({
      platform: name, devices: count, converged: false, successCount: 0, convergenceSeconds: 0, requests: 0, requestsPerSecond: 0, requestsFailed: 0, p50Ms: null, p95Ms: null,
      sessions: 0, sessionsPerSecond: 0, sessionsFailed: 0, sessionP50Ms: null, sessionP95Ms: null, pushes: 0, wakes: 0, profilesInstalled: 0, commandErrors: 0, unfinished: {},
    });
    if (iosCount > 0) {
      await admin.call('PUT', '/graph/beta/envelope/applePushCertificate', { certificate: push.certificatePem, privateKey: push.privateKeyPem }, 200);
      const profileId = (await admin.call('POST', '/graph/beta/deviceManagement/deviceConfigurations', {
        '@odata.type': '#microsoft.graph.iosEasEmailProfileConfiguration', displayName: 'Fleet bench mail', accountName: 'Fleet bench mail',
        hostName: 'mail.contoso.com', usernameSource: 'userPrincipalName', emailAddressSource: 'userPrincipalName', requireSsl: true, durationOfEmailToSync: 'oneWeek',
      }, 201)).id as string;
      runs.push({ figures: newFigures('iOS', iosCount), profileId, traffic: net.total, sessionLatency: null, done: false });
    }
    if (windowsCount > 0) {
      if (wns) await admin.call('PUT', '/graph/beta/envelope/windowsPushSettings', benchWnsApp, 200);
      const profileId = (await admin.call('POST', '/graph/beta/deviceManagement/deviceConfigurations', {
        '@odata.type': '#microsoft.graph.windows10EasEmailProfileConfiguration', displayName: 'Fleet bench Windows mail', accountName: 'Fleet bench Windows mail',
        hostName: 'mail.contoso.com', usernameSource: 'userPrincipalName', emailAddressSource: 'userPrincipalName', requireSsl: true, durationOfEmailToSync: 'oneWeek',
        emailSyncSchedule: 'asMessagesArrive',
      }, 201)).id as string;
      runs.push({ figures: newFigures('Windows', windowsCount), profileId, traffic: winNet.total, sessionLatency, done: false });
    }

    // iPhones wake on pushes, as iOS does.
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
    // PCs wake on a raw notification to their channel URI (WNS), or on their poll schedule.
    const pcByChannel = new Map(pcs.map((seeded, index) => [seeded.pc.channelUri ?? '', index]));
    const sessionEnded = (pc: SimulatedPc) => {
      if (!pc.lastError) return;
      const kind = `${pc.lastError.name}: ${pc.lastError.message.slice(0, 100)}`;
      winUnfinished[kind] = (winUnfinished[kind] ?? 0) + 1;
    };
    const wakePc = (index: number, trigger: 'push' | 'poll') => {
      winCounters.wakes++;
      winNet.wake(index, pcs[index]!.pc, trigger, sessionEnded);
    };
    wns?.onPush((pushed) => {
      winCounters.pushes++;
      const index = pcByChannel.get(pushed.channelUri);
      if (index !== undefined) wakePc(index, 'push');
    });
    const setupSeconds = (performance.now() - setupStarted) / 1000;
    log(`setup done in ${setupSeconds.toFixed(1)} s (${users} users, ${servers.length} server process${servers.length > 1 ? 'es' : ''}); assigning…`);

    // The clock: from the assignment until successCount = N for every platform.
    net.reset();
    winNet.reset();
    const cpuBefore = { bench: process.cpuUsage(), servers: servers.map((s) => processCpuSeconds(s.process.pid!)), postgres: databaseName ? postgresCpuSeconds(databaseName) : 0, machine: machineTicks() };
    let benchPeakRss = process.memoryUsage().rss;
    const loadBefore = loadavg()[0]!;
    const started = performance.now();
    for (const run of runs) {
      await admin.call('POST', `/graph/beta/deviceManagement/deviceConfigurations/${run.profileId}/assign`, {
        assignments: [{ target: { '@odata.type': '#microsoft.graph.groupAssignmentTarget', groupId } }],
      }, 200);
    }
    const assignMs = performance.now() - started;
    let polling: ReturnType<typeof startPolling> | null = null;
    // Polls start once the change is in the ledger: a poll before it would find nothing and wait a whole interval.
    if (windowsWake === 'poll') {
      polling = startPolling(pcs.map((seeded) => seeded.pc), { scale: pollScale!, stage: options.pollStage ?? 'remaining', poll: (index) => wakePc(index, 'poll') });
      const stop = polling.stop;
      cleanups.push(() => stop());
      log(`PCs poll on their DMClient schedule, every ${polling.intervalMinutes} min (${options.pollStage ?? 'remaining'} set), run ×${pollScale} faster: 1 real minute = ${(60 / pollScale!).toFixed(2)} s here`);
    }
    const deadline = started + (options.timeoutMs ?? 600_000);
    let lastLog = started;
    const settle = (run: PlatformRun, seconds: number) => {
      const f = run.figures;
      const latency = run.traffic.latency.take();
      f.convergenceSeconds = seconds;
      f.requests = run.traffic.requests;
      f.requestsFailed = run.traffic.failed;
      f.requestsPerSecond = run.traffic.requests / seconds;
      f.p50Ms = latency.p50;
      f.p95Ms = latency.p95;
      if (f.platform === 'iOS') {
        f.sessions = counters.wakes;
        f.pushes = counters.pushes;
        f.wakes = counters.wakes;
        f.profilesInstalled = counters.installed;
        f.commandErrors = counters.commandErrors;
        f.unfinished = { ...unfinished };
      } else {
        const sessionsLatency = run.sessionLatency!.take();
        f.sessions = winCounters.sessions;
        f.sessionsFailed = winCounters.sessionsFailed;
        f.sessionP50Ms = sessionsLatency.p50;
        f.sessionP95Ms = sessionsLatency.p95;
        f.pushes = winCounters.pushes;
        f.wakes = winCounters.wakes;
        f.profilesInstalled = pcs.reduce((sum, seeded) => sum + seeded.pc.accounts().length, 0);
        f.commandErrors = pcs.reduce((sum, seeded) => sum + Object.entries(seeded.pc.counters.statuses).reduce((n, [code, count]) => n + (Number(code) >= 300 ? count : 0), 0), 0);
        f.unfinished = { ...winUnfinished };
      }
      f.sessionsPerSecond = f.sessions / seconds;
      run.done = true;
    };
    while (performance.now() < deadline && runs.some((run) => !run.done)) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      benchPeakRss = Math.max(benchPeakRss, process.memoryUsage().rss);
      const overviews: Record<string, unknown>[] = [];
      for (const run of runs) {
        const overview = await admin.call('GET', `/graph/beta/deviceManagement/deviceConfigurations/${run.profileId}/deviceStatusOverview`, undefined, 200);
        overviews.push(overview);
        if (run.done) continue;
        run.figures.successCount = overview.successCount as number;
        if (run.figures.successCount >= run.figures.devices) {
          run.figures.converged = true;
          settle(run, (performance.now() - started) / 1000);
          log(`  ${run.figures.platform} converged: ${run.figures.successCount}/${run.figures.devices} in ${run.figures.convergenceSeconds.toFixed(1)} s`);
        }
      }
      if (performance.now() - lastLog >= 5000) {
        lastLog = performance.now();
        log(`  ${((lastLog - started) / 1000).toFixed(0)} s: ` + runs.map((run, i) => {
          const overview = overviews[i]!;
          return `${run.figures.platform} ${overview.successCount}/${run.figures.devices} succeeded, pending ${overview.pendingCount}, errors ${overview.errorCount}, failed ${overview.failedCount}`;
        }).join('; ') + (iosCount > 0 ? `; iOS ${net.total.requests} requests (${net.total.failed} failed), ${counters.pushes} pushes, ${counters.wakes} wakes` : '') +
          (windowsCount > 0 ? `; Windows ${winNet.total.requests} requests (${winNet.total.failed} failed), ${winCounters.sessions} sessions (${winCounters.sessionsFailed} failed), ${winCounters.pushes} pushes, ${winCounters.wakes} wakes` : ''));
      }
    }
    const seconds = (performance.now() - started) / 1000;
    polling?.stop();
    for (const run of runs) if (!run.done) settle(run, seconds);
    const cpuAfter = { bench: process.cpuUsage(cpuBefore.bench), servers: servers.map((s) => processCpuSeconds(s.process.pid!)), postgres: databaseName ? postgresCpuSeconds(databaseName) : 0, machine: machineTicks() };
    const busy = (cpuAfter.machine.busy - cpuBefore.machine.busy) / Math.max(1, cpuAfter.machine.total - cpuBefore.machine.total);
    const figures = runs.map((run) => run.figures);
    const sum = (pick: (f: PlatformFigures) => number) => figures.reduce((total, f) => total + pick(f), 0);
    // The whole run's requests per server (both platforms' networks), for the server CPU per request.
    const serverRequests = servers.map((_, index) => net.perServer[index]!.requests + winNet.perServer[index]!.requests);
    const single = figures.length === 1 ? figures[0]! : null;
    const converged = figures.every((f) => f.converged);
    const result: FleetBenchResult = {
      machine: machineLine(),
      platform, devices, backend: options.backend, processes, sockets, addresses, users,
      windowsWake, pollScale, pollIntervalMinutes: polling?.intervalMinutes ?? null,
      setupSeconds,
      converged, successCount: sum((f) => f.successCount), convergenceSeconds: seconds, assignMs,
      requests: sum((f) => f.requests),
      requestsPerSecond: sum((f) => f.requests) / seconds,
      requestsFailed: sum((f) => f.requestsFailed),
      p50Ms: single ? single.p50Ms : null, p95Ms: single ? single.p95Ms : null,
      pushes: sum((f) => f.pushes), wakes: sum((f) => f.wakes), profilesInstalled: sum((f) => f.profilesInstalled), commandErrors: sum((f) => f.commandErrors),
      // A copy: loops still running when the servers stop end in network errors that belong to no measurement.
      unfinishedLoops: Object.assign({}, ...figures.map((f) => f.unfinished)) as Record<string, number>,
      platforms: figures,
      servers: servers.map((server, index) => {
        const latency = net.perServer[index]!.latency.take();
        const cpuSeconds = cpuAfter.servers[index]! - cpuBefore.servers[index]!;
        const requests = serverRequests[index]!;
        return {
          port: server.port, cpuMsPerRequest: requests > 0 ? (cpuSeconds * 1000) / requests : 0, requests, requestsPerSecond: requests / seconds,
          // Per-server latency for an iOS run (as before); with PCs it is per platform.
          p50Ms: platform === 'ios' ? latency.p50 : null, p95Ms: platform === 'ios' ? latency.p95 : null,
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
    if (!converged) log(`NOT converged within ${(options.timeoutMs ?? 600_000) / 1000} s: ${figures.map((f) => `${f.platform} ${f.successCount}/${f.devices}`).join(', ')}; server output:\n${servers.map((s) => s.output.slice(-3000)).join('\n')}`);
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
 * PushMagic: what `Authenticate` and `TokenUpdate` would have left; then the PCs (bench/windows-fleet.ts
 * `seedWindowsPcs`), whose users follow the iPhones'. Returns the number of users.
 */
async function seed(db: Db, fleet: SimulatedIphone[], pcs: SeededPc[], options: { topic: string; devicesPerUser: number; box: SecretBox; channels: boolean }): Promise<number> {
  const [tenant] = await db.query<{ id: string }>(`SELECT id FROM tenants WHERE is_default`);
  const tenantId = tenant!.id;
  const users = Math.ceil((fleet.length + pcs.length) / options.devicesPerUser);
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
  await seedWindowsPcs(db, pcs, { tenantId, userIdOf: (k) => userIds[(fleet.length + k) % users]!, box: options.box, channels: options.channels });
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
  const hello = await startHelloServer(options.files);
  try {
    const port = hello.port;
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
    hello.stop();
  }
}

async function startServer(options: {
  port: number; publicUrl: string; files: { cert: string; key: string; apnsCa: string; wnsCa: string }; apnsUrl: string; wnsUrl: string | null; secretKey: string; adminToken: string;
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
    ...(options.wnsUrl ? { ENVELOPE_WNS_URL: options.wnsUrl, ENVELOPE_WNS_CA: options.files.wnsCa } : {}),
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

async function freePort(): Promise<number> {
  const { createServer } = await import('node:net');
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

const fmt = (value: number | null, digits = 0) => (value === null ? '–' : value.toFixed(digits));
const n = (value: number) => value.toLocaleString('en-US');

/** The result as printed lines. */
export function formatFleetResult(r: FleetBenchResult): string[] {
  const wake = r.windowsWake === 'wns' ? ', PCs woken through WNS'
    : r.windowsWake === 'poll' ? `, PCs on their DMClient poll schedule (every ${r.pollIntervalMinutes} real min) run ×${r.pollScale} faster — bench seconds, not real time` : '';
  const lines = [
    `fleet benchmark — ${r.machine}`,
    `${n(r.devices)} devices (${r.platform === 'ios' ? '' : `${r.platform}${wake}; `}${n(r.users)} users), ${r.backend}, ${r.processes} server process${r.processes > 1 ? 'es' : ''}, ${r.sockets} sockets from ${r.addresses} addresses; setup ${r.setupSeconds.toFixed(1)} s (not timed)`,
    `${r.converged ? 'converged' : 'NOT converged'}: ${n(r.successCount)}/${n(r.devices)} succeeded in ${r.convergenceSeconds.toFixed(1)} s (the assign request${r.platforms.length > 1 ? 's' : ''} took ${r.assignMs.toFixed(0)} ms)`,
  ];
  for (const f of r.platforms) {
    const real = r.pollScale !== null && f.platform === 'Windows' ? ` (= ${(f.convergenceSeconds * r.pollScale / 60).toFixed(1)} real minutes at ×${r.pollScale})` : '';
    lines.push(`${f.platform}: ${f.converged ? 'converged' : 'NOT converged'} ${n(f.successCount)}/${n(f.devices)} in ${f.convergenceSeconds.toFixed(1)} s${real}; ` +
      `${n(f.requests)} requests (${f.requestsFailed} not 200), ${Math.round(f.requestsPerSecond).toLocaleString('en-US')}/s, latency as devices see it p50 ${fmt(f.p50Ms)} ms, p95 ${fmt(f.p95Ms)} ms; ` +
      (f.platform === 'Windows'
        ? `${n(f.sessions)} sessions (${f.sessionsFailed} failed), ${f.sessionsPerSecond.toFixed(1)}/s, session p50 ${fmt(f.sessionP50Ms)} ms, p95 ${fmt(f.sessionP95Ms)} ms; ${n(f.pushes)} pushes, ${n(f.wakes)} wakes, ${n(f.profilesInstalled)} accounts on the PCs, ${f.commandErrors} statuses ≥ 300`
        : `${n(f.pushes)} pushes, ${n(f.wakes)} wakes, ${n(f.profilesInstalled)} profiles installed, ${f.commandErrors} commands not acknowledged`));
    if (Object.keys(f.unfinished).length > 0) lines.push(`  ${f.platform} ${f.platform === 'Windows' ? 'sessions failing' : 'loops not ending idle'}: ${JSON.stringify(f.unfinished)}`);
  }
  if (r.platforms.length === 1 && r.platforms[0]!.platform === 'iOS') {
    // The issue-7 line, unchanged.
    lines.splice(3, lines.length - 3,
      `device requests: ${n(r.requests)} (${r.requestsFailed} not 200), ${Math.round(r.requestsPerSecond).toLocaleString('en-US')}/s, latency as devices see it (waiting for a pool socket included) p50 ${fmt(r.p50Ms)} ms, p95 ${fmt(r.p95Ms)} ms; ` +
      `${n(r.pushes)} pushes, ${n(r.wakes)} wakes, ${n(r.profilesInstalled)} profiles installed, ${r.commandErrors} commands not acknowledged`);
    if (Object.keys(r.unfinishedLoops).length > 0) lines.push(`loops not ending idle: ${JSON.stringify(r.unfinishedLoops)}`);
  }
  r.servers.forEach((s, i) => lines.push(
    `server ${i + 1}: ${n(s.requests)} requests, ${Math.round(s.requestsPerSecond).toLocaleString('en-US')}/s, ${s.p50Ms === null ? '' : `p50 ${fmt(s.p50Ms)} ms, p95 ${fmt(s.p95Ms)} ms, `}peak RSS ${s.peakRssMb.toFixed(0)} MB, CPU ${s.cpuSeconds.toFixed(1)} s (${s.cpuMsPerRequest.toFixed(1)} ms per request${r.platforms.length > 1 ? ', both platforms' : ''})`,
  ));
  lines.push(`CPU during convergence: bench process (devices, stand-ins) ${r.benchCpuSeconds.toFixed(1)} s, postgres ${r.postgresCpuSeconds.toFixed(1)} s; machine ${r.machineBusyPercent.toFixed(0)} % busy, load average ${r.loadAverage[0].toFixed(1)} → ${r.loadAverage[1].toFixed(1)}; bench peak RSS ${r.benchPeakRssMb.toFixed(0)} MB`);
  lines.push(`ceiling (bare Fastify hello-world over HTTPS, same client and sockets): ${Math.round(r.ceiling.requestsPerSecond).toLocaleString('en-US')} req/s, p50 ${fmt(r.ceiling.p50Ms)} ms, p95 ${fmt(r.ceiling.p95Ms)} ms`);
  return lines;
}

if (import.meta.main) {
  const { values } = parseArgs({
    options: {
      devices: { type: 'string', default: '10000' },
      backend: { type: 'string', default: 'pglite' },
      processes: { type: 'string', default: '1' },
      platform: { type: 'string', default: 'ios' },
      'windows-wake': { type: 'string', default: 'wns' },
      'poll-scale': { type: 'string', default: '60' },
      'poll-stage': { type: 'string', default: 'remaining' },
      sockets: { type: 'string', default: '128' },
      addresses: { type: 'string', default: '8' },
      'devices-per-user': { type: 'string', default: '10' },
      'cpu-prof': { type: 'string' },
      'timeout-s': { type: 'string', default: '600' },
      'ceiling-s': { type: 'string', default: '5' },
      json: { type: 'boolean', default: false },
      // knox: agents enrolling at once (setup); android-enterprise: the AMAPI quota (default none).
      concurrency: { type: 'string' },
      quota: { type: 'string' },
      'quota-window-s': { type: 'string', default: '100' },
    },
  });
  const devices = Number(values.devices);
  const processes = Number(values.processes);
  const pollScale = Number(values['poll-scale']);
  if (!Number.isInteger(devices) || devices < 1 || devices > 1_000_000) throw new Error('--devices must be a whole number from 1');
  if (values.backend !== 'pglite' && values.backend !== 'postgres') throw new Error('--backend must be pglite or postgres');
  if (processes !== 1 && processes !== 2) throw new Error('--processes must be 1 or 2');
  if (values.platform === 'knox' || values.platform === 'android-enterprise') {
    // The Android drivers (bench/fleet-knox.ts, bench/fleet-android-enterprise.ts): one server, their own setup.
    if (values.backend !== 'pglite' && values.backend !== 'postgres') throw new Error('--backend must be pglite or postgres');
    const log = (line: string) => console.log(line);
    const timeoutMs = Number(values['timeout-s']) * 1000;
    const ceilingMs = Number(values['ceiling-s']) * 1000;
    if (values.platform === 'knox') {
      const result = await benchKnoxFleet({ devices, backend: values.backend, concurrency: Number(values.concurrency ?? 8), timeoutMs, ceilingMs, log });
      for (const line of formatKnoxResult(result)) console.log(line);
      if (values.json) console.log(JSON.stringify(result));
      process.exit(result.converged ? 0 : 1);
    }
    const quota = values.quota === undefined ? null : { limit: Number(values.quota), windowMs: Number(values['quota-window-s']) * 1000 };
    if (quota !== null && !(Number.isSafeInteger(quota.limit) && quota.limit > 0 && quota.windowMs > 0)) throw new Error('--quota must be a whole number above 0 and --quota-window-s a number above 0');
    const result = await benchAndroidEnterpriseFleet({ devices, backend: values.backend, quota, timeoutMs, ceilingMs, log });
    for (const line of formatAndroidEnterpriseResult(result)) console.log(line);
    if (values.json) console.log(JSON.stringify(result));
    process.exit(result.converged ? 0 : 1);
  }
  if (values.platform !== 'ios' && values.platform !== 'windows' && values.platform !== 'mix') throw new Error('--platform must be ios, windows, mix, knox or android-enterprise');
  if (values['windows-wake'] !== 'wns' && values['windows-wake'] !== 'poll') throw new Error('--windows-wake must be wns or poll');
  if (!(pollScale > 0 && pollScale <= 3600)) throw new Error('--poll-scale must be a number above 0 and at most 3600');
  if (values['poll-stage'] !== 'remaining' && values['poll-stage'] !== 'first') throw new Error('--poll-stage must be remaining or first');
  const result = await benchFleet({
    devices, backend: values.backend, processes, platform: values.platform, windowsWake: values['windows-wake'], pollScale, pollStage: values['poll-stage'],
    sockets: Number(values.sockets), addresses: Number(values.addresses),
    devicesPerUser: Number(values['devices-per-user']), timeoutMs: Number(values['timeout-s']) * 1000, ceilingMs: Number(values['ceiling-s']) * 1000,
    ...(values['cpu-prof'] ? { cpuProfDir: values['cpu-prof'] } : {}),
    log: (line) => console.log(line),
  });
  for (const line of formatFleetResult(result)) console.log(line);
  if (values.json) console.log(JSON.stringify(result));
  process.exitCode = result.converged ? 0 : 1;
}
