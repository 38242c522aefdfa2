import type { FastifyInstance, FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import { forbidden, notFound } from '../../domain/errors.ts';
import { resourceTypes, scimSchemaDefinitions, serviceProviderConfig } from '../../domain/scim/scim-discovery.ts';
import { scimSchemas } from '../../domain/scim/scim-schemas.ts';
import { selectAttributes, type AttributeSelection } from '../../domain/scim/scim-attributes.ts';
import type { TenantService } from '../../services/auth/tenant-service.ts';
import type { ScimListParams, ScimService } from '../../services/scim/scim-service.ts';
import type { TokenPrincipal } from '../../store/postgres/tenant-store.ts';
import { installScimErrorHandler, scimContentType } from './scim-errors.ts';

export const scimPrefix = '/scim/v2';

const ListQuery = Type.Object(
  {
    filter: Type.Optional(Type.String({ maxLength: 1024, description: 'userName eq "…", externalId eq "…" or displayName eq "…"' })),
    startIndex: Type.Optional(Type.String({ maxLength: 10, description: '1-based index of the first result' })),
    count: Type.Optional(Type.String({ maxLength: 10, description: 'Page size, at most 200' })),
    attributes: Type.Optional(Type.String({ maxLength: 1024, description: 'Only these attributes (and id, schemas), comma-separated (RFC 7644 §3.9)' })),
    excludedAttributes: Type.Optional(Type.String({ maxLength: 1024, description: 'All but these attributes, e.g. members (id and schemas stay)' })),
  },
  { additionalProperties: true },
);
const ItemQuery = Type.Object(
  {
    attributes: Type.Optional(ListQuery.properties.attributes),
    excludedAttributes: Type.Optional(ListQuery.properties.excludedAttributes),
  },
  { additionalProperties: true },
);

/** A list response with each resource cut to the selection (RFC 7644 §3.4.2.5). */
function selectedList<L extends { Resources: Record<string, unknown>[] }>(list: L, selection: AttributeSelection): L {
  return { ...list, Resources: list.Resources.map((r) => selectAttributes(r, selection)) };
}
const ResourceParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 64 }) });
const ScimBody = Type.Object({}, { additionalProperties: true, description: 'A SCIM resource or PatchOp (RFC 7643/7644)' });

/**
 * `/scim/v2`: SCIM 2.0 provisioning for identity providers. Only tokens with the `scim` role may
 * use it (401 without a valid one, 403 for admin and readOnly tokens); the principal is the same
 * `request.principal` as the Graph API's, so cross-cutting hooks (audit) see SCIM writes too.
 * Bodies are `application/scim+json` (plain JSON is accepted); answers and errors are SCIM's.
 */
