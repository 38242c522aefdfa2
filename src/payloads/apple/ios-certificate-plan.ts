import type { AppleCertificateMaterial, AppleCertificateMaterialById } from './certificate-material.ts';
import type { EmailCertificateType, IosEmailCertificateLinks, IosEmailSettingsInput } from './ios-email-profile-input.ts';
import { certificateKindMismatch, certificateLinkMissing, certificateMaterialMissing, settingNotSupported } from './ios-render-errors.ts';

type IdentityLink = 'identityCertificate' | 'smimeSigningCertificate' | 'smimeEncryptionCertificate';

export interface PlannedCertificate {
  certificateProfileId: string;
  material: AppleCertificateMaterial;
}

/** Which certificate payloads an iOS email profile carries and which role each plays. */
export interface IosCertificatePlan {
  /** Every certificate payload, each certificate profile once: trusted roots first, then identities. */
  payloads: PlannedCertificate[];
  /** Certificate profile id behind `PayloadCertificateUUID` (certificate authentication), else null. */
  identity: string | null;
  /** Behind `SMIMESigningCertificateUUID`, else null. */
  signing: string | null;
  /** Behind `SMIMEEncryptionCertificateUUID`, else null. */
  encryption: string | null;
}

/**
 * Decides which linked certificate profiles the rendered profile needs and checks that their
 * material is there and of the right kind. Only what the settings use is delivered: the identity
 * certificate only with `authenticationMethod = certificate`, S/MIME certificates only with
 * `requireSmime` and a certificate type other than `none` ("the user picks"). A certificate type of
 * `certificate` without a link, or a link without material, is an error, never a payload that
 * silently falls back to another authentication. Derived credentials are not supported.
 */
export function planIosCertificates(
  settings: IosEmailSettingsInput,
  links: IosEmailCertificateLinks,
  materials: AppleCertificateMaterialById,
): IosCertificatePlan {
  const authentication = settings.authenticationMethod ?? 'usernameAndPassword';
  if (authentication === 'derivedCredential') throw settingNotSupported('authenticationMethod', authentication);
  const identity =
    authentication === 'certificate'
      ? (links.identityCertificate ?? throwError(certificateLinkMissing('identityCertificate', 'certificate authentication')))
      : null;
  const smime = settings.requireSmime === true;
  const signing = smime ? smimeCertificate(links.smimeSigningCertificate, settings.signingCertificateType, 'smimeSigningCertificate', 'signingCertificateType') : null;
  const encryption = smime
    ? smimeCertificate(links.smimeEncryptionCertificate, settings.encryptionCertificateType, 'smimeEncryptionCertificate', 'encryptionCertificateType')
    : null;

  const identities = new Map<string, PlannedCertificate>();
  const roots = new Map<string, PlannedCertificate>();
  for (const [id, link] of [[identity, 'identityCertificate'], [signing, 'smimeSigningCertificate'], [encryption, 'smimeEncryptionCertificate']] as const) {
    if (id === null || identities.has(id)) continue;
    const material = identityMaterial(materials, id, link);
    identities.set(id, { certificateProfileId: id, material });
    const rootId = material.rootCertificateId;
    if (rootId && !roots.has(rootId)) roots.set(rootId, { certificateProfileId: rootId, material: rootMaterial(materials, rootId, link) });
  }
  return { payloads: [...roots.values(), ...identities.values()], identity, signing, encryption };
}

function smimeCertificate(
  link: string | null | undefined,
  type: EmailCertificateType | null | undefined,
  linkName: IdentityLink,
  typeName: string,
): string | null {
  if (type === 'derivedCredential') throw settingNotSupported(typeName, type);
  if (type === 'none') return null;
  if (type === 'certificate' && !link) throw certificateLinkMissing(linkName, `${typeName} 'certificate'`);
  return link ?? null;
}

function identityMaterial(materials: AppleCertificateMaterialById, id: string, link: IdentityLink): Exclude<AppleCertificateMaterial, { kind: 'root' }> {
  const material = materials.get(id) ?? throwError(certificateMaterialMissing(id, link));
  if (material.kind === 'root') throw certificateKindMismatch(id, link, 'an identity (PKCS or SCEP)', 'trusted root');
  return material;
}

function rootMaterial(materials: AppleCertificateMaterialById, id: string, link: IdentityLink): AppleCertificateMaterial {
  const material = materials.get(id) ?? throwError(certificateMaterialMissing(id, `${link} root`));
  if (material.kind !== 'root') throw certificateKindMismatch(id, `${link} root`, 'a trusted root', material.kind);
  return material;
}

function throwError(error: Error): never {
  throw error;
}
