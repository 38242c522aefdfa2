import Type, { type TSchema } from 'typebox';
import { flagsPattern } from './graph-flags.ts';

/**
 * Small builders for the Graph property schemas. Nullability follows Graph's CSDL (`Nullable`): a nullable
 * property is `T | null`, a non-null one rejects null. Schemas never carry JSON Schema `default`s: Fastify's
 * Ajv runs with `useDefaults`, which would inject them into PATCH bodies and overwrite stored values;
 * defaults live in each type's model instead (see `profile-model.ts`).
 */

/** A Graph enum property: its member names. */
export function graphEnum<const T extends readonly string[]>(members: T, description: string) {
  return Type.Enum([...members] as [...T], { description });
}

/** A nullable Graph enum property. */
export function nullableGraphEnum<const T extends readonly string[]>(members: T, description: string) {
  return Type.Union([Type.Enum([...members] as [...T]), Type.Null()], { description });
}

/** A Graph flags enum property: a comma-separated list of member names (canonicalised after validation). */
export function graphFlags(members: readonly string[], description: string) {
  return Type.String({ pattern: flagsPattern(members), description });
}

export function nullableGraphFlags(members: readonly string[], description: string) {
  return Type.Union([Type.String({ pattern: flagsPattern(members) }), Type.Null()], { description });
}

export function text(description: string, limits: { minLength?: number; maxLength: number }) {
  return Type.String({ minLength: limits.minLength ?? 1, maxLength: limits.maxLength, description });
}

export function nullableText(description: string, limits: { minLength?: number; maxLength: number }) {
  return Type.Union([Type.String({ minLength: limits.minLength ?? 1, maxLength: limits.maxLength }), Type.Null()], {
    description,
  });
}

export function flag(description: string) {
  return Type.Boolean({ description });
}

export function nullableFlag(description: string) {
  return Type.Union([Type.Boolean(), Type.Null()], { description });
}

/** Plain JSON Schema view of a TypeBox schema, for the few places that read schemas at run time. */
export interface JsonSchemaView {
  type?: string;
  enum?: unknown[];
  const?: unknown;
  anyOf?: JsonSchemaView[];
  properties?: Record<string, JsonSchemaView>;
  required?: string[];
  items?: JsonSchemaView;
  minLength?: number;
  maxLength?: number;
  minimum?: number;
  maximum?: number;
  minItems?: number;
  maxItems?: number;
  pattern?: string;
  readOnly?: boolean;
  writeOnly?: boolean;
  description?: string;
}

export function viewOf(schema: TSchema): JsonSchemaView {
  return schema as JsonSchemaView;
}

/** True when the schema admits null (Graph `Nullable="true"`). */
export function isNullable(schema: JsonSchemaView): boolean {
  if (schema.type === 'null') return true;
  if (schema.enum?.includes(null)) return true;
  return schema.anyOf?.some(isNullable) ?? false;
}
