import { performance } from 'node:perf_hooks';
import {
  checkinContentType,
  encodeCheckinMessage,
  encodeCommandResult,
  mdmSignatureHeader,
  signMdmMessage,
  unrecognizedDeviceCode,
  type CommandResult,
  type CommandStatus,
  type EncodableCheckinMessage,
} from '../../src/protocols/apple-mdm/index.ts';
import { applyCommand, readCommand } from './apply-command.ts';
import { errorItems } from './device-errors.ts';
import { DeviceNetworkError, type DeviceHttp, type DeviceResponse } from './device-http.ts';
import { DeviceState, type ExchangeAccount, type InstalledProfile } from './device-state.ts';
import type { IosEnrollment } from './enroll.ts';
import { randomIphoneHardware, randomPushIdentity, type IphoneHardware } from './iphone-hardware.ts';

/** The media type of a device's requests to `ServerURL`. */
export const commandContentType = 'application/x-apple-aspen-mdm';

/** What the fleet (or a test) hears from a device. All optional. */
export interface IphoneObserver {
  /** Every request to the MDM server, answered (`status`) or not (`status` 0), with its duration. */
  request?(event: { kind: 'checkin' | 'command'; status: number; ms: number }): void;
  /** Every command result the device sent. */
  command?(event: { RequestType: string; Status: CommandStatus }): void;
}

export interface SimulatedIphoneOptions {
  enrollment: IosEnrollment;
  http: DeviceHttp;
  hardware?: Partial<IphoneHardware>;
  /** Probability (0..1) of answering a command `NotNow`, as a locked phone does. Default 0. */
  notNowRate?: number;
  /** Default Math.random. */
  random?: () => number;
  /** Commands handled in one connection before the device stops asking (the rest wait for the next wake). Default 100. */
  maxCommandsPerLoop?: number;
  observer?: IphoneObserver;
  /**
   * Makes the `Mdm-Signature` header for a body. Default `signMdmMessage` (pkijs, a few ms per
   * request); load tests pass a faster signer so the fleet, not the server, is not what they measure.
   */
  signMessage?: (body: Uint8Array, identity: IosEnrollment['identity']) => Promise<string> | string;
}

/**
 * How a command loop ended: `idle` (an empty 200), `command-cap`, `http-status` (a non-200,
 * in `status`), `unenrolled` (the server told the device to unenroll: 401, or 403 with
 * `com.apple.unrecognized.device`), `network-error`, or `not-enrolled` (nothing was sent).
 */
export interface CommandLoopReport {
  ended: 'idle' | 'command-cap' | 'http-status' | 'unenrolled' | 'network-error' | 'not-enrolled';
  commands: number;
  acknowledged: number;
  errors: number;
  formatErrors: number;
  notNow: number;
  status?: number;
  detail?: string;
}

/** A check-in the server did not answer with 200. */
export class CheckinRefusedError extends Error {
  readonly status: number;

  constructor(messageType: string, status: number, body: string) {
    super(`${messageType} was answered ${status}${body ? `: ${body.slice(0, 300)}` : ''}`);
    this.name = 'CheckinRefusedError';
    this.status = status;
  }
}

/**
 * A simulated iPhone after its enrollment profile is installed: it checks in, answers pushes by
 * polling `ServerURL`, performs the profile commands on its own `DeviceState`, and unenrolls as
 * iOS does. Apple: https://developer.apple.com/documentation/devicemanagement/check-in and
 * https://developer.apple.com/documentation/devicemanagement/sending-mdm-commands-to-a-device
 * It owns no timer and no socket: requests go through the shared `http`, and `wake()` is the push.
 */
export class SimulatedIphone {
  readonly hardware: IphoneHardware;
  readonly enrollment: IosEnrollment;
  readonly pushToken: Uint8Array;
  readonly pushMagic: string;
  readonly #state = new DeviceState();
  readonly #http: DeviceHttp;
  readonly #observer: IphoneObserver;
  readonly #random: () => number;
  readonly #notNowRate: number;
  readonly #maxCommands: number;
  readonly #signMessage: (body: Uint8Array, identity: IosEnrollment['identity']) => Promise<string> | string;
  #notNowNext = 0;
  #enrolled = true;
  #running: Promise<void> | null = null;
  #pending = false;
  /** The last loop answered some command NotNow: the device owes the server a later poll. */
  deferredCommands = false;
  lastLoop: CommandLoopReport | undefined;
  /** Commands answered NotNow since the device was made (a later loop overwrites `lastLoop`). */
  notNowAnswered = 0;

