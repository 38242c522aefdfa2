import { LatencyWindow } from '../ios/latency-window.ts';
import { createAgentHttp, type AgentHttp } from './agent-http.ts';
import { randomKnoxFacts, SimulatedKnoxDevice } from './simulated-knox-device.ts';

/** Where wake-ups come from: the FCM stand-in (registration tokens and delivered messages). */
export interface FcmSource {
  registrationTokenFor(deviceKey: string): string;
  onMessage(listener: (message: { deviceKey: string }) => void): () => void;
}

export interface KnoxFleetOptions {
  /** The server's base URL (enrollment at `/mdm/android/enroll`). */
  server: string;
  enrollmentToken: string;
  devices: number;
  /** Devices enrolling at once. Default 4. */
  concurrency?: number;
  http?: AgentHttp;
  serverCaPem?: string;
  maxSockets?: number;
  /** Percentage (0-100) of devices whose user made the Exchange account `userAccount` before enrolling. */
  userAccountsPercent?: number;
  userAccount?: { host: string; emailAddress: string };
  fcm?: FcmSource;
  /** Fetch commands every `pollMs` as well (default: only at enrollment and on FCM messages). */
  pollMs?: number;
  random?: () => number;
  onEvent?: (line: string) => void;
}

export interface KnoxFleetProgress {
  target: number;
  enrolled: number;
  enrollFailed: number;
  syncs: number;
  syncsFailed: number;
  commands: number;
  events: number;
  managedAccounts: number;
  userAccountsOverwritten: number;
  pushes: number;
  requests: number;
  requestsFailed: number;
  requestsPerSecond: number;
  latencyP50Ms: number | null;
  latencyP95Ms: number | null;
  busy: number;
  idle: boolean;
}

interface Member {
  device: SimulatedKnoxDevice;
  syncing: boolean;
  again: boolean;
}

/**
 * N simulated Knox agents against one server: each enrolls, fetches its commands, and fetches again
 * whenever an FCM message reaches its registration token (and every `pollMs`). One sync at a time
 * per device; a message during a sync runs another one after it.
 */
export class KnoxFleet {
  readonly #options: KnoxFleetOptions;
  readonly #http: AgentHttp;
  readonly #close: () => void;
  readonly #random: () => number;
  readonly #members = new Map<string, Member>();
  readonly #latency = new LatencyWindow();
  readonly #counters = { enrolled: 0, enrollFailed: 0, syncs: 0, syncsFailed: 0, pushes: 0, requests: 0, requestsFailed: 0 };
  readonly #timers: NodeJS.Timeout[] = [];
  #busy = 0;
  #started = 0;
  #attempted = 0;
  #lastSnapshot = { at: performance.now(), requests: 0 };
  #unsubscribe: (() => void) | undefined;
  #stopped = false;

