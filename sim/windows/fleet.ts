import { LatencyWindow } from '../ios/latency-window.ts';
import { enrollPc, randomPcHardware } from './enroll.ts';
import { createPcHttp, type PcHttp } from './pc-http.ts';
import { SimulatedPc, type PcObserver, type SimulatedPcOptions } from './simulated-pc.ts';
import type { LoginStatus } from './dm-tree.ts';

/** Where pushes come from: the WNS stand-in's `onPush` (returns the unsubscribe function). */
export interface WnsPushSource {
  onPush(listener: (push: { channelUri: string }) => void): () => void;
}

export interface WindowsFleetOptions {
  /** The server's base URL (discovery at `/EnrollmentServer/Discovery.svc`). */
  server: string;
  /** The UPN every PC enrolls as; `{n}` is replaced by the PC's number (1-based). */
  upn: string;
  enrollmentToken: string;
  devices: number;
  /** PCs enrolling at once. Default 4 (each enrollment costs the server a certificate). */
  concurrency?: number;
  http?: PcHttp;
  serverCaPem?: string;
  maxSockets?: number;
  requestVersion?: string;
  windowsStyleCsrSubject?: boolean;
  loginStatus?: LoginStatus;
  strict?: boolean;
  /** Percentage (0-100) of PCs whose user made the Exchange account `userAccount` before enrolling. */
  userAccountsPercent?: number;
  userAccount?: { host: string; emailAddress: string };
  pushes?: WnsPushSource;
  /** Base of the channel URIs the PCs report (the WNS stand-in's URL). */
  channelUriBase?: string;
  /**
   * Give each PC this Package Family Name at `DMClient/Provider/<id>/Push/PFN` once enrolled, as a
   * server with WNS settings does (dmclient-csp): a PC reports a channel URI only with one.
   */
  pushPfn?: string;
  /** Poll on the DMClient schedule, `pollMinuteMs` per minute (default off). */
  poll?: boolean;
  pollMinuteMs?: number;
  random?: () => number;
  /** Notable events (failures), one line each. */
  onEvent?: (line: string) => void;
}

export interface WindowsFleetProgress {
  target: number;
  enrolled: number;
  enrollFailed: number;
  sessions: number;
  sessionsFailed: number;
  violations: number;
  commands: number;
  /** Statuses the PCs answered 200. */
  succeeded: number;
  /** Statuses the PCs answered ≥ 300 (failures) — 216 rollbacks included. */
  failed: number;
  managedAccounts: number;
  userAccountsReplaced: number;
  pushes: number;
  pushesIgnored: number;
  requests: number;
  requestsFailed: number;
  requestsPerSecond: number;
  latencyP50Ms: number | null;
  latencyP95Ms: number | null;
  unenrolled: number;
  busy: number;
  idle: boolean;
}

/**
 * N simulated PCs against one server: each enrolls (MS-MDE2), runs its first OMA DM session, and
 * then runs a session whenever the WNS stand-in delivers a push to its channel URI (and, with
 * `poll`, on its DMClient schedule).
 */
export class WindowsFleet {
  readonly #options: WindowsFleetOptions;
  readonly #http: PcHttp;
  readonly #close: () => void;
  readonly #random: () => number;
  readonly #pcs: SimulatedPc[] = [];
  readonly #byChannel = new Map<string, SimulatedPc>();
  readonly #latency = new LatencyWindow();
  readonly #counters = { enrolled: 0, enrollFailed: 0, sessions: 0, sessionsFailed: 0, pushes: 0, pushesIgnored: 0, requests: 0, requestsFailed: 0 };
  readonly #observer: PcObserver;
  #busy = 0;
  #started = 0;
  #attempted = 0;
  #lastSnapshot = { at: performance.now(), requests: 0 };
  #unsubscribe: (() => void) | undefined;
  #stopped = false;

