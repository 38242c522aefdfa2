import { badRequest, EnvelopeError, isEnvelopeError, notFound } from '../../domain/errors.ts';
import { isEmailProfileType } from '../../domain/profiles/index.ts';
import type { KnoxCommand, KnoxCommandEvent, KnoxDeviceUpdate, KnoxInventory } from '../../protocols/knox-agent/agent-messages.ts';
import { knoxCommandTypeOf, knoxEventOutcome } from '../../protocols/knox-agent/event-mapping.ts';
import type { KnoxAgentStore, KnoxEnrollmentRecord } from '../../store/postgres/knox-agent-store.ts';
import type { DeliveryService } from '../delivery/delivery-service.ts';
import { hashKnoxCredential } from '../enrollment/knox-enrollment-service.ts';
import type { KnoxCommandRenderer } from './knox-command-renderer.ts';

export interface KnoxAgentLog {
  info(details: object, message: string): void;
  warn(details: object, message: string): void;
}

/** Commands the renderer refuses in one fetch before it gives up (each is failed, then the next is taken). */
const maxRefusedPerFetch = 20;

/** `last_seen_at` is written at most this often per device. */
const touchEveryMs = 60_000;

/**
 * The Knox agent API behind `/mdm/knox/v1` (docs/agent-protocol.md; decision 0019). Every call is
 * for the one device the credential belongs to: a command id of another device (or tenant) is a
 * 404 and changes nothing. Delivery itself is the core's (`DeliveryService`): a fetch is a
 * check-in, an event a device result, an inventory a verification, an unenrollment
 * `deviceUnenrolled`.
 */
export class KnoxAgentService {
  readonly #store: Pick<KnoxAgentStore, 'findByCredential' | 'touch' | 'recordEvent' | 'disable'>;
  readonly #delivery: DeliveryService;
  readonly #renderer: KnoxCommandRenderer;
  readonly #log: KnoxAgentLog;
  readonly #now: () => number;

  constructor(deps: {
    store: Pick<KnoxAgentStore, 'findByCredential' | 'touch' | 'recordEvent' | 'disable'>;
    delivery: DeliveryService;
    renderer: KnoxCommandRenderer;
    log: KnoxAgentLog;
    now?: () => number;
  }) {
    this.#store = deps.store;
    this.#delivery = deps.delivery;
    this.#renderer = deps.renderer;
    this.#log = deps.log;
    this.#now = deps.now ?? Date.now;
  }

  /**
   * The enrolled device of `Authorization: Bearer <credential>`; 401 for a missing, unknown or
   * unenrolled credential. Records that the device was seen (at most once a minute).
   */
  async authenticate(authorization: string | undefined): Promise<KnoxEnrollmentRecord> {
    const match = /^Bearer (kxa_[A-Za-z0-9_-]{43})$/.exec(authorization ?? '');
    const device = match ? await this.#store.findByCredential(hashKnoxCredential(match[1]!)) : null;
    if (!device || !device.enabled) {
      throw new EnvelopeError('InvalidDeviceCredential', 401, 'Missing or invalid device credential: send the credential from enrollment as Authorization: Bearer kxa_…; an unenrolled device must enroll again.');
    }
    const now = this.#now();
    if (device.lastSeenDateTime === null || Date.parse(device.lastSeenDateTime) < now - touchEveryMs) {
      await this.#store.touch(device.tenantId, device.deviceId, new Date(now));
    }
    return device;
  }

  /**
   * The device's next command, or null when it has none. A command the renderer refuses (a
   * profile type the agent cannot install, a compiler error, a profile deleted meanwhile) is
   * recorded as failed with that reason and the next one is taken.
   */
  async nextCommand(device: KnoxEnrollmentRecord): Promise<KnoxCommand | null> {
    const { tenantId, deviceId } = device;
    for (let refused = 0; refused < maxRefusedPerFetch; refused++) {
      const command = await this.#delivery.checkIn(tenantId, deviceId, this.#now());
      if (command === null) return null;
      try {
        return await this.#renderer.render(tenantId, command);
      } catch (error) {
        if (!isEnvelopeError(error) || error.status >= 500) throw error;
        this.#log.warn({ tenantId, deviceId, commandId: command.commandId, code: error.code, reason: error.message }, 'knox: command could not be rendered; recorded as failed');
        await this.#delivery.recordResult(tenantId, deviceId, command.commandId, { kind: 'failed', error: { errorClass: 'terminal', code: error.code, message: error.message } }, this.#now());
      }
    }
    return null;
  }

