import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { createTestApp, type Reply, type TestApp } from '../helpers/test-app.ts';
import { snapshotTables } from '../helpers/hostile-requests.ts';

/**
 * Property: no request to a write route — whatever its path ids, query string and body — is answered
 * with a 5xx; every 4xx carries Graph's error body; and a request that does not succeed changes no row
 * of any table. The routes are read from the app itself (its OpenAPI document, which @fastify/swagger
 * builds from Fastify's onRoute hook, cross-checked against the router), so a new route is covered
 * without touching this file. `HOSTILE_RUNS` and `HOSTILE_SEED` lengthen or vary a local run.
 */

const numRuns = Number(process.env.HOSTILE_RUNS ?? 60);
const seed = Number(process.env.HOSTILE_SEED ?? 20261130);
const writeMethods = ['post', 'put', 'patch', 'delete'] as const;

interface WriteRoute {
  method: Uppercase<(typeof writeMethods)[number]>;
  /** OpenAPI path, `{param}` placeholders. */
  path: string;
  params: string[];
}

interface HostileRequest {
  route: WriteRoute;
  url: string;
  body: string | undefined;
  token: 'admin' | 'readOnly' | 'none';
}

const uuid = '6f1c1f4e-2d3b-4c5a-8e9f-0a1b2c3d4e5f';
const prototypeNames = ['toString', 'constructor', 'hasOwnProperty', 'valueOf', '__proto__', 'prototype', 'isPrototypeOf', '__defineGetter__'];

/** Single UTF-16 units a client can put in JSON: NUL, lone surrogates, controls, any code point. */
const hostileUnit = fc.oneof(
  fc.constantFrom('\u0000', '\ud800', '\udbff', '\udc00', '\udfff', '\u0007', '\u202e', "'", '"', '\\', '%', '/'),
  fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }),
);
const hostileString = fc.oneof(
  fc.string({ unit: hostileUnit, maxLength: 12 }),
  fc.constantFrom(
    '', ' ', 'null', 'true', '1e309', '-0', uuid, uuid.toUpperCase(), `urn:uuid:${uuid}`, `{${uuid}}`, '------------------------------------',
    '00000000-0000-0000-0000-000000000000', '0000-01-01T00:00:00.000Z', '+010000-01-01T00:00:00.000Z', 'mail.contoso.com', 'a@b.c',
    "deviceConfigurations('x')", `https://graph.microsoft.com/beta/users/${uuid}`, '#microsoft.graph.groupAssignmentTarget',
    '#microsoft.graph.iosEasEmailProfileConfiguration', ...prototypeNames,
  ),
  fc.constantFrom('x'.repeat(300), 'y'.repeat(70_000)),
);
const hostileKey = fc.oneof(hostileString, fc.constantFrom(...prototypeNames, '@odata.type', 'displayName', 'assignments', 'target', 'groupId', '@odata.id', 'members@odata.bind'));

const { json: hostileJson } = fc.letrec<{ json: unknown }>((tie) => ({
  json: fc.oneof(
    { depthSize: 'small' },
    hostileString,
    fc.integer(),
    fc.double(),
    fc.boolean(),
    fc.constant(null),
    fc.array(tie('json'), { maxLength: 4 }),
    fc.dictionary(hostileKey, tie('json'), { maxKeys: 4 }),
  ),
}));

