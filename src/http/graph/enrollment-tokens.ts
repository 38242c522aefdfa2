import { Type } from 'typebox';
import type { GraphScope } from './graph-scope.ts';
import { Collection, IdParams, ListQueryString, withErrors } from './common-schemas.ts';
import { collectionBody, parseListQuery } from './odata-query.ts';
import { enrollmentPlatforms, enrollmentTokenFilterFields } from '../../store/postgres/enrollment-token-store.ts';
import { maxDevicesPerEnrollmentToken, type EnrollmentTokenService } from '../../services/enrollment/enrollment-token-service.ts';

const EnrollmentTokenCreate = Type.Object(
  {
    userId: Type.String({ format: 'uuid', description: 'The user whose devices the token enrolls.' }),
    platform: Type.Enum(enrollmentPlatforms),
    maxDevices: Type.Optional(Type.Integer({ minimum: 1, maximum: maxDevicesPerEnrollmentToken, description: 'Devices it may enroll; default 1.' })),
    expirationDateTime: Type.Optional(Type.String({ format: 'date-time', description: 'Default: 7 days from now; at most 30 days away.' })),
  },
  { additionalProperties: false },
);

const IssuedEnrollmentToken = Type.Object(
  {
    id: Type.String(),
    token: Type.String({ description: 'Shown once; only its SHA-256 is stored.' }),
    enrollmentUrl: Type.String({ description: 'The link the user opens on the device.' }),
    expirationDateTime: Type.String({ format: 'date-time' }),
    maxDevices: Type.Integer(),
  },
  { additionalProperties: false },
);

const EnrollmentToken = Type.Object(
  {
    id: Type.String(),
    userId: Type.String(),
    platform: Type.Enum(enrollmentPlatforms),
    maxDevices: Type.Integer(),
    usedCount: Type.Integer({ description: 'Devices that completed enrollment with it.' }),
    expirationDateTime: Type.String({ format: 'date-time' }),
    revokedDateTime: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
    createdDateTime: Type.String({ format: 'date-time' }),
  },
  { additionalProperties: false },
);

const selectable = Object.keys(EnrollmentToken.properties);

/**
 * Envelope extension `/envelope/enrollmentTokens`: links that enroll a user's devices. Admin only to
 * create and revoke; readOnly tokens may list them (never the values, which are not stored).
 */
export function registerEnrollmentTokenRoutes(scope: GraphScope, tokens: EnrollmentTokenService): void {
  const path = '/envelope/enrollmentTokens';

  scope.post(path, {
    schema: { tags: ['enrollment'], summary: 'Issue an enrollment token', body: EnrollmentTokenCreate, response: withErrors({ 201: IssuedEnrollmentToken }) },
  }, async (request, reply) => reply.status(201).send(await tokens.create(request.principal.tenantId, request.body)));

  scope.get(path, {
    schema: { tags: ['enrollment'], summary: 'List enrollment tokens', querystring: ListQueryString, response: withErrors({ 200: Collection(Type.Partial(EnrollmentToken)) }) },
  }, async (request) => {
    const query = parseListQuery(request.query, { filterable: enrollmentTokenFilterFields, selectable, sortable: ['createdDateTime'] });
    return collectionBody(await tokens.list(request.principal.tenantId, query), query, request.url, scope.baseUrl(request));
  });

  scope.get(`${path}/:id`, {
    schema: { tags: ['enrollment'], summary: 'Get an enrollment token', params: IdParams, response: withErrors({ 200: EnrollmentToken }) },
  }, async (request) => tokens.getOrThrow(request.principal.tenantId, request.params.id));

  scope.delete(`${path}/:id`, {
    schema: { tags: ['enrollment'], summary: 'Revoke an enrollment token', params: IdParams, response: withErrors({ 204: Type.Null() }) },
  }, async (request, reply) => {
    await tokens.revoke(request.principal.tenantId, request.params.id);
    return reply.status(204).send(null);
  });
}
