import { randomUUID } from 'node:crypto';
import { EnvelopeError } from '../../domain/errors.ts';
import { uuidPattern } from '../../domain/ids.ts';
import type { DeliveryError } from '../../domain/delivery/index.ts';
import {
  classifyCommandError,
  decodeCheckinMessage,
  decodeCommandResult,
  encodeCommand,
  isMdmDecodeError,
  MdmSignatureError,
  renderErrorChain,
  resolveEnrollment,
  unrecognizedDeviceBody,
  verifyMdmSignature,
  type CommandResult,
} from '../../protocols/apple-mdm/index.ts';
import type { AppleChannelDevice, AppleChannelStore } from '../../store/postgres/apple-channel-store.ts';
import type { AppleEnrollmentService } from '../enrollment/apple-enrollment-service.ts';
import { deliveryCommandOf, type DeliveryCommand, type DeliveryResult, type DeliveryService } from '../delivery/delivery-service.ts';
import type { WakeService } from '../push/wake-service.ts';
import { appleProfileIdentifier, type AppleCommandRenderer } from './apple-command-renderer.ts';

/**
 * What the HTTP skin sends back. Never 401: Apple devices unenroll on it. `unrecognized` is the 403
 * whose JSON body tells a device that the server no longer knows it (it unenrolls then, as intended
 * for a deleted device).
 */
export type AppleMdmReply =
  | { kind: 'ok'; plist: Uint8Array | null }
  | { kind: 'unrecognized'; body: string }
  | { kind: 'error'; status: 400 | 403 | 410 | 503; message: string; retryAfterSeconds?: number };

/** Wakes devices later (the NotNow re-push) or now (after enrollment): services/push. */
export type DeviceWaker = Pick<WakeService, 'schedule'>;

export interface AppleMdmOptions {
  /**
   * After an acknowledged change, a `ProfileList` is requested this long later (the device is pushed
   * then); 0 asks in the same exchange. The delay keeps verification out of a rollout's burst and lets
   * one list cover several changes.
   */
  verifyDelayMs: number;
  /** Every installed profile is checked again by `ProfileList` at least this often (the device is pushed then). */
  verifyEveryMs: number;
  /** A `ProfileList` not answered within this time may be sent again. */
  profileListInFlightMs: number;
  /** After `NotNow`, the device is pushed again this much later. */
  notNowRepushMs: number;
  /** Per device identity: requests allowed in a burst, and refilled per second. */
  rateLimit: { burst: number; perSecond: number };
}

export const defaultAppleMdmOptions: Readonly<AppleMdmOptions> = Object.freeze({
  verifyDelayMs: 10 * 60_000,
  verifyEveryMs: 24 * 60 * 60_000,
  profileListInFlightMs: 60_000,
  notNowRepushMs: 60_000,
  rateLimit: Object.freeze({ burst: 120, perSecond: 20 }),
});

interface Logger {
  info(details: object, message: string): void;
  warn(details: object, message: string): void;
}

/** The device as one request sees it: the stored channel state plus what this request decided. */
type ChannelDevice = AppleChannelDevice & { verifyDueUnsaved?: boolean; profileListClaimed?: boolean };

/** Commands handed out per device request at most, when rendering some of them fails. */
const maxRenderAttempts = 5;

/**
 * The Apple MDM check-in (`Authenticate`, `TokenUpdate`, `CheckOut`) and command (`Idle`,
 * `Acknowledged`, `Error`, `CommandFormatError`, `NotNow`) endpoints, below HTTP. Every request must
 * carry a valid `Mdm-Signature`; after `Authenticate` the signer certificate is the device's only
 * credential, and a request is served for the enrollment it is bound to and no other.
 *
 * The command endpoint records the device's answer, then hands out its next command: a delivery
 * operation (`InstallProfile` rendered and signed now, `RemoveProfile`), or a `ProfileList` when the
 * device's profiles are due for verification, or nothing (an empty 200).
 */
export class AppleMdmService {
  readonly #enrollments: AppleEnrollmentService;
  readonly #delivery: DeliveryService;
  readonly #channel: AppleChannelStore;
  readonly #renderer: AppleCommandRenderer;
  readonly #options: AppleMdmOptions;
  readonly #log: Logger;
  readonly #now: () => number;
  readonly #buckets = new Map<string, { tokens: number; at: number }>();
  readonly #waker: DeviceWaker | null;

