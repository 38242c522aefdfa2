import type { FastifyInstance, FastifyReply, FastifyRequest, RouteOptions } from 'fastify';
import {
  activityResultOf,
  describeAuditRoute,
  modifiedPropertiesOf,
  resourceDisplayNameOf,
  type AuditProperty,
  type AuditRoute,
} from '../domain/audit/audit-event.ts';
import { secretPropertiesOfSchema } from '../domain/audit/redact.ts';
import type { AuditService } from '../services/audit/audit-service.ts';
import type { TokenPrincipal } from '../store/postgres/tenant-store.ts';
import type { RequestTransaction, RequestTransactionDb } from '../store/postgres/request-transaction-db.ts';
import { isEnvelopeError } from '../domain/errors.ts';

declare module 'fastify' {
  interface FastifyRequest {
    /** The resource as a GET on the same URL returned it just before an audited PATCH, PUT or DELETE. */
    auditBefore?: unknown;
    /** The audited write's transaction: its statements and its audit event commit or roll back together. */
    auditTransaction?: RequestTransaction | null;
    /** Properties a route adds to its audit event (e.g. the profile a replace created, which the body cannot name). */
    auditExtraProperties?: AuditProperty[];
  }
}

/** The audited write routes, for getAuditCategories and getAuditActivityTypes. */
export interface AuditCatalog {
  categories(): string[];
  activityTypes(category: string): string[];
}

const writeMethods = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);
const isWriteMethod = (method: string): method is AuditRoute['method'] => writeMethods.has(method);

interface DescribedRoute {
  route: AuditRoute;
  /** Properties the route's schemas mark `writeOnly` (or `format: password`): redacted too. */
  schemaSecrets: Set<string>;
}

/** The principal an authenticated scope set; absent on device routes, null before authentication. */
function principalOf(request: FastifyRequest): TokenPrincipal | null {
  return (request as { principal?: TokenPrincipal | null }).principal ?? null;
}

/**
 * The audit trail, as cross-cutting hooks on the whole app (decision 0022): every write (POST, PUT,
 * PATCH, DELETE) a token made — any route under a scope that authenticates with `requireBearerAuth`
 * or sets `request.principal` the same way (Graph, Envelope extensions, SCIM) — is recorded with its
 * result, including refusals after authentication (403, 4xx) and failures (5xx); POST actions that
 * only read (`config.readOnlyAction`) are not writes and are not recorded. Device-protocol
 * routes carry no principal and are not recorded (they keep their own protocol log). No route needs
 * code of its own to be audited.
 *
 * Call before any route is registered (routes are described as they are added).
 *
 * With `transactions` (decision 0032), an audited write runs in one request transaction opened
 * just before its handler: every statement and service transaction of the handler joins it (as
 * savepoints), and a successful write's event is inserted in it before it commits — the change and
 * its event commit together or not at all. When that insert or the COMMIT fails, nothing of the
 * write stays and the caller gets the error (503 when the database is gone) instead of a success.
 * A refused or failed write (status ≥ 400) is rolled back and its event written on its own
 * afterwards; if that insert fails, the response is unchanged and the event is logged instead.
 * Without `transactions`, every event is written after the handler, as before.
 */