/** Bodies a handler accepts, so that mutations of them reach the deeper validation and the database. */
const validBodies: Readonly<Record<string, readonly Record<string, unknown>[]>> = {
  'POST /scim/v2/Users': [{ schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'], userName: 'sue@contoso.com', emails: [{ value: 'sue@contoso.com', type: 'work', primary: true }] }],
  'PUT /scim/v2/Users/{id}': [{ userName: 'bob@contoso.com', name: { givenName: 'Bob' }, active: true }],
  'PATCH /scim/v2/Users/{id}': [{ schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'], Operations: [{ op: 'Replace', path: 'emails[type eq "work"].value', value: 'b@contoso.com' }] }],
  'POST /scim/v2/Groups': [{ displayName: 'SCIM group', members: [{ value: uuid }] }],
  'PUT /scim/v2/Groups/{id}': [{ displayName: 'Everyone', members: [] }],
  'PATCH /scim/v2/Groups/{id}': [{ schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'], Operations: [{ op: 'Add', path: 'members', value: [{ value: uuid }] }] }],
  'POST /graph/beta/users': [{ displayName: 'Ann', userPrincipalName: 'ann@contoso.com', mail: 'ann@contoso.com' }],
  'PATCH /graph/beta/users/{id}': [{ displayName: 'Ann B', onPremisesSamAccountName: 'annb' }],
  'POST /graph/beta/groups': [{ displayName: 'Sales', description: 'd', 'members@odata.bind': [`https://graph.microsoft.com/beta/users/${uuid}`] }],
  'PATCH /graph/beta/groups/{id}': [{ description: 'x' }],
  'POST /graph/beta/groups/{id}/members/$ref': [{ '@odata.id': `https://graph.microsoft.com/beta/directoryObjects/${uuid}` }],
  'POST /graph/beta/deviceManagement/managedDevices': [{ deviceName: 'D', operatingSystem: 'iOS', osVersion: '18', userId: null }],
  'PATCH /graph/beta/deviceManagement/managedDevices/{id}': [{ model: 'iPhone', osVersion: '18.1' }],
  'POST /graph/beta/deviceManagement/deviceConfigurations': [
    {
      '@odata.type': '#microsoft.graph.iosEasEmailProfileConfiguration', displayName: 'iOS mail', accountName: 'Contoso', hostName: 'mail.contoso.com',
      usernameSource: 'userPrincipalName', emailAddressSource: 'userPrincipalName', requireSsl: true, durationOfEmailToSync: 'oneWeek',
    },
    { '@odata.type': '#microsoft.graph.androidPkcsCertificateProfile', displayName: 'PKCS', extendedKeyUsages: [{ name: 'Client', objectIdentifier: '1.3.6.1.5.5.7.3.2' }] },
  ],
  'PATCH /graph/beta/deviceManagement/deviceConfigurations/{id}': [{ accountName: 'Other', customDomainName: 'contoso.com' }],
  'POST /graph/beta/deviceManagement/deviceConfigurations/{id}/assign': [
    { assignments: [{ target: { '@odata.type': '#microsoft.graph.groupAssignmentTarget', groupId: uuid } }, { target: { '@odata.type': '#microsoft.graph.allDevicesAssignmentTarget' } }] },
  ],
};

/** JSON texts that JSON.stringify cannot produce from a generated value. */
const deep = (open: string, close: string, n: number) => `${open.repeat(n)}1${close.repeat(n)}`;
const rawBodies = fc.constantFrom(
  deep('{"a":', '}', 5_000), deep('[', ']', 50_000), `{"displayName":${deep('[', ']', 40)}}`,
  '{"__proto__":{"x":1}}', '{"constructor":{"prototype":{"x":1}}}', '{"a":"\\ud800"}', '{"a\\u0000":1}', '"\\u0000"',
  'not json', '{', '', 'null', '[]', '1', '{"displayName":"x","displayName":"y"}',
);

function mutated(base: Record<string, unknown>): fc.Arbitrary<unknown> {
  const keys = Object.keys(base);
  return fc.oneof(
    fc.record({ key: fc.oneof(fc.constantFrom(...keys), hostileKey), value: hostileJson }).map(({ key, value }) => {
      const body = { ...base };
      Object.defineProperty(body, key, { value, enumerable: true, writable: true, configurable: true });
      return body;
    }),
    fc.constantFrom(...keys).map((key) => {
      const { [key]: _removed, ...rest } = base;
      return rest;
    }),
    fc.constant(base),
  );
}

function bodyFor(route: WriteRoute): fc.Arbitrary<string | undefined> {
  const bases = validBodies[`${route.method} ${route.path}`] ?? [];
  const generated = bases.length > 0 ? fc.oneof(hostileJson, fc.constantFrom(...bases).chain(mutated)) : hostileJson;
  return fc.oneof(
    { arbitrary: generated.map((value) => JSON.stringify(value)), weight: 6 },
    { arbitrary: rawBodies, weight: 2 },
    { arbitrary: fc.constant(undefined), weight: 1 },
  );
}

/** A path segment as sent on the wire (already percent-encoded, or deliberately not). */
function segmentFor(realIds: readonly string[]): fc.Arbitrary<string> {
  return fc.oneof(
    { arbitrary: fc.constantFrom(...realIds), weight: 4 },
    { arbitrary: fc.uuid().map((id) => id), weight: 1 },
    {
      arbitrary: fc.constantFrom(
        '%00', `${uuid.slice(0, -1)}%00`, '%ED%A0%80', '%zz', '%E0%A4%A', 'a'.repeat(101), 'not-a-uuid', `urn:uuid:${uuid}`, `%7B${uuid}%7D`,
        uuid.toUpperCase(), '------------------------------------', 'constructor', '__proto__', '..', '%2e%2e', '%20',
      ),
      weight: 3,
    },
  );
}

const queryString = fc.array(
  fc.tuple(
    fc.constantFrom('$filter', '$top', '$skiptoken', '$select', '$expand', 'userId', 'constructor', '__proto__', '%00', 'x'),
    fc.oneof(
      hostileString.map((s) => (s.isWellFormed() ? encodeURIComponent(s) : '%ED%A0%80')),
      fc.constantFrom("displayName%20eq%20'a%00b'", '%00', '-1', '1000', 'eyJhIjoxfQ', '%zz'),
    ),
  ),
  { maxLength: 3 },
).map((pairs) => (pairs.length === 0 ? '' : `?${pairs.map(([k, v]) => `${k}=${v}`).join('&')}`));

function requestFor(route: WriteRoute, realIds: readonly string[]): fc.Arbitrary<HostileRequest> {
  return fc.record({
    segments: fc.tuple(...route.params.map(() => segmentFor(realIds))),
    query: queryString,
    body: bodyFor(route),
    token: fc.constantFrom('admin', 'admin', 'admin', 'admin', 'readOnly', 'none'),
  }).map(({ segments, query, body, token }) => {
    let index = 0;
    const path = route.path.replace(/\{[^}]+\}/g, () => segments[index++]!);
    return { route, url: `${path}${query}`, body, token } as HostileRequest;
  });
}

/** The write operations of the app's OpenAPI document, checked to be every write route Fastify knows. */
function writeRoutesOf(t: TestApp): WriteRoute[] {
  const document = t.envelope.app.swagger() as { paths: Record<string, Record<string, { parameters?: { in: string; name: string }[] }>> };
  const routes: WriteRoute[] = [];
  for (const [path, operations] of Object.entries(document.paths)) {
    for (const method of writeMethods) {
      const operation = operations[method];
      if (!operation) continue;
      const params = [...path.matchAll(/\{([^}]+)\}/g)].map((m) => m[1]!);
      routes.push({ method: method.toUpperCase() as WriteRoute['method'], path, params });
    }
  }
  // Routes hidden from the document would escape the property: count the router's write methods too.
  const routerWrites = [...t.envelope.app.printRoutes({ commonPrefix: false }).matchAll(/\(([^)]*)\)/g)]
    .flatMap((m) => m[1]!.split(', '))
    .filter((method) => ['POST', 'PUT', 'PATCH', 'DELETE'].includes(method)).length;
  assert.equal(routes.length, routerWrites, 'every write route is in the OpenAPI document');
  return routes;
}

function graphErrorProblem(reply: Reply): string | null {
  const body = reply.body as { error?: Record<string, unknown> } | string;
  if (typeof body !== 'object' || body === null || !/^application\/json/.test(String(reply.raw.headers['content-type']))) return 'not a JSON body';
  if (Object.keys(body).join() !== 'error' || typeof body.error !== 'object' || body.error === null) return 'not {"error":{…}}';
  const { code, message, target, ...rest } = body.error;
  if (typeof code !== 'string' || code === '') return 'no error.code';
  if (typeof message !== 'string' || message === '') return 'no error.message';
  if (target !== undefined && typeof target !== 'string') return 'error.target is not a string';
  if (Object.keys(rest).length > 0) return `extra properties ${Object.keys(rest).join(', ')}`;
  return null;
}

/** SCIM's error body (RFC 7644 §3.12) with its media type. */
function scimErrorProblem(reply: Reply): string | null {
  const body = reply.body as Record<string, unknown> | string;
  if (typeof body !== 'object' || body === null || !/^application\/scim\+json/.test(String(reply.raw.headers['content-type']))) return 'not a SCIM JSON body';
  if (JSON.stringify(body.schemas) !== '["urn:ietf:params:scim:api:messages:2.0:Error"]') return 'no Error schema';
  if (body.status !== String(reply.status)) return 'status is not the HTTP status as a string';
  if (typeof body.detail !== 'string' || body.detail === '') return 'no detail';
  return null;
}

describe('hostile requests to every write route', () => {
  let t: TestApp;
  let readOnly: string;
  let scim: string;
  const realIds: string[] = [];

  before(async () => {
    t = await createTestApp();
    readOnly = await t.readOnlyToken();
    scim = (await t.envelope.services.tenants.createToken('default', 'scim')).token;
    const create = async (url: string, body: unknown) => {
      const reply = await t.request('POST', url, { body });
      assert.equal(reply.status, 201, JSON.stringify(reply.body));
      realIds.push(reply.body.id);
      return reply.body.id as string;
    };
    const user = await create('/graph/beta/users', { displayName: 'Bob', userPrincipalName: 'bob@contoso.com' });
    await create('/graph/beta/deviceManagement/managedDevices', { deviceName: 'Bob iPhone', operatingSystem: 'iOS', osVersion: '18', userId: user });
    await create('/graph/beta/groups', { displayName: 'Everyone', 'members@odata.bind': [`https://graph.microsoft.com/beta/users/${user}`] });
    for (const body of validBodies['POST /graph/beta/deviceManagement/deviceConfigurations']!) await create('/graph/beta/deviceManagement/deviceConfigurations', body);
  });
  after(() => t.close());

  it('never answer 5xx, answer every 4xx in Graph error shape, and change no row unless they succeed', async () => {
    const routes = writeRoutesOf(t);
    assert.ok(routes.length >= 12, `found ${routes.length} write routes`);
    const seen = new Set<string>();
    let rows = await snapshotTables(t.envelope.db);
    // Route by route, so that every route is exercised whatever the seed and however many routes there are.
    const runsPerRoute = Math.max(3, Math.ceil(numRuns / routes.length));
    for (const route of routes) await fc.assert(
      fc.asyncProperty(requestFor(route, realIds), async (request) => {
        seen.add(`${request.route.method} ${request.route.path}`);
        // SCIM routes take scim tokens (admin ones are refused there): its requests get one in the admin's place.
        const admin = request.route.path.startsWith('/scim/') ? scim : t.adminToken;
        const token = request.token === 'admin' ? admin : request.token === 'readOnly' ? readOnly : null;
        const raw = await t.envelope.app.inject({
          method: request.route.method,
          url: request.url,
          headers: {
            ...(token === null ? {} : { authorization: `Bearer ${token}` }),
            ...(request.body === undefined ? {} : { 'content-type': 'application/json' }),
          },
          ...(request.body === undefined ? {} : { payload: request.body }),
        });
        let body: unknown = raw.body;
        try {
          body = raw.body ? JSON.parse(raw.body) : raw.body;
        } catch {
          // left as text: graphErrorProblem reports it
        }
        const reply: Reply = { status: raw.statusCode, body, raw };
        const context = `${request.route.method} ${request.url.slice(0, 300)} body ${String(request.body).slice(0, 300)} -> ${raw.statusCode} ${raw.body.slice(0, 300)}`;
        assert.ok(reply.status < 500, context);
        if (reply.status >= 400) {
          // Device routes answer in their protocol's shape (Apple: text, or the unrecognized-device JSON;
          // Windows enrollment: SOAP faults; Windows management: text or SyncML); the rest must not change either way.
          if (request.route.path.startsWith('/scim/')) assert.equal(scimErrorProblem(reply), null, context);
          else if (!/^\/(mdm|EnrollmentServer|ManagementServer)\//.test(request.route.path)) assert.equal(graphErrorProblem(reply), null, context);
          assert.deepEqual(await snapshotTables(t.envelope.db), rows, `a refused request changed rows: ${context}`);
        } else {
          rows = await snapshotTables(t.envelope.db);
        }
      }),
      { seed, numRuns: runsPerRoute, endOnFailure: true },
    );
    assert.equal(seen.size, routes.length, `every write route was exercised (${[...routes].filter((r) => !seen.has(`${r.method} ${r.path}`)).map((r) => `${r.method} ${r.path}`).join(', ')} missed)`);
  });
});
