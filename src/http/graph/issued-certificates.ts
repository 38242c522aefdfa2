import { Type } from 'typebox';
import type { GraphScope } from './graph-scope.ts';
import { Collection, ListQueryString, withErrors } from './common-schemas.ts';
import { collectionBody, parseListQuery } from './odata-query.ts';
import { issuedCertificateFilterFields } from '../../store/postgres/issued-identity-store.ts';
import type { IssuedCertificateService } from '../../services/certificates/issued-certificates.ts';

const IssuedCertificate = Type.Object(
  {
    id: Type.String(),
    deviceId: Type.String(),
    deviceName: Type.String(),
    userId: Type.String(),
    userPrincipalName: Type.Union([Type.String(), Type.Null()]),
    profileId: Type.String({ description: 'The PKCS certificate profile it was issued for.' }),
    profileDisplayName: Type.String(),
    profileVersion: Type.Integer(),
    serialNumber: Type.String({ description: 'Lower-case hex.' }),
    notBefore: Type.String({ format: 'date-time' }),
    notAfter: Type.String({ format: 'date-time' }),
    issuedDateTime: Type.String({ format: 'date-time' }),
  },
  { additionalProperties: false },
);
const selectable = Object.keys(IssuedCertificate.properties);

/**
 * Envelope extension `/envelope/issuedCertificates`: the certificates the tenant CA issued to devices
 * for PKCS profiles, paged with $top and @odata.nextLink, filterable by deviceId, profileId, userId and
 * serialNumber. Readable with any token of the tenant; the private keys never leave the server.
 */
export function registerIssuedCertificateRoutes(scope: GraphScope, issued: IssuedCertificateService): void {
  scope.get('/envelope/issuedCertificates', {
    schema: {
      tags: ['certificates'],
      summary: 'Certificates issued to devices from the tenant CA (Envelope extension)',
      querystring: ListQueryString,
      response: withErrors({ 200: Collection(Type.Partial(IssuedCertificate)) }),
    },
  }, async (request) => {
    const query = parseListQuery(request.query, { filterable: issuedCertificateFilterFields, selectable });
    return collectionBody(await issued.list(request.principal.tenantId, query), query, request.url, scope.baseUrl(request));
  });
}
