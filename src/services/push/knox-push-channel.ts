import https from 'node:https';
import tls from 'node:tls';
import { FcmClient, type FcmClientOptions } from '../../protocols/fcm/fcm-client.ts';
import { fcmEndpoints } from '../../protocols/fcm/fcm-endpoints.ts';
import type { FcmPushOutcome } from '../../protocols/fcm/fcm-outcome.ts';
import { parseServiceAccount } from '../../protocols/fcm/service-account.ts';
import type { KnoxAgentStore } from '../../store/postgres/knox-agent-store.ts';
import type { KnoxPushSettingsStore, StoredKnoxPushSettings } from '../../store/postgres/knox-push-settings-store.ts';
import { knoxPushSecretContext } from '../enrollment/knox-push-settings-service.ts';
import type { SecretBox } from '../secrets/secret-box.ts';
import type { WakeChannel, WakeOutcome } from './wake-channel.ts';
import type { WakeLog } from './wake-log.ts';
import { TenantPushClients, type TenantPushClient } from './tenant-push-clients.ts';

export type FcmClientTuning = Pick<FcmClientOptions, 'concurrency' | 'requestTimeoutMs' | 'now'>;

type TenantClient = TenantPushClient<FcmClient>;

/**
 * Wakes enrolled Knox agents with an FCM HTTP v1 data message to the registration token they
 * reported (decision 0019). An agent without a token, and every agent of a tenant without push
 * settings, is not this channel's (absent from the answer): they converge on their poll interval.
 *
 * One `FcmClient` per tenant, rebuilt when the settings' version changes. FCM answers map to wake
 * outcomes: 200 → `sent`; 404 `UNREGISTERED` → the token is cleared (only if unchanged) and
 * `dropped`; 429 `RESOURCE_EXHAUSTED` and 5xx → `retry` (honouring Retry-After); 401 after a fresh
 * token, 403 → `dropped`, logged once per tenant, reason and settings version; other 4xx → `dropped`.
 */
export class KnoxPushChannel implements WakeChannel {
  readonly name = 'fcm';
  readonly #targets: Pick<KnoxAgentStore, 'fcmTargets' | 'clearFcmToken'>;
  readonly #agent: https.Agent;
  readonly #log: WakeLog;
  readonly #clients: TenantPushClients<StoredKnoxPushSettings, FcmClient>;

  /** `fcmUrl`: ENVELOPE_FCM_URL (a stand-in's origin), or null for Google. `ca`: extra PEM roots (ENVELOPE_FCM_CA). */
  constructor(deps: {
    targets: Pick<KnoxAgentStore, 'fcmTargets' | 'clearFcmToken'>;
    settings: Pick<KnoxPushSettingsStore, 'getInfo' | 'get'>;
    box: SecretBox;
    fcmUrl: string | null;
    ca?: string | null;
    log: WakeLog;
    clientOptions?: FcmClientTuning;
  }) {
    this.#targets = deps.targets;
    const endpoints = fcmEndpoints(deps.fcmUrl);
    const tuning = deps.clientOptions ?? {};
    const agent = new https.Agent({ keepAlive: true, maxSockets: 32, ...(deps.ca ? { ca: [...tls.rootCertificates, deps.ca] } : {}) });
    this.#agent = agent;
    this.#log = deps.log;
    this.#clients = new TenantPushClients({
      settings: deps.settings,
      open: (tenantId, stored) => {
        const account = parseServiceAccount(deps.box.open(stored.sealedServiceAccount, knoxPushSecretContext(tenantId)).toString('utf8'));
        return new FcmClient({ ...tuning, account, endpoints, agent });
      },
      openFailed: (tenantId, error) => this.#log.error({ tenantId, err: error }, 'wake: the Firebase service account cannot be opened with this server\'s secret key; no FCM pushes for this tenant'),
    });
  }

  async wake(tenantId: string, deviceIds: readonly string[]): Promise<Map<string, WakeOutcome>> {
    const outcomes = new Map<string, WakeOutcome>();
    const targets = await this.#targets.fcmTargets(tenantId, deviceIds);
    if (targets.length === 0) return outcomes;
    const tenant = await this.#clients.forTenant(tenantId);
    if (tenant === null || tenant.client === null) {
      this.#log.debug({ tenantId, devices: targets.length }, 'wake: the tenant has no usable Knox push settings; agents are left to their poll interval');
      return outcomes;
    }
    const results = await tenant.client.push(targets.map((target) => target.fcmToken));
    for (const [index, result] of results.entries()) {
      const target = targets[index]!;
      outcomes.set(target.deviceId, await this.#settle(tenantId, tenant, target, result));
    }
    return outcomes;
  }

  async close(): Promise<void> {
    this.#clients.clear();
    this.#agent.destroy();
  }

  async #settle(tenantId: string, tenant: TenantClient, target: { deviceId: string; fcmToken: string }, result: FcmPushOutcome): Promise<WakeOutcome> {
    switch (result.kind) {
      case 'sent':
        return { kind: 'sent' };
      case 'retry':
        return { kind: 'retry', reason: result.reason, ...(result.retryAfterMs === undefined ? {} : { retryAfterMs: result.retryAfterMs }) };
      case 'tokenGone': {
        const cleared = await this.#targets.clearFcmToken(tenantId, target.deviceId, target.fcmToken);
        this.#log.info({ tenantId, deviceId: target.deviceId, status: result.status, reason: result.reason, cleared }, 'wake: FCM says the agent\'s registration token is gone; cleared until the agent reports a new one');
        return { kind: 'dropped', reason: result.reason };
      }
      case 'unauthorized':
      case 'dropped':
        if (result.kind === 'unauthorized' || result.senderProblem) {
          if (!tenant.reported.has(result.reason)) {
            tenant.reported.add(result.reason);
            this.#log.error({ tenantId, reason: result.reason, status: result.status }, 'wake: FCM refused pushes with the tenant\'s Firebase service account; agents are left to their poll interval until the settings are corrected (PUT /envelope/knoxPushSettings)');
          }
        } else {
          this.#log.info({ tenantId, deviceId: target.deviceId, status: result.status, reason: result.reason }, 'wake: FCM dropped the push to this agent');
        }
        return { kind: 'dropped', reason: result.reason };
    }
  }
}
