import type { DirectoryUser } from '../directory.ts';
import { scimBadRequest } from './scim-errors.ts';
import { isObject, valueOf } from './scim-patch.ts';
import { scimSchemas } from './scim-schemas.ts';

/** What a SCIM User sets on an Envelope user (Graph's `mailNickname` is not SCIM's). */
export interface ScimUserFields extends Omit<DirectoryUser, 'id'> {
  accountEnabled: boolean;
  externalId: string | null;
  givenName: string | null;
  surname: string | null;
  scimAttributes: Record<string, unknown>;
}

/** A stored user as the SCIM mapping reads it. */
export interface ScimUserSource extends ScimUserFields {
  id: string;
  createdDateTime: string;
}

/**
 * Attributes the mapping consumes; every other attribute a client sends (title, phoneNumbers,
 * addresses, the enterprise extension, …) is kept as sent in `scimAttributes` and returned, so a
 * client comparing its values with ours sees no change. `password` and `groups` are never kept.
 */
const mappedAttributes = new Set(['schemas', 'id', 'meta', 'externalid', 'username', 'displayname', 'name', 'emails', 'active', 'password', 'groups',
  scimSchemas.envelopeUser.toLowerCase()]);
const maxKeptAttributesBytes = 16_384;

/** The SCIM `User` resource of an Envelope user (RFC 7643 §4.1), `location` its URL. */
export function userToScim(user: ScimUserSource, location: string | null): Record<string, unknown> {
  const extension = {
    ...(user.onPremisesSamAccountName === null ? {} : { samAccountName: user.onPremisesSamAccountName }),
    ...(user.onPremisesDomainName === null ? {} : { domainName: user.onPremisesDomainName }),
    ...(user.onPremisesNetBiosName === null ? {} : { netBiosName: user.onPremisesNetBiosName }),
  };
  const name = {
    ...(user.givenName === null ? {} : { givenName: user.givenName }),
    ...(user.surname === null ? {} : { familyName: user.surname }),
  };
  const formatted = [user.givenName, user.surname].filter((p) => p !== null).join(' ');
  const extensions = Object.keys(user.scimAttributes).filter((k) => k.startsWith('urn:'));
  return {
    schemas: [scimSchemas.user, ...extensions, ...(Object.keys(extension).length > 0 ? [scimSchemas.envelopeUser] : [])],
    id: user.id,
    ...(user.externalId === null ? {} : { externalId: user.externalId }),
    userName: user.userPrincipalName,
    ...(formatted === '' ? {} : { name: { ...name, formatted } }),
    displayName: user.displayName,
    ...(user.mail === null ? {} : { emails: [{ value: user.mail, type: 'work', primary: true }] }),
    active: user.accountEnabled,
    ...user.scimAttributes,
    ...(Object.keys(extension).length > 0 ? { [scimSchemas.envelopeUser]: extension } : {}),
    meta: { resourceType: 'User', created: user.createdDateTime, ...(location === null ? {} : { location }) },
  };
}

/**
 * Reads a SCIM User (a POST or PUT body, or a resource after PATCH operations) into Envelope's
 * fields; attribute names match case-insensitively. 400 `invalidValue` naming the attribute for a
 * value Envelope cannot keep: `userName` must be a UPN (`user@domain`), the primary email an address.
 *
 * Mapping: userName → userPrincipalName; the primary email (else the `work` one, else the first) →
 * mail; name.givenName / familyName → givenName / surname; displayName (else name.formatted, else
 * given and family name, else userName); active → accountEnabled (`"False"` strings as Entra ID
 * sends them too); Envelope's extension samAccountName / domainName / netBiosName → the on-premises
 * attributes email profiles build usernames from.
 */
