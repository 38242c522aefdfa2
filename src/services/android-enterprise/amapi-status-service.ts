import { randomUUID } from 'node:crypto';
import { conflict, forbidden, serviceUnavailable, unauthenticated, unprocessable } from '../../domain/errors.ts';
import type { DeliveryError } from '../../domain/delivery/index.ts';
import { AmapiError, type AmapiDevice } from '../../protocols/amapi/amapi-client.ts';
import { decodeAmapiNotification, enterpriseOfDevice, type PubsubPushBody } from '../../protocols/amapi/pubsub-push.ts';
import type { AmapiDeviceRecord, AmapiPolicyCommand, AndroidEnterpriseStore } from '../../store/postgres/android-enterprise-store.ts';
import type { Transactor } from '../../store/postgres/stores.ts';
import type { DeliveryResult, DeliveryService } from '../delivery/delivery-service.ts';
import { hashEnrollmentToken } from '../enrollment/enrollment-token-service.ts';
import { mailAppLabel, mergedDevicePolicy } from './amapi-policy.ts';
import type { AmapiTenantClients } from './amapi-tenant-clients.ts';
import { hashPubsubToken } from './android-enterprise-settings-service.ts';

interface StatusLog {
  info(details: object, message: string): void;
  warn(details: object, message: string): void;
}

/** What Envelope puts in an AMAPI enrollment token's `additionalData`; Google hands it back in `Device.enrollmentTokenData`. */
export interface EnrollmentTokenData {
  envelopeTenantId: string;
  envelopeEnrollmentTokenId: string;
}

export interface AndroidEnterpriseEnrollment {
  /** The AMAPI enrollment token value (what the QR code carries). */
  enrollmentToken: string;
  /** The provisioning JSON to show as a QR code. */
  qrCode: string;
  /** The enrollment link for a personally owned device (work profile). */
  enrollmentLink: string;
  expirationDateTime: string;
}

/** Non-compliance reasons that mean "not applied yet", not a failure. */
const unsettledReasons = new Set(['PENDING', 'USER_ACTION']);

/**
 * Android Enterprise status and enrollment (docs/decisions/0020):
 * - Pub/Sub push notifications, authenticated by the per-tenant token in the push URL.
 *   `ENROLLMENT` creates the Envelope device the enrollment token's `additionalData` names (Android,
 *   work profile, the token's user). `STATUS_REPORT` settles the commands carried by policy versions
 *   up to `appliedPolicyVersion`: acknowledged when no `nonComplianceDetails` names their app, else
 *   failed — `APP_NOT_INSTALLED` transient ("Gmail is not installed in the work profile"; a later
 *   report showing it installed retries the profile at once), others (INVALID_VALUE…) terminal.
 *   Application reports then verify what is installed. At-least-once delivery: a message id seen
 *   before changes nothing, and every result is idempotent anyway. A report ahead of the versions
 *   Envelope recorded (the patch is still being recorded) is answered 503 so Pub/Sub redelivers it.
 * - Enrollment: an Envelope Android enrollment token becomes an AMAPI enrollment token (QR / link).
 */
export class AmapiStatusService {
  readonly #store: AndroidEnterpriseStore;
  readonly #transact: Transactor;
  readonly #delivery: DeliveryService;
  readonly #clients: AmapiTenantClients;
  readonly #sync: { nudge(): void };
  readonly #log: StatusLog;
  readonly #now: () => number;
  /** Enrollment policies written by this process, per settings version. */
  readonly #enrollmentPolicies = new Set<string>();

  constructor(deps: { store: AndroidEnterpriseStore; transact: Transactor; delivery: DeliveryService; clients: AmapiTenantClients; sync: { nudge(): void }; log: StatusLog; now?: () => number }) {
    this.#store = deps.store;
    this.#transact = deps.transact;
    this.#delivery = deps.delivery;
    this.#clients = deps.clients;
    this.#sync = deps.sync;
    this.#log = deps.log;
    this.#now = deps.now ?? Date.now;
  }

