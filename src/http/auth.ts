import type { FastifyInstance, FastifyRequest } from 'fastify';
import { forbidden } from '../domain/errors.ts';
import type { TenantService } from '../services/auth/tenant-service.ts';
import type { TokenPrincipal } from '../store/postgres/tenant-store.ts';

declare module 'fastify' {
  interface FastifyRequest {
    /** The authenticated token's tenant and role; set on every route under an authenticated scope. */
    principal: TokenPrincipal;
  }
  interface FastifyContextConfig {
    /** POST actions that only read (e.g. getTargetedUsersAndDevices) are open to readOnly tokens. */
    readOnlyAction?: boolean;
    /** Reads that only admins may make (e.g. payload previews). */
    adminOnly?: boolean;
    /** A body schema for the OpenAPI document only, where a domain parser validates (field-named errors). */
    docsBody?: unknown;
  }
}

const readMethods = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * Wraps a route scope with bearer-token authentication (401 without a valid token) and role checks
 * (403 when a readOnly token writes, and for scim tokens, which may use /scim/v2 only). Tenant scoping follows from `request.principal.tenantId`, which
 * every service call receives.
 */
export function requireBearerAuth(scope: FastifyInstance, tenants: TenantService): void {
  if (!scope.hasRequestDecorator('principal')) scope.decorateRequest('principal', null as unknown as TokenPrincipal);
  scope.addHook('onRequest', async (request: FastifyRequest) => {
    request.principal = await tenants.authenticate(request.headers.authorization);
    if (request.principal.role === 'scim') throw forbidden('A scim token may only use /scim/v2.');
    const { readOnlyAction, adminOnly } = request.routeOptions.config;
    const needsAdmin = adminOnly === true || (!readMethods.has(request.method) && !readOnlyAction);
    if (needsAdmin && request.principal.role !== 'admin') throw forbidden(adminOnly ? 'This read needs the admin role.' : undefined);
  });
}
