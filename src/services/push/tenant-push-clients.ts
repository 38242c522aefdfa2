/** What a push channel keeps per tenant: the client built from the tenant's push settings. */
export interface TenantPushClient<C> {
  /** The settings' version and update time the client was built from. */
  fingerprint: string;
  /** Null when the stored secret cannot be opened with this server's key (logged once). */
  client: C | null;
  /** Sender problems already logged for these settings (a reason each), so each is logged once. */
  reported: Set<string>;
}

interface SettingsVersion {
  version: number;
  updatedDateTime: string;
}

/**
 * One push client per tenant (FCM for Knox agents, WNS for Windows PCs), rebuilt when the tenant's
 * settings change — a PUT through any server process bumps their version — so a new secret is used
 * at the next wake and its access token is fetched anew. Null for a tenant without settings.
 */
export class TenantPushClients<S extends SettingsVersion, C> {
  readonly #settings: { getInfo(tenantId: string): Promise<SettingsVersion | null>; get(tenantId: string): Promise<S | null> };
  readonly #open: (tenantId: string, stored: S) => C;
  readonly #openFailed: (tenantId: string, error: unknown) => void;
  readonly #clients = new Map<string, TenantPushClient<C>>();

  /** `open` builds a client from the stored settings (it throws when their secret cannot be opened: `openFailed` logs it). */
  constructor(deps: {
    settings: { getInfo(tenantId: string): Promise<SettingsVersion | null>; get(tenantId: string): Promise<S | null> };
    open: (tenantId: string, stored: S) => C;
    openFailed: (tenantId: string, error: unknown) => void;
  }) {
    this.#settings = deps.settings;
    this.#open = deps.open;
    this.#openFailed = deps.openFailed;
  }

  /** The tenant's client, rebuilt when its settings changed; null when the tenant has none. */
  async forTenant(tenantId: string): Promise<TenantPushClient<C> | null> {
    const info = await this.#settings.getInfo(tenantId);
    if (info === null) {
      this.#clients.delete(tenantId);
      return null;
    }
    const cached = this.#clients.get(tenantId);
    if (cached?.fingerprint === `${info.version}|${info.updatedDateTime}`) return cached;
    const stored = await this.#settings.get(tenantId);
    if (stored === null) return null;
    let client: C | null = null;
    try {
      client = this.#open(tenantId, stored);
    } catch (error) {
      this.#openFailed(tenantId, error);
    }
    const entry: TenantPushClient<C> = { fingerprint: `${stored.version}|${stored.updatedDateTime}`, client, reported: new Set() };
    this.#clients.set(tenantId, entry);
    return entry;
  }

  clear(): void {
    this.#clients.clear();
  }
}