  /** The tenant whose Pub/Sub push token this is; 401 for none or an unknown one. */
  async authenticatePush(token: string | undefined): Promise<string> {
    if (token === undefined || token === '') throw unauthenticated('The Pub/Sub push URL must carry the token Envelope issued (?token=…).');
    const tenantId = await this.#store.tenantByPubsubToken(hashPubsubToken(token));
    if (tenantId === null) throw unauthenticated('Unknown Pub/Sub push token.');
    return tenantId;
  }

  /** Processes one push; returns what it did. Throws 400 for a malformed body, 503 to have Pub/Sub redeliver. */
  async handlePush(tenantId: string, body: PubsubPushBody): Promise<'processed' | 'duplicate' | 'ignored'> {
    const notification = decodeAmapiNotification(body);
    if (await this.#store.seenMessage(tenantId, notification.messageId)) return 'duplicate';
    let outcome: 'processed' | 'ignored' = 'ignored';
    if (notification.device !== null) {
      outcome = notification.notificationType === 'ENROLLMENT' ? await this.#enrolled(tenantId, notification.device) : await this.#statusReport(tenantId, notification.device);
    }
    await this.#store.recordMessage(tenantId, notification.messageId);
    return outcome;
  }

  async #enrolled(tenantId: string, device: AmapiDevice): Promise<'processed' | 'ignored'> {
    const name = device.name!;
    if ((await this.#store.deviceByAmapiName(tenantId, name)) !== null) return 'ignored';
    const data = enrollmentTokenDataOf(device.enrollmentTokenData);
    if (data === null || data.envelopeTenantId !== tenantId) {
      this.#log.warn({ tenantId, amapiDevice: name }, 'android enterprise: an enrolled device carries no Envelope enrollment token of this tenant; ignored');
      return 'ignored';
    }
    const now = this.#now();
    const created = await this.#transact(async (stores) => {
      const token = await stores.enrollmentTokens.lockForUpdate(tenantId, data.envelopeEnrollmentTokenId);
      // A redelivery racing with the first delivery (another process) finds the device here.
      if ((await stores.androidEnterprise.deviceByAmapiName(tenantId, name)) !== null) return 'known' as const;
      if (token === null || token.revokedDateTime !== null || token.usedCount >= token.maxDevices) return null;
      const deviceId = randomUUID();
      await stores.devices.insert(tenantId, deviceId, {
        deviceName: [device.hardwareInfo?.brand, device.hardwareInfo?.model].filter(Boolean).join(' ') || 'Android work profile',
        operatingSystem: 'Android',
        osVersion: device.softwareInfo?.androidVersion ?? '',
        model: device.hardwareInfo?.model ?? null,
        androidManagementMode: 'workProfile',
        userId: token.userId,
      });
      await stores.androidEnterprise.insertDevice(tenantId, { deviceId, amapiDeviceName: name, policyName: `${enterpriseOfDevice(name)}/policies/envelope-${deviceId}` }, now);
      await stores.enrollmentTokens.incrementUsed(tenantId, token.id);
      return deviceId;
    });
    if (created === 'known') return 'ignored';
    if (created === null) {
      this.#log.warn({ tenantId, amapiDevice: name, enrollmentTokenId: data.envelopeEnrollmentTokenId }, 'android enterprise: the enrollment token is revoked, used up or gone; the device was not added');
      return 'ignored';
    }
    this.#log.info({ tenantId, deviceId: created, amapiDevice: name }, 'android enterprise: work profile enrolled');
    this.#sync.nudge();
    return 'processed';
  }

