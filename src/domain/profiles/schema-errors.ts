import type { TSchema } from 'typebox';
import type { TLocalizedValidationError } from 'typebox/error';
import { badRequest, type EnvelopeError } from '../errors.ts';
import { unknownFlagNames } from './graph-flags.ts';
import { isNullable, viewOf, type JsonSchemaView } from './schema-kit.ts';

/**
 * Turns the first TypeBox validation error into a 400 that names the offending property (as `target` and in
 * the message, e.g. `extendedKeyUsages[0].objectIdentifier`) and says what is allowed, described from the
 * schema itself so the message can never disagree with the OpenAPI document.
 */
export function schemaErrorToBadRequest(
  schema: TSchema,
  errors: readonly TLocalizedValidationError[],
  body: unknown,
  flags: Readonly<Record<string, readonly string[]>>,
): EnvelopeError {
  const error = errors.find((candidate) => candidate.instancePath !== '') ?? errors[0];
  const segments = (error?.instancePath ?? '').split('/').slice(1).map(unescapePointer);
  const field = fieldPath(segments);
  const value = valueAt(body, segments);
  const expected = schemaAt(viewOf(schema), segments);

  if (segments.length === 0 || expected === undefined) {
    return badRequest(`${field || 'The body'} is not an allowed property here.`, field || undefined);
  }
  // Segments come from the client's body: look up own properties only (`toString` is not a flags setting).
  const members = segments.length === 1 ? ownValue(flags, segments[0] ?? '') : undefined;
  if (members !== undefined && typeof value === 'string') {
    const unknown = unknownFlagNames(value, members).map((name) => `'${name}'`);
    return badRequest(
      `${field} must be a comma-separated list of ${members.join(', ')}; ${unknown.join(', ') || `'${value}'`} ${unknown.length > 1 ? 'are' : 'is'} not allowed.`,
      field,
    );
  }
  if (expected.type === 'null') {
    return badRequest(`${field} must be null${expected.description ? `: ${expected.description}` : ''}`, field);
  }
  if (value === null && !isNullable(expected)) {
    return badRequest(`${field} must not be null; it must be ${describe(expected)}.`, field);
  }
  return badRequest(`${field} must be ${describe(expected)}; got ${preview(value)}.`, field);
}

/** A human description of what a schema accepts: "one of a, b or null", "a string of 1–200 characters"… */
export function describe(schema: JsonSchemaView): string {
  if (schema.anyOf !== undefined) {
    const branches = schema.anyOf.filter((branch) => branch.type !== 'null').map(describe);
    return [...branches, ...(isNullable(schema) ? ['null'] : [])].join(' or ');
  }
  if (schema.enum !== undefined) {
    const members = schema.enum.filter((member) => member !== null).map(String);
    return `one of ${members.join(', ')}${schema.enum.includes(null) ? ' or null' : ''}`;
  }
  if (schema.const !== undefined) return `'${String(schema.const)}'`;
  switch (schema.type) {
    case 'string':
      return `a string${lengthRange(schema.minLength, schema.maxLength, 'characters')}${schema.pattern !== undefined && schema.description !== undefined ? ` (${schema.description})` : ''}`;
    case 'integer':
      return `an integer${schema.minimum !== undefined && schema.maximum !== undefined ? ` from ${schema.minimum} to ${schema.maximum}` : ''}`;
    case 'boolean':
      return 'true or false';
    case 'array':
      return `an array${lengthRange(schema.minItems, schema.maxItems, 'items')}${schema.items === undefined ? '' : `, each ${describe(schema.items)}`}`;
    case 'object':
      return 'an object';
    case 'null':
      return 'null';
    default:
      return 'a valid value';
  }
}

function lengthRange(min: number | undefined, max: number | undefined, unit: string): string {
  if (max === undefined) return min !== undefined && min > 0 ? ` of at least ${min} ${unit}` : '';
  if (min === undefined || min === 0) return ` of at most ${max} ${unit}`;
  return ` of ${min}–${max} ${unit}`;
}

function schemaAt(schema: JsonSchemaView | undefined, segments: readonly string[]): JsonSchemaView | undefined {
  let current = schema;
  for (const segment of segments) {
    if (current === undefined) return undefined;
    const container: JsonSchemaView =
      current.anyOf?.find((branch) => branch.properties !== undefined || branch.items !== undefined) ?? current;
    current = /^\d+$/.test(segment) ? container.items : ownValue(container.properties, segment);
  }
  return current;
}

function valueAt(body: unknown, segments: readonly string[]): unknown {
  let current = body;
  for (const segment of segments) {
    if (current === null || typeof current !== 'object') return undefined;
    current = ownValue(current as Record<string, unknown>, segment);
  }
  return current;
}

/** `['extendedKeyUsages', '0', 'name']` → `extendedKeyUsages[0].name`. */
export function fieldPath(segments: readonly string[]): string {
  return segments.reduce((path, segment) => {
    if (/^\d+$/.test(segment)) return `${path}[${segment}]`;
    return path === '' ? segment : `${path}.${segment}`;
  }, '');
}

/** `record[key]` if `record` has `key` as an own property, else undefined. */
function ownValue<T>(record: Readonly<Record<string, T>> | undefined, key: string): T | undefined {
  return record !== undefined && Object.hasOwn(record, key) ? record[key] : undefined;
}

function unescapePointer(segment: string): string {
  return segment.replace(/~1/g, '/').replace(/~0/g, '~');
}

function preview(value: unknown): string {
  const json = JSON.stringify(value) ?? String(value);
  return json.length > 80 ? `${json.slice(0, 77)}...` : json;
}
