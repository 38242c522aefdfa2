import { createPrivateKey, webcrypto } from 'node:crypto';
import type { ProfileSigningIdentity } from '../../payloads/apple/sign-profile.ts';
import type { IssuingCa } from '../../pki/ca-certificate.ts';
import type { IssuedKeyType } from '../../pki/issue-certificate.ts';
import { issueProfileSigner } from '../../pki/issue-profile-signer.ts';
import type { SecretStore } from '../../store/postgres/secret-store.ts';
import type { SecretBox } from '../secrets/secret-box.ts';
import type { TenantCaService } from './tenant-ca.ts';

/**
 * RSA-2048: every Apple OS version and profile tool verifies it, the tenant CA is RSA already, and
 * ECDSA P-256 would buy little: signing a profile costs mostly CMS encoding, not the signature
 * (bench/sign-profile.ts; docs/decisions/0010-apple-device-identity-and-profile-signing.md).
 */
export const profileSignerKeyType: IssuedKeyType = 'rsa-2048';

/**
 * Each tenant's profile-signing identity, which signs every `.mobileconfig` Envelope sends (email
 * profiles and the enrollment profile) for `signProfile`. Issued by the tenant's CA on first need
 * (`issueProfileSigner`, RSA-2048); its private key is stored sealed with the server's secret key and
 * bound to the tenant, like the CA's.
 *
 * Concurrency: the first writer wins in the database (`putIfAbsent`), so every process ends up with the
 * same identity; within a process each tenant's identity is loaded once and then kept, so the identity
 * object (and `signProfile`'s parsed-chain cache keyed by it) is reused across profiles. The identity
 * lives as long as the CA's certificate; there is no rotation yet.
 */
export class ProfileSigningService {
  readonly #secrets: SecretStore;
  readonly #box: SecretBox;
  readonly #tenantCa: TenantCaService;
  readonly #now: () => Date;
  readonly #loaded = new Map<string, Promise<ProfileSigningIdentity>>();

  constructor(secrets: SecretStore, box: SecretBox, tenantCa: TenantCaService, now: () => Date = () => new Date()) {
    this.#secrets = secrets;
    this.#box = box;
    this.#tenantCa = tenantCa;
    this.#now = now;
  }

  /**
   * The tenant's signing identity, creating it (and the tenant CA) if it does not exist yet: the signer
   * certificate then the CA certificate, and a non-extractable signing key. Concurrent callers, in this
   * process or another, get the same identity. A failed load is not kept, so the next call retries.
   */
  ensure(tenantId: string, tenantName: string): Promise<ProfileSigningIdentity> {
    let identity = this.#loaded.get(tenantId);
    if (!identity) {
      identity = this.#load(tenantId, tenantName);
      this.#loaded.set(tenantId, identity);
      identity.catch(() => this.#loaded.delete(tenantId));
    }
    return identity;
  }

  async #load(tenantId: string, tenantName: string): Promise<ProfileSigningIdentity> {
    const ca = await this.#tenantCa.ensure(tenantId, tenantName);
    const stored = (await this.#secrets.get(tenantId, 'profileSigning'))
      ?? (await this.#secrets.putIfAbsent(tenantId, 'profileSigning', await this.#create(tenantId, tenantName, ca)));
    const pkcs8 = this.#box.open(stored.sealedPrivateKey, context(tenantId));
    try {
      const privateKey = await webcrypto.subtle.importKey('pkcs8', pkcs8, signingAlgorithmOf(pkcs8), false, ['sign']);
      return { certificateChainDer: [new Uint8Array(stored.certificateDer), new Uint8Array(ca.certificate.rawData)], privateKey };
    } finally {
      pkcs8.fill(0);
    }
  }

  async #create(tenantId: string, tenantName: string, ca: IssuingCa) {
    const signer = await issueProfileSigner(
      { ca, commonName: `Envelope profile signing (${tenantName})`, keyType: profileSignerKeyType },
      { now: this.#now, randomBytes: (length) => webcrypto.getRandomValues(new Uint8Array(length)) },
    );
    const pkcs8 = new Uint8Array(await webcrypto.subtle.exportKey('pkcs8', signer.privateKey));
    const sealed = this.#box.seal(pkcs8, context(tenantId));
    pkcs8.fill(0);
    return { certificateDer: Buffer.from(signer.certificateDer), sealedPrivateKey: sealed };
  }
}

/** The WebCrypto algorithm for the stored key, whichever type it was created with. */
function signingAlgorithmOf(pkcs8: Buffer): webcrypto.RsaHashedImportParams | webcrypto.EcKeyImportParams {
  const key = createPrivateKey({ key: pkcs8, format: 'der', type: 'pkcs8' });
  if (key.asymmetricKeyType === 'rsa') return { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' };
  if (key.asymmetricKeyType === 'ec' && key.asymmetricKeyDetails?.namedCurve === 'prime256v1') return { name: 'ECDSA', namedCurve: 'P-256' };
  throw new Error(`The stored profile-signing key is ${key.asymmetricKeyType} ${key.asymmetricKeyDetails?.namedCurve ?? ''}; Envelope signs with RSA or ECDSA P-256.`);
}

function context(tenantId: string): string {
  return `tenant:${tenantId}:profileSigning`;
}
