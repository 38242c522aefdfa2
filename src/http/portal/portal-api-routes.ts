import rateLimit from '@fastify/rate-limit';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { Type, type TSchema } from 'typebox';
import { EnvelopeError } from '../../domain/errors.ts';
import { enrollmentPlatforms } from '../../store/postgres/enrollment-token-store.ts';
import type { PortalPrincipal, PortalService } from '../../services/portal/portal-service.ts';
import { portalConditions } from '../../services/portal/portal-guidance.ts';
import type { GraphScope } from '../graph/graph-scope.ts';
import { IdParams, withErrors } from '../graph/common-schemas.ts';

declare module 'fastify' {
  interface FastifyRequest {
    /** The company portal user, set on every `/portal/api` route. */
    portalPrincipal: PortalPrincipal;
  }
}

export const portalApiPrefix = '/portal/api';

/** Portal requests per client address and minute: a person clicks, a script guessing secrets is slowed. */
export const portalRateLimit = { max: 120, timeWindow: 60_000 } as const;

const GraphErrorRef = Type.Unsafe({ $ref: 'GraphError#' });

const Condition = Type.Union([...portalConditions.map((c) => Type.Literal(c)), Type.Literal('none')]);

const PortalProfile = Type.Object(
  {
    profileId: Type.String(),
    displayName: Type.String(),
    condition: Type.Union(portalConditions.map((c) => Type.Literal(c))),
    label: Type.String({ description: 'The condition in plain words.' }),
    message: Type.String(),
    steps: Type.Array(Type.String(), { description: 'What the user can do, in order.' }),
    reasonCode: Type.String({ description: "The server's status reason (as the admin API shows it)." }),
    emailAddress: Type.Union([Type.String(), Type.Null()]),
  },
  { additionalProperties: false },
);

const PortalDevice = Type.Object(
  {
    id: Type.String(),
    deviceName: Type.String(),
    operatingSystem: Type.String(),
    osVersion: Type.String(),
    model: Type.Union([Type.String(), Type.Null()]),
    lastCheckInDateTime: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
    condition: Condition,
    label: Type.String(),
    profiles: Type.Array(PortalProfile),
  },
  { additionalProperties: false },
);

const PortalMe = Type.Object(
  {
    user: Type.Object({ displayName: Type.String(), userPrincipalName: Type.String(), mail: Type.Union([Type.String(), Type.Null()]) }, { additionalProperties: false }),
    linkExpirationDateTime: Type.String({ format: 'date-time' }),
    devices: Type.Array(PortalDevice),
  },
  { additionalProperties: false },
);

const CheckAgainResult = Type.Object(
  {
    retriedProfileCount: Type.Integer({ description: 'Email profiles in error or conflict tried again.' }),
    nextCheckAllowedDateTime: Type.String({ format: 'date-time' }),
  },
  { additionalProperties: false },
);

const EnrollmentLinkCreate = Type.Object({ platform: Type.Enum(enrollmentPlatforms) }, { additionalProperties: false });
const EnrollmentLink = Type.Object(
  {
    id: Type.String(),
    token: Type.String({ description: 'Shown once (Windows: the password to enter).' }),
    enrollmentUrl: Type.String(),
    expirationDateTime: Type.String({ format: 'date-time' }),
    maxDevices: Type.Integer(),
  },
  { additionalProperties: false },
);

const portalErrors = <R extends Record<number, TSchema>>(responses: R) => ({ ...withErrors(responses), 429: GraphErrorRef });
const portalSecurity = [{ portalLink: [] }];

/**
 * The company portal's API (decision 0031) at `/portal/api`: authenticated by the portal link's
 * secret (`Authorization: Bearer ptl_…`), not by API tokens, and answering only about the link's user.
 */
export async function registerPortalApiRoutes(app: FastifyInstance, portal: PortalService): Promise<void> {
  await app.register(rateLimit, {
    ...portalRateLimit,
    errorResponseBuilder: (_request, context) => new EnvelopeError('TooManyRequests', 429, `Too many portal requests from this address; retry in ${context.after}.`),
  });
  if (!app.hasRequestDecorator('portalPrincipal')) app.decorateRequest('portalPrincipal', null as unknown as PortalPrincipal);
  app.addHook('onRequest', async (request: FastifyRequest) => {
    request.portalPrincipal = await portal.authenticate(request.headers.authorization);
  });
  const scope = app as unknown as GraphScope;

  scope.get('/me', {
    schema: { operationId: 'getPortalMe', tags: ['portal'], summary: "The portal user's devices, their email profiles' status and what to do", security: portalSecurity, response: portalErrors({ 200: PortalMe }) },
  }, async (request) => portal.view(request.portalPrincipal));

  scope.get('/devices/:id', {
    schema: { operationId: 'getPortalDevice', tags: ['portal'], summary: "One of the portal user's devices", security: portalSecurity, params: IdParams, response: portalErrors({ 200: PortalDevice }) },
  }, async (request) => portal.device(request.portalPrincipal, request.params.id));

  scope.post('/devices/:id/checkAgain', {
    schema: {
      operationId: 'checkPortalDeviceAgain',
      tags: ['portal'],
      summary: 'Retry the device\'s email profiles in error or conflict and wake it by push (once a minute)',
      security: portalSecurity,
      params: IdParams,
      response: portalErrors({ 202: CheckAgainResult }),
    },
  }, async (request, reply) => reply.status(202).send(await portal.checkAgain(request.portalPrincipal, request.params.id)));

  scope.post('/enrollmentLinks', {
    schema: {
      operationId: 'createPortalEnrollmentLink',
      tags: ['portal'],
      summary: 'An enrollment link for a new device of the portal user (one device, one day; at most 3 unused)',
      security: portalSecurity,
      body: EnrollmentLinkCreate,
      response: portalErrors({ 201: EnrollmentLink }),
    },
  }, async (request, reply) => reply.status(201).send(await portal.createEnrollmentLink(request.portalPrincipal, request.body.platform)));
}
