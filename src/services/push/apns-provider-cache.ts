import { ApnsProvider, type ApnsProviderOptions } from '../../protocols/apns/apns-provider.ts';
import type { ApplePushCertificateStore } from '../../store/postgres/apple-push-certificate-store.ts';
import { pushCertificateKeyContext } from '../enrollment/push-certificate-service.ts';
import type { SecretBox } from '../secrets/secret-box.ts';
import type { WakeLog } from './wake-log.ts';

/**
 * One ApnsProvider per tenant push certificate, kept for the life of the process (its HTTP/2
 * connections are reused from push to push). Each call checks the certificate's version and update
 * time, one indexed read, so a certificate renewed through any server process is picked up at the
 * next push; the old provider is closed. Meant for one caller at a time (the wake worker).
 */
export class ApnsProviderCache {
  readonly #certificates: Pick<ApplePushCertificateStore, 'getInfo' | 'get'>;
  readonly #box: SecretBox;
  readonly #options: Omit<ApnsProviderOptions, 'certificate'>;
  readonly #log: WakeLog;
  readonly #providers = new Map<string, { fingerprint: string; provider: ApnsProvider }>();

  constructor(deps: { certificates: Pick<ApplePushCertificateStore, 'getInfo' | 'get'>; box: SecretBox; url: string; ca?: string | null; log: WakeLog; providerOptions?: Partial<ApnsProviderOptions> }) {
    this.#certificates = deps.certificates;
    this.#box = deps.box;
    this.#options = { ...deps.providerOptions, url: deps.url, ...(deps.ca ? { ca: deps.ca } : {}) };
    this.#log = deps.log;
  }

  /** The tenant's provider; null when the tenant has no push certificate or its key cannot be opened (logged). */
  async providerFor(tenantId: string): Promise<ApnsProvider | null> {
    const info = await this.#certificates.getInfo(tenantId);
    const cached = this.#providers.get(tenantId);
    if (info === null) {
      this.#drop(tenantId);
      return null;
    }
    const fingerprint = `${info.version}|${info.updatedDateTime}`;
    if (cached?.fingerprint === fingerprint) return cached.provider;
    const stored = await this.#certificates.get(tenantId);
    if (stored === null) return null;
    let privateKeyPem: string;
    try {
      privateKeyPem = this.#box.open(stored.sealedPrivateKey, pushCertificateKeyContext(tenantId)).toString('utf8');
    } catch (error) {
      this.#log.error({ tenantId, err: error }, 'wake: the push certificate key cannot be opened with this server\'s secret key; no pushes for this tenant');
      return null;
    }
    this.#drop(tenantId);
    const provider = new ApnsProvider({ ...this.#options, certificate: { certificatePem: stored.certificatePem, privateKeyPem, topic: stored.topic } });
    this.#providers.set(tenantId, { fingerprint, provider });
    return provider;
  }

  /** Closes every provider (in-flight pushes finish first). */
  async close(): Promise<void> {
    const providers = [...this.#providers.values()].map((entry) => entry.provider);
    this.#providers.clear();
    await Promise.all(providers.map((provider) => provider.close()));
  }

  #drop(tenantId: string): void {
    const cached = this.#providers.get(tenantId);
    if (cached === undefined) return;
    this.#providers.delete(tenantId);
    void cached.provider.close();
  }
}