  constructor(options: SimulatedIphoneOptions) {
    this.enrollment = options.enrollment;
    this.#http = options.http;
    this.hardware = { ...randomIphoneHardware(), ...options.hardware };
    const push = randomPushIdentity();
    this.pushToken = push.token;
    this.pushMagic = push.pushMagic;
    this.#observer = options.observer ?? {};
    this.#random = options.random ?? Math.random;
    this.#notNowRate = options.notNowRate ?? 0;
    this.#maxCommands = options.maxCommandsPerLoop ?? 100;
    this.#signMessage = options.signMessage ?? signMdmMessage;
    const { profile, signerCertificates, contentSha256 } = options.enrollment;
    this.#state.installProfile(profile, { managed: false, signerCertificates, contentSha256 });
  }

  get udid(): string {
    return this.hardware.UDID;
  }

  /** The push token as APNs addresses it: lower-case hex. */
  get pushTokenHex(): string {
    return Buffer.from(this.pushToken).toString('hex');
  }

  get enrolled(): boolean {
    return this.#enrolled;
  }

  /** `Authenticate`: the first check-in after the enrollment profile is installed. Throws `CheckinRefusedError` or `DeviceNetworkError`. */
  async authenticate(): Promise<void> {
    const { UDID, OSVersion, BuildVersion, ProductName, SerialNumber, IMEI } = this.hardware;
    await this.#checkin({ MessageType: 'Authenticate', Topic: this.enrollment.mdm.Topic, UDID, OSVersion, BuildVersion, ProductName, SerialNumber, IMEI });
  }

  /** `TokenUpdate`: the push token and PushMagic the server pushes with. */
  async tokenUpdate(): Promise<void> {
    await this.#checkin({ MessageType: 'TokenUpdate', Topic: this.enrollment.mdm.Topic, UDID: this.udid, Token: this.pushToken, PushMagic: this.pushMagic });
  }

  /** `CheckOut`, then the device is unenrolled whatever the answer (iOS sends it once and does not wait). */
  async checkOut(): Promise<void> {
    try {
      await this.#checkin({ MessageType: 'CheckOut', Topic: this.enrollment.mdm.Topic, UDID: this.udid });
    } finally {
      this.#unenroll();
    }
  }

  /**
   * The push: runs the command loop. While a loop runs, further wakes coalesce into one more loop
   * after it (a push that arrives mid-loop may announce a command queued after the last poll).
   * Resolves when no loop is left to run; never rejects.
   */
  wake(): Promise<void> {
    if (this.#running) {
      this.#pending = true;
      return this.#running;
    }
    this.#running = this.#drain();
    return this.#running;
  }

  async #drain(): Promise<void> {
    try {
      do {
        this.#pending = false;
        await this.runCommandLoop();
      } while (this.#pending && this.#enrolled);
    } finally {
      this.#running = null;
    }
  }

