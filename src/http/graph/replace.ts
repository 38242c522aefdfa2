import { Type } from 'typebox';
import type { GraphScope } from './graph-scope.ts';
import { IdParams, withErrors } from './common-schemas.ts';
import { parseTop } from './odata-query.ts';
import type { ReplaceService } from '../../services/safe-changes/replace-service.ts';

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
const ProfileRef = {
  displayName: Type.String(),
  hostName: Type.String(),
  emailAddressSource: Type.String(),
};

const ReplaceBody = Type.Object(
  {
    dryRun: Type.Optional(Type.Boolean({ description: 'true: check everything and answer what would happen; nothing is saved.' })),
    displayName: Type.Optional(Type.String({ description: "The new profile's name (names are unique); default: the old name + ' (replacement)'." })),
    hostName: Type.Optional(Type.String()),
    emailAddressSource: Type.Optional(Type.String()),
  },
  { additionalProperties: true, description: "Any property of the old profile's type (a PATCH body): merged over the old profile, the result validated like a new profile." },
);

const ReplaceResult = Type.Object(
  {
    dryRun: Type.Boolean(),
    oldProfile: Type.Object({ id: Type.String(), ...ProfileRef }, closed),
    newProfile: Type.Object({ id: Type.Union([Type.String(), Type.Null()], { description: 'null in a dry run.' }), version: Type.Integer(), ...ProfileRef }, closed),
    identityChanged: Type.Array(Type.String(), { description: 'hostName and/or emailAddressSource; empty when neither changed (a PATCH would have done).' }),
    message: Type.String(),
    assignmentsMoved: Type.Integer(),
    devicesEvaluated: Type.Integer({ description: 'Devices in scope of the assignments.' }),
    removeOld: list(DeviceItem, 'Devices that remove the old account (before installing the new one).'),
    installNew: list(DeviceItem, 'Devices that install the new profile.'),
    blocked: list(Type.Object({
      ...deviceFields,
      reasonCode: Type.String(),
      message: Type.String(),
      oldAccount: Type.Union([Type.Literal('remove'), Type.Literal('kept'), Type.Literal('none')], { description: 'kept: the only email profile on the device stays until the new one can be installed.' }),
    }, closed), 'Devices in scope where the new profile cannot be installed, and why.'),
    notApplicableCount: Type.Integer({ description: 'Devices in scope of another platform or below the OS floor.' }),
  },
  { ...closed, description: 'Envelope extension: what the replace did (or, in a dry run, would do). Lists hold the first $top items; counts are complete.' },
);

const ReplacementSummary = Type.Object(
  {
    oldProfile: Type.Object({ id: Type.String(), displayName: Type.String(), exists: Type.Boolean({ description: 'false once the admin deleted it.' }) }, closed),
    newProfile: Type.Object({ id: Type.String(), displayName: Type.String() }, closed),
    replacedDateTime: Type.String({ format: 'date-time' }),
    replacedBy: Type.Object({ tokenId: NullableString, role: Type.String() }, closed),
    assignmentsMoved: Type.Integer(),
    progress: Type.Object({
      oldOnDevices: Type.Integer({ description: 'Devices still holding the old account.' }),
      oldRemoving: Type.Integer({ description: 'Of those, with the removal on its way.' }),
      oldKept: Type.Integer({ description: 'Of those, keeping it: the only email profile while the new one is blocked there.' }),
      oldRemoved: Type.Integer(),
      newInstalled: Type.Integer(),
      newPending: Type.Integer(),
      newFailed: Type.Integer({ description: 'error, conflict or missing dependency.' }),
    }, closed),
  },
  { ...closed, description: 'Envelope extension: what replaced what, when, by whom, and how far devices got.' },
);
const TopQuery = Type.Object({ $top: Type.Optional(Type.String({ description: 'Items per list, 1–999 (default 100).' })) }, closed);

const base = '/deviceManagement/deviceConfigurations/:id/envelope';

/**
 * Envelope extensions for the one-step replace (decision 0028): `POST …/{id}/envelope/replace`
 * (admin only; audited like every write, naming both profiles) and `GET …/{id}/envelope/replacement`
 * on either profile of a replace.
 */
export function registerReplaceRoutes(scope: GraphScope, replace: ReplaceService): void {
  scope.post(`${base}/replace`, {
    schema: {
      tags: ['safe changes'],
      operationId: 'replaceDeviceConfiguration',
      summary: 'Replace an email profile by a new one with another host or address source (Envelope extension)',
      params: IdParams,
      querystring: TopQuery,
      response: withErrors({ 200: ReplaceResult, 201: ReplaceResult }),
    },
    // The body is validated by the profile domain (errors name the field); this documents it.
    config: { docsBody: ReplaceBody },
  }, async (request, reply) => {
    const { principal } = request;
    const result = await replace.replace(principal.tenantId, request.params.id, request.body, { tokenId: principal.tokenId, role: principal.role }, { top: parseTop(request.query.$top) });
    if (!result.dryRun) {
      // The event's resource is the old profile; the properties sent show old → new values, and name the new profile.
      const { id: _id, ...oldValues } = result.oldProfile;
      request.auditBefore = oldValues;
      request.auditExtraProperties = [
        { displayName: 'replacedProfile', oldValue: null, newValue: `${result.oldProfile.id} '${result.oldProfile.displayName}'` },
        { displayName: 'newProfile', oldValue: null, newValue: `${result.newProfile.id} '${result.newProfile.displayName}'` },
      ];
    }
    return reply.status(result.dryRun ? 200 : 201).send(result);
  });

  scope.get(`${base}/replacement`, {
    schema: {
      tags: ['safe changes'],
      operationId: 'getDeviceConfigurationReplacement',
      summary: 'What replaced what, and how far devices got (Envelope extension)',
      params: IdParams,
      response: withErrors({ 200: ReplacementSummary }),
    },
  }, async (request) => replace.replacement(request.principal.tenantId, request.params.id));

  scope.get(`${base}/replacements`, {
    schema: {
      tags: ['safe changes'],
      operationId: 'listDeviceConfigurationReplacements',
      summary: 'Every replace a profile took part in, as old profile first, then as new (Envelope extension)',
      params: IdParams,
      response: withErrors({ 200: Type.Object({ value: Type.Array(ReplacementSummary) }, closed) }),
    },
  }, async (request) => ({ value: await replace.replacements(request.principal.tenantId, request.params.id) }));
}
