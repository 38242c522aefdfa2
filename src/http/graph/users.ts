import { Type } from 'typebox';
import type { GraphScope } from './graph-scope.ts';
import { Collection, CountText, ItemQueryString, ListQueryString, withErrors } from './common-schemas.ts';
import { applySelect, collectionBody, parseCountQuery, parseItemQuery, parseListQuery } from './odata-query.ts';
import { userFilterFields, userSearchFields, userSortFields } from '../../store/postgres/user-store.ts';
import type { UserService } from '../../services/directory/user-service.ts';

const Email = Type.String({ format: 'email', maxLength: 320 });
const NullableText = (max: number) => Type.Union([Type.String({ minLength: 1, maxLength: max }), Type.Null()]);

const writable = {
  displayName: Type.String({ minLength: 1, maxLength: 256 }),
  userPrincipalName: Type.String({ format: 'email', maxLength: 320, description: 'user@domain; unique in the tenant.' }),
  mail: Type.Union([Email, Type.Null()], { description: 'Primary SMTP address.' }),
  onPremisesSamAccountName: NullableText(64),
  onPremisesDomainName: NullableText(255),
  onPremisesNetBiosName: NullableText(15),
  accountEnabled: Type.Boolean({ description: 'False for a disabled account (SCIM active: false); its devices keep their profiles.' }),
  givenName: NullableText(64),
  surname: NullableText(64),
  mailNickname: NullableText(64),
};

/**
 * Graph's `passwordProfile`: accepted so that Microsoft's documented create bodies work unchanged,
 * and dropped at once: Envelope authenticates no user, so it never stores or logs a password.
 */
const PasswordProfile = Type.Object(
  {
    password: Type.Optional(Type.String({ maxLength: 256 })),
    forceChangePasswordNextSignIn: Type.Optional(Type.Boolean()),
    forceChangePasswordNextSignInWithMfa: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false, description: 'Accepted and discarded: Envelope never stores a password.' },
);

/** `/users/{id | userPrincipalName}` */
const UserKeyParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 320, description: 'The user id or userPrincipalName.' }) });

export const UserCreate = Type.Object(
  {
    displayName: writable.displayName,
    userPrincipalName: writable.userPrincipalName,
    mail: Type.Optional(writable.mail),
    onPremisesSamAccountName: Type.Optional(writable.onPremisesSamAccountName),
    onPremisesDomainName: Type.Optional(writable.onPremisesDomainName),
    onPremisesNetBiosName: Type.Optional(writable.onPremisesNetBiosName),
    accountEnabled: Type.Optional(writable.accountEnabled),
    givenName: Type.Optional(writable.givenName),
    surname: Type.Optional(writable.surname),
    mailNickname: Type.Optional(writable.mailNickname),
    passwordProfile: Type.Optional(PasswordProfile),
  },
  { additionalProperties: false },
);

export const UserPatch = Type.Partial(Type.Object({ ...writable, passwordProfile: PasswordProfile }), { additionalProperties: false, minProperties: 1 });

export const User = Type.Object(
  { id: Type.String(), ...writable, createdDateTime: Type.String({ format: 'date-time' }) },
  { $id: 'user', additionalProperties: false },
);

const selectable = Object.keys(User.properties);
const listOptions = { filterable: userFilterFields, selectable, sortable: userSortFields, searchable: userSearchFields };

/** `/users`: Graph-shaped directory users (the attributes email profiles take usernames and addresses from). */
export function registerUserRoutes(scope: GraphScope, users: UserService): void {
  scope.get('/users', {
    schema: { tags: ['directory'], summary: 'List users', querystring: ListQueryString, response: withErrors({ 200: Collection(Type.Partial(User)) }) },
  }, async (request) => {
    const query = parseListQuery(request.query, listOptions, request.headers);
    const page = await users.list(request.principal.tenantId, query);
    return collectionBody(page, query, request.url, scope.baseUrl(request));
  });

  scope.get(`${'/users'}/$count`, {
    schema: { tags: ['directory'], summary: 'Count users', querystring: ListQueryString, response: withErrors({ 200: CountText }) },
  }, async (request, reply) => {
    const page = await users.list(request.principal.tenantId, parseCountQuery(request.query, listOptions, request.headers));
    return reply.type('text/plain; charset=utf-8').send(String(page.count));
  });

  scope.post('/users', {
    schema: { tags: ['directory'], summary: 'Create a user', body: UserCreate, response: withErrors({ 201: User }) },
  }, async (request, reply) => {
    const { passwordProfile: _discarded, ...fields } = request.body;
    const user = await users.create(request.principal.tenantId, fields);
    return reply.status(201).send(user);
  });

  scope.get('/users/:id', {
    schema: { tags: ['directory'], summary: 'Get a user by id or userPrincipalName', params: UserKeyParams, querystring: ItemQueryString, response: withErrors({ 200: Type.Partial(User) }) },
  }, async (request) => {
    const query = parseItemQuery(request.query, listOptions);
    return applySelect(await users.getByKeyOrThrow(request.principal.tenantId, request.params.id), query.select);
  });

  scope.patch('/users/:id', {
    schema: { tags: ['directory'], summary: 'Update a user (by id or userPrincipalName)', params: UserKeyParams, body: UserPatch, response: withErrors({ 204: Type.Null() }) },
  }, async (request, reply) => {
    const { passwordProfile: _discarded, ...changes } = request.body;
    await users.update(request.principal.tenantId, request.params.id, changes);
    return reply.status(204).send(null);
  });

  scope.delete('/users/:id', {
    schema: { tags: ['directory'], summary: 'Delete a user (by id or userPrincipalName)', params: UserKeyParams, response: withErrors({ 204: Type.Null() }) },
  }, async (request, reply) => {
    await users.delete(request.principal.tenantId, request.params.id);
    return reply.status(204).send(null);
  });
}
