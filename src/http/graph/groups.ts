import { Type, type Static } from 'typebox';
import type { GraphScope } from './graph-scope.ts';
import { Collection, CountText, IdParams, ItemQueryString, ListQueryString, withErrors } from './common-schemas.ts';
import { applySelect, collectionBody, nextLink, parseCountQuery, parseItemQuery, parseListQuery } from './odata-query.ts';
import { groupFilterFields, groupSearchFields, groupSortFields } from '../../store/postgres/group-store.ts';
import type { GroupMember, GroupService } from '../../services/directory/group-service.ts';
import { User } from './users.ts';
import { ManagedDevice } from './managed-devices.ts';

const writable = {
  displayName: Type.String({ minLength: 1, maxLength: 256 }),
  description: Type.Union([Type.String({ maxLength: 1024 }), Type.Null()]),
  mailNickname: Type.Union([Type.String({ minLength: 1, maxLength: 64 }), Type.Null()]),
  mailEnabled: Type.Boolean({ description: 'Kept as given; Envelope groups are security groups either way.' }),
  securityEnabled: Type.Boolean({ description: 'Kept as given; Envelope groups are security groups either way.' }),
  groupTypes: Type.Array(Type.String({ minLength: 1, maxLength: 64 }), { maxItems: 8, description: "e.g. [] or ['Unified']; kept as given." }),
};
const optionalWritable = {
  description: Type.Optional(writable.description),
  mailNickname: Type.Optional(writable.mailNickname),
  mailEnabled: Type.Optional(writable.mailEnabled),
  securityEnabled: Type.Optional(writable.securityEnabled),
  groupTypes: Type.Optional(writable.groupTypes),
};
const MembersBind = Type.Array(Type.String(), { maxItems: 20, description: 'Directory object URLs of users or devices to add (Graph allows 20 per request).' });

const GroupCreate = Type.Object(
  { displayName: writable.displayName, ...optionalWritable, 'members@odata.bind': Type.Optional(MembersBind) },
  { additionalProperties: false },
);
const GroupPatch = Type.Object(
  { displayName: Type.Optional(writable.displayName), ...optionalWritable, 'members@odata.bind': Type.Optional(MembersBind) },
  { additionalProperties: false, minProperties: 1 },
);
const Group = Type.Object(
  { id: Type.String(), ...writable, createdDateTime: Type.String({ format: 'date-time' }) },
  { additionalProperties: false },
);
const MemberRefBody = Type.Object({ '@odata.id': Type.String({ minLength: 1 }) }, { additionalProperties: false });
const MemberParams = Type.Object({ id: Type.String({ format: 'uuid' }), memberId: Type.String({ format: 'uuid' }) });
const Member = Type.Union([
  Type.Object({ '@odata.type': Type.Literal('#microsoft.graph.user'), ...User.properties }),
  Type.Object({ '@odata.type': Type.Literal('#microsoft.graph.managedDevice'), ...ManagedDevice.properties }),
]);

const selectable = Object.keys(Group.properties);
const listOptions = { filterable: groupFilterFields, selectable, sortable: groupSortFields, searchable: groupSearchFields };

function memberToGraph(member: GroupMember): Static<typeof Member> {
  if (member.kind === 'user') {
    const { kind: _kind, ...user } = member;
    return { '@odata.type': '#microsoft.graph.user', ...user };
  }
  const { kind: _kind, ...device } = member;
  return { '@odata.type': '#microsoft.graph.managedDevice', ...device };
}

/** `/groups` and their members (users and managed devices), Graph-shaped. */
export function registerGroupRoutes(scope: GraphScope, groups: GroupService): void {
  scope.get('/groups', {
    schema: { tags: ['directory'], summary: 'List groups', querystring: ListQueryString, response: withErrors({ 200: Collection(Type.Partial(Group)) }) },
  }, async (request) => {
    const query = parseListQuery(request.query, listOptions, request.headers);
    return collectionBody(await groups.list(request.principal.tenantId, query), query, request.url, scope.baseUrl(request));
  });

  scope.get(`${'/groups'}/$count`, {
    schema: { tags: ['directory'], summary: 'Count groups', querystring: ListQueryString, response: withErrors({ 200: CountText }) },
  }, async (request, reply) => {
    const page = await groups.list(request.principal.tenantId, parseCountQuery(request.query, listOptions, request.headers));
    return reply.type('text/plain; charset=utf-8').send(String(page.count));
  });

  scope.post('/groups', {
    schema: { tags: ['directory'], summary: 'Create a group', body: GroupCreate, response: withErrors({ 201: Group }) },
  }, async (request, reply) => {
    const { 'members@odata.bind': members, ...fields } = request.body;
    return reply.status(201).send(await groups.create(request.principal.tenantId, fields, members));
  });

  scope.get('/groups/:id', {
    schema: { tags: ['directory'], summary: 'Get a group', params: IdParams, querystring: ItemQueryString, response: withErrors({ 200: Type.Partial(Group) }) },
  }, async (request) => {
    const query = parseItemQuery(request.query, listOptions);
    return applySelect(await groups.getOrThrow(request.principal.tenantId, request.params.id), query.select);
  });

  scope.patch('/groups/:id', {
    schema: { tags: ['directory'], summary: 'Update a group', params: IdParams, body: GroupPatch, response: withErrors({ 204: Type.Null() }) },
  }, async (request, reply) => {
    const { 'members@odata.bind': members, ...changes } = request.body;
    await groups.update(request.principal.tenantId, request.params.id, changes, members);
    return reply.status(204).send(null);
  });

  scope.delete('/groups/:id', {
    schema: { tags: ['directory'], summary: 'Delete a group (refused while a profile is assigned to it)', params: IdParams, response: withErrors({ 204: Type.Null() }) },
  }, async (request, reply) => {
    await groups.delete(request.principal.tenantId, request.params.id);
    return reply.status(204).send(null);
  });

  scope.get('/groups/:id/members', {
    schema: { tags: ['directory'], summary: 'List direct members', params: IdParams, querystring: ListQueryString, response: withErrors({ 200: Collection(Member) }) },
  }, async (request) => {
    const query = parseListQuery(request.query, { filterable: ['id'], selectable: [] });
    const page = await groups.listMembers(request.principal.tenantId, request.params.id, query);
    const link = nextLink(page, query.orderBy, request.url, scope.baseUrl(request));
    return { value: page.items.map(memberToGraph), ...(link ? { '@odata.nextLink': link } : {}) };
  });

  scope.post('/groups/:id/members/$ref', {
    schema: { tags: ['directory'], summary: 'Add a user or device to the group', params: IdParams, body: MemberRefBody, response: withErrors({ 204: Type.Null() }) },
  }, async (request, reply) => {
    await groups.addMember(request.principal.tenantId, request.params.id, request.body['@odata.id']);
    return reply.status(204).send(null);
  });

  scope.delete('/groups/:id/members/:memberId/$ref', {
    schema: { tags: ['directory'], summary: 'Remove a member from the group', params: MemberParams, response: withErrors({ 204: Type.Null() }) },
  }, async (request, reply) => {
    await groups.removeMember(request.principal.tenantId, request.params.id, request.params.memberId);
    return reply.status(204).send(null);
  });
}
