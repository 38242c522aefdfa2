import { Type } from 'typebox';
import type { GraphScope } from './graph-scope.ts';
import { Collection, CountText, IdParams, ListQueryString, withErrors } from './common-schemas.ts';
import { applySelect, collectionBody, parseCountQuery, parseItemQuery, parseListQuery } from './odata-query.ts';
import { profileFilterFields, profileSortFields } from '../../store/postgres/profile-store.ts';
import { deviceConfigurationSchema, profileToGraph, type Profile } from '../../domain/profiles/index.ts';
import { toGraphAssignment } from '../../domain/assignments/graph-assignment.ts';
import { ProfileResponse, profileSerializerCompiler } from './profile-serializer.ts';
import type { ProfileService } from '../../services/profiles/profile-service.ts';

const base = '/deviceManagement/deviceConfigurations';
// Polymorphic bodies are validated by the profile domain (errors name the field); these document them.
const docs = { docsBody: deviceConfigurationSchema };
const AnyProfile = Type.Record(Type.String(), Type.Unknown(), { description: 'A deviceConfiguration subtype (see @odata.type).' });
// $select may name any property of any subtype; a name a profile lacks selects nothing from it.
const listOptions = { filterable: profileFilterFields, selectable: 'anyProperty', sortable: profileSortFields, expandable: ['assignments'] } as const;

/** `/deviceManagement/deviceConfigurations`: email and certificate profiles, Graph beta shapes. */
export function registerProfileRoutes(scope: GraphScope, profiles: ProfileService): void {
  scope.get(base, {
    schema: { tags: ['profiles'], summary: 'List profiles', querystring: ListQueryString, response: withErrors({ 200: Collection(ProfileResponse) }) },
    serializerCompiler: profileSerializerCompiler(true),
  }, async (request) => {
    const query = parseListQuery(request.query, listOptions);
    const page = await profiles.list(request.principal.tenantId, query);
    const items = await toGraph(profiles, request.principal.tenantId, page.items, query.expand);
    return collectionBody({ ...page, items }, query, request.url, scope.baseUrl(request));
  });

  scope.get(`${base}/$count`, {
    schema: { tags: ['profiles'], summary: 'Count profiles', querystring: ListQueryString, response: withErrors({ 200: CountText }) },
  }, async (request, reply) => {
    const page = await profiles.list(request.principal.tenantId, parseCountQuery(request.query, listOptions));
    return reply.type('text/plain; charset=utf-8').send(String(page.count));
  });

  scope.post(base, {
    schema: { tags: ['profiles'], summary: 'Create a profile (with its assignments when the body has them, as exported with $expand=assignments)', response: withErrors({ 201: AnyProfile }) },
    config: docs,
  }, async (request, reply) => {
    // A profile exported with `$expand=assignments` re-imports with its assignments (one transaction).
    const { profile, assignments } = await profiles.createWithAssignments(request.principal.tenantId, request.body);
    const graph = profileToGraph(profile);
    return reply.status(201).send(assignments ? { ...graph, assignments: assignments.map((a) => toGraphAssignment(profile.id, a)) } : graph);
  });

  scope.get(`${base}/:id`, {
    schema: { tags: ['profiles'], summary: 'Get a profile', params: IdParams, response: withErrors({ 200: ProfileResponse }) },
    serializerCompiler: profileSerializerCompiler(false),
  }, async (request) => {
    const query = parseItemQuery(request.query, listOptions);
    const profile = await profiles.getOrThrow(request.principal.tenantId, request.params.id);
    const [item] = await toGraph(profiles, request.principal.tenantId, [profile], query.expand);
    return applySelect(item!, query.select);
  });

  scope.patch(`${base}/:id`, {
    schema: { tags: ['profiles'], summary: 'Update a profile (version increases)', params: IdParams, response: withErrors({ 200: AnyProfile }) },
    config: docs,
  }, async (request) => profileToGraph(await profiles.update(request.principal.tenantId, request.params.id, request.body)));

  scope.delete(`${base}/:id`, {
    schema: { tags: ['profiles'], summary: 'Delete a profile (devices lose the account)', params: IdParams, response: withErrors({ 204: Type.Null() }) },
  }, async (request, reply) => {
    await profiles.delete(request.principal.tenantId, request.params.id);
    return reply.status(204).send(null);
  });
}

/** Graph profiles, each with its `assignments` inlined when `$expand=assignments` asks for them (one query for the page). */
async function toGraph(profiles: ProfileService, tenantId: string, items: Profile[], expand: readonly string[]): Promise<Record<string, unknown>[]> {
  if (!expand.includes('assignments')) return items.map(profileToGraph);
  const sets = await profiles.assignmentsOf(tenantId, items.map((p) => p.id));
  return items.map((p) => ({ ...profileToGraph(p), assignments: (sets.get(p.id) ?? []).map((a) => toGraphAssignment(p.id, a)) }));
}
