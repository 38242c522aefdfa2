import { badRequest } from '../errors.ts';
import { isUuid } from '../ids.ts';
import {
  allDevicesVirtualGroupId,
  allLicensedUsersVirtualGroupId,
  graphNamespace,
  targetGroupId,
  type Assignment,
  type AssignmentIntent,
  type AssignmentTarget,
  type AssignmentTargetType,
} from './assignment-target.ts';

/**
 * Validates a Graph `assign` body (`{ "assignments": [ { "target": { "@odata.type": … } }, … ] }`)
 * and returns its assignments in body order. An empty array is valid: it unassigns the profile.
 *
 * Throws `badRequest` for the first problem found, with `target` set to the offending path
 * (`assignments[2].target.groupId`). Rejected: unknown properties at any level, target types
 * Envelope does not support (Configuration Manager collections), assignment filters, a target that
 * appears twice, a group that is both included and excluded, and Intune's virtual all-users /
 * all-devices group ids used as a `groupId` (they would collide with the "all …" targets' ids).
 *
 * Accepted for round-tripping Graph GET output: the assignment's `@odata.type`, `id` (ignored, ids
 * are derived as `{profileId}_{groupId}`), `source: "direct"`, `sourceId: null`, a null `intent`
 * (meaning `apply`) and the empty filter properties (`null` / `"none"`).
 *
 * Whether the groups exist is the caller's business; this function does no I/O.
 */
export function parseAssignBody(body: unknown): Assignment[] {
  if (!isRecord(body)) {
    throw badRequest("The request body must be a JSON object with an 'assignments' array.");
  }
  rejectUnknownProperties(body, bodyKeys, '', 'the assign body');
  const list = body['assignments'];
  if (!Array.isArray(list)) {
    throw badRequest(`assignments ${list === undefined ? 'is required' : 'must be an array'}.`, 'assignments');
  }

  const assignments: Assignment[] = [];
  // groupId (virtual ids for the "all …" targets) -> first assignment naming it, for duplicate checks.
  const seen = new Map<string, { index: number; type: AssignmentTargetType }>();
  list.forEach((entry: unknown, index) => {
    const path = `assignments[${index}]`;
    const assignment = parseAssignment(entry, path);
    const key = targetGroupId(assignment.target);
    const earlier = seen.get(key);
    if (earlier?.type === assignment.target.type) {
      throw badRequest(`${path}.target repeats the target of assignments[${earlier.index}].`, `${path}.target`);
    }
    if (earlier) {
      throw badRequest(
        `Group '${key}' is both included and excluded (assignments[${earlier.index}] and ${path}); ` +
          'keep one of the two.',
        `${path}.target.groupId`,
      );
    }
    seen.set(key, { index, type: assignment.target.type });
    assignments.push(assignment);
  });
  return assignments;
}

const bodyKeys = new Set(['assignments']);
const assignmentKeys = new Set(['@odata.type', 'id', 'intent', 'source', 'sourceId', 'target']);
const filterKeys = ['deviceAndAppManagementAssignmentFilterId', 'deviceAndAppManagementAssignmentFilterType'];
const plainTargetKeys = new Set(['@odata.type', ...filterKeys]);
const groupTargetKeys = new Set([...plainTargetKeys, 'groupId']);

const supportedTargetTypes = new Map<string, AssignmentTargetType>(
  (
    [
      'groupAssignmentTarget',
      'exclusionGroupAssignmentTarget',
      'allLicensedUsersAssignmentTarget',
      'allDevicesAssignmentTarget',
    ] as const
  ).map((type) => [`${graphNamespace}${type}`, type]),
);
const configurationManagerCollection = `${graphNamespace}configurationManagerCollectionAssignmentTarget`;

