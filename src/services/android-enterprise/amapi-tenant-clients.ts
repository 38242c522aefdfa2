import { AmapiClient, type AmapiClientOptions, type AmapiRateLimiters, type ServiceAccountKey } from '../../protocols/amapi/amapi-client.ts';
import type { AndroidEnterpriseSettingsInfo, AndroidEnterpriseStore } from '../../store/postgres/android-enterprise-store.ts';
import type { SecretBox } from '../secrets/secret-box.ts';
import { amapiKeySecretContext } from './android-enterprise-settings-service.ts';

export interface TenantAmapi {
  client: AmapiClient;
  settings: AndroidEnterpriseSettingsInfo;
}

export type AmapiClientTuning = Pick<AmapiClientOptions, 'maxQuotaWaitMs' | 'timeoutMs' | 'retries' | 'quotaBackoffMs'>;

/**
 * One `AmapiClient` per tenant, built from its sealed settings and rebuilt when their version
 * changes (a PUT through any process); every client of one Cloud project shares that project's rate
 * limiter. A key this server cannot open (another secret key) gives null, logged once per version.
 */
export class AmapiTenantClients {
  readonly #store: Pick<AndroidEnterpriseStore, 'settingsInfo' | 'settings'>;
  readonly #box: SecretBox;
  readonly #rootUrl: string | null;
  readonly #limiters: AmapiRateLimiters;
  readonly #tuning: AmapiClientTuning;
  readonly #log: { error(details: object, message: string): void };
  readonly #clients = new Map<string, { version: number; amapi: TenantAmapi | null }>();

  constructor(deps: { store: Pick<AndroidEnterpriseStore, 'settingsInfo' | 'settings'>; box: SecretBox; rootUrl: string | null; limiters: AmapiRateLimiters; tuning?: AmapiClientTuning; log: { error(details: object, message: string): void } }) {
    this.#store = deps.store;
    this.#box = deps.box;
    this.#rootUrl = deps.rootUrl;
    this.#limiters = deps.limiters;
    this.#tuning = deps.tuning ?? {};
    this.#log = deps.log;
  }

  /** The tenant's client, or null when it has no (usable) Android Enterprise settings. */
  async forTenant(tenantId: string): Promise<TenantAmapi | null> {
    const info = await this.#store.settingsInfo(tenantId);
    if (info === null) {
      this.#clients.delete(tenantId);
      return null;
    }
    const cached = this.#clients.get(tenantId);
    if (cached?.version === info.version) return cached.amapi;
    const stored = await this.#store.settings(tenantId);
    if (stored === null) return null;
    let amapi: TenantAmapi | null = null;
    try {
      const key = JSON.parse(this.#box.open(stored.sealedServiceAccountKey, amapiKeySecretContext(tenantId)).toString('utf8')) as ServiceAccountKey;
      const client = new AmapiClient({ ...this.#tuning, key, rootUrl: this.#rootUrl, limiter: this.#limiters.forProject(stored.projectId) });
      amapi = { client, settings: info };
    } catch {
      // The error of a failed open says nothing about the key's content; log no more than that.
      this.#log.error({ tenantId }, 'android enterprise: the service-account key cannot be opened with this server\'s secret key; no AMAPI calls for this tenant');
    }
    this.#clients.set(tenantId, { version: stored.version, amapi });
    return amapi;
  }
}
