import type { TObject, TSchema } from 'typebox';
import { Compile, type Validator } from 'typebox/compile';
import { badRequest } from '../errors.ts';
import { bindKeyOf, parseBindOrThrow } from './odata-bind.ts';
import type { ProfileLinks } from './profile.ts';
import type { ProfileModel } from './profile-model.ts';
import {
  isProfileType,
  navigationProperties,
  navigationPropertiesOf,
  odataTypeOf,
  profileTypes,
  type NavigationProperty,
  type ProfileType,
} from './profile-types.ts';
import { schemaErrorToBadRequest } from './schema-errors.ts';
import { viewOf } from './schema-kit.ts';

/**
 * Reading a Graph request body into its parts: base properties, settings and links. Everything here checks
 * one body on its own; rules across the merged result live in `parse-profile.ts`.
 */

export interface ProfileInput {
  base: { displayName?: unknown; description?: unknown; roleScopeTagIds?: unknown };
  settings: Record<string, unknown>;
  links: Partial<ProfileLinks>;
}

export function requireBodyObjectOrThrow(body: unknown): Record<string, unknown> {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    throw badRequest('The request body must be a JSON object with an "@odata.type".');
  }
  return body as Record<string, unknown>;
}

/**
 * The profile type named by `@odata.type` (`#microsoft.graph.X`; the `#` may be omitted). Throws a 400
 * listing the supported types, with a suggestion when only the letter case is wrong.
 */
export function readOdataTypeOrThrow(value: unknown): ProfileType {
  const field = '@odata.type';
  if (value === undefined) {
    throw badRequest(`${field} is required, e.g. "#microsoft.graph.iosEasEmailProfileConfiguration".`, field);
  }
  const name = typeof value === 'string' ? value.replace(/^#?microsoft\.graph\./, '') : '';
  if (typeof value === 'string' && name !== value && isProfileType(name)) return name;
  const nearMiss = profileTypes.find((type) => type.toLowerCase() === name.toLowerCase());
  const hint = nearMiss !== undefined ? ` Did you mean "${odataTypeOf(nearMiss)}"?` : '';
  throw badRequest(
    `${field} ${JSON.stringify(value)} is not a supported profile type.${hint} Supported: ${profileTypes.map(odataTypeOf).join(', ')}.`,
    field,
  );
}

/** Refuses properties the type does not have, naming the property (and binds the type cannot take). */
export function checkKnownPropertiesOrThrow(model: ProfileModel, input: Record<string, unknown>): void {
  const known = model.schema.properties;
  for (const key of Object.keys(input)) {
    // Own properties only: a body key such as `toString` or `constructor` must not match Object.prototype.
    if (Object.hasOwn(known, key)) continue;
    const nav = key.endsWith('@odata.bind') ? key.slice(0, -'@odata.bind'.length) : null;
    if (nav !== null && (navigationProperties as readonly string[]).includes(nav)) {
      const allowed = navigationPropertiesOf(model.type).map(bindKeyOf);
      throw badRequest(
        `${key} is not allowed on ${model.type}: that type has no ${nav} navigation property${allowed.length > 0 ? ` (it accepts ${allowed.join(', ')})` : ''}.`,
        key,
      );
    }
    const nearMiss = Object.keys(known).find((candidate) => candidate.toLowerCase() === key.toLowerCase());
    throw badRequest(
      `${key} is not a property of ${model.type}.${nearMiss !== undefined ? ` Did you mean "${nearMiss}"?` : ''}`,
      key,
    );
  }
}

/** Create bodies must carry every property the representation schema lists as required. */
export function checkRequiredOrThrow(model: ProfileModel, input: Record<string, unknown>): void {
  for (const key of viewOf(model.schema).required ?? []) {
    if (input[key] === undefined) {
      throw badRequest(`${key} is required when creating a ${model.type}.`, key);
    }
  }
}

const validators = new WeakMap<TSchema, Validator>();

/** Validates `input` against `schema` (compiled once), throwing the first error as a 400 naming the field. */
export function validateOrThrow(model: ProfileModel, schema: TObject, input: Record<string, unknown>): void {
  let validator = validators.get(schema);
  if (validator === undefined) {
    validator = Compile(schema);
    validators.set(schema, validator);
  }
  if (!validator.Check(input)) {
    throw schemaErrorToBadRequest(schema, validator.Errors(input), input, model.flags);
  }
}

/**
 * Splits a validated body. Read-only properties, OData annotations and null applicability rules are
 * dropped here: clients echo GET bodies back in PATCH, and Graph ignores them too.
 */
export function splitInput(model: ProfileModel, input: Record<string, unknown>): ProfileInput {
  const result: ProfileInput = { base: {}, settings: {}, links: {} };
  const settingKeys = new Set(model.settingKeys);
  for (const [key, value] of Object.entries(input)) {
    if (key === 'displayName' || key === 'description' || key === 'roleScopeTagIds') result.base[key] = value;
    else if (settingKeys.has(key)) result.settings[key] = value;
    else if (key.endsWith('@odata.bind')) {
      const nav = key.slice(0, -'@odata.bind'.length) as NavigationProperty;
      result.links[nav] = parseBindOrThrow(nav, value);
    }
  }
  return result;
}

/** `input` with `@odata.type` in its canonical `#microsoft.graph.X` spelling, for schema validation. */
export function withCanonicalOdataType(input: Record<string, unknown>, type: ProfileType): Record<string, unknown> {
  return Object.hasOwn(input, '@odata.type') ? { ...input, '@odata.type': odataTypeOf(type) } : input;
}
