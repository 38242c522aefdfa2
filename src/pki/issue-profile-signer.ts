import type { webcrypto } from 'node:crypto';
import type { IssuingCa } from './ca-certificate.ts';
import {
  extendedKeyUsages,
  generateIssuedKeys,
  issueCertificate,
  systemIssuanceEnvironment,
  validityWithin,
  type IssuanceEnvironment,
  type IssuedKeyType,
} from './issue-certificate.ts';
import { subjectOids } from './subject-attributes.ts';

export interface ProfileSignerRequest {
  ca: IssuingCa;
  /** The signer's CN, shown by devices as the profile's signer (at most 64 characters). */
  commonName: string;
  keyType: IssuedKeyType;
}

export interface IssuedProfileSigner {
  certificateDer: Uint8Array;
  /** Extractable so it can be sealed for storage; never persist it in clear. */
  privateKey: webcrypto.CryptoKey;
  notBefore: Date;
  notAfter: Date;
}

/**
 * Issues the certificate Envelope signs `.mobileconfig` files with (a CMS SignedData, payload-formats §1.6),
 * from `ca`, with a fresh key pair of `keyType`:
 * - subject `CN=<commonName>, O=Envelope`;
 * - key usage digitalSignature only (critical): it signs, it never decrypts;
 * - EKU emailProtection: a profile signature is a CMS signature like an S/MIME one, and OpenSSL's default
 *   CMS verification (`smimesign` purpose) accepts exactly that. Apple requires no particular EKU of a
 *   third-party profile signer (MDM vendors sign with TLS server certificates), and codeSigning would
 *   claim the key signs code, which it does not;
 * - validity from five minutes before now until the CA's own `notAfter`: the identity rotates with its CA.
 */
export async function issueProfileSigner(request: ProfileSignerRequest, env: IssuanceEnvironment = systemIssuanceEnvironment): Promise<IssuedProfileSigner> {
  const { ca } = request;
  if (request.commonName.trim() === '' || request.commonName.length > 64) {
    throw new Error(`A profile signer's CN must have 1 to 64 characters; got '${request.commonName}'.`);
  }
  const { notBefore, notAfter } = validityWithin(ca, env, () => ca.certificate.notAfter);
  const keys = await generateIssuedKeys(request.keyType);
  const certificateDer = await issueCertificate(
    {
      ca,
      subject: [
        { oid: subjectOids.CN, value: request.commonName },
        { oid: subjectOids.O, value: 'Envelope' },
      ],
      publicKey: keys.publicKey,
      notBefore,
      notAfter,
      keyUsage: ['digitalSignature'],
      extendedKeyUsages: [extendedKeyUsages.emailProtection],
    },
    env,
  );
  return { certificateDer, privateKey: keys.privateKey, notBefore, notAfter };
}
