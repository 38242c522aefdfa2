import { createHash } from 'node:crypto';
import rateLimit from '@fastify/rate-limit';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import { EnvelopeError } from '../../../domain/errors.ts';
import {
  KnoxCommandEvent,
  KnoxDeviceUpdate,
  KnoxEnrollRequest,
  KnoxEnrollResponse,
  KnoxInventory,
  KnoxInventoryResponse,
  KnoxNextCommandResponse,
} from '../../../protocols/knox-agent/agent-messages.ts';
import { knoxDevicePaths } from '../../../services/enrollment/enrollment-urls.ts';
import type { KnoxEnrollmentService } from '../../../services/enrollment/knox-enrollment-service.ts';
import type { KnoxAgentService } from '../../../services/knox-agent/knox-agent-service.ts';
import { GraphError } from '../../graph/common-schemas.ts';
import type { GraphScope } from '../../graph/graph-scope.ts';

/** Enrollments per client address and minute (an office behind one NAT address enrolling at once stays under it). */
export const knoxEnrollRateLimit = { max: 600, timeWindow: 60_000 } as const;

/**
 * Agent API requests per device credential and minute. An agent makes a handful per command
 * (fetch, events, the next fetch); 120 leaves room for a burst of profiles while bounding what one
 * device can make the server do.
 */
export const knoxAgentRateLimit = { max: 120, timeWindow: 60_000 } as const;

const errors = { 400: GraphError, 401: GraphError, 403: GraphError, 404: GraphError, 409: GraphError, 429: GraphError };
const CommandParams = Type.Object({ commandId: Type.String({ format: 'uuid' }) }, { additionalProperties: false });

/** The rate-limit key of an agent request: its credential (hashed), else its address. */
function credentialKey(request: FastifyRequest): string {
  const authorization = request.headers.authorization;
  return typeof authorization === 'string' && authorization !== '' ? `kxa:${createHash('sha256').update(authorization).digest('base64url')}` : `ip:${request.ip}`;
}

function tooMany(what: string) {
  return (_request: FastifyRequest, context: { after: string }) => new EnvelopeError('TooManyRequests', 429, `Too many ${what}; retry in ${context.after}.`);
}

/**
 * The Samsung Knox agent's endpoints (docs/agent-protocol.md): `POST /mdm/android/enroll` (public:
 * the enrollment token is the credential, rate-limited per address) and the agent API under
 * `/mdm/knox/v1`, authenticated by the device credential and rate-limited per credential. JSON in
 * and out; errors in the one Graph error shape, naming the field for bad input.
 */
export async function registerKnoxAgentRoutes(app: FastifyInstance, enrollment: KnoxEnrollmentService, agent: KnoxAgentService): Promise<void> {
  await app.register(async (scope) => {
    await scope.register(rateLimit, { ...knoxEnrollRateLimit, errorResponseBuilder: tooMany('enrollment requests from this address') });
    const device = scope as unknown as GraphScope;
    device.post(knoxDevicePaths.enroll, {
      schema: { tags: ['knox agent'], summary: 'Enroll a Samsung Knox device agent with an Android enrollment token', security: [], body: KnoxEnrollRequest, response: { 201: KnoxEnrollResponse, ...errors } },
    }, async (request, reply) => reply.status(201).header('cache-control', 'no-store').send(await enrollment.enroll(request.body)));
  });

  await app.register(async (scope) => {
    await scope.register(rateLimit, { ...knoxAgentRateLimit, keyGenerator: credentialKey, errorResponseBuilder: tooMany('requests from this device') });
    const device = scope as unknown as GraphScope;
    const api = knoxDevicePaths.api;
    const security = [{ deviceCredential: [] }];

    device.get(`${api}/commands/next`, {
      schema: { tags: ['knox agent'], summary: 'The device\'s next command (204 when there is none)', security, response: { 200: KnoxNextCommandResponse, 204: Type.Null(), ...errors } },
    }, async (request, reply) => {
      const command = await agent.nextCommand(await agent.authenticate(request.headers.authorization));
      reply.header('cache-control', 'no-store');
      return command === null ? reply.status(204).send(null) : reply.status(200).send({ command });
    });

    device.post(`${api}/commands/:commandId/events`, {
      schema: { tags: ['knox agent'], summary: 'Report an event about a command (applied, validated, removed, failed)', security, params: CommandParams, body: KnoxCommandEvent, response: { 204: Type.Null(), ...errors } },
    }, async (request, reply) => {
      await agent.recordEvent(await agent.authenticate(request.headers.authorization), request.params.commandId, request.body);
      return reply.status(204).send(null);
    });

    device.put(`${api}/inventory`, {
      schema: { tags: ['knox agent'], summary: 'Report the Exchange accounts and trusted roots on the device', security, body: KnoxInventory, response: { 200: KnoxInventoryResponse, ...errors } },
    }, async (request) => agent.reportInventory(await agent.authenticate(request.headers.authorization), request.body));

    device.patch(`${api}/device`, {
      schema: { tags: ['knox agent'], summary: 'Update what the agent reports about the device (FCM token)', security, body: KnoxDeviceUpdate, response: { 204: Type.Null(), ...errors } },
    }, async (request, reply) => {
      await agent.updateDevice(await agent.authenticate(request.headers.authorization), request.body);
      return reply.status(204).send(null);
    });

    device.delete(`${api}/device`, {
      schema: { tags: ['knox agent'], summary: 'Unenroll: the device leaves management and its credential stops working', security, response: { 204: Type.Null(), ...errors } },
    }, async (request, reply) => {
      await agent.unenroll(await agent.authenticate(request.headers.authorization));
      return reply.status(204).send(null);
    });
  });
}
