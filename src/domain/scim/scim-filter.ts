import { parse as parseFilter } from 'scim2-parse-filter';
import { scimBadRequest } from './scim-errors.ts';

/** A filter Envelope answers: one attribute equal to a string. */
export interface ScimEquality<A extends string> {
  attribute: A;
  value: string;
}

/**
 * Reads a SCIM `filter` (RFC 7644 §3.4.2.2) as identity providers send it — `userName eq "…"`,
 * `externalId eq "…"`, `displayName eq "…"` — parsed by a SCIM filter library. `attributes` maps
 * the accepted SCIM attribute names (matched case-insensitively) to the caller's. Anything else (other
 * operators, `and`/`or`, other attributes) is a 400 `invalidFilter` that says what is supported.
 */
export function parseScimFilter<A extends string>(filter: string | undefined, attributes: Readonly<Record<string, A>>): ScimEquality<A> | null {
  if (filter === undefined || filter.trim() === '') return null;
  const supported = Object.keys(attributes).map((a) => `${a} eq "…"`).join(', ');
  let parsed;
  try {
    parsed = parseFilter(filter);
  } catch {
    throw scimBadRequest('invalidFilter', `filter '${filter}' is not a valid SCIM filter; supported: ${supported}.`, 'filter');
  }
  const name = 'attrPath' in parsed ? Object.keys(attributes).find((a) => a.toLowerCase() === parsed.attrPath.toLowerCase()) : undefined;
  if (parsed.op !== 'eq' || name === undefined || !('compValue' in parsed) || typeof parsed.compValue !== 'string') {
    throw scimBadRequest('invalidFilter', `filter '${filter}' is not supported; supported: ${supported}.`, 'filter');
  }
  return { attribute: attributes[name]!, value: parsed.compValue };
}
