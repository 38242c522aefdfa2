import { webcrypto } from 'node:crypto';
import * as x509 from '../../lib/x509.ts';
import type { SecretBox } from '../secrets/secret-box.ts';
import type { SecretStore } from '../../store/postgres/secret-store.ts';

type X509Crypto = NonNullable<Parameters<typeof x509.X509CertificateGenerator.createSelfSigned>[1]>;
const x509Crypto = webcrypto as unknown as X509Crypto;

const rsa = { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256', publicExponent: new Uint8Array([1, 0, 1]), modulusLength: 2048 } as const;

/** The tenant's certificate authority as callers see it: certificate public, key usable but never exported. */
export interface TenantCa {
  certificate: x509.X509Certificate;
  privateKey: webcrypto.CryptoKey;
}

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
  async ensure(tenantId: string, tenantName: string): Promise<TenantCa> {
    const stored = (await this.#secrets.get(tenantId, 'certificateAuthority'))
      ?? (await this.#secrets.putIfAbsent(tenantId, 'certificateAuthority', await this.#create(tenantId, tenantName)));
    const pkcs8 = this.#box.open(stored.sealedPrivateKey, context(tenantId));
    const privateKey = await webcrypto.subtle.importKey('pkcs8', pkcs8, rsa, false, ['sign']);
    return { certificate: new x509.X509Certificate(stored.certificateDer), privateKey };
  }

  /** The CA certificate only, or null when the tenant has none yet. */
  async certificate(tenantId: string): Promise<x509.X509Certificate | null> {
    const stored = await this.#secrets.get(tenantId, 'certificateAuthority');
    return stored ? new x509.X509Certificate(stored.certificateDer) : null;
  }

  async #create(tenantId: string, tenantName: string) {
    const keys = (await webcrypto.subtle.generateKey(rsa, true, ['sign', 'verify'])) as webcrypto.CryptoKeyPair;
    const notBefore = this.#now();
    const notAfter = new Date(notBefore.getTime() + 10 * 365.25 * 24 * 3600 * 1000);
    const certificate = await x509.X509CertificateGenerator.createSelfSigned(
      {
        serialNumber: Buffer.from(webcrypto.getRandomValues(new Uint8Array(16))).toString('hex').replace(/^[89a-f]/, '1'),
        name: `CN=Envelope CA (${tenantName}), O=Envelope`,
        notBefore,
        notAfter,
        signingAlgorithm: rsa,
        keys: keys as never,
        extensions: [
          new x509.BasicConstraintsExtension(true, 0, true),
          new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
          await x509.SubjectKeyIdentifierExtension.create(keys.publicKey as never, false, x509Crypto),
        ],
      },
      x509Crypto,
    );
    const pkcs8 = new Uint8Array(await webcrypto.subtle.exportKey('pkcs8', keys.privateKey));
    const sealed = this.#box.seal(pkcs8, context(tenantId));
    pkcs8.fill(0);
    return { certificateDer: Buffer.from(certificate.rawData), sealedPrivateKey: sealed };
  }
}

function context(tenantId: string): string {
  return `tenant:${tenantId}:certificateAuthority`;
}
