import Type from 'typebox';
import { assignmentId, graphNamespace, type Assignment, type AssignmentTarget } from './assignment-target.ts';

/**
 * The wire shapes of Graph's `deviceConfigurationAssignment` and of the `assign` action, as TypeBox
 * schemas for the OpenAPI document and response serialisation.
 * https://learn.microsoft.com/graph/api/intune-deviceconfig-deviceconfiguration-assign
 *
 * The body schema describes exactly what parseAssignBody accepts structurally; rules a schema cannot
 * state (no target twice, no group both included and excluded, no virtual group id as `groupId`) are
 * only in the parser. Routes should let parseAssignBody report errors, since its messages name the
 * offending field and the reason (e.g. "filters are not supported").
 */

const groupId = Type.String({ format: 'uuid', description: 'Id of a group of users and/or devices.' });

/** Envelope has no assignment filters: the filter properties are accepted only in their empty form. */
const requestFilter = {
  deviceAndAppManagementAssignmentFilterId: Type.Optional(
    Type.Null({ description: 'Assignment filters are not supported; null or absent.' }),
  ),
  deviceAndAppManagementAssignmentFilterType: Type.Optional(Type.Literal('none')),
};

const closed = { additionalProperties: false } as const;

const requestTarget = Type.Union([
  Type.Object({ '@odata.type': Type.Literal(`${graphNamespace}groupAssignmentTarget`), groupId, ...requestFilter }, closed),
  Type.Object(
    { '@odata.type': Type.Literal(`${graphNamespace}exclusionGroupAssignmentTarget`), groupId, ...requestFilter },
    closed,
  ),
  Type.Object({ '@odata.type': Type.Literal(`${graphNamespace}allLicensedUsersAssignmentTarget`), ...requestFilter }, closed),
  Type.Object({ '@odata.type': Type.Literal(`${graphNamespace}allDevicesAssignmentTarget`), ...requestFilter }, closed),
]);

const intent = Type.Union([Type.Literal('apply'), Type.Literal('remove')], {
  description: '`apply` (default) installs the profile on targeted devices; `remove` asks for its removal.',
});

/** `POST …/deviceConfigurations/{id}/assign` body; replaces the profile's whole assignment set. */
export const assignBodySchema = Type.Object(
  {
    assignments: Type.Array(
      Type.Object(
        {
          '@odata.type': Type.Optional(Type.Literal(`${graphNamespace}deviceConfigurationAssignment`)),
          id: Type.Optional(Type.Union([Type.String(), Type.Null()], { description: 'Ignored; ids are derived.' })),
          intent: Type.Optional(Type.Union([intent, Type.Null()])),
          source: Type.Optional(Type.Literal('direct', { description: 'Read-only; accepted so GET output can be re-posted.' })),
          sourceId: Type.Optional(Type.Null({ description: 'Read-only; accepted so GET output can be re-posted.' })),
          target: requestTarget,
        },
        closed,
      ),
    ),
  },
  closed,
);
export type AssignBody = Type.Static<typeof assignBodySchema>;

const responseFilter = {
  deviceAndAppManagementAssignmentFilterId: Type.Null(),
  deviceAndAppManagementAssignmentFilterType: Type.Literal('none'),
};

const responseTarget = Type.Union([
  Type.Object({ '@odata.type': Type.Literal(`${graphNamespace}groupAssignmentTarget`), groupId, ...responseFilter }, closed),
  Type.Object(
    { '@odata.type': Type.Literal(`${graphNamespace}exclusionGroupAssignmentTarget`), groupId, ...responseFilter },
    closed,
  ),
  Type.Object({ '@odata.type': Type.Literal(`${graphNamespace}allLicensedUsersAssignmentTarget`), ...responseFilter }, closed),
  Type.Object({ '@odata.type': Type.Literal(`${graphNamespace}allDevicesAssignmentTarget`), ...responseFilter }, closed),
]);

/** One `deviceConfigurationAssignment` as Envelope returns it (Graph beta shape). */
export const deviceConfigurationAssignmentSchema = Type.Object(
  {
    id: Type.String({ description: '`{profileId}_{groupId}`; the virtual group id for all users/all devices.' }),
    target: responseTarget,
    intent,
    source: Type.Literal('direct'),
    sourceId: Type.Null(),
  },
  closed,
);
export type DeviceConfigurationAssignment = Type.Static<typeof deviceConfigurationAssignmentSchema>;

/** The `assign` action's 200 response: the new assignment set. */
export const assignResponseSchema = Type.Object({ value: Type.Array(deviceConfigurationAssignmentSchema) }, closed);
export type AssignResponse = Type.Static<typeof assignResponseSchema>;

/** Renders a stored assignment of profile `profileId` in Graph's shape. */
export function toGraphAssignment(profileId: string, assignment: Assignment): DeviceConfigurationAssignment {
  return {
    id: assignmentId(profileId, assignment.target),
    target: toGraphTarget(assignment.target),
    intent: assignment.intent,
    source: 'direct',
    sourceId: null,
  };
}

function toGraphTarget(target: AssignmentTarget): DeviceConfigurationAssignment['target'] {
  const noFilter = { deviceAndAppManagementAssignmentFilterId: null, deviceAndAppManagementAssignmentFilterType: 'none' } as const;
  switch (target.type) {
    case 'groupAssignmentTarget':
      return { '@odata.type': '#microsoft.graph.groupAssignmentTarget', groupId: target.groupId, ...noFilter };
    case 'exclusionGroupAssignmentTarget':
      return { '@odata.type': '#microsoft.graph.exclusionGroupAssignmentTarget', groupId: target.groupId, ...noFilter };
    case 'allLicensedUsersAssignmentTarget':
      return { '@odata.type': '#microsoft.graph.allLicensedUsersAssignmentTarget', ...noFilter };
    case 'allDevicesAssignmentTarget':
      return { '@odata.type': '#microsoft.graph.allDevicesAssignmentTarget', ...noFilter };
  }
}
