import { Type } from 'typebox';
import type { GraphScope } from './graph-scope.ts';
import { IdParams, withErrors } from './common-schemas.ts';
import { parseTop } from './odata-query.ts';
import { assignBodySchema } from '../../domain/assignments/graph-assignment.ts';
import { deviceConfigurationSchema } from '../../domain/profiles/index.ts';
import type { DryRunService } from '../../services/safe-changes/dry-run-service.ts';

const closed = { additionalProperties: false } as const;
const NullableString = Type.Union([Type.String(), Type.Null()]);
const deviceFields = {
  deviceId: Type.String(),
  deviceName: Type.String(),
  userId: NullableString,
  userPrincipalName: NullableString,
  userDisplayName: NullableString,
};
const DeviceItem = Type.Object(deviceFields, closed);
const list = <T extends ReturnType<typeof Type.Object>>(item: T, description: string) =>
  Type.Object({ count: Type.Integer(), items: Type.Array(item) }, { ...closed, description });
const userList = (description: string) =>
  Type.Object({ count: Type.Integer(), userCount: Type.Integer({ description: 'Distinct primary users of those devices.' }), items: Type.Array(DeviceItem) }, { ...closed, description });

const DryRunResult = Type.Object(
  {
    profileId: Type.String(),
    displayName: Type.String(),
    action: Type.Union([Type.Literal('assign'), Type.Literal('update'), Type.Literal('create')]),
    currentVersion: Type.Integer(),
    proposedVersion: Type.Integer(),
    devicesEvaluated: Type.Integer({ description: 'Devices in scope before or after the change.' }),
    gain: userList('Devices that would receive the profile and do not get it now.'),
    keep: userList('Devices that get the profile now and would keep it unchanged.'),
    update: userList('Devices whose account would be updated in place (new version, or new directory values).'),
    lose: userList('Devices from which the profile would be removed.'),
    kept: list(Type.Object({ ...deviceFields, reasonCode: Type.String(), message: Type.String() }, closed),
      'No longer assigned, but staying: the only email profile on the device (onlyEmailProfile), or a certificate still in use (certificateInUse).'),
    conflicts: list(Type.Object({
      ...deviceFields,
      kind: Type.String({ description: 'ios, windows (same host and address), knox (same address), androidEnterprise (same app).' }),
      profiles: Type.Array(Type.Object({ id: Type.String(), displayName: Type.String() }, closed)),
      message: Type.String(),
    }, closed), 'Conflicts between Envelope profiles the change would create; neither profile is sent on those devices.'),
    conflictsResolved: list(DeviceItem, 'Devices where a conflict of this profile would end.'),
    usersMissingAttribute: list(Type.Object({ userId: Type.String(), userPrincipalName: Type.String(), userDisplayName: Type.String(), message: Type.String() }, closed),
      'Primary users lacking a directory attribute the profile needs (the message names it).'),
    devicesWithoutPrimaryUser: list(DeviceItem, 'Devices in scope that cannot receive the profile: no primary user.'),
    notApplicableCount: Type.Integer({ description: 'Devices in scope of another platform or below the OS floor.' }),
  },
  { ...closed, description: 'Envelope extension: the effect of a change before it is saved. Lists hold the first $top items; counts are complete.' },
);
const TopQuery = Type.Object({ $top: Type.Optional(Type.String({ description: 'Items per list, 1–999 (default 100).' })) }, closed);

const DryRunCreateBody = Type.Object(
  {
    profile: deviceConfigurationSchema,
    assignments: Type.Optional(assignBodySchema.properties.assignments),
  },
  { ...closed, description: 'The profile as POST …/deviceConfigurations takes it, and the assignments as assign takes them (absent: none).' },
);

const base = '/deviceManagement/deviceConfigurations/:id/envelope';

/**
 * Envelope extensions `…/deviceConfigurations/{id}/envelope/dryRunAssign` and `…/dryRunUpdate`: the
 * body Graph's `assign` or PATCH takes, answered with what it would do — and nothing saved; and
 * `…/deviceConfigurations/envelope/dryRunCreate` for a profile not created yet, with its assignments. Open to
 * readOnly tokens (they change nothing, like getTargetedUsersAndDevices). Invalid bodies get the
 * real action's errors (400 naming the field; 409 for hostName/emailAddressSource of an assigned profile).
 */
export function registerDryRunRoutes(scope: GraphScope, dryRun: DryRunService): void {
  scope.post(`${base}/dryRunAssign`, {
    schema: { tags: ['safe changes'], summary: 'Dry run of an assign body (Envelope extension)', params: IdParams, querystring: TopQuery, response: withErrors({ 200: DryRunResult }) },
    config: { readOnlyAction: true, docsBody: assignBodySchema },
  }, async (request) => dryRun.assign(request.principal.tenantId, request.params.id, request.body, { top: parseTop(request.query.$top) }));

  // A profile not saved yet: what creating it with these assignments would do (the console's wizard).
  scope.post('/deviceManagement/deviceConfigurations/envelope/dryRunCreate', {
    schema: { tags: ['safe changes'], summary: 'Dry run of creating and assigning a profile (Envelope extension)', querystring: TopQuery, response: withErrors({ 200: DryRunResult }) },
    config: { readOnlyAction: true, docsBody: DryRunCreateBody },
  }, async (request) => dryRun.create(request.principal.tenantId, request.body, { top: parseTop(request.query.$top) }));

  scope.post(`${base}/dryRunUpdate`, {
    schema: { tags: ['safe changes'], summary: 'Dry run of a profile PATCH body (Envelope extension)', params: IdParams, querystring: TopQuery, response: withErrors({ 200: DryRunResult }) },
    config: { readOnlyAction: true, docsBody: deviceConfigurationSchema },
  }, async (request) => dryRun.update(request.principal.tenantId, request.params.id, request.body, { top: parseTop(request.query.$top) }));
}