export function installAuditTrail(app: FastifyInstance, audit: AuditService, transactions: RequestTransactionDb | null = null): AuditCatalog {
  const routes = new Map<string, DescribedRoute>();
  app.decorateRequest('auditBefore', undefined);
  app.decorateRequest('auditTransaction', null);
  app.decorateRequest('auditExtraProperties', undefined);

  app.addHook('onRoute', (options: RouteOptions) => {
    const methods = Array.isArray(options.method) ? options.method : [options.method];
    const config = (options.config ?? {}) as { docsBody?: unknown; readOnlyAction?: boolean };
    // POST actions that only read (getTargetedUsersAndDevices) change nothing: not an audited write.
    if (config.readOnlyAction === true) return;
    const schemaSecrets = new Set([
      ...secretPropertiesOfSchema(options.schema?.body),
      ...secretPropertiesOfSchema(config.docsBody),
      ...secretPropertiesOfSchema(options.schema?.response),
    ]);
    const tags = ((options.schema as { tags?: string[] } | undefined)?.tags) ?? [];
    for (const method of methods) {
      if (isWriteMethod(method)) routes.set(`${method} ${options.url}`, { route: describeAuditRoute(method, options.url, tags), schemaSecrets });
    }
  });

  const describedOf = (request: FastifyRequest): DescribedRoute | undefined =>
    isWriteMethod(request.method) && principalOf(request) ? routes.get(`${request.method} ${request.routeOptions.url}`) : undefined;

  // A callback hook: the handler (and the hooks after this one) must run inside the transaction's
  // async context, which an async hook's continuation would not carry.
  app.addHook('preHandler', (request, _reply, done) => {
    const described = describedOf(request);
    if (!described) {
      done();
      return;
    }
    const prepare = async () => {
      if (described.route.method !== 'POST' && request.routeOptions.url && app.hasRoute({ method: 'GET', url: request.routeOptions.url })) {
        request.auditBefore = await readBefore(app, request);
      }
      if (transactions) request.auditTransaction = await transactions.begin();
    };
    prepare().then(
      () => (request.auditTransaction ? request.auditTransaction.run(() => done()) : done()),
      (err: Error) => done(err),
    );
  });

  // Whatever happened in between (a hook's error, an aborted reply), no transaction outlives its request.
  app.addHook('onResponse', async (request) => {
    if (request.auditTransaction?.open) await request.auditTransaction.rollback().catch((err: unknown) => request.log.error({ err }, 'request transaction not rolled back'));
  });

  app.addHook('onSend', async (request: FastifyRequest, reply: FastifyReply, payload: unknown) => {
    const described = describedOf(request);
    const principal = principalOf(request);
    if (!described || !principal) return payload;
    const { route, schemaSecrets } = described;
    const succeeded = reply.statusCode < 400;
    const after = succeeded ? jsonPayload(reply, payload) : undefined;
    const params = (request.params ?? {}) as Record<string, string>;
    const event = {
      tenantId: principal.tenantId,
      route,
      activityResult: activityResultOf(reply.statusCode),
      statusCode: reply.statusCode,
      correlationId: request.id,
      actor: { tokenId: principal.tokenId, role: principal.role, ipAddress: request.ip ?? null },
      resource: { id: params.id ?? Object.values(params)[0] ?? idOf(after) ?? null, displayName: null as string | null },
      modifiedProperties: [] as AuditProperty[],
    };
    try {
      event.resource.displayName = resourceDisplayNameOf(after, request.auditBefore, request.body);
      event.modifiedProperties = modifiedPropertiesOf({
        operation: route.activityOperationType, succeeded, body: request.body, before: request.auditBefore, after, schemaSecrets,
      });
      if (request.auditExtraProperties) event.modifiedProperties.push(...request.auditExtraProperties);
    } catch (err) {
      // Whatever a body holds, the write is still recorded: who, what route, which resource, result.
      request.log.warn({ err }, 'audit properties not derived');
    }
    const transaction = request.auditTransaction;
    if (transaction?.open && succeeded) {
      try {
        // In the write's transaction: the event commits with the change or neither does.
        await transaction.run(() => audit.record(event));
        await transaction.commit();
        return payload;
      } catch (err) {
        await transaction.rollback().catch(() => undefined);
        request.log.error({ err, auditEvent: event }, 'write rolled back: its audit event or its commit failed');
        const status = isEnvelopeError(err) && err.status >= 400 ? err.status : 503;
        reply.code(status);
        reply.type('application/json; charset=utf-8');
        const message = status === 503 ? 'The database is unavailable; the change was not saved. Retry shortly.' : `The change was not saved: ${(err as Error).message}`;
        return JSON.stringify({ error: { code: isEnvelopeError(err) ? err.code : 'ServiceUnavailable', message } });
      }
    }
    if (transaction?.open) await transaction.rollback().catch((err: unknown) => request.log.error({ err }, 'request transaction not rolled back'));
    try {
      await audit.record(event);
    } catch (err) {
      // A refusal or failure (nothing was written), or no request transaction: the caller gets its
      // answer, and the event is kept in the log instead.
      request.log.error({ err, auditEvent: event }, 'audit event not recorded');
    }
    return payload;
  });

  const catalogued = () => [...routes.values()].map((d) => d.route).filter((r) => r.componentName !== 'Envelope');
  return {
    categories: () => [...new Set(catalogued().map((r) => r.category))].sort(),
    activityTypes: (category) => [...new Set(catalogued().filter((r) => r.category === category).map((r) => r.activityType))].sort(),
  };
}

/** The resource before the write: a GET on the same path with the same token; undefined if none. */
async function readBefore(app: FastifyInstance, request: FastifyRequest): Promise<unknown> {
  try {
    const response = await app.inject({
      method: 'GET',
      url: request.url.split('?')[0]!,
      headers: { authorization: request.headers.authorization ?? '' },
    });
    if (response.statusCode !== 200 || !String(response.headers['content-type'] ?? '').includes('json')) return undefined;
    return JSON.parse(response.body) as unknown;
  } catch (err) {
    request.log.warn({ err }, 'audit before-image not read');
    return undefined;
  }
}

function jsonPayload(reply: FastifyReply, payload: unknown): unknown {
  if (typeof payload !== 'string' || !String(reply.getHeader('content-type') ?? '').includes('json')) return undefined;
  try {
    return JSON.parse(payload) as unknown;
  } catch {
    return undefined;
  }
}

function idOf(value: unknown): string | null {
  const id = value !== null && typeof value === 'object' ? (value as { id?: unknown }).id : undefined;
  return typeof id === 'string' ? id : null;
}