  async #statusReport(tenantId: string, device: AmapiDevice): Promise<'processed' | 'ignored'> {
    const record = await this.#store.deviceByAmapiName(tenantId, device.name!);
    if (record === null) return 'ignored';
    const now = this.#now();
    if (device.state === 'DELETED') {
      // The work profile is gone, and with it what the policy put there; nothing more is patched for it.
      await this.#delivery.deviceUnenrolled(tenantId, record.deviceId, now);
      await this.#store.deleteDevice(tenantId, record.deviceId);
      this.#log.info({ tenantId, deviceId: record.deviceId, amapiDevice: device.name }, 'android enterprise: work profile deleted (unenrolled)');
      return 'processed';
    }
    const applied = device.appliedPolicyName === record.policyName ? Number(device.appliedPolicyVersion) : null;
    if (applied !== null && Number.isSafeInteger(applied) && applied > (record.lastPolicyVersion ?? 0)) {
      // The patch that made this version is still being recorded: have Pub/Sub bring it back.
      throw serviceUnavailable(`Policy version ${applied} of this device is not recorded yet; redeliver.`, undefined, 1);
    }
    await this.#store.recordReport(tenantId, record.deviceId, applied !== null && Number.isSafeInteger(applied) ? applied : null, now);
    const details = device.nonComplianceDetails ?? [];
    let retrySoon = false;
    if (applied !== null && Number.isSafeInteger(applied)) {
      for (const command of await this.#store.unresolvedUpTo(tenantId, record.deviceId, applied)) {
        const result = resultFor(command, details);
        if (result === null) continue;
        await this.#delivery.recordResult(tenantId, record.deviceId, command.commandId, result, now);
        await this.#store.resolve(tenantId, command.commandId, result.kind === 'failed' ? result.error.code : null, now);
        if (result.kind === 'failed' && result.error.errorClass === 'transient') retrySoon = true;
      }
    }
    retrySoon = (await this.#retryInstalledApps(tenantId, record, device, details)) || retrySoon;
    if (Array.isArray(device.applicationReports)) {
      const installed = new Set(device.applicationReports.filter((app) => app.state === 'INSTALLED').map((app) => app.packageName));
      const latest = new Map((await this.#store.latestCommands(tenantId, record.deviceId)).map((command) => [command.profileId, command]));
      await this.#delivery.verifyInventory(tenantId, record.deviceId, ({ profileId }) => {
        const command = latest.get(profileId);
        return command === undefined || (installed.has(command.packageName) && !details.some((d) => d.packageName === command.packageName));
      }, now);
    }
    if (retrySoon) {
      const retryAt = await this.#store.deliveryNextAttempt(tenantId, record.deviceId);
      await this.#store.requestSync(tenantId, [record.deviceId], retryAt ?? now);
      this.#sync.nudge();
    }
    return 'processed';
  }

