import { randomUUID } from 'node:crypto';
import { isEnvelopeError } from '../../domain/errors.ts';
import type { DeliveryError } from '../../domain/delivery/index.ts';
import type { AndroidEnterpriseEmailProfile } from '../../payloads/android/android-profile-input.ts';
import { renderManagedConfigPolicy } from '../../payloads/android/render-managed-config.ts';
import { AmapiError } from '../../protocols/amapi/amapi-client.ts';
import type { AndroidEnterpriseSettingsInfo, AndroidEnterpriseStore, ClaimedAmapiDevice } from '../../store/postgres/android-enterprise-store.ts';
import type { Stores } from '../../store/postgres/stores.ts';
import type { DeliveryCommand, DeliveryService } from '../delivery/delivery-service.ts';
import { androidCertificateRef } from '../rendering/render-inputs.ts';
import { mailAppPackageOf, mergedDevicePolicy } from './amapi-policy.ts';
import type { AmapiTenantClients } from './amapi-tenant-clients.ts';

export interface AmapiSyncOptions {
  pollIntervalMs: number;
  /** Devices claimed per poll. */
  batchSize: number;
  /** A claim lasts this long without being settled; must exceed delivery's re-offer delay (60 s). */
  leaseMs: number;
  /** Commands taken from the delivery core per device sync. */
  maxCommandsPerSync: number;
  /** Wait before trying a device again after a transient failure. */
  retryAfterMs: number;
  /** Claimed devices synced at once (each waits on Google's answer most of its time). */
  concurrency: number;
}

export const defaultAmapiSyncOptions: Readonly<AmapiSyncOptions> = Object.freeze({
  pollIntervalMs: 1000,
  batchSize: 50,
  leaseMs: 120_000,
  maxCommandsPerSync: 50,
  retryAfterMs: 30_000,
  concurrency: 8,
});

interface SyncLog {
  info(details: object, message: string): void;
  warn(details: object, message: string): void;
  error(details: object, message: string): void;
}

/** What one device sync did. */
export type DeviceSyncOutcome = 'patched' | 'unchanged' | 'deferred' | 'rejected' | 'noSettings';

/**
 * Delivers Android Enterprise work-profile email through the Android Management API
 * (docs/decisions/0020). Google applies policies itself, so a "check-in" is Envelope's own: when a
 * device is woken (`AmapiWakeChannel` marks it due) or an earlier attempt is due again, a worker
 * claims it (SKIP LOCKED, leased: any number of workers in any number of processes), takes the
 * device's commands from the delivery core (`DeliveryService.checkIn`: install / update / remove
 * per profile), renders each profile's Gmail or Nine Work managed configuration for the user, and
 * records the command with its `applications[]` entry before any call to Google. It then writes the
 * device's one merged policy (`policies.patch`, through the project's rate limiter), gives the
 * device that policy when it has another (`devices.patch`), and records which policy version carries
 * which commands. The Pub/Sub status report with that `appliedPolicyVersion` then settles them
 * (`AmapiStatusService`).
 *
 * Crash-safe: a worker that dies leaves its claim to expire; the next one finds the recorded but
 * unpatched commands (and the delivery core re-offers any command it had handed out) and patches
 * again. A quota answer (429) or Envelope's own limiter defers the device, never a command.
 */
export class AmapiSyncWorker {
  readonly #store: AndroidEnterpriseStore;
  readonly #stores: Pick<Stores, 'profiles' | 'users'>;
  readonly #delivery: DeliveryService;
  readonly #clients: AmapiTenantClients;
  readonly #log: SyncLog;
  readonly #options: AmapiSyncOptions;
  readonly #now: () => number;
  #running = false;
  #timer: NodeJS.Timeout | null = null;
  #current: Promise<void> | null = null;
  #nudged = false;
  #prunedAt = 0;

  constructor(deps: {
    store: AndroidEnterpriseStore;
    stores: Pick<Stores, 'profiles' | 'users'>;
    delivery: DeliveryService;
    clients: AmapiTenantClients;
    log: SyncLog;
    options?: Partial<AmapiSyncOptions>;
    now?: () => number;
  }) {
    this.#store = deps.store;
    this.#stores = deps.stores;
    this.#delivery = deps.delivery;
    this.#clients = deps.clients;
    this.#log = deps.log;
    this.#options = { ...defaultAmapiSyncOptions, ...deps.options };
    this.#now = deps.now ?? Date.now;
  }

