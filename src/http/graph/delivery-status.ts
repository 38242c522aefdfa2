import { Type } from 'typebox';
import { complianceStatuses } from '../../domain/delivery/index.ts';
import type { GraphScope } from './graph-scope.ts';
import { Collection, IdParams, ListQueryString, withErrors } from './common-schemas.ts';
import { collectionBody, parseListQuery } from './odata-query.ts';
import { deviceStatusFilterFields } from '../../store/postgres/delivery-status-store.ts';
import type { DeliveryService } from '../../services/delivery/delivery-service.ts';
import type { DeliveryStatusService } from '../../services/delivery/delivery-status-service.ts';

const DateTime = Type.String({ format: 'date-time' });
const Status = Type.Enum(complianceStatuses, { description: 'Graph complianceStatus.' });
const NullableString = Type.Union([Type.String(), Type.Null()]);

/** Graph `deviceConfigurationDeviceStatus` with Envelope's delivery detail beside it. */
const DeviceStatus = Type.Object(
  {
    id: Type.String(),
    deviceDisplayName: Type.String(),
    userName: NullableString,
    userPrincipalName: NullableString,
    deviceModel: NullableString,
    platform: Type.Integer({ description: 'policyPlatformType value of the device (iOS 2, Windows 10 6, …).' }),
    complianceGracePeriodExpirationDateTime: DateTime,
    status: Status,
    lastReportedDateTime: DateTime,
    reasonCode: Type.String({ description: 'Envelope extension: why the profile is in this state.' }),
    adminMessage: Type.String({ description: 'Envelope extension.' }),
    endUserMessage: Type.Union([Type.String(), Type.Null()], { description: 'Envelope extension: what the user can do.' }),
    attempts: Type.Integer({ description: 'Envelope extension: sends of the current version.' }),
    verifiedDateTime: Type.Union([DateTime, Type.Null()], { description: 'Envelope extension.' }),
    stuck: Type.Boolean({ description: 'Envelope extension: waiting longer than the configured time.' }),
    waitingForUser: Type.Boolean({ description: 'Envelope extension: the device asks the user to act.' }),
  },
  { additionalProperties: false },
);
const selectableDeviceStatus = Object.keys(DeviceStatus.properties);

const UserStatus = Type.Object(
  {
    id: Type.String(),
    userDisplayName: Type.String(),
    userPrincipalName: Type.String(),
    devicesCount: Type.Integer(),
    status: Status,
    lastReportedDateTime: DateTime,
  },
  { additionalProperties: false },
);
const selectableUserStatus = Object.keys(UserStatus.properties);

const counts = {
  pendingCount: Type.Integer(),
  notApplicableCount: Type.Integer(),
  successCount: Type.Integer(),
  errorCount: Type.Integer(),
  failedCount: Type.Integer(),
  conflictCount: Type.Integer(),
  lastUpdateDateTime: DateTime,
  configurationVersion: Type.Integer(),
};
const DeviceOverview = Type.Object({ id: Type.String(), ...counts, notApplicablePlatformCount: Type.Integer() }, { additionalProperties: false });
const UserOverview = Type.Object({ id: Type.String(), ...counts }, { additionalProperties: false });

const DeviceConfigurationState = Type.Object(
  {
    id: Type.String(),
    displayName: Type.String(),
    platformType: Type.String(),
    settingCount: Type.Integer(),
    settingStates: Type.Array(Type.Never()),
    state: Status,
    version: Type.Integer(),
    userId: NullableString,
    userPrincipalName: NullableString,
    reasonCode: Type.String(),
    adminMessage: Type.String(),
    endUserMessage: NullableString,
  },
  { additionalProperties: false },
);

const DeviceStateSummary = Type.Object(
  {
    unknownDeviceCount: Type.Integer(),
    notApplicableDeviceCount: Type.Integer(),
    compliantDeviceCount: Type.Integer(),
    remediatedDeviceCount: Type.Integer(),
    nonCompliantDeviceCount: Type.Integer(),
    errorDeviceCount: Type.Integer(),
    conflictDeviceCount: Type.Integer(),
  },
  { additionalProperties: false },
);