  /** Profiles that failed because their app was missing, now installed: retried at once. */
  async #retryInstalledApps(tenantId: string, record: AmapiDeviceRecord, device: AmapiDevice, details: NonNullable<AmapiDevice['nonComplianceDetails']>): Promise<boolean> {
    const installed = new Set((device.applicationReports ?? []).filter((app) => app.state === 'INSTALLED').map((app) => app.packageName));
    let retried = false;
    for (const command of await this.#store.latestCommands(tenantId, record.deviceId)) {
      if (command.failureCode !== 'APP_NOT_INSTALLED') continue;
      const stillMissing = details.some((d) => d.packageName === command.packageName && d.nonComplianceReason === 'APP_NOT_INSTALLED');
      if (stillMissing || !(installed.has(command.packageName) || device.applicationReports === undefined)) continue;
      await this.#delivery.resend(tenantId, command.profileId, { deviceIds: [record.deviceId], statuses: ['error'] });
      await this.#store.clearFailure(tenantId, command.commandId);
      await this.#store.requestSync(tenantId, [record.deviceId], this.#now());
      retried = true;
    }
    return retried;
  }

  /**
   * Turns an Envelope Android enrollment token into an AMAPI enrollment token for a work profile
   * (valid one hour, one device) whose `additionalData` names the Envelope token. 401 for an unknown
   * token, 403 for one that is revoked, expired, used up or not for Android; 409 when the tenant has
   * no Android Enterprise settings; 503 when Google cannot be reached or the quota is spent.
   */
  async createEnrollment(envelopeToken: string): Promise<AndroidEnterpriseEnrollment> {
    const found = await this.#transact((stores) => stores.enrollmentTokens.findByHash(hashEnrollmentToken(envelopeToken)));
    if (found === null) throw unauthenticated('Unknown enrollment token.');
    if (found.platform !== 'Android') throw forbidden(`This enrollment token is for ${found.platform} devices, not Android. Ask your IT administrator for an Android enrollment token.`);
    if (found.revokedDateTime !== null) throw forbidden('This enrollment token was revoked. Ask your IT administrator for a new one.');
    if (Date.parse(found.expirationDateTime) <= this.#now()) throw forbidden(`This enrollment token expired on ${found.expirationDateTime}. Ask your IT administrator for a new one.`);
    if (found.usedCount >= found.maxDevices) throw forbidden('This enrollment token has enrolled as many devices as it may. Ask your IT administrator for a new one.');
    const amapi = await this.#clients.forTenant(found.tenantId);
    if (amapi === null) throw conflict('Android Enterprise is not set up for this organisation (PUT /envelope/androidEnterpriseSettings).');
    const enterprise = amapi.settings.enterpriseName;
    const policyName = `${enterprise}/policies/envelope-enrollment`;
    try {
      const cacheKey = `${found.tenantId}|${amapi.settings.version}`;
      if (!this.#enrollmentPolicies.has(cacheKey)) {
        await amapi.client.patchPolicy(policyName, mergedDevicePolicy([]));
        this.#enrollmentPolicies.add(cacheKey);
      }
      const data: EnrollmentTokenData = { envelopeTenantId: found.tenantId, envelopeEnrollmentTokenId: found.id };
      const token = await amapi.client.createEnrollmentToken(enterprise, {
        policyName,
        additionalData: JSON.stringify(data),
        duration: '3600s',
        oneTimeOnly: true,
        allowPersonalUsage: 'PERSONAL_USAGE_ALLOWED',
      });
      if (!token.value) throw new AmapiError('transient', 'enrollmentTokens.create answered without a value', null, null);
      return {
        enrollmentToken: token.value,
        qrCode: token.qrCode ?? '',
        enrollmentLink: `https://enterprise.google.com/android/enroll?et=${encodeURIComponent(token.value)}`,
        expirationDateTime: token.expirationTimestamp ?? new Date(this.#now() + 3600_000).toISOString(),
      };
    } catch (error) {
      if (!(error instanceof AmapiError)) throw error;
      if (error.kind === 'rejected') throw unprocessable('AmapiRejected', error.message);
      throw serviceUnavailable(`Google's Android Management API cannot issue an enrollment token now: ${error.message}`, undefined, Math.ceil((error.retryAfterMs ?? 30_000) / 1000));
    }
  }
}

/** The device's verdict on one command, or null when it is not settled yet. */
function resultFor(command: AmapiPolicyCommand, details: NonNullable<AmapiDevice['nonComplianceDetails']>): DeliveryResult | null {
  if (command.kind === 'remove') return { kind: 'acknowledged' };
  const mine = details.filter((detail) => detail.packageName === command.packageName);
  if (mine.length === 0) return { kind: 'acknowledged' };
  if (mine.every((detail) => unsettledReasons.has(detail.nonComplianceReason ?? ''))) return null;
  const detail = mine.find((d) => !unsettledReasons.has(d.nonComplianceReason ?? ''))!;
  return { kind: 'failed', error: errorOf(command.packageName, detail) };
}

function errorOf(packageName: string, detail: NonNullable<AmapiDevice['nonComplianceDetails']>[number]): DeliveryError {
  const app = mailAppLabel(packageName);
  const reason = detail.nonComplianceReason ?? 'NON_COMPLIANCE_REASON_UNSPECIFIED';
  if (reason === 'APP_NOT_INSTALLED') {
    const how = detail.installationFailureReason ? `installation failed: ${detail.installationFailureReason}` : 'the user installs it from managed Google Play in the work profile';
    return { errorClass: 'transient', code: reason, message: `${app} is not installed in the work profile (${how}); Envelope delivers the account once it is` };
  }
  const where = detail.fieldPath ? ` at ${detail.fieldPath}` : '';
  return { errorClass: 'terminal', code: reason, message: `the device refused ${app}'s managed configuration${where}` };
}

function enrollmentTokenDataOf(text: string | null | undefined): EnrollmentTokenData | null {
  if (!text) return null;
  try {
    const data = JSON.parse(text) as Partial<EnrollmentTokenData>;
    return typeof data.envelopeTenantId === 'string' && typeof data.envelopeEnrollmentTokenId === 'string' ? { envelopeTenantId: data.envelopeTenantId, envelopeEnrollmentTokenId: data.envelopeEnrollmentTokenId } : null;
  } catch {
    return null;
  }
}
