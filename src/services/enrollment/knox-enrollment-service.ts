import { createHash, randomBytes } from 'node:crypto';
import { EnvelopeError } from '../../domain/errors.ts';
import type { KnoxEnrollRequest, KnoxEnrollResponse } from '../../protocols/knox-agent/agent-messages.ts';
import type { EnrollmentTokenRecord } from '../../store/postgres/enrollment-token-store.ts';
import type { Stores, Transactor } from '../../store/postgres/stores.ts';
import { hashEnrollmentToken } from './enrollment-token-service.ts';
import { knoxAgentApiUrlOrThrow } from './enrollment-urls.ts';

/** How often an agent fetches commands unprompted; FCM wakes it sooner (SPEC §6: about every 8 hours). */
export const defaultKnoxPollIntervalSeconds = 8 * 3600;

/** A new device credential: `kxa_` + 32 random bytes, base64url (stored only as its SHA-256). */
export function generateKnoxCredential(): string {
  return `kxa_${randomBytes(32).toString('base64url')}`;
}

export function hashKnoxCredential(credential: string): Buffer {
  return createHash('sha256').update(credential, 'utf8').digest();
}

export interface KnoxEnrollmentLog {
  info(details: object, message: string): void;
}

/**
 * Enrollment of the Samsung Knox agent (`POST /mdm/android/enroll`, docs/agent-protocol.md): the
 * agent presents an Android enrollment token and its device facts, and gets its managed device id
 * and a device credential. The token is checked without a lock first (a refusal writes nothing),
 * then in one transaction: locked and checked again, the tenant's earlier enrollment of the same
 * serial number deleted with its managed device, the device (Android, management mode `knox`,
 * primary user = the token's user) and its enrollment created, and the token's use counted. Two
 * devices racing for a token's last slot are serialised by the lock: one enrolls, the other gets
 * 403 `DeviceCapReached`.
 */
export class KnoxEnrollmentService {
  readonly #stores: Pick<Stores, 'enrollmentTokens'>;
  readonly #transact: Transactor;
  readonly #publicUrl: string | null;
  readonly #newId: () => string;
  readonly #now: () => Date;
  readonly #pollIntervalSeconds: number;
  readonly #log: KnoxEnrollmentLog;

  constructor(deps: {
    stores: Pick<Stores, 'enrollmentTokens'>;
    transact: Transactor;
    publicUrl: string | null;
    newId: () => string;
    now?: () => Date;
    pollIntervalSeconds?: number;
    log: KnoxEnrollmentLog;
  }) {
    this.#stores = deps.stores;
    this.#transact = deps.transact;
    this.#publicUrl = deps.publicUrl;
    this.#newId = deps.newId;
    this.#now = deps.now ?? (() => new Date());
    this.#pollIntervalSeconds = deps.pollIntervalSeconds ?? defaultKnoxPollIntervalSeconds;
    this.#log = deps.log;
  }

  /**
   * Enrolls the device. 401 `InvalidEnrollmentToken` for an unknown, revoked or expired token; 403
   * `WrongPlatform` for a token of another platform; 403 `DeviceCapReached` when the token has
   * enrolled all its devices; 409 when ENVELOPE_PUBLIC_URL is unset or not https. Nothing is written
   * on any of them.
   */
  async enroll(request: KnoxEnrollRequest): Promise<KnoxEnrollResponse> {
    const apiUrl = knoxAgentApiUrlOrThrow(this.#publicUrl);
    const found = await this.#stores.enrollmentTokens.findByHash(hashEnrollmentToken(request.enrollmentToken));
    if (!found) throw invalidToken('The enrollment token is not valid. Open the enrollment link again, or ask your IT administrator for a new one.');
    if (found.platform !== 'Android') {
      throw new EnvelopeError('WrongPlatform', 403, `This enrollment token is for ${found.platform} devices, not Android. Ask your IT administrator for an Android enrollment token.`, 'enrollmentToken');
    }
    this.#checkUsable(found);
    const { tenantId } = found;
    const deviceId = this.#newId();
    const credential = generateKnoxCredential();
    const facts = request.device;
    const replaced = await this.#transact(async (stores) => {
      const token = await stores.enrollmentTokens.lockForUpdate(tenantId, found.id);
      if (!token) throw invalidToken('The enrollment token is not valid. Ask your IT administrator for a new one.');
      this.#checkUsable(token);
      const previous = await stores.knoxAgent.lockSameDevice(tenantId, facts.serialNumber);
      if (previous) await stores.devices.delete(tenantId, previous.deviceId);
      await stores.devices.insert(tenantId, deviceId, {
        deviceName: facts.deviceName ?? `${facts.model ?? 'Samsung'} ${facts.serialNumber}`.slice(0, 256),
        operatingSystem: 'Android',
        osVersion: facts.androidVersion,
        model: facts.model ?? null,
        androidManagementMode: 'knox',
        userId: token.userId,
      });
      await stores.knoxAgent.insert(tenantId, {
        deviceId,
        credentialSha256: hashKnoxCredential(credential),
        serialNumber: facts.serialNumber,
        androidVersion: facts.androidVersion,
        knoxVersion: facts.knoxVersion ?? null,
        fcmToken: facts.fcmToken ?? null,
        tokenId: token.id,
      });
      if (!(await stores.enrollmentTokens.incrementUsed(tenantId, token.id))) throw deviceCapReached();
      return previous?.deviceId ?? null;
    });
    this.#log.info({ tenantId, deviceId, replacedDeviceId: replaced, knoxVersion: facts.knoxVersion ?? null }, 'knox: device enrolled');
    return { deviceId, credential, apiUrl, pollIntervalSeconds: this.#pollIntervalSeconds };
  }

  #checkUsable(token: EnrollmentTokenRecord): void {
    if (token.revokedDateTime !== null) throw invalidToken('This enrollment token was revoked. Ask your IT administrator for a new one.');
    if (Date.parse(token.expirationDateTime) <= this.#now().getTime()) {
      throw invalidToken(`This enrollment token expired on ${token.expirationDateTime}. Ask your IT administrator for a new one.`);
    }
    if (token.usedCount >= token.maxDevices) throw deviceCapReached();
  }
}

function invalidToken(message: string): EnvelopeError {
  return new EnvelopeError('InvalidEnrollmentToken', 401, message, 'enrollmentToken');
}

function deviceCapReached(): EnvelopeError {
  return new EnvelopeError('DeviceCapReached', 403, 'This enrollment token has enrolled all the devices it may. Remove an old device or ask your IT administrator for a new token.', 'enrollmentToken');
}
