import { Type } from 'typebox';
import type { GraphScope } from './graph-scope.ts';
import { withErrors } from './common-schemas.ts';
import type { TenantService } from '../../services/auth/tenant-service.ts';
import type { TenantCaService } from '../../services/certificates/tenant-ca.ts';

const CertificateAuthority = Type.Object(
  {
    subject: Type.String(),
    thumbprint: Type.String({ description: 'SHA-1 of the DER certificate, upper-case hex (as Intune shows thumbprints).' }),
    notBefore: Type.String({ format: 'date-time' }),
    notAfter: Type.String({ format: 'date-time' }),
    certificate: Type.String({ description: 'Base64 DER: paste into a trusted root profile (trustedRootCertificate).' }),
  },
  { additionalProperties: false },
);

/**
 * Envelope extension: the tenant's own CA (issuer of PKCS certificate profiles), created on first
 * request. The private key never leaves the server.
 */
export function registerCertificateAuthorityRoutes(scope: GraphScope, tenants: TenantService, tenantCa: TenantCaService): void {
  scope.get('/envelope/certificateAuthority', {
    schema: { tags: ['certificates'], summary: "The tenant's own certificate authority (public part)", response: withErrors({ 200: CertificateAuthority }) },
  }, async (request) => {
    const { tenantId } = request.principal;
    const tenant = await tenants.getTenant(tenantId);
    const { certificate } = await tenantCa.ensure(tenantId, tenant.name);
    const thumbprint = Buffer.from(await certificate.getThumbprint('SHA-1')).toString('hex').toUpperCase();
    return {
      subject: certificate.subject,
      thumbprint,
      notBefore: certificate.notBefore.toISOString(),
      notAfter: certificate.notAfter.toISOString(),
      certificate: Buffer.from(certificate.rawData).toString('base64'),
    };
  });
}
