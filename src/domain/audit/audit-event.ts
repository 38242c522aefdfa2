import { isSecretValue, redact, redactedValue } from './redact.ts';

/**
 * The audit trail's model, in Graph's names: one auditEvent per admin or SCIM write request.
 * https://learn.microsoft.com/graph/api/resources/intune-auditing-auditevent?view=graph-rest-beta
 */

/** Graph auditProperty: values as text (JSON for non-strings), null when absent. */
export interface AuditProperty {
  displayName: string;
  oldValue: string | null;
  newValue: string | null;
}

export type AuditActivityResult = 'Success' | 'ClientError' | 'Failure';
export type AuditOperationType = 'Create' | 'Patch' | 'Put' | 'Delete' | 'Action';

/** What a route's writes are, worked out once from its method, URL pattern and tags. */
export interface AuditRoute {
  method: 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  /** The URL pattern in OpenAPI style: `/graph/beta/users/{id}`. */
  route: string;
  componentName: string;
  category: string;
  resourceType: string;
  activityOperationType: AuditOperationType;
  /** `Create User`, `assign DeviceConfiguration`, `Delete Group members/{memberId}/$ref`. */
  activityType: string;
}

/** The event as recorded; the actor's label is read from the token at insert time. */
export interface NewAuditEvent {
  id: string;
  tenantId: string;
  route: AuditRoute;
  activityResult: AuditActivityResult;
  statusCode: number;
  correlationId: string;
  actor: { tokenId: string; role: string; ipAddress: string | null };
  resource: { id: string | null; displayName: string | null };
  modifiedProperties: AuditProperty[];
}

export interface AuditEvent extends Omit<NewAuditEvent, 'tenantId'> {
  activityDateTime: string;
  actor: NewAuditEvent['actor'] & { label: string };
}

const componentByPrefix: [string, string][] = [['/graph/', 'Graph'], ['/scim/', 'SCIM']];

/** Route tags to Intune-style audit categories; an unknown tag is its own category. */
const categoryByTag: Readonly<Record<string, string>> = {
  profiles: 'DeviceConfiguration',
  assignments: 'DeviceConfiguration',
  certificates: 'DeviceConfiguration',
  configuration: 'DeviceConfiguration',
  'safe changes': 'DeviceConfiguration',
  directory: 'Directory',
  devices: 'Device',
  enrollment: 'Enrollment',
  scim: 'Directory',
};

/** Graph's API prefixes, which are not part of a resource's path: `/graph/beta`, `/graph/v1.0`, `/scim/v2`. */
const apiPrefix = /^\/(?:graph\/(?:beta|v1\.0)|scim\/v2)(?=\/|$)/;

/**
 * Describes the writes of one route. The resource is the collection before the first path parameter
 * (`/users/:id` → `User`, singular), or the last segment of a parameter-less route (`/users` for a
 * POST → `User`; a singleton such as `/envelope/windowsPushSettings` keeps its name). What follows the
 * first parameter is the sub-path: a POST to one is an `Action` named by it (`assign`), except a
 * reference (`…/$ref`), which is a `Create`.
 */
export function describeAuditRoute(method: AuditRoute['method'], url: string, tags: readonly string[] = []): AuditRoute {
  const route = url.replace(/:([A-Za-z0-9_]+)/g, '{$1}');
  const segments = url.replace(apiPrefix, '').split('/').filter(Boolean);
  const firstParam = segments.findIndex((s) => s.startsWith(':'));
  const collection = firstParam > 0 ? segments[firstParam - 1]! : (segments[segments.length - 1] ?? 'root');
  const isCollection = firstParam > 0 || method === 'POST';
  const resourceType = pascal(isCollection ? singular(collection) : collection);
  const subPath = firstParam >= 0 ? segments.slice(firstParam + 1).map((s) => s.replace(/^:(.+)$/, '{$1}')).join('/') : '';
  const operation = operationOf(method, subPath);
  const activityType = operation === 'Action'
    ? `${subPath} ${resourceType}`
    : subPath ? `${operation} ${resourceType} ${subPath}` : `${operation} ${resourceType}`;
  const tag = tags[0];
  return {
    method,
    route,
    componentName: componentByPrefix.find(([prefix]) => url.startsWith(prefix))?.[1] ?? 'Envelope',
    category: tag === undefined ? 'Other' : (categoryByTag[tag] ?? pascal(tag)),
    resourceType,
    activityOperationType: operation,
    activityType,
  };
}

