import { webcrypto } from 'node:crypto';
import * as x509 from '../../lib/x509.ts';
import type { SecretBox } from '../secrets/secret-box.ts';
import { caKeyAlgorithm, caLifetimeMs, createCaCertificate, generateCaKeys, type IssuingCa } from '../../pki/ca-certificate.ts';
import type { SecretStore } from '../../store/postgres/secret-store.ts';

/**
 * Each tenant's own certificate authority, which issues the identities of PKCS certificate profiles.
 * Created on first need (RSA-2048, SHA-256, ten years); its private key is stored sealed with the
 * server's secret key, bound to the tenant (a sealed key copied to another tenant fails to open).
 */
export class TenantCaService {
  readonly #secrets: SecretStore;
  readonly #box: SecretBox;
  readonly #now: () => Date;

  constructor(secrets: SecretStore, box: SecretBox, now: () => Date = () => new Date()) {
    this.#secrets = secrets;
    this.#box = box;
    this.#now = now;
  }

  /** The tenant's CA, creating it if it does not exist yet (concurrent callers get the same one). */
  async ensure(tenantId: string, tenantName: string): Promise<IssuingCa> {
    const stored = (await this.#secrets.get(tenantId, 'certificateAuthority'))
      ?? (await this.#secrets.putIfAbsent(tenantId, 'certificateAuthority', await this.#create(tenantId, tenantName)));
    const pkcs8 = this.#box.open(stored.sealedPrivateKey, context(tenantId));
    const privateKey = await webcrypto.subtle.importKey('pkcs8', pkcs8, caKeyAlgorithm, false, ['sign']);
    return { certificate: new x509.X509Certificate(stored.certificateDer), privateKey };
  }

  async #create(tenantId: string, tenantName: string) {
    const keys = await generateCaKeys(true);
    const notBefore = this.#now();
    const certificate = await createCaCertificate(keys, {
      commonName: `Envelope CA (${tenantName})`,
      serialNumber: Buffer.from(webcrypto.getRandomValues(new Uint8Array(16))).toString('hex').replace(/^[89a-f]/, '1'),
      notBefore,
      notAfter: new Date(notBefore.getTime() + caLifetimeMs),
    });
    const pkcs8 = new Uint8Array(await webcrypto.subtle.exportKey('pkcs8', keys.privateKey));
    const sealed = this.#box.seal(pkcs8, context(tenantId));
    pkcs8.fill(0);
    return { certificateDer: Buffer.from(certificate.rawData), sealedPrivateKey: sealed };
  }
}

function context(tenantId: string): string {
  return `tenant:${tenantId}:certificateAuthority`;
}
