import type { IssuingCa } from '../ca-certificate.ts';
import { caLifetimeMs, createCaCertificate, generateCaKeys } from '../ca-certificate.ts';

/**
 * A CA built exactly like TenantCaService's (RSA-2048, SHA-256, key never extractable), generated in
 * memory so issuance tests need no database. `notAfter` defaults to ten years from `notBefore`.
 */
export async function throwawayCa(options: { notBefore?: Date; notAfter?: Date; name?: string } = {}): Promise<IssuingCa> {
  const keys = await generateCaKeys(false);
  const notBefore = options.notBefore ?? new Date(Date.now() - 3600_000);
  const certificate = await createCaCertificate(keys, {
    commonName: options.name ?? 'Envelope CA (Test)',
    serialNumber: '01',
    notBefore,
    notAfter: options.notAfter ?? new Date(notBefore.getTime() + caLifetimeMs),
  });
  return { certificate, privateKey: keys.privateKey };
}
