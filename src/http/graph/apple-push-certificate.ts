import { Type } from 'typebox';
import type { GraphScope } from './graph-scope.ts';
import { withErrors } from './common-schemas.ts';
import type { StoredPushCertificateInfo } from '../../store/postgres/apple-push-certificate-store.ts';
import type { PushCertificateService } from '../../services/enrollment/push-certificate-service.ts';

const PushCertificateUpload = Type.Object(
  {
    certificate: Type.String({ minLength: 1, maxLength: 65536, description: 'PEM: the MDM push certificate Apple issued.' }),
    privateKey: Type.String({ minLength: 1, maxLength: 65536, writeOnly: true, description: 'PEM, unencrypted: the key of the CSR sent to Apple.' }),
  },
  { additionalProperties: false },
);

const ApplePushCertificate = Type.Object(
  {
    topic: Type.String({ description: "The certificate's UID (com.apple.mgmt.…): the APNs topic every enrollment profile names." }),
    expirationDateTime: Type.String({ format: 'date-time' }),
    subject: Type.String(),
    issuer: Type.String(),
    serialNumber: Type.String(),
  },
  { additionalProperties: false },
);

function toBody(info: StoredPushCertificateInfo) {
  return { topic: info.topic, expirationDateTime: info.notAfter, subject: info.subject, issuer: info.issuer, serialNumber: info.serialNumber };
}

/**
 * Envelope extension `/envelope/applePushCertificate`: the tenant's Apple MDM push certificate. The
 * private key is stored sealed and never returned. Admin only to upload.
 */
export function registerApplePushCertificateRoutes(scope: GraphScope, pushCertificates: PushCertificateService): void {
  const path = '/envelope/applePushCertificate';

  scope.put(path, {
    schema: { tags: ['enrollment'], summary: 'Upload or renew the Apple MDM push certificate', body: PushCertificateUpload, response: withErrors({ 200: ApplePushCertificate }) },
  }, async (request) => toBody(await pushCertificates.put(request.principal.tenantId, request.body)));

  scope.get(path, {
    schema: { tags: ['enrollment'], summary: 'The Apple MDM push certificate (topic and expiry)', response: withErrors({ 200: ApplePushCertificate }) },
  }, async (request) => toBody(await pushCertificates.getOrThrow(request.principal.tenantId)));
}
