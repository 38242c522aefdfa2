import { badRequest, forbidden } from '../../domain/errors.ts';
import type { DeviceOperatingSystem } from '../../domain/directory.ts';
import { resolveEnrollment, type AuthenticateMessage, type TokenUpdateMessage } from '../../protocols/apple-mdm/index.ts';
import type { AppleEnrollmentRecord } from '../../store/postgres/apple-enrollment-store.ts';
import type { DeviceFields } from '../../store/postgres/device-store.ts';
import type { Transactor } from '../../store/postgres/stores.ts';

export interface AppleEnrollmentServiceDeps {
  transact: Transactor;
  newId: () => string;
  now?: () => Date;
}

/** What `completeAppleEnrollment` did. */
export interface CompletedAppleEnrollment {
  tenantId: string;
  /** UDID, or EnrollmentID under User Enrollment. */
  enrollmentId: string;
  /** The managed device (`/deviceManagement/managedDevices/{id}`), created or reused. */
  deviceId: string;
  userId: string;
  /** False when this Authenticate repeated one already completed (the device retried): nothing was counted. */
  counted: boolean;
}

/**
 * The MDM channel state behind the check-in endpoint: it turns a served enrollment profile into an
 * enrolled device. Callers (the check-in skin) have verified the `Mdm-Signature` header and pass the
 * signer certificate's SHA-256 (hex); every refusal here is a 403 EnvelopeError, which the skin answers
 * without ever sending 401 (that would unenroll the device).
 */
export class AppleEnrollmentService {
  readonly #transact: Transactor;
  readonly #newId: () => string;
  readonly #now: () => Date;

  constructor(deps: AppleEnrollmentServiceDeps) {
    this.#transact = deps.transact;
    this.#newId = deps.newId;
    this.#now = deps.now ?? (() => new Date());
  }

