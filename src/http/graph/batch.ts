import { Type, type Static } from 'typebox';
import { badRequest } from '../../domain/errors.ts';
import type { GraphScope } from './graph-scope.ts';
import { withErrors } from './common-schemas.ts';

/** Graph's limit: at most 20 requests in one JSON batch. */
export const maxBatchRequests = 20;

const BatchRequestItem = Type.Object(
  {
    id: Type.String({ minLength: 1, maxLength: 100, description: 'Unique within the batch; the response carries it.' }),
    method: Type.Union(['GET', 'POST', 'PUT', 'PATCH', 'DELETE'].map((m) => Type.Literal(m))),
    url: Type.String({ minLength: 1, maxLength: 2048, description: 'Relative to the API version, e.g. `/users?$top=5` or `users/{id}`.' }),
    headers: Type.Optional(Type.Record(Type.String(), Type.String())),
    body: Type.Optional(Type.Unknown({ description: 'JSON; with a non-JSON Content-Type, a base64 string.' })),
    dependsOn: Type.Optional(Type.Array(Type.String(), { maxItems: maxBatchRequests })),
  },
  { additionalProperties: false },
);

const BatchBody = Type.Object({ requests: Type.Array(BatchRequestItem, { minItems: 1, maxItems: maxBatchRequests }) }, { additionalProperties: false });

const BatchResponseItem = Type.Object({
  id: Type.String(),
  status: Type.Integer(),
  headers: Type.Optional(Type.Record(Type.String(), Type.String())),
  body: Type.Optional(Type.Unknown()),
});

type BatchItem = Static<typeof BatchRequestItem>;
type BatchResponse = Static<typeof BatchResponseItem>;

/** Request headers a batched request may carry (the outer request's token is always the one used). */
const forwardedRequestHeaders = ['content-type', 'consistencylevel', 'prefer', 'if-match', 'if-none-match', 'accept'];
/**
 * Response headers worth returning per request, named as Graph names them in a batch response (the
 * SDKs read `headers["Content-Type"]` case-sensitively to decide that a body is JSON).
 */
const returnedResponseHeaders = { 'content-type': 'Content-Type', location: 'Location', 'retry-after': 'Retry-After', 'odata-version': 'OData-Version', etag: 'ETag' } as const;

/**
 * JSON batching as Graph does it (`POST /$batch`, the Graph SDKs' bulk path): up to 20 requests,
 * each answered with its own status. Every request runs through the whole server (authentication,
 * validation, tenant scope, audit) with the outer request's bearer token — a batch can do nothing
 * its caller could not do one request at a time. Requests run one after another, in the order given
 * except that a request runs after those it `dependsOn`; one whose dependency failed (status ≥ 400)
 * is not run and answers 424. Responses come in the order of the requests.
 */
export function registerBatchRoutes(scope: GraphScope, versionPrefix: string): void {
  scope.post('/$batch', {
    // Each batched request is authorised on its own: a readOnly caller's batch of GETs works, its writes get 403.
    config: { readOnlyAction: true },
    schema: {
      tags: ['batch'],
      summary: 'JSON batch of up to 20 requests',
      body: BatchBody,
      response: withErrors({ 200: Type.Object({ responses: Type.Array(BatchResponseItem) }) }),
    },
  }, async (request) => {
    const items = request.body.requests;
    const order = executionOrder(items);
    const answered = new Map<string, BatchResponse>();
    for (const item of order) {
      const failed = (item.dependsOn ?? []).find((id) => (answered.get(id)?.status ?? 0) >= 400);
      if (failed !== undefined) {
        answered.set(item.id, {
          id: item.id,
          status: 424,
          headers: { 'Content-Type': 'application/json' },
          body: { error: { code: 'FailedDependency', message: `Not run: request '${failed}', which it depends on, failed with ${answered.get(failed)!.status}.` } },
        });
        continue;
      }
      answered.set(item.id, await run(scope, versionPrefix, item, request.headers.authorization));
    }
    return { responses: items.map((item) => answered.get(item.id)!) };
  });
}

