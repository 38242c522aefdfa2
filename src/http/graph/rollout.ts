import { Type } from 'typebox';
import type { GraphScope } from './graph-scope.ts';
import { IdParams, withErrors } from './common-schemas.ts';
import { assignBodySchema } from '../../domain/assignments/graph-assignment.ts';
import { deviceConfigurationSchema } from '../../domain/profiles/index.ts';
import { parseStopRequest } from '../../domain/safe-changes/rollout-request.ts';
import type { RolloutService } from '../../services/safe-changes/rollout-service.ts';

const closed = { additionalProperties: false } as const;
const Ring = Type.Union([
  Type.Object({ percent: Type.Number({ minimum: 0.01, maximum: 100, description: 'Share of the devices, 0.01–100 in 0.01 steps; larger than the ring before.' }) }, closed),
  Type.Object({ groupIds: Type.Array(Type.String({ format: 'uuid' }), { minItems: 1, maxItems: 50, description: 'Devices in these groups, or whose primary user is.' }) }, closed),
]);
const Count = Type.Integer({ minimum: 0 });

const StartRolloutBody = Type.Object(
  {
    assign: Type.Optional({ ...assignBodySchema, description: 'A Graph assign body (the whole set replaced). Give this or update.' }),
    update: Type.Optional({ ...deviceConfigurationSchema, description: 'A Graph PATCH body (a profile update). Give this or assign.' }),
    rings: Type.Array(Ring, { minItems: 1, maxItems: 10, description: 'Cumulative rings; the last must be { "percent": 100 }. E.g. [{"percent":1},{"percent":10},{"percent":100}].' }),
    errorThresholdPercent: Type.Optional(Type.Number({ minimum: 0, maximum: 100, description: 'Pause when errors and conflicts exceed this share of the devices reached (default 5).' })),
    soakMinutes: Type.Optional(Type.Number({ minimum: 0, maximum: 10080, description: 'Minimum time per ring before it is judged (default 60; fractions allowed).' })),
    autoAdvance: Type.Optional(Type.Boolean({ description: 'Advance automatically when a soaked ring is within the threshold (default true). Off: the worker only pauses.' })),
  },
  { description: 'Envelope extension: start a staged rollout of an assignment or a profile update.' },
);

const Rollout = Type.Object(
  {
    id: Type.String(),
    profileId: Type.String(),
    kind: Type.Union([Type.Literal('assign'), Type.Literal('update')]),
    state: Type.Union([Type.Literal('running'), Type.Literal('paused'), Type.Literal('stopped'), Type.Literal('rolledBack'), Type.Literal('completed'), Type.Literal('superseded')], {
      description: 'running, paused (by an admin or by errors: see pausedReason), stopped (kill switch: reached devices keep the change, no others get it), ' +
        'rolledBack (stopped, and reached devices returned to the previous state), completed (every device), superseded (a later change replaced it).',
    }),
    rings: Type.Array(Ring),
    currentRing: Type.Integer({ minimum: 1, description: 'Rings reached so far ("ring 2 of 3").' }),
    ringCount: Type.Integer({ minimum: 1 }),
    errorThresholdPercent: Type.Number(),
    soakMinutes: Type.Number(),
    autoAdvance: Type.Boolean(),
    previousVersion: Type.Integer({ description: 'The profile version devices outside the reached rings keep (update rollouts).' }),
    targetVersion: Type.Integer({ description: 'The version the rollout delivers (equal to previousVersion for an assign rollout).' }),
    pausedReason: Type.Union([Type.String(), Type.Null()]),
    ringStartedDateTime: Type.String({ format: 'date-time' }),
    soakEndsDateTime: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
    createdDateTime: Type.String({ format: 'date-time' }),
    finishedDateTime: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
    reached: Type.Object({
      reached: Type.Integer({ minimum: 0, description: 'Devices in the reached rings with a delivery record for the profile (a device counts once it checked in after being reached).' }),
      succeeded: Count,
      errors: Type.Integer({ minimum: 0, description: 'In error or conflict.' }),
      pending: Count,
      errorRatePercent: Type.Number(),
    }, closed),
    history: Type.Array(Type.Object({
      dateTime: Type.String({ format: 'date-time' }),
      action: Type.String(),
      ring: Type.Integer(),
      by: Type.String({ description: 'admin:<token id>, rolloutWorker, or the direct change that ended it: directAssign, directUpdate, replace.' }),
      reason: Type.Union([Type.String(), Type.Null()]),
    }, closed)),
  },
  { ...closed, description: 'Envelope extension: a staged rollout of a device configuration.' },
);
const StopBody = Type.Object(
  { rollBack: Type.Optional(Type.Boolean({ description: 'Also return the reached devices to the previous version or assignment (default false).' })) },
  { ...closed, description: 'Stop: no further device gets the change.' },
);

