import type { AcceptedPush } from '../apns/apns-standin.ts';
import { createDeviceAgent, createDeviceHttp, type DeviceHttp } from './device-http.ts';
import { EnrollmentError, enrollIphone, type IosEnrollment } from './enroll.ts';
import { LatencyWindow } from './latency-window.ts';
import { SimulatedIphone, type IphoneObserver } from './simulated-iphone.ts';

/** Where pushes come from: the APNs stand-in's `onPush` (returns the unsubscribe function). */
export interface PushSource {
  onPush(listener: (push: AcceptedPush) => void): () => void;
}

export interface IosFleetOptions {
  enrollmentUrl: string;
  devices: number;
  /** Devices enrolling and checking in at once. Default 4: each download costs the server an RSA key generation. */
  concurrency?: number;
  /** Shared by all devices; default: one keep-alive agent with `maxSockets` sockets trusting `serverCaPem`. */
  http?: DeviceHttp;
  serverCaPem?: string;
  maxSockets?: number;
  pushes?: PushSource;
  /** Percentage (0-100) of devices whose user made an Exchange account `userAccount` before any profile arrives. */
  userAccountsPercent?: number;
  userAccount?: { host: string; emailAddress: string };
  /** Percentage (0-100) of commands answered NotNow. */
  notNowPercent?: number;
  /** How often devices that answered NotNow poll again (one shared timer). Default 10 s. */
  notNowRetryMs?: number;
  /** 429s tolerated per device before its enrollment counts as failed. Default 10. */
  rateLimitRetries?: number;
  /** Poll the server once right after TokenUpdate, as iOS does after enrolling. Default true. */
  pollAfterEnrollment?: boolean;
  /** Replaces the download (tests); default `enrollIphone` on `enrollmentUrl`. */
  enroll?: (http: DeviceHttp) => Promise<IosEnrollment>;
  random?: () => number;
  /** Notable events (429s, failures), one line each. */
  onEvent?: (line: string) => void;
}

export interface FleetProgress {
  target: number;
  enrolled: number;
  enrollFailed: number;
  /** 429 answers from the enrollment endpoint (each was waited out and retried). */
  rateLimited: number;
  checkedIn: number;
  checkinFailed: number;
  unenrolled: number;
  pushes: number;
  /** Pushes for unknown tokens, or with another PushMagic or topic: a device ignores them. */
  pushesIgnored: number;
  acknowledged: number;
  failed: number;
  formatErrors: number;
  notNow: number;
  profilesInstalled: number;
  profilesRemoved: number;
  requests: number;
  /** Non-200 answers and requests that got none. */
  requestsFailed: number;
  /** Since the previous snapshot. */
  requestsPerSecond: number;
  latencyP50Ms: number | null;
  latencyP95Ms: number | null;
  /** Wakes in progress. */
  busy: number;
  /** Devices owing the server a poll after NotNow. */
  deferred: number;
  /** Every device is enrolled or failed, none is busy and none owes a poll. */
  idle: boolean;
}

/**
 * N simulated iPhones against one server: each enrolls with the enrollment link, authenticates and
 * sends its push token, then polls whenever the APNs stand-in delivers a push for its token. Memory
 * per device is its identity, its small state and one map entry: no per-device timer or socket.
 */
