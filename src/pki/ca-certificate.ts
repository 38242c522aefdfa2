import { webcrypto } from 'node:crypto';
import * as x509 from '../lib/x509.ts';

type X509Crypto = NonNullable<Parameters<typeof x509.X509CertificateGenerator.createSelfSigned>[1]>;
const x509Crypto = webcrypto as unknown as X509Crypto;

/** A certificate authority that issues: certificate public, key usable for signing (never exported). */
export interface IssuingCa {
  certificate: x509.X509Certificate;
  privateKey: webcrypto.CryptoKey;
}

/** Every Envelope CA key: RSA-2048 with SHA-256 signatures. */
export const caKeyAlgorithm = { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256', publicExponent: new Uint8Array([1, 0, 1]), modulusLength: 2048 } as const;

/** Ten years, Envelope's CA lifetime. */
export const caLifetimeMs = 10 * 365.25 * 24 * 3600 * 1000;

/** A new CA key pair; `extractable` only when the private key is to be sealed and stored. */
export async function generateCaKeys(extractable: boolean): Promise<webcrypto.CryptoKeyPair> {
  return (await webcrypto.subtle.generateKey(caKeyAlgorithm, extractable, ['sign', 'verify'])) as webcrypto.CryptoKeyPair;
}

/**
 * A self-signed CA certificate `CN=<commonName>, O=Envelope`: basic constraints CA with path length
 * 0 (it issues end-entity identities only), key usage keyCertSign + cRLSign, subject key identifier.
 */
export async function createCaCertificate(
  keys: webcrypto.CryptoKeyPair,
  options: { commonName: string; serialNumber: string; notBefore: Date; notAfter: Date },
): Promise<x509.X509Certificate> {
  return x509.X509CertificateGenerator.createSelfSigned(
    {
      serialNumber: options.serialNumber,
      name: `CN=${options.commonName}, O=Envelope`,
      notBefore: options.notBefore,
      notAfter: options.notAfter,
      signingAlgorithm: caKeyAlgorithm,
      keys: keys as never,
      extensions: [
        new x509.BasicConstraintsExtension(true, 0, true),
        new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
        await x509.SubjectKeyIdentifierExtension.create(keys.publicKey as never, false, x509Crypto),
      ],
    },
    x509Crypto,
  );
}
