import { Type } from 'typebox';
import { alertKinds } from '../../domain/alerts/alert-kinds.ts';
import type { GraphScope } from './graph-scope.ts';
import { Collection, ListQueryString, withErrors } from './common-schemas.ts';
import { collectionBody, parseListQuery } from './odata-query.ts';
import type { AlertService } from '../../services/alerts/alert-service.ts';

const closed = { additionalProperties: false } as const;
const NullableString = Type.Union([Type.String(), Type.Null()]);
const Kind = Type.Enum(alertKinds);

const Alert = Type.Object(
  {
    id: Kind,
    kind: Kind,
    severity: Type.Union([Type.Literal('critical'), Type.Literal('warning')]),
    title: Type.String(),
    affectedCount: Type.Integer({ description: 'Devices affected (each once, however many of its profiles).' }),
    fix: Type.String({ description: 'What to do, in one sentence.' }),
    dueDateTime: Type.Union([Type.String({ format: 'date-time' }), Type.Null()], { description: 'The push certificate\'s expiry; null for other alerts.' }),
  },
  closed,
);

const AffectedDevice = Type.Object(
  {
    deviceId: Type.String(),
    deviceName: Type.String(),
    operatingSystem: Type.String(),
    userId: NullableString,
    userPrincipalName: NullableString,
    userDisplayName: NullableString,
    profiles: Type.Array(Type.Object({
      profileId: Type.String(),
      displayName: Type.String(),
      reasonCode: Type.String(),
      message: Type.String(),
      sinceDateTime: Type.String({ format: 'date-time' }),
    }, closed), { description: 'The device\'s profiles in this alert\'s state (empty for the push certificate).' }),
  },
  closed,
);
const selectable = Object.keys(AffectedDevice.properties);

/**
 * Envelope extensions `/envelope/alerts` (the active alerts, for the console's home) and
 * `/envelope/alerts/{kind}/affected` (the affected devices, paged with $top and @odata.nextLink).
 * Readable with any token of the tenant.
 */
export function registerAlertRoutes(scope: GraphScope, alerts: AlertService): void {
  scope.get('/envelope/alerts', {
    schema: { tags: ['alerts'], summary: 'Active alerts with affected counts and fixes (Envelope extension)', response: withErrors({ 200: Type.Object({ value: Type.Array(Alert) }, closed) }) },
  }, async (request) => ({ value: await alerts.list(request.principal.tenantId) }));

  scope.get('/envelope/alerts/:kind/affected', {
    schema: {
      tags: ['alerts'],
      summary: 'Devices an alert affects (Envelope extension)',
      params: Type.Object({ kind: Type.String({ description: alertKinds.join(', ') }) }),
      querystring: ListQueryString,
      response: withErrors({ 200: Collection(Type.Partial(AffectedDevice)) }),
    },
  }, async (request) => {
    const query = parseListQuery(request.query, { filterable: [], selectable });
    const page = await alerts.affected(request.principal.tenantId, request.params.kind, query);
    return collectionBody(page, query, request.url, scope.baseUrl(request));
  });
}