export class IosFleet {
  readonly #options: IosFleetOptions;
  readonly #http: DeviceHttp;
  readonly #destroyAgent: () => void;
  readonly #random: () => number;
  readonly #byToken = new Map<string, SimulatedIphone>();
  readonly #deferred = new Set<SimulatedIphone>();
  readonly #latency = new LatencyWindow();
  readonly #counters: Omit<FleetProgress, 'target' | 'requestsPerSecond' | 'latencyP50Ms' | 'latencyP95Ms' | 'busy' | 'deferred' | 'idle' | 'unenrolled'> = {
    enrolled: 0, enrollFailed: 0, rateLimited: 0, checkedIn: 0, checkinFailed: 0, pushes: 0, pushesIgnored: 0,
    acknowledged: 0, failed: 0, formatErrors: 0, notNow: 0, profilesInstalled: 0, profilesRemoved: 0, requests: 0, requestsFailed: 0,
  };
  readonly #observer: IphoneObserver;
  #busy = 0;
  #started = 0;
  #attempted = 0;
  #lastSnapshot = { at: performance.now(), requests: 0 };
  #unsubscribe: (() => void) | undefined;
  #retryTimer: NodeJS.Timeout | undefined;
  #stopped = false;

  constructor(options: IosFleetOptions) {
    this.#options = options;
    this.#random = options.random ?? Math.random;
    if (options.http) {
      this.#http = options.http;
      this.#destroyAgent = () => {};
    } else {
      const agent = createDeviceAgent({ ...(options.serverCaPem ? { serverCaPem: options.serverCaPem } : {}), maxSockets: options.maxSockets ?? 64 });
      this.#http = createDeviceHttp({ agent });
      this.#destroyAgent = () => agent.destroy();
    }
    const counters = this.#counters;
    const latency = this.#latency;
    // One observer shared by every device.
    this.#observer = {
      request({ status, ms }) {
        counters.requests++;
        if (status !== 200) counters.requestsFailed++;
        latency.record(ms);
      },
      command({ RequestType, Status }) {
        if (Status === 'Acknowledged') {
          counters.acknowledged++;
          if (RequestType === 'InstallProfile') counters.profilesInstalled++;
          if (RequestType === 'RemoveProfile') counters.profilesRemoved++;
        } else if (Status === 'Error') counters.failed++;
        else if (Status === 'CommandFormatError') counters.formatErrors++;
        else if (Status === 'NotNow') counters.notNow++;
      },
    };
  }

  /**
   * Subscribes to pushes, then enrolls and checks in every device, `concurrency` at a time.
   * Resolves when each device is enrolled or has failed; never rejects for a device's failure.
   */
  async start(): Promise<void> {
    this.#unsubscribe = this.#options.pushes?.onPush((push) => this.#onPush(push));
    this.#retryTimer = setInterval(() => this.#retryDeferred(), this.#options.notNowRetryMs ?? 10_000);
    this.#retryTimer.unref();
    const workers = Array.from({ length: Math.max(1, Math.min(this.#options.concurrency ?? 4, this.#options.devices)) }, async () => {
      while (!this.#stopped && this.#started < this.#options.devices) {
        this.#started++;
        await this.#enrollOne();
        this.#attempted++;
      }
    });
    await Promise.all(workers);
  }

  /** Every device enrolled so far. */
  devices(): SimulatedIphone[] {
    return [...this.#byToken.values()];
  }

  /** Counters, with rate and latency percentiles since the previous snapshot. */
  snapshot(): FleetProgress {
    const now = performance.now();
    const seconds = (now - this.#lastSnapshot.at) / 1000;
    const rate = seconds > 0 ? (this.#counters.requests - this.#lastSnapshot.requests) / seconds : 0;
    this.#lastSnapshot = { at: now, requests: this.#counters.requests };
    const latency = this.#latency.take();
    let unenrolled = 0;
    for (const device of this.#byToken.values()) if (!device.enrolled) unenrolled++;
    return {
      target: this.#options.devices,
      ...this.#counters,
      unenrolled,
      requestsPerSecond: Math.round(rate * 10) / 10,
      latencyP50Ms: latency.p50 === null ? null : Math.round(latency.p50),
      latencyP95Ms: latency.p95 === null ? null : Math.round(latency.p95),
      busy: this.#busy,
      deferred: this.#deferred.size,
      idle: this.#attempted === this.#options.devices && this.#busy === 0 && this.#deferred.size === 0,
    };
  }

  /** Stops enrolling, unsubscribes from pushes, stops the retry timer and closes idle sockets. Running loops finish. */
  stop(): void {
    this.#stopped = true;
    this.#unsubscribe?.();
    clearInterval(this.#retryTimer);
    this.#destroyAgent();
  }

  async #enrollOne(): Promise<void> {
    const enrollment = await this.#download();
    if (!enrollment) return;
    const device = new SimulatedIphone({
      enrollment,
      http: this.#http,
      notNowRate: (this.#options.notNowPercent ?? 0) / 100,
      random: this.#random,
      observer: this.#observer,
    });
    const { userAccount, userAccountsPercent = 0 } = this.#options;
    if (userAccount && this.#random() * 100 < userAccountsPercent) device.addUserAccount(userAccount.host, userAccount.emailAddress);
    try {
      await device.authenticate();
      this.#byToken.set(device.pushTokenHex, device);
      await device.tokenUpdate();
      this.#counters.checkedIn++;
    } catch (error) {
      this.#byToken.delete(device.pushTokenHex);
      this.#counters.checkinFailed++;
      this.#event(`check-in failed: ${error instanceof Error ? error.message : String(error)}`);
      return;
    }
    if (this.#options.pollAfterEnrollment !== false) this.#wake(device);
  }

  async #download(): Promise<IosEnrollment | undefined> {
    const enroll = this.#options.enroll ?? ((http: DeviceHttp) => enrollIphone({ enrollmentUrl: this.#options.enrollmentUrl, http }));
    for (let attempt = 0; !this.#stopped; attempt++) {
      try {
        const enrollment = await enroll(this.#http);
        this.#counters.enrolled++;
        return enrollment;
      } catch (error) {
        if (error instanceof EnrollmentError && error.code === 'rate-limited' && attempt < (this.#options.rateLimitRetries ?? 10)) {
          this.#counters.rateLimited++;
          const waitSeconds = error.retryAfterSeconds ?? 5;
          this.#event(`enrollment rate-limited (429): the server allows 60 downloads a minute per address; waiting ${waitSeconds} s (lower --concurrency, or spread devices over addresses)`);
          await new Promise((resolve) => setTimeout(resolve, waitSeconds * 1000));
          continue;
        }
        this.#counters.enrollFailed++;
        this.#event(`enrollment failed: ${error instanceof Error ? error.message : String(error)}`);
        return undefined;
      }
    }
    return undefined;
  }

  #onPush(push: AcceptedPush): void {
    this.#counters.pushes++;
    const device = this.#byToken.get(push.token);
    // iOS acts on an MDM push only for its topic and with its PushMagic.
    if (!device || push.pushMagic !== device.pushMagic || push.topic !== device.enrollment.mdm.Topic) {
      this.#counters.pushesIgnored++;
      return;
    }
    this.#wake(device);
  }

  #wake(device: SimulatedIphone): void {
    if (this.#stopped || !device.enrolled) return;
    this.#busy++;
    this.#deferred.delete(device);
    void device.wake().finally(() => {
      this.#busy--;
      // A device that answered NotNow, or stopped at the command cap, owes the server another poll.
      if (device.enrolled && (device.deferredCommands || device.lastLoop?.ended === 'command-cap')) this.#deferred.add(device);
    });
  }

  #retryDeferred(): void {
    for (const device of [...this.#deferred]) this.#wake(device);
  }

  #event(line: string): void {
    this.#options.onEvent?.(line);
  }
}
