import type { DirectoryUser, ManagedDevice } from '../../domain/directory.ts';
import {
  flagNames,
  keyUsageFlags,
  platformFamilyOf,
  profileKindOf,
  settingsOf,
  type keySizes,
  type Profile,
} from '../../domain/profiles/index.ts';
import type {
  AppleCertificateMaterial,
  Pkcs12CertificateMaterial,
  RootCertificateMaterial,
  ScepCertificateMaterial,
} from '../../payloads/apple/certificate-material.ts';
import type { Pkcs12IdentityIssuer } from './identity-issuer.ts';
import { appleSubjectKeyOf } from '../../pki/subject-attributes.ts';
import { resolveCertificateNames, type CertificateNameSettings } from '../../pki/subject-name.ts';

export interface AppleMaterialRequest {
  /** An iOS certificate profile linked from the email profile (or the trusted root a SCEP profile links). */
  certificateProfile: Profile;
  user: DirectoryUser;
  device: ManagedDevice;
}

/**
 * `deliver` issues PKCS identities through `identities`; `preview` never issues and never carries a key
 * or a password (PKCS material is a placeholder, see `isIssuedAtDelivery`).
 */
export type AppleMaterialMode = { mode: 'preview' } | { mode: 'deliver'; identities: Pkcs12IdentityIssuer };

/**
 * The iOS compiler's certificate material for one certificate profile, resolved for the user and device:
 * - trusted root → the DER certificate;
 * - SCEP → the enrolment request the device makes: first `scepServerUrls` entry, subject RDNs and SAN per
 *   the profile (same rules as issued identities, `subject-name.ts`), key size, key usage bitmask
 *   (digitalSignature → 1, keyEncipherment → 4), and the linked trusted root;
 * - PKCS → an identity issued from the tenant CA as PKCS#12 with its transport password. Its chain travels
 *   inside the file, so it names no root payload.
 *
 * Names are resolved in both modes, so a preview fails with the same typed error (e.g.
 * MissingUserAttributeError) that delivery would. Throws a plain Error for a profile that is not an iOS
 * certificate profile (a caller bug).
 */
export async function appleMaterialFor(request: AppleMaterialRequest, options: AppleMaterialMode): Promise<AppleCertificateMaterial> {
  const profile = request.certificateProfile;
  if (platformFamilyOf(profile.odataType) !== 'ios') {
    throw new Error(`Apple certificate material needs an iOS certificate profile, got a ${profile.odataType}.`);
  }
  switch (profileKindOf(profile.odataType)) {
    case 'trustedRootCertificate':
      return trustedRootMaterial(profile);
    case 'scepCertificate':
      return scepMaterial(request);
    case 'pkcsCertificate':
      return pkcsMaterial(request, options);
    case 'email':
      throw new Error(`Apple certificate material needs a certificate profile, got the email profile ${profile.id}.`);
  }
}

/** True for the PKCS placeholder of a preview: an identity that is issued per device at delivery. */
export function isIssuedAtDelivery(material: AppleCertificateMaterial): boolean {
  return material.kind === 'pkcs12' && material.bytes.length === 0 && material.password === null;
}

/** A trusted root's material: its certificate, for any device and no user. */
export function trustedRootMaterial(profile: Profile): RootCertificateMaterial {
  const settings = settingsOf(profile, 'iosTrustedRootCertificate');
  return {
    kind: 'root',
    der: new Uint8Array(Buffer.from(settings.trustedRootCertificate, 'base64')),
    fileName: settings.certFileName ?? null,
    displayName: profile.displayName,
  };
}

function scepMaterial({ certificateProfile: profile, user, device }: AppleMaterialRequest): ScepCertificateMaterial {
  const settings = settingsOf(profile, 'iosScepCertificateProfile') as ScepSettings;
  const names = resolveCertificateNames(settings, user, device);
  const url = settings.scepServerUrls[0];
  if (url === undefined) throw new Error(`SCEP profile ${profile.id} has no scepServerUrls.`);
  const { email, userPrincipalName } = names.altNames;
  return {
    kind: 'scep',
    url,
    subject: names.subject.map(({ oid, value }) => [[appleSubjectKeyOf(oid), value]] as const),
    // Envelope has no NDES (Intune Certificate Connector) challenge integration yet, so the request carries
    // no challenge: only a SCEP server that accepts unchallenged requests will issue.
    challenge: null,
    keySize: keySizeBits[settings.keySize],
    keyUsage: keyUsageMask(settings.keyUsage),
    subjectAltName: email === null && userPrincipalName === null ? null : { rfc822Name: email, ntPrincipalName: userPrincipalName },
    displayName: profile.displayName,
    rootCertificateId: profile.links.rootCertificate,
  };
}

async function pkcsMaterial(request: AppleMaterialRequest, options: AppleMaterialMode): Promise<Pkcs12CertificateMaterial> {
  const { certificateProfile: profile, user, device } = request;
  const common = { kind: 'pkcs12', fileName: `${fileStem(user)}.p12`, displayName: profile.displayName, rootCertificateId: null } as const;
  if (options.mode === 'preview') {
    resolveCertificateNames(settingsOf(profile, 'iosPkcsCertificateProfile') as CertificateNameSettings, user, device);
    return { ...common, bytes: new Uint8Array(0), password: null };
  }
  const identity = await options.identities.issue(request);
  return { ...common, bytes: identity.bytes, password: identity.password };
}

/**
 * The SCEP settings read here. The casts to it (and to CertificateNameSettings) are sound because the
 * model validated the settings against Graph's enums; TypeBox merely types enum members as `string | number`.
 */
interface ScepSettings extends CertificateNameSettings {
  scepServerUrls: string[];
  keySize: (typeof keySizes)[number];
  keyUsage: string;
}

const keySizeBits: Readonly<Record<ScepSettings['keySize'], ScepCertificateMaterial['keySize']>> = {
  size1024: 1024,
  size2048: 2048,
  size4096: 4096,
};

/** Apple `Key Usage`: 1 signing, 4 encryption (Graph flags digitalSignature, keyEncipherment). */
function keyUsageMask(flags: string): ScepCertificateMaterial['keyUsage'] {
  const names = flagNames(flags, keyUsageFlags);
  const sign = names.includes('digitalSignature');
  const encrypt = names.includes('keyEncipherment');
  return sign && encrypt ? 5 : sign ? 1 : encrypt ? 4 : 0;
}

/** `jane.doe` for jane.doe@contoso.com; characters unsafe in a file name become `_`. */
function fileStem(user: DirectoryUser): string {
  return (user.userPrincipalName.split('@')[0] || 'identity').replace(/[^A-Za-z0-9._-]/g, '_');
}
