import type {
  AppleCertificateMaterial,
  Pkcs12CertificateMaterial,
  RootCertificateMaterial,
  ScepCertificateMaterial,
  ScepSubjectAltName,
} from './certificate-material.ts';
import type { PlistDict } from './plist-xml.ts';

export type CertificatePayloadType = 'com.apple.security.pkcs12' | 'com.apple.security.scep' | 'com.apple.security.root';

export const certificatePayloadTypes: Readonly<Record<AppleCertificateMaterial['kind'], CertificatePayloadType>> = {
  pkcs12: 'com.apple.security.pkcs12',
  scep: 'com.apple.security.scep',
  root: 'com.apple.security.root',
};

export interface PayloadIdentity {
  identifier: string;
  uuid: string;
}

/**
 * The Apple payload dictionary that installs `material`, under the given identifier and UUID (the
 * EAS payload refers to it by that UUID). Keys follow Apple's YAML for each payload type; optional
 * material fields that are null or absent are omitted so the device applies its defaults.
 */
export function certificatePayload(material: AppleCertificateMaterial, id: PayloadIdentity): PlistDict {
  const common = {
    PayloadType: certificatePayloadTypes[material.kind],
    PayloadVersion: 1,
    PayloadIdentifier: id.identifier,
    PayloadUUID: id.uuid,
    PayloadDisplayName: material.displayName ?? undefined,
  };
  switch (material.kind) {
    case 'pkcs12':
      return { ...common, ...pkcs12Keys(material) };
    case 'scep':
      return { ...common, PayloadContent: scepContent(material) };
    case 'root':
      return { ...common, ...rootKeys(material) };
  }
}

function pkcs12Keys(material: Pkcs12CertificateMaterial): PlistDict {
  return {
    PayloadCertificateFileName: material.fileName ?? undefined,
    PayloadContent: material.bytes,
    // The identity's own transport password (see Pkcs12CertificateMaterial.password), the only
    // `Password` key Envelope ever writes.
    Password: material.password ?? undefined,
  };
}

function rootKeys(material: RootCertificateMaterial): PlistDict {
  return {
    PayloadCertificateFileName: material.fileName ?? undefined,
    PayloadContent: material.der,
  };
}

/** The SCEP `PayloadContent` dictionary. `Key Type` and the key size are always explicit. */
function scepContent(material: ScepCertificateMaterial): PlistDict {
  return {
    URL: material.url,
    Name: material.caName ?? undefined,
    Subject: material.subject.map((rdn) => rdn.map(([oid, value]) => [oid, value])),
    Challenge: material.challenge ?? undefined,
    Keysize: material.keySize,
    'Key Type': 'RSA',
    'Key Usage': material.keyUsage,
    SubjectAltName: material.subjectAltName ? subjectAltName(material.subjectAltName) : undefined,
    CAFingerprint: material.caFingerprint ?? undefined,
    Retries: material.retries ?? undefined,
    RetryDelay: material.retryDelaySeconds ?? undefined,
  };
}

function subjectAltName(san: ScepSubjectAltName): PlistDict | undefined {
  const dict = {
    rfc822Name: san.rfc822Name ?? undefined,
    dNSName: san.dNSName ?? undefined,
    uniformResourceIdentifier: san.uniformResourceIdentifier ?? undefined,
    ntPrincipalName: san.ntPrincipalName ?? undefined,
  };
  return Object.values(dict).some((value) => value !== undefined) ? dict : undefined;
}