  constructor(options: WindowsFleetOptions) {
    this.#options = options;
    this.#random = options.random ?? Math.random;
    if (options.http) {
      this.#http = options.http;
      this.#close = () => {};
    } else {
      const created = createPcHttp({ ...(options.serverCaPem ? { serverCaPem: options.serverCaPem } : {}), maxSockets: options.maxSockets ?? 64 });
      this.#http = created.http;
      this.#close = created.close;
    }
    const counters = this.#counters;
    const latency = this.#latency;
    this.#observer = {
      request({ status, ms }) {
        counters.requests++;
        if (status !== 200) counters.requestsFailed++;
        latency.record(ms);
      },
      session({ ok }) {
        counters.sessions++;
        if (!ok) counters.sessionsFailed++;
      },
    };
  }

  /** Subscribes to pushes, then enrolls every PC, `concurrency` at a time. Never rejects for one PC's failure. */
  async start(): Promise<void> {
    this.#unsubscribe = this.#options.pushes?.onPush((push) => this.#onPush(push.channelUri));
    const workers = Array.from({ length: Math.max(1, Math.min(this.#options.concurrency ?? 4, this.#options.devices)) }, async () => {
      while (!this.#stopped && this.#started < this.#options.devices) {
        const index = ++this.#started;
        await this.#enrollOne(index);
        this.#attempted++;
      }
    });
    await Promise.all(workers);
  }

  pcs(): SimulatedPc[] {
    return [...this.#pcs];
  }

  snapshot(): WindowsFleetProgress {
    const now = performance.now();
    const seconds = (now - this.#lastSnapshot.at) / 1000;
    const rate = seconds > 0 ? (this.#counters.requests - this.#lastSnapshot.requests) / seconds : 0;
    this.#lastSnapshot = { at: now, requests: this.#counters.requests };
    const latency = this.#latency.take();
    let violations = 0, commands = 0, succeeded = 0, failed = 0, managedAccounts = 0, userAccountsReplaced = 0, unenrolled = 0;
    for (const pc of this.#pcs) {
      violations += pc.counters.violations;
      commands += pc.counters.commands;
      for (const [code, count] of Object.entries(pc.counters.statuses)) {
        if (Number(code) === 200) succeeded += count;
        else if (Number(code) >= 300 || Number(code) === 216) failed += count;
      }
      managedAccounts += pc.accounts().length;
      userAccountsReplaced += pc.counters.userAccountsReplaced;
      if (!pc.enrolled) unenrolled++;
    }
    return {
      target: this.#options.devices,
      enrolled: this.#counters.enrolled, enrollFailed: this.#counters.enrollFailed,
      sessions: this.#counters.sessions, sessionsFailed: this.#counters.sessionsFailed,
      violations, commands, succeeded, failed, managedAccounts, userAccountsReplaced,
      pushes: this.#counters.pushes, pushesIgnored: this.#counters.pushesIgnored,
      requests: this.#counters.requests, requestsFailed: this.#counters.requestsFailed,
      requestsPerSecond: Math.round(rate * 10) / 10,
      latencyP50Ms: latency.p50 === null ? null : Math.round(latency.p50),
      latencyP95Ms: latency.p95 === null ? null : Math.round(latency.p95),
      unenrolled,
      busy: this.#busy,
      idle: this.#attempted === this.#options.devices && this.#busy === 0,
    };
  }

  /** Stops enrolling and polling, unsubscribes from pushes and closes idle sockets. Running sessions finish. */
  stop(): void {
    this.#stopped = true;
    this.#unsubscribe?.();
    for (const pc of this.#pcs) pc.stopPolling();
    this.#close();
  }

  async #enrollOne(index: number): Promise<void> {
    const options = this.#options;
    let pc: SimulatedPc;
    try {
      const enrollment = await enrollPc({
        server: options.server, upn: options.upn.replaceAll('{n}', String(index)), enrollmentToken: options.enrollmentToken, http: this.#http,
        hardware: randomPcHardware(),
        ...(options.requestVersion ? { requestVersion: options.requestVersion } : {}),
        ...(options.windowsStyleCsrSubject ? { windowsStyleCsrSubject: true } : {}),
      });
      const pcOptions: SimulatedPcOptions = {
        enrollment, http: this.#http, observer: this.#observer,
        ...(options.loginStatus ? { loginStatus: options.loginStatus } : {}),
        ...(options.strict !== undefined ? { strict: options.strict } : {}),
        ...(options.channelUriBase ? { channelUriBase: options.channelUriBase } : {}),
      };
      pc = new SimulatedPc(pcOptions);
      if (options.pushPfn) pc.tree.setPushPfn(enrollment.providerId, options.pushPfn);
      this.#counters.enrolled++;
    } catch (error) {
      this.#counters.enrollFailed++;
      this.#event(`enrollment failed: ${error instanceof Error ? `${error.name}: ${error.message}` : String(error)}`);
      return;
    }
    this.#pcs.push(pc);
    const { userAccount, userAccountsPercent = 0 } = options;
    if (userAccount && this.#random() * 100 < userAccountsPercent) pc.addUserAccount(userAccount.host, userAccount.emailAddress);
    await this.#wake(pc, 'enrollment');
    if (options.poll) pc.startPolling({ minuteMs: options.pollMinuteMs ?? 60_000 });
  }

  #onPush(channelUri: string): void {
    this.#counters.pushes++;
    const pc = this.#byChannel.get(channelUri);
    if (!pc || pc.channelUri !== channelUri) {
      this.#counters.pushesIgnored++;
      return;
    }
    void this.#wake(pc, 'push');
  }

  async #wake(pc: SimulatedPc, trigger: 'push' | 'enrollment'): Promise<void> {
    if (this.#stopped || !pc.enrolled) return;
    this.#busy++;
    try {
      await pc.wake(trigger);
      if (pc.lastError) this.#event(`session failed: ${pc.lastError.name}: ${pc.lastError.message}`);
    } finally {
      this.#busy--;
      const channel = pc.channelUri;
      if (channel) this.#byChannel.set(channel, pc);
    }
  }

  #event(line: string): void {
    this.#options.onEvent?.(line);
  }
}