  /**
   * Polls `ServerURL` with `Idle`, then answers each command the server returns until it returns an
   * empty 200, at most `maxCommandsPerLoop` commands. Never throws: the report says how it ended.
   */
  async runCommandLoop(): Promise<CommandLoopReport> {
    const report: CommandLoopReport = { ended: 'not-enrolled', commands: 0, acknowledged: 0, errors: 0, formatErrors: 0, notNow: 0 };
    if (!this.#enrolled) return this.#finish(report);
    let result: CommandResult = { UDID: this.udid, Status: 'Idle' };
    for (;;) {
      let response: DeviceResponse;
      try {
        response = await this.#put('command', this.enrollment.mdm.ServerURL, commandContentType, encodeCommandResult(result));
      } catch (error) {
        if (!(error instanceof DeviceNetworkError)) throw error;
        return this.#finish({ ...report, ended: 'network-error', detail: error.message });
      }
      if (response.status !== 200) {
        const unenroll = isUnenrollAnswer(response);
        if (unenroll) this.#unenroll();
        return this.#finish({ ...report, ended: unenroll ? 'unenrolled' : 'http-status', status: response.status, detail: Buffer.from(response.body).toString('utf8').slice(0, 300) });
      }
      if (response.body.byteLength === 0) return this.#finish({ ...report, ended: 'idle' });
      if (report.commands >= this.#maxCommands) return this.#finish({ ...report, ended: 'command-cap' });
      report.commands++;
      const { requestType, answer } = await this.#answer(response.body);
      result = { UDID: this.udid, ...answer };
      if (result.Status === 'Acknowledged') report.acknowledged++;
      else if (result.Status === 'Error') report.errors++;
      else if (result.Status === 'CommandFormatError') report.formatErrors++;
      else if (result.Status === 'NotNow') {
        report.notNow++;
        this.notNowAnswered++;
      }
      this.#observer.command?.({ RequestType: requestType, Status: result.Status });
    }
  }

  /** Answers one command body as the device would (result bytes as sent to `ServerURL`), changing the device's state. */
  async handleCommand(body: Uint8Array): Promise<Uint8Array> {
    return encodeCommandResult({ UDID: this.udid, ...(await this.#answer(body)).answer });
  }

  async #answer(body: Uint8Array): Promise<{ requestType: string; answer: Omit<CommandResult, 'UDID'> }> {
    const read = readCommand(body);
    if (read.kind === 'malformed') {
      return { requestType: read.RequestType ?? '?', answer: { ...(read.CommandUUID ? { CommandUUID: read.CommandUUID } : {}), Status: 'CommandFormatError' } };
    }
    const CommandUUID = read.kind === 'command' ? read.command.CommandUUID : read.CommandUUID;
    const requestType = read.kind === 'command' ? read.command.Command.RequestType : read.RequestType;
    if (this.#notNowNext > 0 || (this.#notNowRate > 0 && this.#random() < this.#notNowRate)) {
      // NotNow: the command is not performed; the device owes the server a poll later.
      this.#notNowNext = Math.max(0, this.#notNowNext - 1);
      this.deferredCommands = true;
      return { requestType, answer: { CommandUUID, Status: 'NotNow' } };
    }
    if (read.kind === 'unsupported') return { requestType, answer: { CommandUUID, Status: 'Error', ErrorChain: [errorItems.unsupportedCommand(read.RequestType)] } };
    return { requestType, answer: await applyCommand(this.#state, read.command) };
  }

  /** Answers the next `count` commands `NotNow` (added to any still owed). */
  notNowNext(count: number): void {
    this.#notNowNext += count;
  }

  profiles(): InstalledProfile[] {
    return this.#state.profiles();
  }

  accounts(): ExchangeAccount[] {
    return this.#state.accounts();
  }

  /** The user adds an Exchange account in Settings (throws when the same account exists). */
  addUserAccount(host: string, emailAddress: string): ExchangeAccount {
    return this.#state.addUserAccount(host, emailAddress);
  }

  removeUserAccount(host: string, emailAddress: string): boolean {
    return this.#state.removeUserAccount(host, emailAddress);
  }

  /**
   * The user deletes a profile in Settings. Deleting the enrollment profile unenrolls the device: its
   * managed profiles go too, and `CheckOut` is sent when the profile asks for it. False when no
   * profile has this identifier.
   */
  async removeProfileLocally(identifier: string): Promise<boolean> {
    if (identifier === this.enrollment.profile.PayloadIdentifier && this.#enrolled) {
      if (this.enrollment.mdm.CheckOutWhenRemoved) await this.checkOut().catch(() => undefined);
      else this.#unenroll();
      return true;
    }
    return this.#state.removeProfile(identifier);
  }

  #finish(report: CommandLoopReport): CommandLoopReport {
    if (report.notNow === 0 && report.ended === 'idle') this.deferredCommands = false;
    this.lastLoop = report;
    return report;
  }

  #unenroll(): void {
    this.#enrolled = false;
    this.#state.removeManagedProfiles();
    this.#state.removeProfile(this.enrollment.profile.PayloadIdentifier);
  }

  async #checkin(message: EncodableCheckinMessage): Promise<void> {
    const response = await this.#put('checkin', this.enrollment.mdm.CheckInURL, checkinContentType, encodeCheckinMessage(message));
    if (response.status !== 200) throw new CheckinRefusedError(message.MessageType, response.status, Buffer.from(response.body).toString('utf8'));
  }

  async #put(kind: 'checkin' | 'command', url: string, contentType: string, body: Uint8Array): Promise<DeviceResponse> {
    const headers: Record<string, string> = { 'content-type': contentType, 'user-agent': 'MDM/1.0' };
    if (this.enrollment.mdm.SignMessage) headers[mdmSignatureHeader.toLowerCase()] = await this.#signMessage(body, this.enrollment.identity);
    const started = performance.now();
    try {
      const response = await this.#http({ method: 'PUT', url, headers, body });
      this.#observer.request?.({ kind, status: response.status, ms: performance.now() - started });
      return response;
    } catch (error) {
      this.#observer.request?.({ kind, status: 0, ms: performance.now() - started });
      throw error;
    }
  }
}

/** 401, or 403 with `{"code":"com.apple.unrecognized.device"}` (iOS 17+): the server wants the device gone. */
function isUnenrollAnswer(response: DeviceResponse): boolean {
  if (response.status === 401) return true;
  if (response.status !== 403) return false;
  try {
    return (JSON.parse(Buffer.from(response.body).toString('utf8')) as { code?: unknown }).code === unrecognizedDeviceCode;
  } catch {
    return false;
  }
}