  constructor(options: KnoxFleetOptions) {
    this.#options = options;
    this.#random = options.random ?? Math.random;
    let http: AgentHttp;
    if (options.http) {
      http = options.http;
      this.#close = () => {};
    } else {
      const created = createAgentHttp({ ...(options.serverCaPem ? { serverCaPem: options.serverCaPem } : {}), maxSockets: options.maxSockets ?? 64 });
      http = created.http;
      this.#close = created.close;
    }
    // Every request counted and timed, whatever the device does with it.
    this.#http = async (request) => {
      const started = performance.now();
      this.#counters.requests++;
      try {
        const response = await http(request);
        if (response.status >= 400) this.#counters.requestsFailed++;
        return response;
      } catch (error) {
        this.#counters.requestsFailed++;
        throw error;
      } finally {
        this.#latency.record(performance.now() - started);
      }
    };
  }

  async start(): Promise<void> {
    this.#unsubscribe = this.#options.fcm?.onMessage((message) => {
      const member = this.#members.get(message.deviceKey);
      if (member === undefined) return;
      this.#counters.pushes++;
      void this.#sync(member);
    });
    const workers = Array.from({ length: Math.max(1, Math.min(this.#options.concurrency ?? 4, this.#options.devices)) }, async () => {
      while (!this.#stopped && this.#started < this.#options.devices) {
        this.#started++;
        await this.#enrollOne();
        this.#attempted++;
      }
    });
    await Promise.all(workers);
  }

  devices(): SimulatedKnoxDevice[] {
    return [...this.#members.values()].map((member) => member.device);
  }

  snapshot(): KnoxFleetProgress {
    const now = performance.now();
    const seconds = (now - this.#lastSnapshot.at) / 1000;
    const rate = seconds > 0 ? (this.#counters.requests - this.#lastSnapshot.requests) / seconds : 0;
    this.#lastSnapshot = { at: now, requests: this.#counters.requests };
    const latency = this.#latency.take();
    let commands = 0, events = 0, managedAccounts = 0, userAccountsOverwritten = 0;
    for (const { device } of this.#members.values()) {
      commands += device.commands.length;
      events += device.events.length;
      managedAccounts += device.accounts().filter((a) => a.accountKey !== null).length;
      userAccountsOverwritten += device.events.filter(([, event]) => event.overwroteUserAccount === true).length;
    }
    return {
      target: this.#options.devices,
      enrolled: this.#counters.enrolled, enrollFailed: this.#counters.enrollFailed,
      syncs: this.#counters.syncs, syncsFailed: this.#counters.syncsFailed,
      commands, events, managedAccounts, userAccountsOverwritten,
      pushes: this.#counters.pushes,
      requests: this.#counters.requests, requestsFailed: this.#counters.requestsFailed,
      requestsPerSecond: Math.round(rate * 10) / 10,
      latencyP50Ms: latency.p50 === null ? null : Math.round(latency.p50),
      latencyP95Ms: latency.p95 === null ? null : Math.round(latency.p95),
      busy: this.#busy,
      idle: this.#attempted === this.#options.devices && this.#busy === 0,
    };
  }

  /** Stops enrolling and polling, unsubscribes from FCM and closes idle sockets. Running syncs finish. */
  stop(): void {
    this.#stopped = true;
    this.#unsubscribe?.();
    for (const timer of this.#timers) clearInterval(timer);
    this.#close();
  }

  async #enrollOne(): Promise<void> {
    const options = this.#options;
    const facts = randomKnoxFacts();
    const withFcm = options.fcm ? { ...facts, fcmToken: options.fcm.registrationTokenFor(facts.serialNumber) } : facts;
    this.#busy++;
    try {
      const device = await SimulatedKnoxDevice.enroll({ server: options.server, http: this.#http, enrollmentToken: options.enrollmentToken, facts: withFcm });
      this.#counters.enrolled++;
      if (options.userAccount && this.#random() * 100 < (options.userAccountsPercent ?? 0)) device.userCreatesAccount(options.userAccount.emailAddress, options.userAccount.host);
      const member: Member = { device, syncing: false, again: false };
      this.#members.set(facts.serialNumber, member);
      if (options.pollMs) this.#timers.push(setInterval(() => void this.#sync(member), options.pollMs));
      await this.#sync(member);
    } catch (error) {
      this.#counters.enrollFailed++;
      options.onEvent?.(`enrollment failed: ${(error as Error).message}`);
    } finally {
      this.#busy--;
    }
  }

  async #sync(member: Member): Promise<void> {
    if (this.#stopped) return;
    if (member.syncing) {
      member.again = true;
      return;
    }
    member.syncing = true;
    this.#busy++;
    try {
      do {
        member.again = false;
        this.#counters.syncs++;
        try {
          await member.device.sync();
        } catch (error) {
          this.#counters.syncsFailed++;
          this.#options.onEvent?.(`sync failed: ${(error as Error).message}`);
        }
      } while (member.again && !this.#stopped);
    } finally {
      member.syncing = false;
      this.#busy--;
    }
  }
}