export function registerScimRoutes(
  scope: FastifyInstance,
  services: { tenants: TenantService; scim: ScimService },
  baseUrl: (request: FastifyRequest) => string,
): void {
  installScimErrorHandler(scope);
  const parseJson = scope.getDefaultJsonParser('error', 'error');
  scope.addContentTypeParser('application/scim+json', { parseAs: 'string' }, parseJson);
  if (!scope.hasRequestDecorator('principal')) scope.decorateRequest('principal', null as unknown as TokenPrincipal);
  scope.addHook('onRequest', async (request, reply) => {
    reply.type(scimContentType);
    request.principal = await services.tenants.authenticate(request.headers.authorization);
    if (request.principal.role !== 'scim') throw forbidden('SCIM needs a token with the scim role (envelope token create --role scim).');
  });

  const { scim } = services;
  const base = baseUrl;
  const tenantOf = (request: FastifyRequest) => request.principal.tenantId;
  const docs = (summary: string, extra: Record<string, unknown> = {}) => ({ schema: { tags: ['scim'], summary, ...extra } });
  type Params = { Params: { id: string } };
  type Query = { Querystring: ScimListParams };
  type ItemParams = Params & { Querystring: AttributeSelection };

  scope.get('/ServiceProviderConfig', docs('SCIM service provider configuration'), async (request) => serviceProviderConfig(base(request)));
  scope.get('/ResourceTypes', docs('SCIM resource types'), async (request) => listOf(resourceTypes(base(request))));
  scope.get<Params>('/ResourceTypes/:id', docs('A SCIM resource type', { params: ResourceParams }), async (request) =>
    oneOr404(resourceTypes(base(request)).find((r) => r.id === request.params.id), request.params.id));
  scope.get('/Schemas', docs('SCIM schemas'), async (request) => listOf(scimSchemaDefinitions(base(request))));
  scope.get<Params>('/Schemas/:id', docs('A SCIM schema', { params: ResourceParams }), async (request) =>
    oneOr404(scimSchemaDefinitions(base(request)).find((r) => r.id === request.params.id), request.params.id));

  scope.get<Query>('/Users', docs('List or find users', { querystring: ListQuery }), async (request) =>
    selectedList(await scim.listUsers(tenantOf(request), request.query, base(request)), request.query));
  scope.post('/Users', docs('Provision a user', { body: ScimBody }), async (request, reply) =>
    reply.status(201).send(await scim.createUser(tenantOf(request), request.body, base(request))));
  scope.get<ItemParams>('/Users/:id', docs('Get a user', { params: ResourceParams, querystring: ItemQuery }), async (request) =>
    selectAttributes(await scim.getUser(tenantOf(request), request.params.id, base(request)), request.query));
  scope.put<Params>('/Users/:id', docs('Replace a user', { params: ResourceParams, body: ScimBody }), async (request) =>
    scim.replaceUser(tenantOf(request), request.params.id, request.body, base(request)));
  scope.patch<Params>('/Users/:id', docs('Update a user (PatchOp)', { params: ResourceParams, body: ScimBody }), async (request) =>
    scim.patchUser(tenantOf(request), request.params.id, request.body, base(request)));
  scope.delete<Params>('/Users/:id', docs('Delete a user', { params: ResourceParams }), async (request, reply) => {
    await scim.deleteUser(tenantOf(request), request.params.id);
    return reply.status(204).send();
  });

  scope.get<Query>('/Groups', docs('List or find groups', { querystring: ListQuery }), async (request) =>
    selectedList(await scim.listGroups(tenantOf(request), request.query, base(request)), request.query));
  scope.post('/Groups', docs('Provision a group', { body: ScimBody }), async (request, reply) =>
    reply.status(201).send(await scim.createGroup(tenantOf(request), request.body, base(request))));
  scope.get<ItemParams>('/Groups/:id', docs('Get a group', { params: ResourceParams, querystring: ItemQuery }), async (request) =>
    selectAttributes(await scim.getGroup(tenantOf(request), request.params.id, request.query, base(request)), request.query));
  scope.put<Params>('/Groups/:id', docs('Replace a group', { params: ResourceParams, body: ScimBody }), async (request) =>
    scim.replaceGroup(tenantOf(request), request.params.id, request.body, base(request)));
  scope.patch<Params>('/Groups/:id', docs('Update a group (PatchOp: members, displayName)', { params: ResourceParams, body: ScimBody }), async (request, reply) => {
    await scim.patchGroup(tenantOf(request), request.params.id, request.body);
    return reply.status(204).send();
  });
  scope.delete<Params>('/Groups/:id', docs('Delete a group', { params: ResourceParams }), async (request, reply) => {
    await scim.deleteGroup(tenantOf(request), request.params.id);
    return reply.status(204).send();
  });
}

function listOf(resources: Record<string, unknown>[]): Record<string, unknown> {
  return { schemas: [scimSchemas.listResponse], totalResults: resources.length, startIndex: 1, itemsPerPage: resources.length, Resources: resources };
}

function oneOr404(resource: Record<string, unknown> | undefined, id: string): Record<string, unknown> {
  if (resource) return resource;
  throw notFound('Resource', id);
}
