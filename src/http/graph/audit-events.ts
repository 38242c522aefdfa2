import { Type } from 'typebox';
import { badRequest } from '../../domain/errors.ts';
import type { GraphScope } from './graph-scope.ts';
import { Collection, IdParams, ListQueryString, withErrors } from './common-schemas.ts';
import { collectionBody, parseListQuery } from './odata-query.ts';
import { parseAuditFilter, parseAuditOrderBy } from './audit-query.ts';
import type { AuditEvent } from '../../domain/audit/audit-event.ts';
import type { AuditService } from '../../services/audit/audit-service.ts';
import type { AuditCatalog } from '../audit-trail.ts';

const NullableString = Type.Union([Type.String(), Type.Null()]);

const AuditProperty = Type.Object(
  { displayName: Type.String(), oldValue: NullableString, newValue: NullableString },
  { additionalProperties: false, description: 'Graph auditProperty. Secrets are recorded as [redacted].' },
);

const AuditActor = Type.Object(
  {
    type: Type.String({ description: "'Application': Envelope's callers are API tokens." }),
    auditActorType: Type.String({ description: "'ItPro' for admin and readOnly tokens, 'Application' for SCIM clients." }),
    userPermissions: Type.Array(Type.String(), { description: "The token's role." }),
    applicationId: Type.String({ description: "The API token's id (never the token)." }),
    applicationDisplayName: Type.String({ description: "The API token's label." }),
    userPrincipalName: NullableString,
    servicePrincipalName: NullableString,
    ipAddress: NullableString,
    userId: NullableString,
  },
  { additionalProperties: false },
);

const AuditResource = Type.Object(
  {
    displayName: NullableString,
    type: Type.String(),
    auditResourceType: Type.String(),
    resourceId: NullableString,
    modifiedProperties: Type.Array(AuditProperty),
  },
  { additionalProperties: false },
);

export const AuditEventSchema = Type.Object(
  {
    '@odata.type': Type.Literal('#microsoft.graph.auditEvent'),
    id: Type.String(),
    displayName: Type.String({ description: 'The activity type, e.g. "Patch User".' }),
    componentName: Type.String({ description: "'Graph' or 'SCIM': the API the change came through." }),
    actor: AuditActor,
    activity: Type.String({ description: 'The HTTP method and route, e.g. "PATCH /graph/beta/users/{id}".' }),
    activityDateTime: Type.String({ format: 'date-time' }),
    activityType: Type.String(),
    activityOperationType: Type.String({ description: 'Create, Patch, Put, Delete or Action.' }),
    activityResult: Type.String({ description: 'Success, ClientError (4xx, e.g. a refused write) or Failure (5xx).' }),
    correlationId: Type.String({ format: 'uuid', description: "The request's id (its client-request-id header when that is a GUID)." }),
    resources: Type.Array(AuditResource),
    category: Type.String(),
  },
  { additionalProperties: false },
);

const selectable = Object.keys(AuditEventSchema.properties);

const StringCollection = Type.Object({ value: Type.Array(Type.String()) }, { additionalProperties: false });

function toGraph(event: AuditEvent) {
  const { route, actor, resource } = event;
  return {
    '@odata.type': '#microsoft.graph.auditEvent' as const,
    id: event.id,
    displayName: route.activityType,
    componentName: route.componentName,
    actor: {
      type: 'Application',
      auditActorType: actor.role === 'scim' ? 'Application' : 'ItPro',
      userPermissions: [actor.role],
      applicationId: actor.tokenId,
      applicationDisplayName: actor.label,
      userPrincipalName: null,
      servicePrincipalName: null,
      ipAddress: actor.ipAddress,
      userId: null,
    },
    activity: `${route.method} ${route.route}`,
    activityDateTime: event.activityDateTime,
    activityType: route.activityType,
    activityOperationType: route.activityOperationType,
    activityResult: event.activityResult,
    correlationId: event.correlationId,
    resources: [{
      displayName: resource.displayName,
      type: route.resourceType,
      auditResourceType: route.resourceType,
      resourceId: resource.id,
      modifiedProperties: event.modifiedProperties,
    }],
    category: route.category,
  };
}

/**
 * `/deviceManagement/auditEvents`: the audit trail as Graph's beta auditEvent collection, with the
 * functions getAuditCategories() and getAuditActivityTypes(category='…'). Read-only (Graph's create,
 * update and delete are not offered: the trail is append-only and written by Envelope itself).
 * Admin and readOnly tokens may read it (decision 0022), tenant-scoped.
 */
export function registerAuditEventRoutes(scope: GraphScope, audit: AuditService, catalog: AuditCatalog): void {
  const base = '/deviceManagement/auditEvents';

  scope.get(base, {
    schema: {
      tags: ['audit'],
      summary: 'List audit events (every admin and SCIM write)',
      description: "$filter: activityDateTime ge/gt/le/lt <time>; eq on category, activityType, activityOperationType, activityResult, componentName, correlationId, actor/applicationId, and resources/any(r:r/resourceId eq '…'), joined by 'and'. $orderby: activityDateTime [asc|desc]. Functions: GET …/auditEvents/getAuditCategories() and GET …/auditEvents/getAuditActivityTypes(category='<category>') return {value: [string]}.",
      querystring: Type.Object({ ...ListQueryString.properties, $orderby: Type.Optional(Type.String({ description: 'activityDateTime asc (default) or activityDateTime desc.' })) }, { additionalProperties: true }),
      response: withErrors({ 200: Collection(Type.Partial(AuditEventSchema)) }),
    },
  }, async (request) => {
    const { $filter, $orderby, ...rest } = request.query as Record<string, unknown>;
    const list = parseListQuery(rest, { filterable: [], selectable });
    const query = { top: list.top, after: list.after, descending: parseAuditOrderBy($orderby), filters: parseAuditFilter($filter) };
    const page = await audit.list(request.principal.tenantId, query);
    return collectionBody({ items: page.items.map(toGraph), next: page.next }, { select: list.select, orderBy: null }, request.url, scope.baseUrl(request));
  });

  // Graph function URLs: @fastify/swagger reads their parentheses as router regexps, so these two are
  // left out of the OpenAPI document and described in the list operation's description instead.
  scope.get(`${base}/getAuditCategories()`, {
    schema: { hide: true, response: withErrors({ 200: StringCollection }) },
  }, async () => ({ value: catalog.categories() }));

  scope.get(`${base}/getAuditActivityTypes(category=:category)`, {
    schema: { hide: true, response: withErrors({ 200: StringCollection }) },
  }, async (request) => ({ value: catalog.activityTypes(parseFunctionCategory(request.url)) }));

  scope.get(`${base}/:id`, {
    schema: { tags: ['audit'], summary: 'Get an audit event', params: IdParams, response: withErrors({ 200: AuditEventSchema }) },
  }, async (request) => toGraph(await audit.getOrThrow(request.principal.tenantId, request.params.id)));
}

/** The quoted category argument of `getAuditActivityTypes(category='…')`, from the raw URL. */
function parseFunctionCategory(url: string): string {
  const path = url.split('?')[0]!;
  let decoded: string;
  try {
    decoded = decodeURIComponent(path);
  } catch {
    decoded = path;
  }
  const match = /getAuditActivityTypes\(category='((?:[^']|'')*)'\)$/.exec(decoded);
  if (!match) throw badRequest("getAuditActivityTypes takes one argument: (category='<category>').", 'category');
  return match[1]!.replace(/''/g, "'");
}
