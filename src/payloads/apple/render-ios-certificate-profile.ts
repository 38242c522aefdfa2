import type { AppleCertificateMaterial } from './certificate-material.ts';
import { certificatePayload } from './certificate-payloads.ts';
import { iosCertificateProfileIdentifier } from './ios-payload-ids.ts';
import { nameBasedUuid, uuidBytes } from './name-based-uuid.ts';
import { buildPlistXml, serializePlistFragment } from './plist-xml.ts';

export interface RenderIosCertificateProfileInput {
  certificateProfileId: string;
  displayName: string;
  /** The user an identity is issued for; null for a trusted root. */
  userId: string | null;
  material: AppleCertificateMaterial;
  /** Per-deployment namespace and tenant, as for email profiles (`IosPayloadIdSeed`). */
  ids: { namespace: string; tenantId: string };
}

export interface RenderedIosCertificateProfile {
  xml: string;
  payloadIdentifier: string;
  payloadUUID: string;
}

/**
 * A certificate profile (trusted root, SCEP, PKCS) as a `.mobileconfig` of its own: the
 * `Configuration` envelope around the one certificate payload. iOS email profiles carry their
 * certificates inside (Apple resolves `PayloadCertificateUUID` within one profile), so this is what a
 * certificate profile assigned to an iPhone installs by itself — for a root, trust in a private CA
 * for every app. Deterministic: the profile `PayloadUUID` changes with the content.
 */
export function renderIosCertificateProfile(input: RenderIosCertificateProfileInput): RenderedIosCertificateProfile {
  const namespace = uuidBytes(input.ids.namespace);
  const payloadIdentifier = iosCertificateProfileIdentifier(input.certificateProfileId, input.userId);
  const inner = certificatePayload(input.material, {
    identifier: `${payloadIdentifier}.payload`,
    uuid: nameBasedUuid(namespace, ['certificate-profile-payload', input.ids.tenantId, payloadIdentifier]),
  });
  const content = serializePlistFragment([inner], 1);
  const payloadUUID = nameBasedUuid(namespace, ['certificate-profile', input.ids.tenantId, payloadIdentifier, input.displayName, content.xml]);
  const xml = buildPlistXml({
    PayloadType: 'Configuration',
    PayloadVersion: 1,
    PayloadIdentifier: payloadIdentifier,
    PayloadUUID: payloadUUID,
    PayloadDisplayName: input.displayName,
    PayloadContent: content,
  });
  return { xml, payloadIdentifier, payloadUUID };
}