function operationOf(method: AuditRoute['method'], subPath: string): AuditOperationType {
  switch (method) {
    case 'POST':
      return subPath === '' || subPath.endsWith('$ref') ? 'Create' : 'Action';
    case 'PATCH':
      return 'Patch';
    case 'PUT':
      return 'Put';
    case 'DELETE':
      return 'Delete';
  }
}

function singular(name: string): string {
  if (name.endsWith('ies')) return `${name.slice(0, -3)}y`;
  if (name.endsWith('s') && !name.endsWith('ss')) return name.slice(0, -1);
  return name;
}

function pascal(name: string): string {
  return name.charAt(0).toUpperCase() + name.slice(1);
}

/** An HTTP status as Graph's activityResult. */
export function activityResultOf(statusCode: number): AuditActivityResult {
  if (statusCode < 400) return 'Success';
  return statusCode < 500 ? 'ClientError' : 'Failure';
}

/** Longest audit value kept, in characters; longer values (a PEM certificate) are cut. */
export const maxAuditValueLength = 1024;
/** Most properties kept per event (a refused body may have any number). */
export const maxAuditProperties = 100;

type Json = Record<string, unknown>;

const isObject = (value: unknown): value is Json => value !== null && typeof value === 'object' && !Array.isArray(value);

function text(value: unknown): string | null {
  if (value === undefined || value === null) return null;
  const out = typeof value === 'string' ? value : (JSON.stringify(value) as string | undefined);
  if (out === undefined) return null;
  return out.length > maxAuditValueLength ? `${out.slice(0, maxAuditValueLength)}…` : out;
}

/** An own property's value; never one inherited from Object.prototype (`toString`, `__proto__`). */
function own(source: Json | null, key: string): unknown {
  return source && Object.hasOwn(source, key) ? source[key] : undefined;
}

/**
 * The changed properties of a write, every secret redacted (see redact.ts; `schemaSecrets` are the
 * route's `writeOnly` properties):
 * - a successful Create: every property of the created resource (`after`, else the request body);
 * - an Action, or any failed write: the properties the request sent, as new values;
 * - Patch and Put: the properties sent, plus those whose value differs between `before` and `after`
 *   (every property of `after` when there was no `before`); old values from `before` (the resource
 *   as a GET returned it just before), new values from `after` (the response) or else the request;
 * - Delete: none (the resource's id and displayName identify what went).
 */
export function modifiedPropertiesOf(input: {
  operation: AuditOperationType;
  succeeded: boolean;
  body: unknown;
  before: unknown;
  after: unknown;
  schemaSecrets?: ReadonlySet<string>;
}): AuditProperty[] {
  return changedProperties(input).slice(0, maxAuditProperties);
}

function changedProperties(input: Parameters<typeof modifiedPropertiesOf>[0]): AuditProperty[] {
  const secrets = input.schemaSecrets ?? new Set<string>();
  const body = isObject(input.body) ? (redact(input.body, secrets) as Json) : {};
  const before = isObject(input.before) ? (redact(input.before, secrets) as Json) : null;
  const after = isObject(input.after) ? (redact(input.after, secrets) as Json) : null;
  if (input.operation === 'Delete') return [];
  if (input.operation === 'Create' && input.succeeded) {
    const created = after ?? body;
    return Object.keys(created).map((key) => ({ displayName: key, oldValue: null, newValue: text(own(created, key)) }));
  }
  if (input.operation === 'Action' || !input.succeeded || input.operation === 'Create') {
    return Object.keys(body).map((key) => ({ displayName: key, oldValue: text(own(before, key)), newValue: text(own(body, key)) }));
  }
  const keys = new Set(Object.keys(body));
  if (before && after) {
    for (const key of new Set([...Object.keys(before), ...Object.keys(after)])) {
      if (JSON.stringify(own(before, key)) !== JSON.stringify(own(after, key))) keys.add(key);
    }
  } else if (after) {
    // Nothing was there before (a first PUT): everything the response shows is new.
    for (const key of Object.keys(after)) keys.add(key);
  }
  return [...keys].map((key) => ({
    displayName: key,
    oldValue: text(own(before, key)),
    newValue: text(after && Object.hasOwn(after, key) ? after[key] : own(body, key)),
  }));
}

const displayNameFields = ['displayName', 'deviceName', 'userPrincipalName', 'userName', 'topic', 'packageSid', 'name'];

/** A human name for the resource, from the response or the before-image; never a secret. */
export function resourceDisplayNameOf(...sources: unknown[]): string | null {
  for (const source of sources) {
    if (!isObject(source)) continue;
    for (const field of displayNameFields) {
      const value = own(source, field);
      if (typeof value === 'string' && value !== '') return isSecretValue(value) ? redactedValue : text(value);
    }
  }
  return null;
}
