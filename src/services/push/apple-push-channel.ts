import type { ApplePushTargetStore } from '../../store/postgres/apple-push-target-store.ts';
import type { ApnsProviderCache } from './apns-provider-cache.ts';
import type { WakeChannel, WakeOutcome } from './wake-channel.ts';
import type { WakeLog } from './wake-log.ts';

/**
 * APNs answers that mean the token itself is dead: the device uninstalled the MDM profile, or the
 * token belongs to another topic. Other permanent answers (BadCertificate, Forbidden, BadTopic…)
 * concern the tenant's certificate, not the device.
 */
const deadTokenReasons: ReadonlySet<string> = new Set(['Unregistered', 'BadDeviceToken', 'DeviceTokenNotForTopic', 'ExpiredToken']);

/**
 * Wakes enrolled Apple devices with an MDM push (`{"mdm": PushMagic}` to the token of their last
 * TokenUpdate) through the tenant's push certificate. A device without a token is not this
 * channel's to push (absent from the answer). A dead token is cleared, so the device is not pushed
 * again until its next TokenUpdate; a certificate problem is logged as an error; both drop the wake.
 * A tenant without a push certificate drops its wakes quietly (debug log).
 */
export class ApplePushChannel implements WakeChannel {
  readonly name = 'apns';
  readonly #targets: ApplePushTargetStore;
  readonly #providers: ApnsProviderCache;
  readonly #log: WakeLog;

  constructor(deps: { targets: ApplePushTargetStore; providers: ApnsProviderCache; log: WakeLog }) {
    this.#targets = deps.targets;
    this.#providers = deps.providers;
    this.#log = deps.log;
  }

  async wake(tenantId: string, deviceIds: readonly string[]): Promise<Map<string, WakeOutcome>> {
    const outcomes = new Map<string, WakeOutcome>();
    const targets = await this.#targets.targets(tenantId, deviceIds);
    if (targets.length === 0) return outcomes;
    const provider = await this.#providers.providerFor(tenantId);
    if (provider === null) {
      this.#log.debug({ tenantId, devices: targets.length }, 'wake: the tenant has no usable push certificate; Apple wakes dropped');
      for (const target of targets) outcomes.set(target.deviceId, { kind: 'dropped', reason: 'noPushCertificate' });
      return outcomes;
    }
    const results = await provider.push(targets.map((target) => ({ token: target.pushTokenHex, pushMagic: target.pushMagic })));
    const certificateProblems = new Map<string, number>();
    for (const [index, result] of results.entries()) {
      const target = targets[index]!;
      if (result.ok) {
        outcomes.set(target.deviceId, { kind: 'sent' });
      } else if (!result.permanent) {
        outcomes.set(target.deviceId, { kind: 'retry', reason: result.reason, ...(result.retryAfter === undefined ? {} : { retryAfterMs: result.retryAfter * 1000 }) });
      } else if (deadTokenReasons.has(result.reason)) {
        const cleared = await this.#targets.clearPushToken(tenantId, target.deviceId, target.pushTokenHex);
        this.#log.info({ tenantId, deviceId: target.deviceId, status: result.status, reason: result.reason, cleared }, 'wake: APNs refused the device token; cleared until the device sends a new TokenUpdate');
        outcomes.set(target.deviceId, { kind: 'dropped', reason: result.reason });
      } else {
        certificateProblems.set(result.reason, (certificateProblems.get(result.reason) ?? 0) + 1);
        outcomes.set(target.deviceId, { kind: 'dropped', reason: result.reason });
      }
    }
    for (const [reason, devices] of certificateProblems) {
      this.#log.error({ tenantId, reason, devices }, 'wake: APNs refused pushes with the tenant\'s push certificate; check or renew it');
    }
    return outcomes;
  }

  close(): Promise<void> {
    return this.#providers.close();
  }
}
