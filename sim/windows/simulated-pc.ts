import { randomBytes } from 'node:crypto';
import type { ManagedAccount, UserAccount } from './activesync-csp.ts';
import type { ProtocolViolation } from './command-runner.ts';
import { DmTree, type LoginStatus } from './dm-tree.ts';
import { enrollPc, type EnrollPcOptions, type WindowsEnrollment } from './enroll.ts';
import { runOmaDmSession, type SessionReport } from './oma-dm-session.ts';
import { PcNetworkError, type PcHttp } from './pc-http.ts';
import { pollDelayMinutes } from './poll-schedule.ts';

/** What the fleet (or a test) hears from a PC. All optional. */
export interface PcObserver {
  session?(event: { trigger: SessionTrigger; ok: boolean; ms: number; report?: SessionReport; error?: Error }): void;
  request?(event: { status: number; ms: number }): void;
}

export type SessionTrigger = 'poll' | 'push' | 'login' | 'enrollment';

export interface SimulatedPcOptions {
  enrollment: WindowsEnrollment;
  http: PcHttp;
  /** What Alert 1224 reports. Default `user` (the enrolled user is logged in). */
  loginStatus?: LoginStatus;
  /** End a session with `SyncMlProtocolError` on any rule break (default), or answer with the documented codes. */
  strict?: boolean;
  /** Present the enrolled certificate in TLS (default true). */
  tlsClientCertificate?: boolean;
  sendCredential?: 'on-challenge' | 'always' | 'never';
  /** `phone`: a Windows Phone 8.1 (ActiveSync only at ./Vendor/MSFT). Default `pc`. */
  kind?: 'pc' | 'phone';
  /** Where the simulated WNS channel URIs point (the WNS stand-in). Default https://wns.sim.invalid. */
  channelUriBase?: string;
  /**
   * The channel URI the PC's WNS client negotiates once a PFN is set (e.g. a WNS stand-in's
   * `channelUriFor(deviceId)`, so that its notifications can be routed back to this PC); overrides
   * `channelUriBase`. Called once per PFN.
   */
  channelUriFor?: (pfn: string, deviceId: string) => string;
  /** Apply "re-provisioning an existing account GUID deletes the account" (default true). */
  reprovisioningDeletes?: boolean;
  observer?: PcObserver;
  /** Entries kept in `log` (oldest dropped). Default 200. */
  logLimit?: number;
}

export interface PcLogEntry {
  at: string;
  kind: 'session' | 'violation' | 'refused' | 'error' | 'event';
  detail: string;
}

export interface PcCounters {
  sessions: number;
  sessionsFailed: number;
  messages: number;
  commands: number;
  /** Status codes the PC answered, per code. */
  statuses: Record<number, number>;
  violations: number;
  pushes: number;
  polls: number;
  userAccountsReplaced: number;
  accountsDeletedByReprovisioning: number;
}

/**
 * A simulated Windows 10/11 PC enrolled with MS-MDE2 and managed over OMA DM: it runs sessions when
 * woken by a WNS push (Alert 1200), on its DMClient poll schedule, or on login (PollOnLogin), keeps
 * its management tree in memory (the ActiveSync CSP's accounts, DMClient, trusted roots), and a
 * bounded log of what it refused and why. It owns one timer only while `startPolling` is on.
 */
export class SimulatedPc {
  readonly enrollment: WindowsEnrollment;
  readonly tree: DmTree;
  readonly counters: PcCounters = { sessions: 0, sessionsFailed: 0, messages: 0, commands: 0, statuses: {}, violations: 0, pushes: 0, polls: 0, userAccountsReplaced: 0, accountsDeletedByReprovisioning: 0 };
  readonly log: PcLogEntry[] = [];
  /** The raw messages of the last session, in order (support and debugging). */
  lastSessionMessages: { direction: 'sent' | 'received'; xml: string }[] = [];
  lastError: Error | undefined;
  loginStatus: LoginStatus;
  readonly #options: SimulatedPcOptions;
  readonly #nonce: { value: string | undefined };
  #enrolled = true;
  #sessionCounter = 0;
  #running: Promise<void> | null = null;
  #pending: SessionTrigger | null = null;
  #pollTimer: NodeJS.Timeout | undefined;
  #pollCount = 0;
  #pendingUnenrollAlert = false;
  #lose: { direction: 'request' | 'response'; when: (xml: string) => boolean } | undefined;