const base = '/deviceManagement/deviceConfigurations/:id/envelope/rollout';
const tags = ['safe changes'];

/**
 * Envelope extensions `…/deviceConfigurations/{id}/envelope/rollout` (decision 0029): start (admin),
 * read the latest, or list them (`…/envelope/rollouts`; readOnly too), advance, pause, resume and stop (admin). Writes are audited by the app's
 * audit trail like every route.
 */
export function registerRolloutRoutes(scope: GraphScope, rollouts: RolloutService): void {
  const actor = (request: { principal: { tokenId: string } }) => `admin:${request.principal.tokenId}`;

  scope.post(base, {
    schema: { tags, summary: 'Start a staged rollout of an assign or PATCH body (Envelope extension)', operationId: 'startStagedRollout', params: IdParams, response: withErrors({ 201: Rollout }) },
    config: { docsBody: StartRolloutBody },
  }, async (request, reply) => {
    const view = await rollouts.start(request.principal.tenantId, request.params.id, request.body, actor(request));
    return reply.code(201).send(view);
  });

  scope.get(base, {
    schema: { tags, summary: 'The profile\'s latest staged rollout and its progress (Envelope extension)', operationId: 'getStagedRollout', params: IdParams, response: withErrors({ 200: Rollout }) },
  }, async (request) => rollouts.get(request.principal.tenantId, request.params.id));

  scope.get(`${base}s`, {
    schema: { tags, summary: 'The profile\'s staged rollouts, newest first, the last 10 (Envelope extension)', operationId: 'listStagedRollouts', params: IdParams, response: withErrors({ 200: Type.Object({ value: Type.Array(Rollout) }, closed) }) },
  }, async (request) => ({ value: await rollouts.list(request.principal.tenantId, request.params.id) }));

  scope.post(`${base}/advance`, {
    schema: { tags, summary: 'Reach the next ring now (Envelope extension)', operationId: 'advanceStagedRollout', params: IdParams, response: withErrors({ 200: Rollout }) },
  }, async (request) => rollouts.advance(request.principal.tenantId, request.params.id, actor(request)));

  scope.post(`${base}/pause`, {
    schema: { tags, summary: 'Hold the rollout at its ring (Envelope extension)', operationId: 'pauseStagedRollout', params: IdParams, response: withErrors({ 200: Rollout }) },
  }, async (request) => rollouts.pause(request.principal.tenantId, request.params.id, actor(request)));

  scope.post(`${base}/resume`, {
    schema: { tags, summary: 'Resume a paused rollout; the ring soaks again (Envelope extension)', operationId: 'resumeStagedRollout', params: IdParams, response: withErrors({ 200: Rollout }) },
  }, async (request) => rollouts.resume(request.principal.tenantId, request.params.id, actor(request)));

  scope.post(`${base}/stop`, {
    schema: { tags, summary: 'Kill switch: no further device gets the change; optionally roll back (Envelope extension)', operationId: 'stopStagedRollout', params: IdParams, response: withErrors({ 200: Rollout }) },
    config: { docsBody: StopBody },
  }, async (request) => rollouts.stop(request.principal.tenantId, request.params.id, parseStopRequest(request.body), actor(request)));
}
