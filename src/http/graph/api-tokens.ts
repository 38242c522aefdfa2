import { Type, type Static } from 'typebox';
import type { GraphScope } from './graph-scope.ts';
import { IdParams, withErrors } from './common-schemas.ts';
import type { TenantService } from '../../services/auth/tenant-service.ts';
import { maxTokenLifetimeDays } from '../../services/auth/tokens.ts';

const closed = { additionalProperties: false } as const;
const Role = Type.Union([Type.Literal('admin'), Type.Literal('readOnly'), Type.Literal('scim')]);
const DateTime = Type.String({ format: 'date-time' });
const Nullable = <T extends Parameters<typeof Type.Union>[0][number]>(schema: T) => Type.Union([schema, Type.Null()]);

const ApiToken = Type.Object(
  {
    id: Type.String(),
    role: Role,
    displayName: Type.String({ description: 'The label given at creation (may be empty).' }),
    createdDateTime: DateTime,
    revokedDateTime: Nullable(DateTime),
    expirationDateTime: Nullable(DateTime),
    lastUsedDateTime: Nullable(DateTime),
  },
  closed,
);

const ApiTokenCreate = Type.Object(
  {
    role: Type.String({ description: 'admin, readOnly or scim.' }),
    displayName: Type.Optional(Type.String({ maxLength: 200, description: 'A label naming who or what uses the token; shown in the audit trail.' })),
    expirationDays: Type.Optional(Type.Integer({ description: `Whole days until the token expires, 1–${maxTokenLifetimeDays}; absent: it never expires.` })),
  },
  closed,
);
type ApiTokenCreateBody = Static<typeof ApiTokenCreate>;

const IssuedApiToken = Type.Object(
  {
    id: Type.String(),
    token: Type.String({ description: 'The bearer token. Shown this once: only its SHA-256 is stored.' }),
    role: Role,
    displayName: Type.String(),
    expirationDateTime: Nullable(DateTime),
  },
  closed,
);

/**
 * Envelope extension `/envelope/apiTokens`: the tenant's API tokens, as `envelope token create|list|revoke`
 * manages them, for admins only (a readOnly token could otherwise enumerate who holds admin access).
 * A token's value is returned once, at creation; creating and revoking are audited.
 */
export function registerApiTokenRoutes(scope: GraphScope, tenants: TenantService): void {
  const path = '/envelope/apiTokens';
  const adminOnly = { adminOnly: true } as const;

  scope.get(path, {
    config: adminOnly,
    schema: { tags: ['apiTokens'], summary: "List the tenant's API tokens (never their values)", response: withErrors({ 200: Type.Object({ value: Type.Array(ApiToken) }, closed) }) },
  }, async (request) => {
    const tokens = await tenants.listTokensIn(request.principal.tenantId);
    return { value: tokens.map(({ label, ...token }) => ({ ...token, displayName: label })) };
  });

  scope.post<{ Body: ApiTokenCreateBody }>(path, {
    config: adminOnly,
    schema: { tags: ['apiTokens'], summary: 'Issue an API token (its value is shown once)', body: ApiTokenCreate, response: withErrors({ 201: IssuedApiToken }) },
  }, async (request, reply) => {
    const { role, displayName = '', expirationDays } = request.body;
    const issued = await tenants.createTokenIn(request.principal.tenantId, role, displayName, expirationDays === undefined ? '' : String(expirationDays), 'expirationDays');
    return reply.status(201).send({ id: issued.tokenId, token: issued.token, role: issued.role, displayName, expirationDateTime: issued.expirationDateTime });
  });

  scope.delete(`${path}/:id`, {
    config: adminOnly,
    schema: { tags: ['apiTokens'], summary: 'Revoke an API token at once', params: IdParams, response: withErrors({ 204: Type.Null() }) },
  }, async (request, reply) => {
    await tenants.revokeTokenIn(request.principal.tenantId, request.params.id);
    return reply.status(204).send(null);
  });
}