  constructor(options: SimulatedPcOptions) {
    this.#options = options;
    this.enrollment = options.enrollment;
    this.loginStatus = options.loginStatus ?? 'user';
    this.#nonce = { value: options.enrollment.digest?.nonce };
    const { hardware, providerId, provisioning } = options.enrollment;
    const base = (options.channelUriBase ?? 'https://wns.sim.invalid').replace(/\/+$/, '');
    this.tree = new DmTree({
      providerId,
      facts: {
        deviceId: hardware.deviceId, manufacturer: 'Microsoft Corporation', model: 'Envelope simulated PC', dmVersion: '1.3', language: hardware.locale,
        swVersion: hardware.osVersion, oem: 'Envelope', deviceName: hardware.deviceName, serialNumber: hardware.serialNumber,
        osPlatform: 'Windows 11 Pro', kind: options.kind ?? 'pc',
      },
      channelUriFor: options.channelUriFor
        ? (pfn) => options.channelUriFor!(pfn, hardware.deviceId)
        : () => `${base}/?token=${randomBytes(24).toString('base64url')}`,
      ...(options.reprovisioningDeletes !== undefined ? { reprovisioningDeletes: options.reprovisioningDeletes } : {}),
      onEvent: (event) => {
        if (event.kind === 'user-account-replaced') {
          this.counters.userAccountsReplaced++;
          this.#record('event', `the managed account ${event.guid} replaced the user's own account ${event.userAccount.emailAddress} on ${event.userAccount.host}`);
        } else {
          this.counters.accountsDeletedByReprovisioning++;
          this.#record('event', `account ${event.guid} was deleted: the server provisioned its GUID again`);
        }
      },
    });
    for (const [name, value] of Object.entries(provisioning.dmClient?.poll ?? {})) this.tree.setPoll(providerId, name, value);
  }

  /** Enrolls a new PC (`enrollPc`) and returns it; the first session is up to the caller (`runSession('enrollment')`). */
  static async enroll(options: Omit<EnrollPcOptions, 'http'> & Omit<SimulatedPcOptions, 'enrollment'>): Promise<SimulatedPc> {
    const enrollment = await enrollPc(options);
    return new SimulatedPc({ ...options, enrollment });
  }

  get deviceId(): string {
    return this.enrollment.hardware.deviceId;
  }

  get enrolled(): boolean {
    return this.#enrolled;
  }

  /** The WNS channel URI the PC reports (undefined until the server sets Push/PFN). */
  get channelUri(): string | undefined {
    return this.tree.channelUri(this.enrollment.providerId);
  }