  start(): void {
    if (this.#running) return;
    this.#running = true;
    this.#schedule(0);
  }

  async stop(): Promise<void> {
    this.#running = false;
    if (this.#timer !== null) clearTimeout(this.#timer);
    this.#timer = null;
    await this.#current;
  }

  /** Polls at once (a device was just marked due in this process). */
  nudge(): void {
    if (!this.#running) return;
    if (this.#current !== null) {
      this.#nudged = true;
      return;
    }
    this.#schedule(0);
  }

  /** One poll: claims due devices (one batch) and syncs each. Returns how many were claimed. Rejects when the database does. */
  async pollOnce(): Promise<number> {
    const claim = randomUUID();
    const devices = await this.#store.claimDue(claim, this.#options.batchSize, this.#options.leaseMs, this.#now());
    let next = 0;
    const lane = async () => {
      while (next < devices.length) await this.#syncClaimed(claim, devices[next++]!);
    };
    await Promise.all(Array.from({ length: Math.min(this.#options.concurrency, devices.length) }, lane));
    return devices.length;
  }

  #schedule(delayMs: number): void {
    if (!this.#running) return;
    if (this.#timer !== null) clearTimeout(this.#timer);
    this.#timer = setTimeout(() => {
      this.#timer = null;
      this.#current = this.#loop().finally(() => {
        this.#current = null;
      });
    }, delayMs);
  }

  async #loop(): Promise<void> {
    let delay = this.#options.pollIntervalMs;
    try {
      this.#nudged = false;
      if ((await this.pollOnce()) > 0 || this.#nudged) delay = 0;
      await this.#pruneMessages();
    } catch (error) {
      this.#log.warn({ err: error }, 'android enterprise: sync poll failed; trying again shortly');
      delay = Math.max(this.#options.pollIntervalMs, 1000);
    }
    this.#schedule(delay);
  }

  /**
   * Every 10 minutes: forgets Pub/Sub message ids older than 8 days (Pub/Sub redelivers for at most
   * 7), a batch at a time.
   */
  async #pruneMessages(): Promise<void> {
    const now = this.#now();
    if (now - this.#prunedAt < 10 * 60_000) return;
    this.#prunedAt = now;
    await this.#store.pruneMessages(now - 8 * 24 * 3600_000);
  }

  async #syncClaimed(claim: string, device: ClaimedAmapiDevice): Promise<DeviceSyncOutcome> {
    const now = this.#now();
    const amapi = await this.#clients.forTenant(device.tenantId);
    if (amapi === null) {
      await this.#store.finishSync(claim, device, now + 10 * 60_000);
      return 'noSettings';
    }
    // No room in the project's quota: defer before any database work, spread over the next second
    // so the waiting devices do not all come back at once.
    const quotaWaitMs = amapi.client.quotaWaitMs();
    if (quotaWaitMs > 0) {
      await this.#store.finishSync(claim, device, now + quotaWaitMs + Math.floor(Math.random() * 1000));
      return 'deferred';
    }
    try {
      await this.#takeCommands(device, amapi.settings, now);
      const outcome = await this.#patchIfNeeded(device, amapi.client);
      const retryAt = await this.#store.deliveryNextAttempt(device.tenantId, device.deviceId);
      await this.#store.finishSync(claim, device, retryAt !== null && retryAt > now ? retryAt : null);
      return outcome;
    } catch (error) {
      if (error instanceof AmapiError && error.kind !== 'rejected') {
        const waitMs = error.retryAfterMs ?? this.#options.retryAfterMs;
        if (error.kind !== 'rateLimited') this.#log.warn({ tenantId: device.tenantId, deviceId: device.deviceId, reason: error.message, retryInMs: waitMs }, 'android enterprise: policy patch deferred');
        await this.#store.finishSync(claim, device, now + waitMs);
        return 'deferred';
      }
      if (error instanceof AmapiError) {
        await this.#rejectUnpatched(device, error, now);
        await this.#store.finishSync(claim, device, null);
        return 'rejected';
      }
      throw error;
    }
  }

  /** Takes the device's commands from the delivery core and records each with its policy entry. */
  async #takeCommands(device: ClaimedAmapiDevice, settings: AndroidEnterpriseSettingsInfo, now: number): Promise<void> {
    for (let taken = 0; taken < this.#options.maxCommandsPerSync; taken++) {
      const command = await this.#delivery.checkIn(device.tenantId, device.deviceId, now, { deviceContact: false });
      if (command === null) return;
      const entry = await this.#entryOf(device.tenantId, command, settings);
      if ('error' in entry) {
        await this.#delivery.recordResult(device.tenantId, device.deviceId, command.commandId, { kind: 'failed', error: entry.error }, now);
        continue;
      }
      await this.#store.insertCommand(device.tenantId, device.deviceId, { commandId: command.commandId, profileId: command.profileId, kind: command.kind, packageName: entry.packageName, application: entry.application });
    }
  }

  async #entryOf(tenantId: string, command: DeliveryCommand, settings: AndroidEnterpriseSettingsInfo): Promise<{ packageName: string; application: Record<string, unknown> | null } | { error: DeliveryError }> {
    const packageName = mailAppPackageOf(command.odataType);
    if (packageName === null) {
      return { error: { errorClass: 'terminal', code: 'notDeliverableByAmapi', message: `Envelope does not deliver '${command.odataType}' through the Android Management API; only Gmail and Nine Work email profiles` } };
    }
    if (command.kind === 'remove') return { packageName, application: null };
    const profile = await this.#stores.profiles.get(tenantId, command.profileId);
    const user = command.userId === null ? null : await this.#stores.users.get(tenantId, command.userId);
    if (profile === null || user === null) {
      return { error: { errorClass: 'terminal', code: 'renderFailed', message: profile === null ? 'the profile no longer exists' : 'the device\'s user no longer exists' } };
    }
    try {
      const input = { '@odata.type': profile.odataType, ...profile.settings } as unknown as AndroidEnterpriseEmailProfile;
      const certificate = profile.links.identityCertificate;
      const fragment = renderManagedConfigPolicy(input, user, certificate ? { identityCertificateAlias: androidCertificateRef(certificate).alias } : {});
      const app = fragment.applications[0]!;
      return { packageName, application: { packageName: app.packageName, installType: settings.mailAppInstallType, managedConfiguration: app.managedConfiguration } };
    } catch (error) {
      if (!isEnvelopeError(error)) throw error;
      return { error: { errorClass: 'terminal', code: error.code, message: error.message } };
    }
  }

  /** Patches the merged policy when a command waits for it or the device has not got its policy yet. */
  async #patchIfNeeded(device: ClaimedAmapiDevice, client: { patchPolicy: AmapiPatch; assignPolicy: AmapiAssign }): Promise<DeviceSyncOutcome> {
    const needsPatch = (await this.#store.hasUnpatched(device.tenantId, device.deviceId)) || device.lastPolicyVersion === null || !device.policyAssigned;
    if (!needsPatch) return 'unchanged';
    const latest = await this.#store.latestCommands(device.tenantId, device.deviceId);
    const maxSeq = latest.reduce((max, command) => Math.max(max, command.seq), 0);
    const patched = await client.patchPolicy(device.policyName, mergedDevicePolicy(latest));
    const version = Number(patched.version);
    if (!Number.isSafeInteger(version)) throw new AmapiError('transient', `policies.patch answered without a version (${String(patched.version)})`, null, null);
    if (!device.policyAssigned) await client.assignPolicy(device.amapiDeviceName, device.policyName);
    await this.#store.recordPatch(device.tenantId, device.deviceId, maxSeq, version);
    this.#log.info({ tenantId: device.tenantId, deviceId: device.deviceId, policyVersion: version, applications: latest.filter((c) => c.application !== null).length }, 'android enterprise: device policy patched');
    return 'patched';
  }

  /** Google refused the patch (4xx): the commands waiting for it fail terminally with Google's message. */
  async #rejectUnpatched(device: ClaimedAmapiDevice, error: AmapiError, now: number): Promise<void> {
    this.#log.error({ tenantId: device.tenantId, deviceId: device.deviceId, status: error.status, reason: error.message }, 'android enterprise: Google refused the device policy');
    for (const command of await this.#store.dropUnpatched(device.tenantId, device.deviceId)) {
      await this.#delivery.recordResult(device.tenantId, device.deviceId, command, { kind: 'failed', error: { errorClass: 'terminal', code: `AMAPI ${error.status ?? ''}`.trim(), message: error.message } }, now);
    }
  }
}

type AmapiPatch = (name: string, policy: ReturnType<typeof mergedDevicePolicy>) => Promise<{ version?: string | null }>;
type AmapiAssign = (deviceName: string, policyName: string) => Promise<unknown>;
