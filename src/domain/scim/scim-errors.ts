import { EnvelopeError } from '../errors.ts';

/**
 * SCIM `scimType` values (RFC 7644 §3.12) Envelope answers with. They are the error `code`, so the
 * SCIM renderer can tell them from Graph codes.
 */
export const scimTypes = ['invalidFilter', 'tooMany', 'uniqueness', 'mutability', 'invalidSyntax', 'invalidPath', 'noTarget', 'invalidValue'] as const;
export type ScimType = (typeof scimTypes)[number];

export function isScimType(value: string): value is ScimType {
  return (scimTypes as readonly string[]).includes(value);
}

/** 400 with a SCIM `scimType`; `attribute` names the offending attribute or path. */
export function scimBadRequest(scimType: ScimType, message: string, attribute?: string): EnvelopeError {
  return new EnvelopeError(scimType, 400, message, attribute);
}
