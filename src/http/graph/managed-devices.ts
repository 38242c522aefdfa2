import { Type } from 'typebox';
import type { GraphScope } from './graph-scope.ts';
import { Collection, CountText, IdParams, ItemQueryString, ListQueryString, withErrors } from './common-schemas.ts';
import { applySelect, collectionBody, parseCountQuery, parseItemQuery, parseListQuery } from './odata-query.ts';
import { androidManagementModes, deviceOperatingSystems } from '../../domain/directory.ts';
import { deviceFilterFields, deviceSortFields } from '../../store/postgres/device-store.ts';
import type { DeviceService } from '../../services/directory/device-service.ts';

const writable = {
  deviceName: Type.String({ minLength: 1, maxLength: 256 }),
  operatingSystem: Type.Enum(deviceOperatingSystems),
  osVersion: Type.String({ minLength: 1, maxLength: 64 }),
  model: Type.Union([Type.String({ maxLength: 128 }), Type.Null()]),
  androidManagementMode: Type.Union([Type.Enum(androidManagementModes), Type.Null()], {
    description: "Android only: 'knox' (Samsung Knox, device administrator) or 'workProfile' (Android Enterprise). Envelope extension.",
  }),
  userId: Type.Union([Type.String({ format: 'uuid' }), Type.Null()], { description: 'Primary user id.' }),
};

const DeviceCreate = Type.Object(
  {
    deviceName: writable.deviceName,
    operatingSystem: writable.operatingSystem,
    osVersion: writable.osVersion,
    model: Type.Optional(writable.model),
    androidManagementMode: Type.Optional(writable.androidManagementMode),
    userId: Type.Optional(writable.userId),
  },
  { additionalProperties: false },
);
const DevicePatch = Type.Partial(Type.Object(writable), { additionalProperties: false, minProperties: 1 });

export const ManagedDevice = Type.Object(
  {
    id: Type.String(),
    ...writable,
    userPrincipalName: Type.Union([Type.String(), Type.Null()]),
    userDisplayName: Type.Union([Type.String(), Type.Null()]),
    enrolledDateTime: Type.String({ format: 'date-time' }),
    lastSyncDateTime: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
  },
  { additionalProperties: false },
);

const selectable = Object.keys(ManagedDevice.properties);
const listOptions = { filterable: deviceFilterFields, selectable, sortable: deviceSortFields };

/** `/deviceManagement/managedDevices`: the devices profiles are delivered to, each with a primary user. */
export function registerDeviceRoutes(scope: GraphScope, devices: DeviceService): void {
  const path = '/deviceManagement/managedDevices';

  scope.get(path, {
    schema: { tags: ['directory'], summary: 'List managed devices', querystring: ListQueryString, response: withErrors({ 200: Collection(Type.Partial(ManagedDevice)) }) },
  }, async (request) => {
    const query = parseListQuery(request.query, listOptions);
    return collectionBody(await devices.list(request.principal.tenantId, query), query, request.url, scope.baseUrl(request));
  });

  scope.get(`${path}/$count`, {
    schema: { tags: ['directory'], summary: 'Count managed devices', querystring: ListQueryString, response: withErrors({ 200: CountText }) },
  }, async (request, reply) => {
    const page = await devices.list(request.principal.tenantId, parseCountQuery(request.query, listOptions));
    return reply.type('text/plain; charset=utf-8').send(String(page.count));
  });

  scope.post(path, {
    schema: { tags: ['directory'], summary: 'Register a managed device', body: DeviceCreate, response: withErrors({ 201: ManagedDevice }) },
  }, async (request, reply) => reply.status(201).send(await devices.create(request.principal.tenantId, request.body)));

  scope.get(`${path}/:id`, {
    schema: { tags: ['directory'], summary: 'Get a managed device', params: IdParams, querystring: ItemQueryString, response: withErrors({ 200: Type.Partial(ManagedDevice) }) },
  }, async (request) => {
    const query = parseItemQuery(request.query, listOptions);
    return applySelect(await devices.getOrThrow(request.principal.tenantId, request.params.id), query.select);
  });

  scope.patch(`${path}/:id`, {
    schema: { tags: ['directory'], summary: 'Update a managed device', params: IdParams, body: DevicePatch, response: withErrors({ 200: ManagedDevice }) },
  }, async (request) => devices.update(request.principal.tenantId, request.params.id, request.body));

  scope.delete(`${path}/:id`, {
    schema: { tags: ['directory'], summary: 'Delete a managed device', params: IdParams, response: withErrors({ 204: Type.Null() }) },
  }, async (request, reply) => {
    await devices.delete(request.principal.tenantId, request.params.id);
    return reply.status(204).send(null);
  });
}