const ResendBody = Type.Object(
  {
    deviceIds: Type.Optional(Type.Array(Type.String({ format: 'uuid' }), { minItems: 1, maxItems: 1000, uniqueItems: true })),
    statuses: Type.Optional(Type.Array(Type.Union([Type.Literal('error'), Type.Literal('conflict'), Type.Literal('stuck')]), { minItems: 1, uniqueItems: true })),
  },
  { additionalProperties: false },
);

const profilePath = '/deviceManagement/deviceConfigurations/:id';

/** Delivery status of profiles and devices (Graph's status resources), and the admin resend action. */
export function registerDeliveryStatusRoutes(scope: GraphScope, status: DeliveryStatusService, delivery: DeliveryService): void {
  scope.get(`${profilePath}/deviceStatuses`, {
    schema: { tags: ['delivery'], summary: 'Per-device delivery status of a profile', params: IdParams, querystring: ListQueryString, response: withErrors({ 200: Collection(Type.Partial(DeviceStatus)) }) },
  }, async (request) => {
    const query = parseListQuery(request.query, { filterable: deviceStatusFilterFields, selectable: selectableDeviceStatus });
    return collectionBody(await status.deviceStatuses(request.principal.tenantId, request.params.id, query), query, request.url, scope.baseUrl(request));
  });

  scope.get(`${profilePath}/userStatuses`, {
    schema: { tags: ['delivery'], summary: 'Per-user delivery status of a profile', params: IdParams, querystring: ListQueryString, response: withErrors({ 200: Collection(Type.Partial(UserStatus)) }) },
  }, async (request) => {
    const query = parseListQuery(request.query, { filterable: ['userPrincipalName'], selectable: selectableUserStatus });
    return collectionBody(await status.userStatuses(request.principal.tenantId, request.params.id, query), query, request.url, scope.baseUrl(request));
  });

  scope.get(`${profilePath}/deviceStatusOverview`, {
    schema: { tags: ['delivery'], summary: 'Device counts per status of a profile', params: IdParams, response: withErrors({ 200: DeviceOverview }) },
  }, async (request) => status.deviceOverview(request.principal.tenantId, request.params.id));

  scope.get(`${profilePath}/userStatusOverview`, {
    schema: { tags: ['delivery'], summary: 'User counts per status of a profile', params: IdParams, response: withErrors({ 200: UserOverview }) },
  }, async (request) => status.userOverview(request.principal.tenantId, request.params.id));

  scope.post(`${profilePath}/resend`, {
    schema: {
      tags: ['delivery'],
      summary: 'Resend a profile to devices in error, conflict or stuck (Envelope extension)',
      params: IdParams,
      body: ResendBody,
      response: withErrors({ 202: Type.Object({ deviceCount: Type.Integer() }, { additionalProperties: false }) }),
    },
  }, async (request, reply) => {
    const deviceCount = await delivery.resend(request.principal.tenantId, request.params.id, request.body ?? {});
    return reply.status(202).send({ deviceCount });
  });

  scope.get('/deviceManagement/managedDevices/:id/deviceConfigurationStates', {
    schema: { tags: ['delivery'], summary: 'Profiles on a device and their state', params: IdParams, response: withErrors({ 200: Type.Object({ value: Type.Array(DeviceConfigurationState) }) }) },
  }, async (request) => ({ value: await status.deviceConfigurationStates(request.principal.tenantId, request.params.id) }));

  scope.get('/deviceManagement/deviceConfigurationDeviceStateSummaries', {
    schema: { tags: ['delivery'], summary: 'Tenant-wide device counts per status over all profiles', response: withErrors({ 200: DeviceStateSummary }) },
  }, async (request) => status.deviceStateSummary(request.principal.tenantId));
}