function parseAssignment(entry: unknown, path: string): Assignment {
  if (!isRecord(entry)) {
    throw badRequest(`${path} must be an object with a 'target'.`, path);
  }
  rejectUnknownProperties(entry, assignmentKeys, path, 'deviceConfigurationAssignment');

  const odataType = entry['@odata.type'];
  if (odataType !== undefined && odataType !== `${graphNamespace}deviceConfigurationAssignment`) {
    throw badRequest(`${path}.@odata.type must be '#microsoft.graph.deviceConfigurationAssignment' when present.`, `${path}.@odata.type`);
  }
  const id = entry['id'];
  if (id !== undefined && id !== null && typeof id !== 'string') {
    throw badRequest(`${path}.id must be a string when present (it is ignored: ids are derived).`, `${path}.id`);
  }
  const source = entry['source'];
  if (source !== undefined && source !== 'direct') {
    throw badRequest(
      `${path}.source is read-only and must be 'direct'` +
        (source === 'policySets' ? ': Envelope does not support policy sets.' : '.'),
      `${path}.source`,
    );
  }
  const sourceId = entry['sourceId'];
  if (sourceId !== undefined && sourceId !== null) {
    throw badRequest(`${path}.sourceId is read-only and must be null: Envelope does not support policy sets.`, `${path}.sourceId`);
  }
  return { intent: parseIntent(entry['intent'], `${path}.intent`), target: parseTarget(entry['target'], `${path}.target`) };
}

function parseIntent(value: unknown, path: string): AssignmentIntent {
  if (value === undefined || value === null) return 'apply';
  if (value === 'apply' || value === 'remove') return value;
  throw badRequest(`${path} must be 'apply' or 'remove'.`, path);
}

function parseTarget(value: unknown, path: string): AssignmentTarget {
  if (!isRecord(value)) {
    throw badRequest(`${path} ${value === undefined || value === null ? 'is required' : 'must be an object'}.`, path);
  }
  const typePath = `${path}.@odata.type`;
  const odataType = value['@odata.type'];
  if (odataType === undefined) {
    throw badRequest(`${typePath} is required.`, typePath);
  }
  if (odataType === configurationManagerCollection) {
    throw badRequest(`${typePath}: Configuration Manager collection targets are not supported by Envelope.`, typePath);
  }
  const type = typeof odataType === 'string' ? supportedTargetTypes.get(odataType) : undefined;
  if (type === undefined) {
    throw badRequest(`${typePath} must be one of ${[...supportedTargetTypes.keys()].join(', ')}.`, typePath);
  }
  const isGroupTarget = type === 'groupAssignmentTarget' || type === 'exclusionGroupAssignmentTarget';
  rejectUnknownProperties(value, isGroupTarget ? groupTargetKeys : plainTargetKeys, path, type);
  parseEmptyFilter(value, path);
  if (!isGroupTarget) return { type };
  return { type, groupId: parseGroupId(value['groupId'], `${path}.groupId`, type) };
}

/** Envelope has no assignment filters yet; only the empty filter GET output carries is accepted. */
function parseEmptyFilter(target: Record<string, unknown>, path: string): void {
  const idPath = `${path}.deviceAndAppManagementAssignmentFilterId`;
  const filterId = target['deviceAndAppManagementAssignmentFilterId'];
  if (filterId !== undefined && filterId !== null) {
    throw badRequest(`${idPath}: assignment filters are not supported by Envelope; it must be null.`, idPath);
  }
  const typePath = `${path}.deviceAndAppManagementAssignmentFilterType`;
  const filterType = target['deviceAndAppManagementAssignmentFilterType'];
  if (filterType === 'include' || filterType === 'exclude') {
    throw badRequest(`${typePath}: assignment filters are not supported by Envelope; it must be 'none'.`, typePath);
  }
  if (filterType !== undefined && filterType !== 'none') {
    throw badRequest(`${typePath} must be 'none', 'include' or 'exclude' (and Envelope supports only 'none').`, typePath);
  }
}

function parseGroupId(value: unknown, path: string, type: AssignmentTargetType): string {
  if (value === undefined || value === null) {
    throw badRequest(`${path} is required for target type ${type}.`, path);
  }
  if (!isUuid(value)) {
    throw badRequest(`${path} must be a group id (a UUID such as 7f3c5a4e-1b2d-4c8e-9f00-123456789abc).`, path);
  }
  const lower = value.toLowerCase();
  if (lower === allLicensedUsersVirtualGroupId || lower === allDevicesVirtualGroupId) {
    const instead = lower === allLicensedUsersVirtualGroupId ? 'allLicensedUsersAssignmentTarget' : 'allDevicesAssignmentTarget';
    throw badRequest(`${path} is Intune's virtual group id for ${instead}; use that target type instead.`, path);
  }
  return lower;
}

function rejectUnknownProperties(object: Record<string, unknown>, allowed: ReadonlySet<string>, path: string, what: string): void {
  for (const key of Object.keys(object)) {
    if (!allowed.has(key)) {
      const field = path === '' ? key : `${path}.${key}`;
      throw badRequest(`${field} is not a property of ${what}.`, field);
    }
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