/** The order to run `items` in: as given, each after its dependencies. 400 naming the request for an unknown id, a cycle or a repeated id. */
function executionOrder(items: readonly BatchItem[]): BatchItem[] {
  const byId = new Map<string, BatchItem>();
  for (const [index, item] of items.entries()) {
    if (byId.has(item.id)) throw badRequest(`Request id '${item.id}' is used twice; ids must be unique within a batch.`, `requests/${index}/id`);
    byId.set(item.id, item);
  }
  for (const [index, item] of items.entries()) {
    for (const dependency of item.dependsOn ?? []) {
      if (!byId.has(dependency)) throw badRequest(`Request '${item.id}' depends on '${dependency}', which is not in the batch.`, `requests/${index}/dependsOn`);
    }
  }
  const order: BatchItem[] = [];
  const state = new Map<string, 'visiting' | 'done'>();
  const visit = (item: BatchItem, index: number): void => {
    if (state.get(item.id) === 'done') return;
    if (state.get(item.id) === 'visiting') throw badRequest(`Request '${item.id}' depends on itself through dependsOn.`, `requests/${index}/dependsOn`);
    state.set(item.id, 'visiting');
    for (const dependency of item.dependsOn ?? []) visit(byId.get(dependency)!, items.indexOf(byId.get(dependency)!));
    state.set(item.id, 'done');
    order.push(item);
  };
  items.forEach(visit);
  return order;
}

async function run(scope: GraphScope, versionPrefix: string, item: BatchItem, authorization: string | undefined): Promise<BatchResponse> {
  const path = withoutVersion(item.url.replace(/^\/+/, ''), versionPrefix);
  if (/^[a-z][a-z0-9+.-]*:/i.test(item.url) || item.url.startsWith('//')) {
    return problem(item.id, 400, 'BadRequest', `url '${item.url}' must be relative to the API version, e.g. /users.`);
  }
  if (/^\$batch(?:[/?]|$)/.test(path)) return problem(item.id, 400, 'BadRequest', 'A batch cannot contain another $batch.');
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(item.headers ?? {})) {
    if (forwardedRequestHeaders.includes(name.toLowerCase())) headers[name.toLowerCase()] = value;
  }
  if (authorization !== undefined) headers.authorization = authorization;
  let payload: string | Buffer | undefined;
  if (item.body !== undefined && item.method !== 'GET' && item.method !== 'DELETE') {
    headers['content-type'] ??= 'application/json';
    if (/^application\/json\b/i.test(headers['content-type'])) payload = JSON.stringify(item.body);
    else if (typeof item.body === 'string') payload = Buffer.from(item.body, 'base64');
    else return problem(item.id, 400, 'BadRequest', `body must be a base64 string when Content-Type is '${headers['content-type']}'.`);
  }
  const response = await scope.inject({ method: item.method, url: `${versionPrefix}/${path}`, headers, payload });
  const returned: Record<string, string> = {};
  for (const [name, graphName] of Object.entries(returnedResponseHeaders)) {
    const value = response.headers[name];
    if (value !== undefined) returned[graphName] = Array.isArray(value) ? value.join(', ') : String(value);
  }
  const answer: BatchResponse = { id: item.id, status: response.statusCode, headers: returned };
  if (response.rawPayload.length > 0) {
    answer.body = /^application\/json\b/i.test(returned['Content-Type'] ?? '') ? JSON.parse(response.payload) : response.rawPayload.toString('base64');
  }
  return answer;
}

/**
 * The URL relative to the batch's API version. The Graph SDKs' batch builders take absolute request
 * URLs and keep their path (`BatchRequestContent` sends `/graph/beta/users` for
 * `https://host/graph/beta/users`, `/v1.0/me` for Graph's own host): a leading path of the batch's
 * own version, with or without `/graph`, is dropped.
 */
function withoutVersion(path: string, versionPrefix: string): string {
  const full = versionPrefix.replace(/^\/+/, '');
  const version = full.split('/').pop()!;
  for (const prefix of [full, version]) {
    if (path === prefix) return '';
    if (path.startsWith(`${prefix}/`) || path.startsWith(`${prefix}?`)) return path.slice(prefix.length).replace(/^\/+/, '');
  }
  return path;
}

function problem(id: string, status: number, code: string, message: string): BatchResponse {
  return { id, status, headers: { 'Content-Type': 'application/json' }, body: { error: { code, message } } };
}
