import { createPrivateKey, webcrypto, X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { badRequest } from '../domain/errors.ts';
import type { ProfileSigningIdentity } from '../payloads/apple/sign-profile.ts';

/**
 * Loads a profile-signing identity from PEM files: `certFile` holds the signer certificate first,
 * then its chain; `keyFile` the matching private key (PKCS#8 or traditional RSA/EC PEM, unencrypted).
 * Errors name the file and say what is wrong.
 */
export async function loadSigningIdentity(certFile: string, keyFile: string): Promise<ProfileSigningIdentity> {
  const pem = readFileSync(certFile, 'utf8');
  const blocks = pem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
  if (blocks.length === 0) throw badRequest(`${certFile} holds no PEM certificate.`, 'sign-cert');
  const certificates = blocks.map((block) => new X509Certificate(block));

  let key;
  try {
    key = createPrivateKey(readFileSync(keyFile, 'utf8'));
  } catch (error) {
    throw badRequest(`${keyFile} is not an unencrypted PEM private key: ${(error as Error).message}`, 'sign-key');
  }
  if (!certificates[0]!.checkPrivateKey(key)) throw badRequest(`${keyFile} does not match the first certificate in ${certFile}.`, 'sign-key');
  const pkcs8 = key.export({ type: 'pkcs8', format: 'der' });
  const algorithm = key.asymmetricKeyType === 'rsa'
    ? { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' }
    : key.asymmetricKeyType === 'ec'
      ? { name: 'ECDSA', namedCurve: curveName(key.asymmetricKeyDetails?.namedCurve) }
      : null;
  if (!algorithm) throw badRequest(`${keyFile}: only RSA and EC keys can sign profiles, not ${key.asymmetricKeyType}.`, 'sign-key');
  const privateKey = await webcrypto.subtle.importKey('pkcs8', pkcs8, algorithm, false, ['sign']);
  return { certificateChainDer: certificates.map((c) => new Uint8Array(c.raw)), privateKey };
}

function curveName(openSslName: string | undefined): string {
  switch (openSslName) {
    case 'prime256v1':
      return 'P-256';
    case 'secp384r1':
      return 'P-384';
    case 'secp521r1':
      return 'P-521';
    default:
      throw badRequest(`EC curve ${openSslName ?? 'unknown'} cannot sign profiles; use P-256, P-384 or P-521.`, 'sign-key');
  }
}
