import Type, { type TObject, type TProperties, type TSchema } from 'typebox';
import { bindKeyOf } from './odata-bind.ts';
import { navigationPropertiesOf, odataTypeOf, type ProfileType } from './profile-types.ts';
import { isNullable, nullableText, text, viewOf } from './schema-kit.ts';

/**
 * Everything Envelope knows about one profile type, built from its settings schema:
 * - `schema`: the closed Graph representation (`additionalProperties: false`), used to validate create
 *   bodies, to type and document them in OpenAPI, and to describe responses. It lists the read-only
 *   properties clients echo back (accepted and ignored) and the `<nav>@odata.bind` write-only properties.
 * - `patchSchema`: the same with every property optional (Graph PATCH merge semantics).
 * - `settings`: the normalised settings (every Graph property other than the base ones), all keys present.
 * - `defaults`: the value of each setting when a create body omits it (null for nullable settings).
 */
export interface ProfileModel {
  readonly type: ProfileType;
  readonly schema: TObject;
  readonly patchSchema: TObject;
  readonly settings: TObject;
  readonly settingKeys: readonly string[];
  /** Settings that have no default and must be sent on create (e.g. `hostName`). */
  readonly requiredOnCreate: readonly string[];
  readonly defaults: Readonly<Record<string, unknown>>;
  /** Settings holding a Graph flags enum, with the enum's members in value order. */
  readonly flags: Readonly<Record<string, readonly string[]>>;
}

export interface ProfileModelSpec {
  type: ProfileType;
  description: string;
  settings: TObject;
  requiredOnCreate?: readonly string[];
  /** Defaults of the non-null settings that are not required on create. */
  defaults?: Readonly<Record<string, unknown>>;
  flags?: Readonly<Record<string, readonly string[]>>;
  /** Type-specific read-only properties Graph returns (e.g. `applyOnlyToWindowsPhone81`). */
  readOnly?: TProperties;
}

/** Throws at module load when a non-null setting has neither a default nor a create-time requirement. */
export function defineProfileModel(spec: ProfileModelSpec): ProfileModel {
  const settingProperties = spec.settings.properties;
  const settingKeys = Object.keys(settingProperties);
  const requiredOnCreate = spec.requiredOnCreate ?? [];
  const defaults: Record<string, unknown> = {};
  for (const key of settingKeys) {
    if (spec.defaults !== undefined && key in spec.defaults) defaults[key] = spec.defaults[key];
    else if (isNullable(viewOf(settingProperties[key] as TSchema))) defaults[key] = null;
    else if (!requiredOnCreate.includes(key)) {
      throw new Error(`${spec.type}.${key} is non-null: give it a default or require it on create.`);
    }
  }

  const wireSettings: TProperties = {};
  for (const key of settingKeys) {
    const schema = settingProperties[key] as TSchema;
    wireSettings[key] = requiredOnCreate.includes(key) ? schema : Type.Optional(schema);
  }
  const binds: TProperties = {};
  for (const nav of navigationPropertiesOf(spec.type)) {
    binds[bindKeyOf(nav)] = Type.Optional(
      Type.Union([Type.String(), Type.Null()], {
        writeOnly: true,
        description: `Links the ${nav} navigation property: a URL or relative path ending in deviceConfigurations('<id>'); null unlinks.`,
      }),
    );
  }
  const properties: TProperties = {
    '@odata.type': Type.Literal(odataTypeOf(spec.type), { description: spec.description }),
    ...annotationProperties(),
    ...baseProperties(),
    ...optional(spec.readOnly ?? {}),
    ...wireSettings,
    ...binds,
  };
  return {
    type: spec.type,
    schema: Type.Object(properties, { additionalProperties: false, title: spec.type, description: spec.description }),
    patchSchema: Type.Object(optional(properties), { additionalProperties: false, title: `${spec.type} (PATCH)` }),
    settings: spec.settings,
    settingKeys,
    requiredOnCreate,
    defaults,
    flags: spec.flags ?? {},
  };
}

/** Base `deviceConfiguration` properties, in Graph's order. Read-only ones are accepted and ignored on input. */
function baseProperties(): TProperties {
  return {
    id: Type.Optional(Type.String({ readOnly: true, description: 'Server-assigned id. Read-only.' })),
    lastModifiedDateTime: Type.Optional(Type.String({ readOnly: true, description: 'Read-only.' })),
    roleScopeTagIds: Type.Optional(
      Type.Union([Type.Array(Type.String({ minLength: 1, maxLength: 128 }), { maxItems: 100 }), Type.Null()], {
        description: 'Scope tags (RBAC). Omitted, null or empty means the Default tag "0".',
      }),
    ),
    supportsScopeTags: Type.Optional(Type.Boolean({ readOnly: true, description: 'Always true. Read-only.' })),
    deviceManagementApplicabilityRuleOsEdition: Type.Optional(applicabilityRule()),
    deviceManagementApplicabilityRuleOsVersion: Type.Optional(applicabilityRule()),
    deviceManagementApplicabilityRuleDeviceMode: Type.Optional(applicabilityRule()),
    createdDateTime: Type.Optional(Type.String({ readOnly: true, description: 'Read-only.' })),
    description: Type.Optional(nullableText('Admin-provided description.', { minLength: 0, maxLength: 1000 })),
    displayName: text('Admin-provided name, 1–200 characters. Required on create.', { maxLength: 200 }),
    version: Type.Optional(Type.Integer({ readOnly: true, description: 'Incremented on every update. Read-only.' })),
  };
}

/**
 * Graph's applicability rules (OS edition/version, device mode) are not enforced by Envelope's delivery, so
 * only null is accepted: a rule that would silently not apply is refused instead.
 */
function applicabilityRule(): TSchema {
  return Type.Null({ description: 'Applicability rules are not supported; only null is accepted.' });
}

function annotationProperties(): TProperties {
  const annotation = () => Type.Optional(Type.String({ description: 'OData annotation; accepted and ignored.' }));
  return { '@odata.context': annotation(), '@odata.id': annotation(), '@odata.etag': annotation() };
}

function optional(properties: TProperties): TProperties {
  const result: TProperties = {};
  for (const [key, schema] of Object.entries(properties)) result[key] = Type.Optional(schema);
  return result;
}