  /**
   * One OMA DM session, to its end. Rejects with `SyncMlProtocolError`, `SyncMlAuthenticationError`,
   * `SessionHttpError` or `PcNetworkError`; each is also written to `log` and kept as `lastError`.
   */
  async runSession(trigger: SessionTrigger = 'poll'): Promise<SessionReport> {
    if (!this.#enrolled) throw new Error('the PC is not enrolled');
    const started = performance.now();
    this.counters.sessions++;
    this.lastSessionMessages = [];
    const sessionId = String(++this.#sessionCounter);
    const unenrollAlert = this.#pendingUnenrollAlert;
    const options = this.#options;
    const { identity, digest } = this.enrollment;
    try {
      const report = await runOmaDmSession({
        http: this.#timedHttp(),
        tree: this.tree,
        deviceId: this.deviceId,
        managementUrl: this.enrollment.managementUrl,
        ...(options.tlsClientCertificate !== false ? { identity: { certificatePem: identity.certificatePem, privateKeyPem: identity.privateKeyPem } } : {}),
        ...(digest ? { digest: { name: digest.name, secret: digest.secret } } : {}),
        sessionId,
        trigger,
        loginStatus: this.loginStatus,
        devInfo: { man: 'Microsoft Corporation', mod: 'Envelope simulated PC', dmV: '1.3', lang: this.enrollment.hardware.locale },
        ...(unenrollAlert ? { extraAlerts: [{ code: '1226', type: 'com.microsoft:mdm.unenrollment.userrequest', format: 'int', data: '1' }] } : {}),
        ...(options.sendCredential ? { sendCredential: options.sendCredential } : {}),
        nonce: this.#nonce,
        strict: options.strict !== false,
        onViolation: (violation) => this.#violation(violation),
        onRefused: ({ command, target, code, reason }) => this.#record('refused', `${command} ${target ?? ''} → ${code}${reason ? `: ${reason}` : ''}`),
        onMessage: (direction, xml) => this.lastSessionMessages.push({ direction, xml }),
      });
      this.counters.messages += report.messages;
      this.counters.commands += report.commands;
      for (const [code, count] of Object.entries(report.codes)) this.counters.statuses[Number(code)] = (this.counters.statuses[Number(code)] ?? 0) + count;
      this.#record('session', `session ${sessionId} (${trigger}): ${report.messages} messages, ${report.commands} commands`);
      if (report.unenroll || unenrollAlert) this.#unenroll(report.unenroll ? 'the server sent DMClient Unenroll' : 'the user unenrolled');
      options.observer?.session?.({ trigger, ok: true, ms: performance.now() - started, report });
      this.lastError = undefined;
      return report;
    } catch (error) {
      const failure = error instanceof Error ? error : new Error(String(error));
      this.counters.sessionsFailed++;
      this.lastError = failure;
      this.#record('error', `session ${sessionId} (${trigger}) failed: ${failure.name}: ${failure.message}`);
      options.observer?.session?.({ trigger, ok: false, ms: performance.now() - started, error: failure });
      throw failure;
    }
  }

  /**
   * A WNS push (or a poll, or a login): runs a session; wakes during a session coalesce into one
   * more session after it. Resolves when no session is left to run; never rejects (failures are in
   * `log`, `lastError` and the counters).
   */
  wake(trigger: SessionTrigger = 'push'): Promise<void> {
    if (trigger === 'push') this.counters.pushes++;
    if (trigger === 'poll') this.counters.polls++;
    if (this.#running) {
      this.#pending ??= trigger;
      return this.#running;
    }
    this.#running = this.#drain(trigger);
    return this.#running;
  }

  async #drain(first: SessionTrigger): Promise<void> {
    let trigger: SessionTrigger | null = first;
    try {
      while (trigger && this.#enrolled) {
        this.#pending = null;
        await this.runSession(trigger).catch(() => undefined);
        trigger = this.#pending;
      }
    } finally {
      this.#running = null;
    }
  }

  /**
   * Test hook: the next message this PC sends that `when` matches (by default the first one that
   * answers server commands) is lost, once. `request` (default): it never reaches the server — the
   * PC has already run the commands it answers, as a PC does before answering. `response`: the
   * server receives and processes it, but its answer never reaches the PC. Either way the session
   * ends with `PcNetworkError`, as when the connection or the server dies mid-session.
   */
  loseNextMessage(options: { direction?: 'request' | 'response'; when?: (xml: string) => boolean } = {}): void {
    this.#lose = { direction: options.direction ?? 'request', when: options.when ?? answersServerCommands };
  }

  /** The delay before the next scheduled poll (DMClient Poll parameters), with `minuteMs` per minute; undefined when the schedule has ended. */
  nextPollDelayMs(minuteMs = 60_000): number | undefined {
    const minutes = pollDelayMinutes(this.tree.poll(this.enrollment.providerId), this.#pollCount);
    return minutes === undefined ? undefined : minutes * minuteMs;
  }

  /** Polls on the DMClient schedule until `stopPolling` (`minuteMs` lets tests run the schedule faster). */
  startPolling(options: { minuteMs?: number } = {}): void {
    this.stopPolling();
    const schedule = () => {
      const delay = this.nextPollDelayMs(options.minuteMs);
      if (delay === undefined || !this.#enrolled) return;
      this.#pollTimer = setTimeout(() => {
        this.#pollCount++;
        void this.wake('poll').finally(schedule);
      }, delay);
      this.#pollTimer.unref();
    };
    schedule();
  }

  stopPolling(): void {
    clearTimeout(this.#pollTimer);
    this.#pollTimer = undefined;
  }

  /** The enrolled user signs in: LoginStatus `user`, and a session when the schedule has PollOnLogin. */
  async logIn(): Promise<void> {
    this.loginStatus = 'user';
    if (/^true$/i.test(this.tree.poll(this.enrollment.providerId).get('PollOnLogin') ?? '')) await this.wake('login');
  }

  logOut(status: 'none' | 'others' = 'none'): void {
    this.loginStatus = status;
  }

  /** The user removes the work account in Settings: a session with Alert 1226 (unenrollment), then the PC leaves management. */
  async unenrollByUser(): Promise<void> {
    this.#pendingUnenrollAlert = true;
    try {
      await this.runSession('poll');
    } catch {
      this.#unenroll('the user unenrolled (the server did not take the 1226 alert)');
    }
  }

  accounts(): ManagedAccount[] {
    return this.tree.activeSync.accounts();
  }

  userAccounts(): UserAccount[] {
    return this.tree.activeSync.userAccounts();
  }

  /** The user adds an Exchange account outside MDM (Settings › Accounts). */
  addUserAccount(host: string, emailAddress: string): UserAccount {
    return this.tree.activeSync.addUserAccount(host, emailAddress);
  }

  removeUserAccount(id: string): boolean {
    return this.tree.activeSync.removeUserAccount(id);
  }

  #unenroll(reason: string): void {
    this.#enrolled = false;
    this.#pendingUnenrollAlert = false;
    this.stopPolling();
    this.tree.activeSync.removeManagedAccounts();
    this.#record('event', `unenrolled: ${reason}`);
  }

  #violation(violation: ProtocolViolation): void {
    this.counters.violations++;
    this.#record('violation', `${violation.rule}: ${violation.detail}`);
  }

