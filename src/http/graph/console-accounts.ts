import { Type, type Static } from 'typebox';
import type { FastifyInstance } from 'fastify';
import type { GraphScope } from './graph-scope.ts';
import { IdParams, withErrors } from './common-schemas.ts';
import type { TokenPrincipal } from '../../store/postgres/tenant-store.ts';
import { maxPasswordLength, type ConsoleAccountService } from '../../services/auth/console-accounts.ts';

const closed = { additionalProperties: false } as const;
const Role = Type.Union([Type.Literal('admin'), Type.Literal('readOnly')]);

const ConsoleAccount = Type.Object(
  {
    id: Type.String(),
    userName: Type.String(),
    role: Role,
    createdDateTime: Type.String({ format: 'date-time' }),
    lastSignInDateTime: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
    lockedUntilDateTime: Type.Union([Type.String({ format: 'date-time' }), Type.Null()], { description: 'Set while repeated failed sign-ins lock the account.' }),
  },
  closed,
);

const ConsoleAccountCreate = Type.Object(
  {
    userName: Type.String({ minLength: 1, maxLength: 64, description: "Letters, digits, '.', '_', '@', '-'; unique in the tenant whatever the case." }),
    role: Type.String({ description: 'admin or readOnly' }),
    password: Type.String({ maxLength: maxPasswordLength, format: 'password', writeOnly: true, description: 'At least 12 characters; stored only as its scrypt hash, never returned.' }),
  },
  closed,
);

const ConsoleSessionCreate = Type.Object(
  {
    tenant: Type.Optional(Type.String({ maxLength: 63, description: "The tenant's name; default: the default tenant." })),
    userName: Type.String({ minLength: 1, maxLength: 64 }),
    password: Type.String({ minLength: 1, maxLength: maxPasswordLength, format: 'password', writeOnly: true }),
  },
  closed,
);

const ConsoleSession = Type.Object(
  {
    token: Type.String({ description: 'A bearer token for the API, valid until expirationDateTime.' }),
    tokenId: Type.String(),
    userName: Type.String(),
    role: Role,
    expirationDateTime: Type.String({ format: 'date-time' }),
  },
  closed,
);

type ConsoleSessionBody = Static<typeof ConsoleSessionCreate>;

/**
 * Envelope extension `/envelope/consoleAccounts`: the tenant's console accounts. Admins create and
 * delete them (audited, the password redacted); any token of the tenant may list them. A password
 * is never returned.
 */
export function registerConsoleAccountRoutes(scope: GraphScope, accounts: ConsoleAccountService): void {
  const path = '/envelope/consoleAccounts';

  scope.post(path, {
    schema: { tags: ['consoleAccounts'], summary: 'Create a console account', body: ConsoleAccountCreate, response: withErrors({ 201: ConsoleAccount }) },
  }, async (request, reply) => reply.status(201).send(await accounts.create(request.principal.tenantId, request.body)));

  scope.get(path, {
    schema: { tags: ['consoleAccounts'], summary: 'List console accounts', response: withErrors({ 200: Type.Object({ value: Type.Array(ConsoleAccount) }, closed) }) },
  }, async (request) => ({ value: await accounts.list(request.principal.tenantId) }));

  scope.get(`${path}/:id`, {
    schema: { tags: ['consoleAccounts'], summary: 'Get a console account', params: IdParams, response: withErrors({ 200: ConsoleAccount }) },
  }, async (request) => accounts.get(request.principal.tenantId, request.params.id));

  scope.delete(`${path}/:id`, {
    schema: { tags: ['consoleAccounts'], summary: 'Delete a console account and end its sessions', params: IdParams, response: withErrors({ 204: Type.Null() }) },
  }, async (request, reply) => {
    await accounts.delete(request.principal.tenantId, request.params.id);
    return reply.status(204).send(null);
  });
}

/**
 * `POST /envelope/consoleSession` (no bearer token: this is how one is obtained): a console
 * account's user name and password for a session token. Register on an unauthenticated scope under
 * the Graph prefix. A failure never says which part was wrong; repeated failures answer 429.
 */
export function registerConsoleSessionRoutes(scope: FastifyInstance, accounts: ConsoleAccountService): void {
  const GraphErrorRef = { $ref: 'GraphError#' };
  if (!scope.hasRequestDecorator('principal')) scope.decorateRequest('principal', null as unknown as TokenPrincipal);
  scope.post<{ Body: ConsoleSessionBody }>('/envelope/consoleSession', {
    schema: {
      tags: ['consoleAccounts'],
      summary: 'Sign in with a console account: a session token (Envelope extension)',
      security: [],
      body: ConsoleSessionCreate,
      response: { 200: ConsoleSession, 400: GraphErrorRef, 401: GraphErrorRef, 429: GraphErrorRef },
    },
  }, async (request, reply) => {
    const session = await accounts.signIn({ ...request.body, address: request.ip });
    // A bearer token: no cache (browser or proxy) may keep the answer.
    reply.header('cache-control', 'no-store');
    // The audit trail records the sign-in as a write by the session it created (its token redacted).
    request.principal = { tokenId: session.tokenId, tenantId: session.tenantId, role: session.role };
    return { token: session.token, tokenId: session.tokenId, userName: session.userName, role: session.role, expirationDateTime: session.expirationDateTime };
  });
}