  constructor(deps: {
    enrollments: AppleEnrollmentService;
    delivery: DeliveryService;
    channel: AppleChannelStore;
    renderer: AppleCommandRenderer;
    waker?: DeviceWaker | null;
    options?: Partial<AppleMdmOptions>;
    log?: Logger;
    now?: () => number;
  }) {
    this.#enrollments = deps.enrollments;
    this.#delivery = deps.delivery;
    this.#channel = deps.channel;
    this.#renderer = deps.renderer;
    this.#waker = deps.waker ?? null;
    this.#options = { ...defaultAppleMdmOptions, ...deps.options };
    this.#log = deps.log ?? { info: () => undefined, warn: () => undefined };
    this.#now = deps.now ?? Date.now;
  }

  /** `PUT` of the check-in URL. */
  async checkIn(signature: string | undefined, body: Uint8Array): Promise<AppleMdmReply> {
    const signer = await this.#verify(signature, body);
    if ('kind' in signer) return signer;
    let message;
    try {
      message = decodeCheckinMessage(body);
    } catch (error) {
      if (isMdmDecodeError(error)) return { kind: 'error', status: 400, message: error.message };
      throw error;
    }
    try {
      switch (message.MessageType) {
        case 'Authenticate': {
          const done = await this.#enrollments.completeAppleEnrollment(signer.certificateSha256, message);
          if (done.counted) this.#log.info({ tenantId: done.tenantId, deviceId: done.deviceId }, 'apple: device enrolled');
          return { kind: 'ok', plist: null };
        }
        case 'TokenUpdate': {
          const record = await this.#enrollments.recordTokenUpdate(signer.certificateSha256, message);
          // The first push token: the device can be woken, so its first commands go out now.
          if (record.tokenUpdateCount === 1) await this.#wake(record.tenantId, record.deviceId, this.#now(), 'enrolled');
          return { kind: 'ok', plist: null };
        }
        case 'CheckOut': {
          const device = await this.#channel.deviceByCertificate(Buffer.from(signer.certificateSha256, 'hex'));
          const enrollment = resolveEnrollment(message);
          if (device === null || enrollment === undefined || enrollment.id !== device.enrollmentId) return this.#unrecognized();
          await this.#channel.checkOut(device.tenantId, device.enrollmentId);
          // iOS removes every managed profile with the MDM profile: the ledger says so.
          await this.#delivery.deviceUnenrolled(device.tenantId, device.deviceId, this.#now());
          this.#log.info({ tenantId: device.tenantId, deviceId: device.deviceId }, 'apple: device checked out');
          return { kind: 'ok', plist: null };
        }
        case 'UserAuthenticate':
          // Apple: a server without user-channel support answers UserAuthenticate with 410.
          return { kind: 'error', status: 410, message: 'Envelope manages the device channel only.' };
        default:
          return { kind: 'error', status: 400, message: `Envelope does not handle ${message.MessageType} check-in messages.` };
      }
    } catch (error) {
      if (error instanceof EnvelopeError && error.status === 403) {
        return message.MessageType === 'Authenticate' ? { kind: 'error', status: 403, message: error.message } : this.#unrecognized(error.message);
      }
      if (error instanceof EnvelopeError && error.status === 400) return { kind: 'error', status: 400, message: error.message };
      throw error;
    }
  }