  /**
   * Records an agent event about `commandId` (see `knoxEventOutcome`). 404 when the command is not
   * this device's; 400 naming `event` when the event cannot answer that command; nothing changes
   * then. A repeated event changes nothing. An `applied` with `overwroteUserAccount` counts one
   * overwrite of a user-made account (once per command); the acknowledgement's status message then
   * says how many times it happened. A `validated` after the command failed (the user fixed the
   * password) asks for a new attempt at once: the agent's next fetch gets the account again, which
   * it finds validated.
   */
  async recordEvent(device: KnoxEnrollmentRecord, commandId: string, event: KnoxCommandEvent): Promise<void> {
    const { tenantId, deviceId } = device;
    const command = await this.#delivery.command(tenantId, deviceId, commandId);
    if (command === null) throw notFound('Command', commandId);
    const isAccount = isEmailProfileType(command.odataType);
    const outcome = knoxEventOutcome(knoxCommandTypeOf(isAccount, command.kind), event);
    if (outcome.kind === 'invalid') throw badRequest(outcome.message, 'event');
    const now = this.#now();
    let overwrittenCount = 0;
    if (isAccount && event.event !== 'removed') {
      const account = await this.#store.recordEvent(tenantId, deviceId, command.profileId, {
        commandId,
        kind: event.event,
        code: event.error?.code ?? null,
        overwroteUserAccount: event.event === 'applied' && event.overwroteUserAccount === true,
        at: new Date(now),
      });
      overwrittenCount = account.overwrittenCount;
    }
    if (outcome.kind === 'noted') return;
    if (outcome.kind === 'failed') {
      await this.#delivery.recordResult(tenantId, deviceId, commandId, { kind: 'failed', error: outcome.error }, now, command);
      return;
    }
    if (command.status === 'failed' && isAccount) {
      await this.#retryNow(device, command.profileId, commandId);
      return;
    }
    const note = overwrittenCount === 0 ? undefined : overwriteNote(overwrittenCount);
    await this.#delivery.recordResult(tenantId, deviceId, commandId, note === undefined ? { kind: 'acknowledged' } : { kind: 'acknowledged', note }, now, command);
  }

  /**
   * Applies the device's account and certificate list (`verifyInventory`): an installed account is
   * verified when an account with its key is listed, a trusted root when its alias is; otherwise it
   * is missing and installed again at the next fetch — which overwrites a user-made account with
   * the same address (counted in `userMadeDuplicates`).
   */
  async reportInventory(device: KnoxEnrollmentRecord, inventory: KnoxInventory): Promise<{ verified: number; missing: number; userMadeDuplicates: number }> {
    const keys = new Set(inventory.accounts.flatMap((account) => (account.accountKey === null ? [] : [account.accountKey.toLowerCase()])));
    const userMade = new Set(inventory.accounts.flatMap((account) => (account.accountKey === null ? [account.emailAddress.trim().toLowerCase()] : [])));
    const aliases = new Set(inventory.certificateAliases);
    let userMadeDuplicates = 0;
    const counts = await this.#delivery.verifyInventory(device.tenantId, device.deviceId, (row) => {
      if (!isEmailProfileType(row.odataType)) return aliases.has(row.profileId);
      const present = row.installed.accountId !== null && keys.has(row.installed.accountId.toLowerCase());
      if (!present && row.installed.recreateKey !== null && userMade.has(row.installed.recreateKey)) userMadeDuplicates += 1;
      return present;
    }, this.#now());
    if (userMadeDuplicates > 0) this.#log.info({ tenantId: device.tenantId, deviceId: device.deviceId, userMadeDuplicates }, 'knox: the user made an account with the address of an Envelope account; it is overwritten at the next fetch');
    return { ...counts, userMadeDuplicates };
  }

  /** Updates what the agent reports about itself (the FCM token above all). */
  async updateDevice(device: KnoxEnrollmentRecord, update: KnoxDeviceUpdate): Promise<void> {
    await this.#store.touch(device.tenantId, device.deviceId, new Date(this.#now()), update.fcmToken);
  }

  /**
   * The agent is leaving management (its admin rights are being removed, the user chose to
   * unenroll): Knox removes the accounts the agent made, so the ledger marks every row removed
   * (`deviceUnenrolled`) and the credential stops working.
   */
  async unenroll(device: KnoxEnrollmentRecord): Promise<void> {
    await this.#delivery.deviceUnenrolled(device.tenantId, device.deviceId, this.#now());
    await this.#store.disable(device.tenantId, device.deviceId);
    this.#log.info({ tenantId: device.tenantId, deviceId: device.deviceId }, 'knox: device unenrolled');
  }

  async #retryNow(device: KnoxEnrollmentRecord, profileId: string, commandId: string): Promise<void> {
    try {
      await this.#delivery.resend(device.tenantId, profileId, { deviceIds: [device.deviceId], statuses: ['error'] });
      this.#log.info({ tenantId: device.tenantId, deviceId: device.deviceId, commandId }, 'knox: an account that had failed validated later; a new attempt is due at once');
    } catch (error) {
      if (!isEnvelopeError(error) || error.status !== 404) throw error;
    }
  }
}

function overwriteNote(count: number): string {
  return `A user-made account with the same email address was overwritten on the device (${count === 1 ? 'once' : `${count} times`} so far; Knox keys accounts by address).`;
}
