import { webcrypto } from 'node:crypto';
import * as x509 from '../../../lib/x509.ts';
import type { TenantCa } from '../tenant-ca.ts';

type X509Crypto = NonNullable<Parameters<typeof x509.X509CertificateGenerator.createSelfSigned>[1]>;
const x509Crypto = webcrypto as unknown as X509Crypto;

const rsa = { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256', publicExponent: new Uint8Array([1, 0, 1]), modulusLength: 2048 } as const;

/**
 * A CA shaped like TenantCaService's (RSA-2048, SHA-256, key never extractable), generated in memory so
 * issuance tests need no database. `notAfter` defaults to ten years from `notBefore`.
 */
export async function throwawayCa(options: { notBefore?: Date; notAfter?: Date; name?: string } = {}): Promise<TenantCa> {
  const keys = (await webcrypto.subtle.generateKey(rsa, false, ['sign', 'verify'])) as webcrypto.CryptoKeyPair;
  const notBefore = options.notBefore ?? new Date(Date.now() - 3600_000);
  const notAfter = options.notAfter ?? new Date(notBefore.getTime() + 10 * 365.25 * 24 * 3600 * 1000);
  const certificate = await x509.X509CertificateGenerator.createSelfSigned(
    {
      serialNumber: '01',
      name: `CN=${options.name ?? 'Envelope CA (Test)'}, O=Envelope`,
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
  return { certificate, privateKey: keys.privateKey };
}