  /** `PUT` of the server URL: a command result or `Idle`, answered with the next command or nothing. */
  async command(signature: string | undefined, body: Uint8Array): Promise<AppleMdmReply> {
    const signer = await this.#verify(signature, body);
    if ('kind' in signer) return signer;
    let result: CommandResult;
    try {
      result = decodeCommandResult(body);
    } catch (error) {
      if (isMdmDecodeError(error)) return { kind: 'error', status: 400, message: error.message };
      throw error;
    }
    const device: ChannelDevice | null = await this.#channel.deviceByCertificate(Buffer.from(signer.certificateSha256, 'hex'));
    if (device === null || !device.enabled) return this.#unrecognized();
    const enrollment = resolveEnrollment(result);
    if (enrollment === undefined || enrollment.userChannelId !== undefined || enrollment.id !== device.enrollmentId) {
      // Signed by one device, naming another: refused, but the signer is not told to unenroll.
      return { kind: 'error', status: 403, message: 'The request names an enrollment its signing certificate is not bound to.' };
    }
    const limited = this.#rateLimited(signer.certificateSha256);
    if (limited !== null) return limited;

    const now = this.#now();
    if (result.Status !== 'Idle' && result.CommandUUID !== undefined) {
      const next = await this.#recordResult(device, result, result.CommandUUID, now);
      if (next !== null) return { kind: 'ok', plist: next };
    }
    return { kind: 'ok', plist: await this.#nextCommand(device, now, result.Status === 'NotNow') };
  }

  /** Records the device's answer; returns a command to send at once (the install half of a replace) or null. */
  async #recordResult(device: ChannelDevice, result: CommandResult, commandUuid: string, now: number): Promise<Uint8Array | null> {
    const { tenantId, deviceId } = device;
    if (device.profileListCommandUuid !== null && device.profileListCommandUuid.toUpperCase() === commandUuid.toUpperCase()) {
      await this.#recordProfileList(device, result, now);
      return null;
    }
    if (!uuidPattern.test(commandUuid)) {
      this.#log.warn({ tenantId, deviceId, commandUuid, status: result.Status }, 'apple: result for a command id Envelope never issues ignored');
      return null;
    }
    const commandId = commandUuid.toLowerCase();
    const command = await this.#delivery.command(tenantId, deviceId, commandId);
    if (command === null) {
      // Not a queued command: the removal half of a replace, or unknown.
      const replace = await this.#channel.replaceRemoval(tenantId, deviceId, commandId);
      if (replace !== null) return this.#recordReplaceRemoval(device, result, commandId, replace.commandId, now);
      this.#log.warn({ tenantId, deviceId, commandUuid, status: result.Status }, 'apple: result for an unknown command ignored');
      return null;
    }
    // A repeat of an answered command's result (devices resend after a lost response) changes nothing.
    if (!command.active) return null;
    const mapped = deliveryResultOf(result, command.kind === 'remove');
    await this.#delivery.recordResult(tenantId, deviceId, commandId, mapped, now, command);
    if (mapped.kind === 'acknowledged') {
      device.verifyDueAt = now + this.#options.verifyDelayMs;
      // Stored only if this exchange does not hand out the ProfileList itself (see #nextCommand).
      device.verifyDueUnsaved = true;
    }
    if (mapped.kind === 'notNow') await this.#repushAfterNotNow(tenantId, deviceId, now);
    return null;
  }

