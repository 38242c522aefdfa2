import assert from 'node:assert/strict';
import type { InjectOptions } from 'fastify';
import { randomPcHardware, type PcHardware } from '../../sim/windows/enroll.ts';
import { createPcHttp, type PcHttp, type PcResponse } from '../../sim/windows/pc-http.ts';
import { SimulatedPc, type SimulatedPcOptions } from '../../sim/windows/simulated-pc.ts';
import { readServerMessage, syncMlContentType, type ServerCommand } from '../../sim/windows/syncml.ts';
import { WnsStandIn } from '../../sim/wns/wns-standin.ts';
import type { Envelope } from '../../src/main.ts';
import { createE2eServer, graphAdmin } from './e2e-server.ts';
import type { E2ePki } from './https-envelope.ts';
import type { Reply } from './test-app.ts';

/** The WNS app identity the suite's stand-in knows (Partner Center would show these). */
export const wnsApp = Object.freeze({
  packageSid: 'ms-app://S-1-15-2-2972962901-2322836549-3722629029-1345238579-3987825745-2155616079-650196962',
  clientSecret: 'Vex8L9WOFZuj95euaLrvSH7XyoDhLJc7',
  packageFamilyName: 'Contoso.EnvelopePush_8wekyb3d8bbwe',
});

/**
 * One Envelope for a Windows end-to-end suite, listening on HTTPS at 127.0.0.1 with its public URL
 * there, on the suite's database backend; the WNS stand-in (sim/wns) as its WNS, with the wake
 * worker running; simulated PCs (sim/windows) on one HTTPS client. `restart()` drops the server
 * (its process state, its sockets) and starts another on the same database and port: on PGlite
 * the same embedded database, on PostgreSQL a new connection pool, as a second process would.
 */
export interface WindowsE2e {
  pki: E2ePki;
  origin: string;
  wns: WnsStandIn;
  /** The HTTPS client of every PC (each presents its own certificate when it does). */
  http: PcHttp;
  /** The server now running. */
  readonly envelope: Envelope;
  request(method: InjectOptions['method'], url: string, body?: unknown): Promise<Reply>;
  query<R = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<R[]>;
  restart(): Promise<void>;
  /** Wakes `pc` when a WNS notification reaches its channel (a PC not registered here is never woken). */
  wakeOnPush(pc: SimulatedPc): void;
  close(): Promise<void>;
}

export async function startWindowsE2e(): Promise<WindowsE2e> {
  const wns = await WnsStandIn.start({ apps: [{ packageSid: wnsApp.packageSid, clientSecret: wnsApp.clientSecret }] });
  const server = await createE2eServer({ wns: { url: wns.url, ca: wns.caCertificatePem } });
  const { http, close: closeHttp } = createPcHttp({ serverCaPem: server.pki.tlsCa.certificatePem, timeoutMs: 30_000 });
  const pushable = new Map<string, SimulatedPc>();
  const stopListening = wns.onNotification((notification) => void pushable.get(notification.deviceKey)?.wake('push'));

  let running = await server.start();
  return {
    pki: server.pki,
    origin: server.origin,
    wns,
    http,
    get envelope() {
      return running.envelope;
    },
    request: server.request(() => running),
    query: (sql, params) => running.db.query(sql, params),
    async restart() {
      await server.stop(running);
      running = await server.start();
    },
    wakeOnPush(pc) {
      pushable.set(pc.deviceId, pc);
    },
    async close() {
      stopListening();
      await server.stop(running);
      closeHttp();
      await wns.close();
      await server.dispose();
    },
  };
}

/** Admin steps of the Windows suites, through the Graph API of the running server. */
export function windowsAdmin(e2e: Pick<WindowsE2e, 'request' | 'query'>) {
  const { ok, ...steps } = graphAdmin(e2e, { profileType: '#microsoft.graph.windows10EasEmailProfileConfiguration', devices: 'PCs' });
  return {
    ...steps,
    async enrollmentToken(userId: string): Promise<string> {
      return ok(await e2e.request('POST', '/graph/beta/envelope/enrollmentTokens', { userId, platform: 'Windows', maxDevices: 1 }), 201).token as string;
    },
    async putPushSettings(settings: { packageSid: string; clientSecret: string; packageFamilyName?: string }): Promise<void> {
      ok(await e2e.request('PUT', '/graph/beta/envelope/windowsPushSettings', settings), 200);
    },
    /** The managed device id of an enrolled PC (by its MS-MDE2 DeviceID). */
    async managedDeviceId(pc: SimulatedPc): Promise<string> {
      const rows = await e2e.query<{ device_id: string }>('SELECT device_id FROM windows_enrollments WHERE windows_device_id = $1', [pc.deviceId]);
      assert.equal(rows.length, 1, `one enrollment of ${pc.deviceId}`);
      return rows[0]!.device_id;
    },
  };
}

/** Enrolls a simulated PC of `upn` with a fresh enrollment token over MS-MDE2; its first session is the caller's. */
export async function enrollPc(
  e2e: WindowsE2e,
  enrollmentToken: string,
  upn: string,
  options: Partial<Omit<SimulatedPcOptions, 'enrollment' | 'http'>> & { requestVersion?: string; windowsStyleCsrSubject?: boolean; hardware?: PcHardware } = {},
): Promise<SimulatedPc> {
  return SimulatedPc.enroll({
    server: e2e.origin,
    upn,
    enrollmentToken,
    http: e2e.http,
    hardware: options.hardware ?? randomPcHardware(),
    // The PC's WNS client gets its channel from the stand-in, so that notifications can reach it.
    channelUriFor: (_pfn, deviceId) => e2e.wns.channelUriFor(deviceId, wnsApp.packageSid),
    ...options,
  });
}

/** The server's commands in a PC's last session, nested ones included, in order. */
export function serverCommandsOf(pc: SimulatedPc): ServerCommand[] {
  const flat = (commands: readonly ServerCommand[]): ServerCommand[] => commands.flatMap((command) => [command, ...flat(command.children)]);
  return pc.lastSessionMessages.filter((m) => m.direction === 'received').flatMap((m) => flat(readServerMessage(m.xml).commands));
}

/** `[verb, LocURI below the account GUID, data]` of the writes to ActiveSync accounts in a PC's last session. */
export function accountWrites(pc: SimulatedPc): [string, string, string | undefined][] {
  return serverCommandsOf(pc)
    .filter((command) => ['Add', 'Replace', 'Delete'].includes(command.name))
    .flatMap((command) => command.items.map((item) => [command.name, item.target ?? '', item.data] as const))
    .filter(([, target]) => /\/ActiveSync\/Accounts\//.test(target))
    .map(([verb, target, data]) => [verb, target.replace(/^.*\/Accounts\//, ''), data]);
}

/** Posts one raw SyncML message to the management endpoint, with `identity` as the TLS client certificate (none when undefined). */
export function postSyncMl(e2e: WindowsE2e, body: string, identity?: { certificatePem: string; privateKeyPem: string }, contentType = syncMlContentType): Promise<PcResponse> {
  return e2e.http({ method: 'POST', url: `${e2e.origin}/ManagementServer/MDM.svc`, headers: { 'content-type': contentType }, body, ...(identity ? { identity } : {}) });
}

/** The SyncHdr status code of a server message (e.g. 401 for a challenge). */
export function headerStatus(xml: string): number | undefined {
  return readServerMessage(xml).statuses.find((status) => status.cmdRef === '0' && status.cmd === 'SyncHdr')?.code;
}

/** Polls `check` until it holds (20 s at most). */
export async function eventually(what: string, check: () => Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    assert.ok(Date.now() < deadline, `timed out waiting until ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
