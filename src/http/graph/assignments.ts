import { Type } from 'typebox';
import type { GraphScope } from './graph-scope.ts';
import { IdParams, withErrors } from './common-schemas.ts';
import { assignBodySchema, assignResponseSchema, deviceConfigurationAssignmentSchema, toGraphAssignment } from '../../domain/assignments/graph-assignment.ts';
import type { AssignmentService } from '../../services/assignments/assignment-service.ts';

const TargetedUserAndDevice = Type.Object(
  {
    deviceId: Type.String(),
    deviceName: Type.String(),
    lastCheckinDateTime: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
    userDisplayName: Type.String(),
    userId: Type.String(),
    userPrincipalName: Type.String(),
  },
  { additionalProperties: false },
);
const NotApplicableDevice = Type.Object(
  { deviceId: Type.String(), deviceName: Type.String(), reason: Type.Union([Type.Literal('noPrimaryUser'), Type.Literal('platformMismatch')]) },
  { additionalProperties: false },
);
const TargetedResponse = Type.Object(
  {
    value: Type.Array(TargetedUserAndDevice),
    notApplicable: Type.Array(NotApplicableDevice, {
      description: 'Envelope extension: in-scope devices that cannot receive the profile, and why.',
    }),
  },
  { additionalProperties: false },
);

const base = '/deviceManagement/deviceConfigurations/:id';

/** Assignments of a profile: `assign` (replace the set), list, and who is targeted. */
export function registerAssignmentRoutes(scope: GraphScope, assignments: AssignmentService): void {
  scope.post(`${base}/assign`, {
    // The body is validated by parseAssignBody (field-named errors); the schema documents it.
    schema: { tags: ['assignments'], summary: 'Replace the assignment set', params: IdParams, response: withErrors({ 200: assignResponseSchema }) },
    config: { docsBody: assignBodySchema },
  }, async (request) => {
    const { tenantId } = request.principal;
    const saved = await assignments.assign(tenantId, request.params.id, request.body);
    return { value: saved.map((a) => toGraphAssignment(request.params.id, a)) };
  });

  scope.get(`${base}/assignments`, {
    schema: { tags: ['assignments'], summary: 'List assignments', params: IdParams, response: withErrors({ 200: assignResponseSchema }) },
  }, async (request) => {
    const saved = await assignments.list(request.principal.tenantId, request.params.id);
    return { value: saved.map((a) => toGraphAssignment(request.params.id, a)) };
  });

  const AssignmentParams = Type.Object({
    id: IdParams.properties.id,
    assignmentId: Type.String({ minLength: 1, maxLength: 80, description: '`{profileId}_{groupId}`, as listed.' }),
  });

  scope.post(`${base}/assignments`, {
    // Validated by the assignment domain (field-named errors); the schema documents the body.
    schema: { tags: ['assignments'], summary: 'Add one assignment to the set', params: IdParams, response: withErrors({ 201: deviceConfigurationAssignmentSchema }) },
    config: { docsBody: assignBodySchema.properties.assignments.items },
  }, async (request, reply) => {
    const added = await assignments.add(request.principal.tenantId, request.params.id, request.body);
    return reply.status(201).send(toGraphAssignment(request.params.id, added));
  });

  scope.get(`${base}/assignments/:assignmentId`, {
    schema: { tags: ['assignments'], summary: 'Get one assignment', params: AssignmentParams, response: withErrors({ 200: deviceConfigurationAssignmentSchema }) },
  }, async (request) => toGraphAssignment(request.params.id, await assignments.get(request.principal.tenantId, request.params.id, request.params.assignmentId)));

  scope.delete(`${base}/assignments/:assignmentId`, {
    schema: { tags: ['assignments'], summary: 'Remove one assignment from the set', params: AssignmentParams, response: withErrors({ 204: Type.Null() }) },
  }, async (request, reply) => {
    await assignments.remove(request.principal.tenantId, request.params.id, request.params.assignmentId);
    return reply.status(204).send(null);
  });

  scope.post(`${base}/getTargetedUsersAndDevices`, {
    schema: {
      tags: ['assignments'],
      summary: 'Devices and primary users the profile reaches now',
      params: IdParams,
      response: withErrors({ 200: TargetedResponse }),
    },
    config: { readOnlyAction: true },
  }, async (request) => {
    const result = await assignments.targeted(request.principal.tenantId, request.params.id);
    return { value: result.targeted, notApplicable: result.notApplicable };
  });
}