  /**
   * Completes an enrollment on the device's `Authenticate`, in one transaction:
   * - the certificate must be the identity of a served profile (a pending enrollment) that has not
   *   expired, whose `Topic` the message repeats, and whose token is not revoked and has room
   *   (`usedCount < maxDevices`; the token's own expiry limits downloads, not completions);
   * - the managed device is reused when this enrollment id (UDID) enrolled before, else created, with
   *   the token's user as primary user, `iPadOS` when `ProductName`/`Model` names an iPad, else `iOS`;
   * - the certificate is bound to the enrollment (a certificate bound to another enrollment is
   *   refused), and the token's `usedCount` goes up by one.
   * The same Authenticate again (same certificate, same enrollment) changes and counts nothing.
   */
  async completeAppleEnrollment(certificateSha256: string, message: AuthenticateMessage): Promise<CompletedAppleEnrollment> {
    const hash = certificateHashOrThrow(certificateSha256);
    const enrollment = resolveEnrollment(message);
    if (!enrollment) throw badRequest('The Authenticate message names no UDID or EnrollmentID.', 'UDID');
    return this.#transact(async (stores) => {
      const pending = await stores.appleEnrollments.lockPendingByCertificate(hash);
      if (!pending) throw refused('its identity certificate was not issued in an enrollment profile');
      const bound = await stores.appleEnrollments.findByCertificate(hash);
      if (bound) {
        if (bound.tenantId === pending.tenantId && bound.enrollmentId === enrollment.id) {
          return { tenantId: bound.tenantId, enrollmentId: bound.enrollmentId, deviceId: bound.deviceId, userId: pending.userId, counted: false };
        }
        throw refused('its identity certificate is bound to another enrollment');
      }
      if (pending.completedAt !== null) throw refused('its enrollment profile was used already');
      if (pending.expiresAt.getTime() <= this.#now().getTime()) throw refused('its enrollment profile expired before it was installed');
      if (message.Topic !== pending.topic) throw refused(`it names the topic '${message.Topic}', not the profile's`);
      const token = await stores.enrollmentTokens.lockForUpdate(pending.tenantId, pending.tokenId);
      if (!token || token.revokedDateTime !== null) throw refused('its enrollment token was revoked');
      if (token.usedCount >= token.maxDevices) throw refused('its enrollment token has enrolled all the devices it may');

      const fields = deviceFieldsOf(message, pending.userId);
      const previous = await stores.appleEnrollments.get(pending.tenantId, enrollment.id);
      const deviceId = previous ? previous.deviceId : this.#newId();
      if (previous) await stores.devices.update(pending.tenantId, deviceId, fields);
      else await stores.devices.insert(pending.tenantId, deviceId, fields);
      await stores.appleEnrollments.upsert(pending.tenantId, {
        enrollmentId: enrollment.id,
        deviceId,
        certificateSha256: hash,
        enrollmentType: enrollment.type,
        serialNumber: message.SerialNumber ?? null,
        topic: message.Topic,
      });
      await stores.appleEnrollments.markPendingCompleted(pending.tenantId, pending.id);
      await stores.enrollmentTokens.incrementUsed(pending.tenantId, pending.tokenId);
      return { tenantId: pending.tenantId, enrollmentId: enrollment.id, deviceId, userId: pending.userId, counted: true };
    });
  }

  /**
   * Records a `TokenUpdate`: the push token (hex) and `PushMagic` APNs pushes need, the topic, one more
   * in the tally, and the time. The certificate must be bound to the message's enrollment (device
   * channel only: a user-channel TokenUpdate is refused, Envelope manages the device channel).
   */
  async recordTokenUpdate(certificateSha256: string, message: TokenUpdateMessage): Promise<AppleEnrollmentRecord> {
    const hash = certificateHashOrThrow(certificateSha256);
    const enrollment = resolveEnrollment(message);
    if (!enrollment) throw badRequest('The TokenUpdate message names no UDID or EnrollmentID.', 'UDID');
    if (enrollment.userChannelId !== undefined) throw refused('Envelope serves the device channel only, not user channels');
    return this.#transact(async (stores) => {
      const bound = await stores.appleEnrollments.findByCertificate(hash);
      if (!bound || bound.enrollmentId !== enrollment.id) throw refused('its identity certificate is not bound to this enrollment');
      if (message.Topic !== bound.topic) throw refused(`it names the topic '${message.Topic}', not its enrollment's`);
      const updated = await stores.appleEnrollments.recordTokenUpdate(bound.tenantId, bound.enrollmentId, {
        pushTokenHex: message.tokenHex,
        pushMagic: message.PushMagic,
        topic: message.Topic,
      });
      if (!updated) throw refused('its enrollment no longer exists');
      return updated;
    });
  }
}

function refused(reason: string) {
  return forbidden(`The device is not enrolled: ${reason}.`);
}

function certificateHashOrThrow(hex: string): Buffer {
  if (!/^[0-9a-fA-F]{64}$/.test(hex)) throw badRequest('certificateSha256 must be 64 hex digits.', 'certificateSha256');
  return Buffer.from(hex, 'hex');
}

/** The managed-device fields an iOS Authenticate gives (DeviceName comes from macOS only; iOS sends the model id). */
function deviceFieldsOf(message: AuthenticateMessage, userId: string): DeviceFields {
  const model = message.Model ?? message.ProductName ?? null;
  const operatingSystem: DeviceOperatingSystem = /^iPad/.test(model ?? '') ? 'iPadOS' : 'iOS';
  const family = operatingSystem === 'iPadOS' ? 'iPad' : 'iPhone';
  return {
    deviceName: (message.DeviceName ?? (message.SerialNumber ? `${family} ${message.SerialNumber}` : family)).slice(0, 256),
    operatingSystem,
    osVersion: message.OSVersion ?? 'unknown',
    model: model === null ? null : model.slice(0, 128),
    androidManagementMode: null,
    userId,
  };
}