  async #recordReplaceRemoval(device: AppleChannelDevice, result: CommandResult, removeCommandId: string, commandId: string, now: number): Promise<Uint8Array | null> {
    const { tenantId, deviceId } = device;
    const mapped = deliveryResultOf(result, true);
    if (mapped.kind === 'acknowledged') {
      await this.#channel.markReplaceRemoved(tenantId, deviceId, removeCommandId, now);
      const command = await this.#delivery.command(tenantId, deviceId, commandId);
      if (command === null || !command.active) return null;
      // The install half goes out in this same exchange: the replace was handed out moments ago,
      // so the queue would hold it back from this check-in as in flight.
      return this.#encode(device, deliveryCommandOf(command), now, { removed: true });
    }
    await this.#delivery.recordResult(tenantId, deviceId, commandId, mapped, now);
    if (mapped.kind === 'notNow') await this.#repushAfterNotNow(tenantId, deviceId, now);
    return null;
  }

  async #recordProfileList(device: AppleChannelDevice, result: CommandResult, now: number): Promise<void> {
    const { tenantId, deviceId } = device;
    const uuid = device.profileListCommandUuid as string;
    if (result.Status !== 'Acknowledged') {
      await this.#channel.finishProfileList(tenantId, deviceId, uuid, false, now);
      if (result.Status === 'NotNow') await this.#repushAfterNotNow(tenantId, deviceId, now);
      return;
    }
    const present = new Set((result.ProfileList ?? []).map((item) => item.PayloadIdentifier));
    const counts = await this.#delivery.verifyInventory(
      tenantId,
      deviceId,
      (row) => {
        const identifier = appleProfileIdentifier(row.odataType, row.profileId, row.installed.userId);
        return identifier === null || present.has(identifier);
      },
      now,
    );
    await this.#channel.finishProfileList(tenantId, deviceId, uuid, true, now);
    if (counts.verified > 0) await this.#wake(tenantId, deviceId, now + this.#options.verifyEveryMs, 'verify');
    if (counts.missing > 0) this.#log.info({ tenantId, deviceId, missing: counts.missing }, 'apple: profiles missing from the device are installed again');
  }

  /** The device's next command as a plist, or null for an empty 200. */
  async #nextCommand(device: ChannelDevice, now: number, skipNotNow: boolean): Promise<Uint8Array | null> {
    let next: Uint8Array | null = null;
    for (let attempt = 0; attempt < maxRenderAttempts && next === null; attempt++) {
      const command = await this.#delivery.checkIn(device.tenantId, device.deviceId, now, { skipNotNow });
      if (command === null) break;
      next = await this.#encode(device, command, now);
    }
    next ??= await this.#profileListIfDue(device, now);
    if (device.verifyDueUnsaved && !device.profileListClaimed) {
      const dueAt = device.verifyDueAt as number;
      await this.#channel.markVerifyDue(device.tenantId, device.deviceId, dueAt);
      // Devices do not poll: the push at that time brings the device back for its ProfileList.
      if (dueAt > now) await this.#wake(device.tenantId, device.deviceId, dueAt, 'verify');
    }
    return next;
  }

  /**
   * The Apple command for a delivery operation; null when it cannot be rendered (recorded as the
   * command's failure, so the caller moves on to the next one).
   */
  async #encode(device: AppleChannelDevice, command: DeliveryCommand, now: number, options: { removed?: boolean } = {}): Promise<Uint8Array | null> {
    const { tenantId, deviceId } = device;
    const identifier = (userId: string | null) => appleProfileIdentifier(command.odataType, command.profileId, userId);
    const target = identifier(command.target.userId);
    if (target === null) return this.#unrenderable(tenantId, deviceId, command, now, 'NotAppleProfile', `'${command.odataType}' is not an Apple profile type`, 'terminal');
    if (command.kind === 'remove') return encodeCommand({ CommandUUID: command.commandId, Command: { RequestType: 'RemoveProfile', Identifier: target } });
    if (command.kind === 'replace' && command.previous !== null && command.removeCommandId !== null && !options.removed) {
      const previous = identifier(command.previous.userId);
      if (previous !== null && previous !== target && !(await this.#channel.replaceRemoved(tenantId, deviceId, command.commandId))) {
        await this.#channel.recordReplaceRemoval(tenantId, deviceId, command.commandId, command.removeCommandId);
        return encodeCommand({ CommandUUID: command.removeCommandId, Command: { RequestType: 'RemoveProfile', Identifier: previous } });
      }
    }
    try {
      const rendered = await this.#renderer.render(tenantId, command);
      return encodeCommand({ CommandUUID: command.commandId, Command: { RequestType: 'InstallProfile', Payload: rendered.payload } });
    } catch (error) {
      if (!(error instanceof EnvelopeError) || error.status === 503) throw error;
      // 404: the profile, user or device went away (the next reconcile settles it); 422: the admin must fix the profile.
      return this.#unrenderable(tenantId, deviceId, command, now, error.code, error.message, error.status === 404 ? 'transient' : 'terminal');
    }
  }

  async #unrenderable(tenantId: string, deviceId: string, command: DeliveryCommand, now: number, code: string, message: string, errorClass: DeliveryError['errorClass']): Promise<null> {
    this.#log.warn({ tenantId, deviceId, commandId: command.commandId, code, message }, 'apple: command could not be rendered');
    await this.#delivery.recordResult(tenantId, deviceId, command.commandId, { kind: 'failed', error: { errorClass, code, message } }, now);
    return null;
  }

  async #profileListIfDue(device: ChannelDevice, now: number): Promise<Uint8Array | null> {
    const due = (device.verifyDueAt !== null && device.verifyDueAt <= now)
      || (device.verifiedAt !== null && device.verifiedAt + this.#options.verifyEveryMs <= now);
    const inFlight = device.profileListCommandUuid !== null && device.profileListSentAt !== null && device.profileListSentAt > now - this.#options.profileListInFlightMs;
    if (!due && device.verifyDueAt !== null && device.verifyDueAt > now && !device.verifyDueUnsaved) {
      // An earlier push (which the wake queue keeps instead of a later one) brought the device back
      // before its list is due: ask for a push at that time again. Writes only in that window.
      await this.#wake(device.tenantId, device.deviceId, device.verifyDueAt, 'verify');
    }
    if (!due || inFlight) return null;
    const commandUuid = randomUUID().toUpperCase();
    if (!(await this.#channel.claimProfileList(device.tenantId, device.deviceId, commandUuid, now, now - this.#options.profileListInFlightMs))) return null;
    device.profileListClaimed = true;
    return encodeCommand({ CommandUUID: commandUuid, Command: { RequestType: 'ProfileList', ManagedOnly: true } });
  }

  async #verify(signature: string | undefined, body: Uint8Array): Promise<{ certificateSha256: string } | AppleMdmReply> {
    try {
      return await verifyMdmSignature(signature, body);
    } catch (error) {
      if (error instanceof MdmSignatureError) return { kind: 'error', status: 400, message: `Mdm-Signature: ${error.message}` };
      throw error;
    }
  }

  async #wake(tenantId: string, deviceId: string, atMs: number, reason: string): Promise<void> {
    if (this.#waker === null) return;
    await this.#waker.schedule(tenantId, [deviceId], atMs, reason);
  }

  /** Apple: a device that answered NotNow checks in again when it can; a push later reminds it. */
  #repushAfterNotNow(tenantId: string, deviceId: string, now: number): Promise<void> {
    return this.#wake(tenantId, deviceId, now + this.#options.notNowRepushMs, 'notNow');
  }

  #unrecognized(description = 'This device is not enrolled in Envelope.'): AppleMdmReply {
    return { kind: 'unrecognized', body: unrecognizedDeviceBody({ description }) };
  }

  /** A token bucket per identity certificate: a whole office behind one address is never limited as one. */
  #rateLimited(certificateSha256: string): AppleMdmReply | null {
    const { burst, perSecond } = this.#options.rateLimit;
    const now = this.#now();
    const bucket = this.#buckets.get(certificateSha256) ?? { tokens: burst, at: now };
    bucket.tokens = Math.min(burst, bucket.tokens + ((now - bucket.at) / 1000) * perSecond);
    bucket.at = now;
    if (bucket.tokens < 1) {
      this.#buckets.set(certificateSha256, bucket);
      return { kind: 'error', status: 503, message: 'Too many requests from this device; retry shortly.', retryAfterSeconds: Math.ceil(1 / perSecond) || 1 };
    }
    bucket.tokens -= 1;
    this.#buckets.delete(certificateSha256);
    this.#buckets.set(certificateSha256, bucket);
    // Full buckets carry no information: forget the oldest when the map grows.
    if (this.#buckets.size > 200_000) {
      for (const [key, value] of this.#buckets) {
        if (this.#buckets.size <= 150_000) break;
        if (value.tokens + ((now - value.at) / 1000) * perSecond >= burst) this.#buckets.delete(key);
      }
    }
    return null;
  }
}

/**
 * A device answer as delivery records it. A removal answered "not installed" (12075, 4024) reached
 * the desired state and counts as acknowledged.
 */
export function deliveryResultOf(result: CommandResult, isRemoval: boolean): DeliveryResult {
  switch (result.Status) {
    case 'Acknowledged':
      return { kind: 'acknowledged' };
    case 'NotNow':
    case 'Idle':
      return { kind: 'notNow' };
    case 'Error':
    case 'CommandFormatError': {
      const chain = result.ErrorChain ?? [];
      const classified = classifyCommandError(result.Status, chain);
      if (classified.kind === 'profile-not-installed' && isRemoval) return { kind: 'acknowledged' };
      const cause = classified.cause ?? chain[0];
      const code = cause ? `${cause.ErrorDomain} (${cause.ErrorCode})` : result.Status;
      const message = chain.length > 0 ? renderErrorChain(chain).replace(/\n/g, '; ') : result.Status === 'CommandFormatError' ? 'the device could not read the command' : 'the device reported an error without details';
      const errorClass = classified.kind === 'duplicate-account' ? 'duplicateAccount' : classified.retryable ? 'transient' : 'terminal';
      return { kind: 'failed', error: { errorClass, code, message } };
    }
  }
}