  #record(kind: PcLogEntry['kind'], detail: string): void {
    this.log.push({ at: new Date().toISOString(), kind, detail });
    const limit = this.#options.logLimit ?? 200;
    if (this.log.length > limit) this.log.splice(0, this.log.length - limit);
  }

  #timedHttp(): PcHttp {
    const http = this.#losingHttp(this.#options.http);
    const observer = this.#options.observer;
    if (!observer?.request) return http;
    return async (request) => {
      const started = performance.now();
      try {
        const response = await http(request);
        observer.request?.({ status: response.status, ms: performance.now() - started });
        return response;
      } catch (error) {
        observer.request?.({ status: 0, ms: performance.now() - started });
        throw error;
      }
    };
  }

  /** `http` with the `loseNextMessage` hook applied. */
  #losingHttp(http: PcHttp): PcHttp {
    return async (request) => {
      const lose = this.#lose;
      if (lose === undefined || request.method !== 'POST' || !lose.when(request.body ?? '')) return http(request);
      this.#lose = undefined;
      this.#record('event', `test hook: the ${lose.direction === 'request' ? 'message to' : 'answer from'} the server is lost`);
      if (lose.direction === 'response') await http(request);
      throw new PcNetworkError(`POST ${request.url}: the ${lose.direction === 'request' ? 'message was lost before it reached the server' : "server's answer was lost"} (test hook)`);
    };
  }
}

/** A device message that carries a Status for a server command (not only for the SyncHdr). */
function answersServerCommands(xml: string): boolean {
  return /<Status>(?:(?!<\/Status>)[\s\S])*<Cmd>(?!SyncHdr<)/.test(xml);
}