export function parseScimUser(body: unknown): ScimUserFields {
  if (!isObject(body)) throw scimBadRequest('invalidSyntax', 'The body must be a SCIM User object.', 'body');
  const userName = requiredString(body, 'userName', 320);
  if (!/^[^@\s]+@[^@\s]+$/.test(userName)) {
    throw scimBadRequest('invalidValue', `userName '${userName}' must be a user principal name such as user@contoso.com.`, 'userName');
  }
  const nameValue = valueOf(body, 'name');
  if (nameValue !== undefined && nameValue !== null && !isObject(nameValue)) throw scimBadRequest('invalidValue', 'name must be an object.', 'name');
  const name = isObject(nameValue) ? nameValue : {};
  const givenName = optionalString(name, 'givenName', 64, 'name.givenName');
  const surname = optionalString(name, 'familyName', 64, 'name.familyName');
  const formatted = optionalString(name, 'formatted', 256, 'name.formatted');
  const displayName = optionalString(body, 'displayName', 256)
    ?? formatted
    ?? ([givenName, surname].filter((p) => p !== null).join(' ') || userName);

  const extensionValue = valueOf(body, scimSchemas.envelopeUser);
  if (extensionValue !== undefined && extensionValue !== null && !isObject(extensionValue)) {
    throw scimBadRequest('invalidValue', `${scimSchemas.envelopeUser} must be an object.`, scimSchemas.envelopeUser);
  }
  const extension = isObject(extensionValue) ? extensionValue : {};
  const extensionField = (attribute: string) => `${scimSchemas.envelopeUser}:${attribute}`;

  return {
    userPrincipalName: userName,
    displayName: displayName.length > 256 ? displayName.slice(0, 256) : displayName,
    mail: primaryEmail(valueOf(body, 'emails')),
    givenName,
    surname,
    accountEnabled: parseActive(valueOf(body, 'active')),
    externalId: optionalString(body, 'externalId', 256),
    onPremisesSamAccountName: optionalString(extension, 'samAccountName', 64, extensionField('samAccountName')),
    onPremisesDomainName: optionalString(extension, 'domainName', 255, extensionField('domainName')),
    onPremisesNetBiosName: optionalString(extension, 'netBiosName', 15, extensionField('netBiosName')),
    scimAttributes: keptAttributes(body),
  };
}

function primaryEmail(value: unknown): string | null {
  if (value === undefined || value === null) return null;
  if (!Array.isArray(value)) throw scimBadRequest('invalidValue', 'emails must be an array.', 'emails');
  const emails = value.map((item, index) => {
    if (!isObject(item)) throw scimBadRequest('invalidValue', `emails[${index}] must be an object.`, `emails[${index}]`);
    return { item, index };
  });
  const isPrimary = (e: { item: Record<string, unknown> }) => {
    const primary = valueOf(e.item, 'primary');
    return primary === true || (typeof primary === 'string' && primary.toLowerCase() === 'true');
  };
  const chosen = emails.find(isPrimary)
    ?? emails.find((e) => String(valueOf(e.item, 'type') ?? '').toLowerCase() === 'work')
    ?? emails[0];
  if (!chosen) return null;
  const field = `emails[${chosen.index}].value`;
  const address = optionalString(chosen.item, 'value', 320, field);
  if (address !== null && !/^[^@\s]+@[^@\s]+$/.test(address)) {
    throw scimBadRequest('invalidValue', `${field} '${address}' is not an email address.`, field);
  }
  return address;
}

/** `active`: a boolean, or `"True"`/`"False"` in any case as Entra ID sends it; absent means active. */
export function parseActive(value: unknown): boolean {
  if (value === undefined || value === null) return true;
  if (typeof value === 'boolean') return value;
  if (typeof value === 'string' && /^(true|false)$/i.test(value)) return value.toLowerCase() === 'true';
  throw scimBadRequest('invalidValue', 'active must be true or false.', 'active');
}

function keptAttributes(body: Record<string, unknown>): Record<string, unknown> {
  const kept = Object.fromEntries(Object.entries(body).filter(([k]) => !mappedAttributes.has(k.toLowerCase())));
  if (JSON.stringify(kept).length > maxKeptAttributesBytes) {
    throw scimBadRequest('invalidValue', `The attributes Envelope keeps without using (${Object.keys(kept).join(', ')}) exceed ${maxKeptAttributesBytes} bytes.`, Object.keys(kept)[0]);
  }
  return kept;
}

function requiredString(object: Record<string, unknown>, attribute: string, max: number): string {
  const value = optionalString(object, attribute, max);
  if (value === null) throw scimBadRequest('invalidValue', `${attribute} is required.`, attribute);
  return value;
}

/** A string attribute: absent, null or "" → null; else 1–`max` characters, or 400 naming `field`. */
export function optionalString(object: Record<string, unknown>, attribute: string, max: number, field = attribute): string | null {
  const value = valueOf(object, attribute);
  if (value === undefined || value === null || value === '') return null;
  if (typeof value !== 'string') throw scimBadRequest('invalidValue', `${field} must be a string.`, field);
  if (value.length > max) throw scimBadRequest('invalidValue', `${field} must be at most ${max} characters.`, field);
  return value;
}

