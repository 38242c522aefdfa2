import { Type } from 'typebox';
import type { GraphScope } from '../graph/graph-scope.ts';
import { IdParams, withErrors } from '../graph/common-schemas.ts';
import type { PortalService } from '../../services/portal/portal-service.ts';

const PortalLinkCreate = Type.Object(
  {
    expirationDateTime: Type.Optional(Type.String({ format: 'date-time', description: 'Default: 7 days from now; at most 30 days away.' })),
  },
  { additionalProperties: false },
);

const IssuedPortalLink = Type.Object(
  {
    id: Type.String(),
    userId: Type.String(),
    url: Type.String({ description: 'The personal link to give the user (`…/portal#t=…`). Shown once: only the SHA-256 of its secret is stored.' }),
    expirationDateTime: Type.String({ format: 'date-time' }),
  },
  { additionalProperties: false },
);

const PortalLink = Type.Object(
  {
    id: Type.String(),
    userId: Type.String(),
    expirationDateTime: Type.String({ format: 'date-time' }),
    revokedDateTime: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
    lastUsedDateTime: Type.Union([Type.String({ format: 'date-time' }), Type.Null()], { description: 'To the minute.' }),
    createdDateTime: Type.String({ format: 'date-time' }),
  },
  { additionalProperties: false },
);

const LinkParams = Type.Object({ id: Type.String({ format: 'uuid' }), linkId: Type.String({ format: 'uuid' }) });

/**
 * Envelope extension: company portal links of a user (decision 0031). Admin only to issue and revoke
 * (both audited like every write); readOnly tokens may list them, never a secret (not stored).
 */
export function registerPortalLinkRoutes(scope: GraphScope, portal: PortalService): void {
  scope.post('/users/:id/envelope/portalLink', {
    schema: {
      operationId: 'createUserPortalLink',
      tags: ['directory'],
      summary: 'Issue a personal company portal link for the user (shown once)',
      params: IdParams,
      body: PortalLinkCreate,
      response: withErrors({ 201: IssuedPortalLink }),
    },
    // A POST without a body takes the defaults.
    preValidation: async (request) => {
      if (request.body === undefined) request.body = {};
    },
  }, async (request, reply) => {
    const origin = `${request.protocol}://${request.host}`;
    return reply.status(201).send(await portal.createLink(request.principal.tenantId, request.params.id, request.body, origin));
  });

  scope.get('/users/:id/envelope/portalLinks', {
    schema: {
      operationId: 'listUserPortalLinks',
      tags: ['directory'],
      summary: "The user's company portal links (never their secrets)",
      params: IdParams,
      response: withErrors({ 200: Type.Object({ value: Type.Array(PortalLink) }, { additionalProperties: false }) }),
    },
  }, async (request) => ({ value: await portal.listLinks(request.principal.tenantId, request.params.id) }));

  scope.delete('/users/:id/envelope/portalLinks/:linkId', {
    schema: {
      operationId: 'revokeUserPortalLink',
      tags: ['directory'],
      summary: 'Revoke a company portal link at once',
      params: LinkParams,
      response: withErrors({ 204: Type.Null() }),
    },
  }, async (request, reply) => {
    await portal.revokeLink(request.principal.tenantId, request.params.id, request.params.linkId);
    return reply.status(204).send(null);
  });
}
