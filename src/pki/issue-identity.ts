import type { webcrypto } from 'node:crypto';
import type { DirectoryUser, ManagedDevice } from '../domain/directory.ts';
import type { IssuingCa } from './ca-certificate.ts';
import {
  extendedKeyUsages,
  generateIssuedKeys,
  issueCertificate,
  systemIssuanceEnvironment,
  validityWithin,
  type IssuanceEnvironment,
} from './issue-certificate.ts';
import { resolveCertificateNames, type CertificateNameSettings } from './subject-name.ts';

/** The settings of a PKCS certificate profile (iOS or Android) that shape the issued certificate. */
export interface IdentitySettings extends CertificateNameSettings {
  certificateValidityPeriodValue: number;
  certificateValidityPeriodScale: string;
  /** Android PKCS profiles only: EKUs added to Envelope's client authentication + email protection. */
  extendedKeyUsages?: ReadonlyArray<{ objectIdentifier: string }>;
}

export interface IssueIdentityRequest {
  ca: IssuingCa;
  settings: IdentitySettings;
  user: DirectoryUser;
  device: ManagedDevice;
}

export interface IssuedIdentity {
  certificateDer: Uint8Array;
  /** The new key pair's private key: extractable so it can be wrapped into PKCS#12; never persist it. */
  privateKey: webcrypto.CryptoKey;
  notBefore: Date;
  notAfter: Date;
}

/**
 * Issues a user identity from the tenant CA for a PKCS certificate profile: a fresh RSA-2048 key pair
 * and an X.509 v3 certificate signed by the CA with SHA-256.
 *
 * - Subject and SAN per `resolveCertificateNames` (throws its typed errors, e.g. MissingUserAttributeError).
 * - Validity: from five minutes before now (clock skew) until now + the profile's period (calendar months
 *   and years in UTC, clamped to the month's last day), never past the CA's own `notAfter`.
 * - Key usage digitalSignature + keyEncipherment (critical), EKU clientAuth + emailProtection (+ the
 *   profile's own EKUs), basic constraints CA:false (critical), subject and authority key identifiers.
 * - Serial: 16 random bytes, positive (top bit cleared, second bit set so the encoding is always 16 bytes).
 */
export async function issueIdentity(request: IssueIdentityRequest, env: IssuanceEnvironment = systemIssuanceEnvironment): Promise<IssuedIdentity> {
  const { ca, settings } = request;
  const names = resolveCertificateNames(settings, request.user, request.device);
  const { notBefore, notAfter } = validityWithin(ca, env, (issuedAt) =>
    addPeriod(issuedAt, settings.certificateValidityPeriodValue, settings.certificateValidityPeriodScale),
  );
  const keys = await generateIssuedKeys('rsa-2048');
  const extraUsages = (settings.extendedKeyUsages ?? []).map((usage) => usage.objectIdentifier);
  const certificateDer = await issueCertificate(
    {
      ca,
      subject: names.subject,
      altNames: names.altNames,
      publicKey: keys.publicKey,
      notBefore,
      notAfter,
      keyUsage: ['digitalSignature', 'keyEncipherment'],
      extendedKeyUsages: [...new Set([extendedKeyUsages.clientAuth, extendedKeyUsages.emailProtection, ...extraUsages])],
    },
    env,
  );
  return { certificateDer, privateKey: keys.privateKey, notBefore, notAfter };
}

function addPeriod(start: Date, value: number, scale: string): Date {
  switch (scale) {
    case 'days':
      return new Date(start.getTime() + value * 24 * 3600 * 1000);
    case 'months':
      return addMonths(start, value);
    case 'years':
      return addMonths(start, value * 12);
    default:
      throw new Error(`Unknown certificateValidityPeriodScale '${scale}'.`);
  }
}

function addMonths(start: Date, months: number): Date {
  const target = new Date(start.getTime());
  target.setUTCDate(1);
  target.setUTCMonth(target.getUTCMonth() + months);
  const lastDay = new Date(Date.UTC(target.getUTCFullYear(), target.getUTCMonth() + 1, 0)).getUTCDate();
  target.setUTCDate(Math.min(start.getUTCDate(), lastDay));
  return target;
}
