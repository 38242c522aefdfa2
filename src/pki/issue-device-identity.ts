import type { IssuingCa } from './ca-certificate.ts';
import {
  extendedKeyUsages,
  generateIssuedKeys,
  issueCertificate,
  systemIssuanceEnvironment,
  validityWithin,
  type IssuanceEnvironment,
} from './issue-certificate.ts';
import { buildPkcs12, type Pkcs12File } from './pkcs12.ts';
import { subjectOids } from './subject-attributes.ts';

export interface DeviceIdentityRequest {
  /** The tenant's CA, the one the MDM endpoints verify device identities against (delivery-protocols a.2). */
  ca: IssuingCa;
  /** The enrollment this identity authenticates; becomes the certificate's CN (1–64 characters, X.520 upper bound). */
  enrollmentId: string;
}

/** The identity as the enrollment profile embeds it, plus what the server binds and renews by. */
export interface DeviceIdentity extends Pkcs12File {
  /** DER of the device certificate: its SHA-256 is the binding key on `Authenticate`. */
  certificateDer: Uint8Array;
  notBefore: Date;
  notAfter: Date;
}

/** One year: short enough that a leaked identity dies on its own, long enough that renewal is a yearly event. */
export const deviceIdentityLifetimeMs = 365 * 24 * 3600 * 1000;

/** The `friendlyName` inside the PKCS#12 (the profile's payload carries its own display name). */
const friendlyName = 'Envelope MDM identity';

/**
 * Issues the identity an Apple device uses for MDM (the `com.apple.security.pkcs12` payload that the
 * `com.apple.mdm` payload's `IdentityCertificateUUID` names, delivery-protocols a.1) and wraps it for
 * the enrollment profile. The server generates the key pair, so the key exists in clear only inside this
 * call and inside the returned file; callers embed the file and its password and keep neither.
 *
 * - Key: RSA-2048 (what Apple's SCEP payload generates too; every iOS version accepts it).
 * - Certificate from `ca`, SHA-256: subject `CN=<enrollmentId>`; validity from five minutes before now
 *   for one year, never past the CA's `notAfter`; key usage digitalSignature (TLS client auth and the
 *   `Mdm-Signature` CMS signature) + keyEncipherment (so profiles can later be encrypted to this identity,
 *   payload-formats §1.6), critical; EKU clientAuth; CA:false; random 16-byte serial.
 * - File: PKCS#12 in the `legacy` layout (iOS ≤ 17 refuses AES), the CA certificate as chain, a fresh
 *   random password.
 *
 * Throws for an empty or overlong `enrollmentId` and when the CA has expired.
 */
export async function issueDeviceIdentity(request: DeviceIdentityRequest, env: IssuanceEnvironment = systemIssuanceEnvironment): Promise<DeviceIdentity> {
  const { ca, enrollmentId } = request;
  if (enrollmentId.trim() === '' || enrollmentId.length > 64) {
    throw new Error(`A device identity's CN is the enrollment id, 1 to 64 characters; got '${enrollmentId}'.`);
  }
  const { notBefore, notAfter } = validityWithin(ca, env, (issuedAt) => new Date(issuedAt.getTime() + deviceIdentityLifetimeMs));
  const keys = await generateIssuedKeys('rsa-2048');
  const certificateDer = await issueCertificate(
    {
      ca,
      subject: [{ oid: subjectOids.CN, value: enrollmentId }],
      publicKey: keys.publicKey,
      notBefore,
      notAfter,
      keyUsage: ['digitalSignature', 'keyEncipherment'],
      extendedKeyUsages: [extendedKeyUsages.clientAuth],
    },
    env,
  );
  const file = await buildPkcs12(
    { privateKey: keys.privateKey, certificateDer, chainDer: [new Uint8Array(ca.certificate.rawData)], friendlyName },
    'legacy',
    (length) => env.randomBytes(length),
  );
  return { ...file, certificateDer, notBefore, notAfter };
}

