import { isUuid } from '../ids.ts';
import { scimBadRequest } from './scim-errors.ts';
import { isObject, valueOf } from './scim-patch.ts';
import { optionalString } from './scim-user.ts';
import { scimSchemas } from './scim-schemas.ts';

export interface ScimGroupFields {
  displayName: string;
  externalId: string | null;
}

/** A stored group as the SCIM mapping reads it. */
export interface ScimGroupSource extends ScimGroupFields {
  id: string;
  createdDateTime: string;
}

/**
 * The SCIM `Group` resource (RFC 7643 §4.2). `members`: its users (device members stay Envelope's
 * and are not shown); null leaves the attribute out (`excludedAttributes=members`).
 */
export function groupToScim(group: ScimGroupSource, members: readonly string[] | null, location: string | null, userLocation: (id: string) => string): Record<string, unknown> {
  return {
    schemas: [scimSchemas.group],
    id: group.id,
    ...(group.externalId === null ? {} : { externalId: group.externalId }),
    displayName: group.displayName,
    ...(members === null ? {} : { members: members.map((id) => ({ value: id, $ref: userLocation(id), type: 'User' })) }),
    meta: { resourceType: 'Group', created: group.createdDateTime, ...(location === null ? {} : { location }) },
  };
}

/** Reads a SCIM Group's displayName and externalId; 400 `invalidValue` naming the attribute. */
export function parseScimGroup(body: unknown): ScimGroupFields {
  if (!isObject(body)) throw scimBadRequest('invalidSyntax', 'The body must be a SCIM Group object.', 'body');
  const displayName = optionalString(body, 'displayName', 256);
  if (displayName === null) throw scimBadRequest('invalidValue', 'displayName is required.', 'displayName');
  return { displayName, externalId: optionalString(body, 'externalId', 256) };
}

/**
 * A `members` value (`[{ "value": "<user id>" }, …]`) as user ids, lower-cased. 400 `invalidValue`
 * naming `field` for anything else (a member must be a user id Envelope issued).
 */
export function parseMemberIds(value: unknown, field: string): string[] {
  if (value === undefined || value === null) return [];
  const items = Array.isArray(value) ? value : [value];
  return items.map((item, index) => {
    const id = isObject(item) ? valueOf(item, 'value') : item;
    if (!isUuid(id)) throw scimBadRequest('invalidValue', `${field}[${index}].value must be the id of a user of this tenant.`, `${field}[${index}].value`);
    return id.toLowerCase();
  });
}
