import fastJsonStringify from 'fast-json-stringify';
import { Type, type TObject, type TSchema } from 'typebox';
import { deviceConfigurationAssignmentSchema } from '../../domain/assignments/graph-assignment.ts';
import { profileSchemas } from '../../domain/profiles/index.ts';

/**
 * Profiles in responses: a discriminated union on `@odata.type` (Graph's subtypes). Each subtype's
 * response is its closed representation schema with every property optional (for `$select`) plus the
 * `$expand`ed `assignments`; a serializer is compiled per subtype and picked by `@odata.type`, so a
 * page costs one compiled serializer per item — a plain `anyOf` would make fast-json-stringify try
 * each of the subtypes in turn, and an open record serializes every value generically.
 */
const variants: Record<string, TObject> = Object.fromEntries(
  Object.values(profileSchemas).map((schema) => {
    const odataType = schema.properties['@odata.type'] as TSchema & { const?: string };
    if (typeof odataType.const !== 'string') throw new Error('A profile schema lacks a constant @odata.type.');
    const name = odataType.const.replace('#microsoft.graph.', '');
    const optional = Type.Partial(Type.Object({ ...schema.properties, assignments: Type.Array(deviceConfigurationAssignmentSchema) })).properties;
    // Every property optional (for $select) except `@odata.type`, which every response carries: the discriminator.
    const variant = Type.Object({ ...optional, '@odata.type': odataType }, { additionalProperties: false, $id: name, title: name });
    return [odataType.const, variant];
  }),
);

function idOf(schema: TObject): string {
  return String((schema as { $id?: string }).$id);
}

/** Each subtype's response schema, registered as a shared schema (`app.addSchema`): one named OpenAPI component each. */
export const profileResponseSchemas: readonly TObject[] = Object.values(variants);

/**
 * The response schema of one profile, for OpenAPI: a `oneOf` of references to the named subtype
 * components with a discriminator on `@odata.type` mapping each Graph type name to its component,
 * as code generators (Kiota, openapi-generator) need it. Not used to serialize (see below).
 */
export const ProfileResponse = Type.Unsafe<Record<string, unknown>>({
  description: 'A deviceConfiguration subtype, chosen by "@odata.type" (#microsoft.graph.<type>).',
  oneOf: Object.values(variants).map((v) => ({ $ref: `${idOf(v)}#` })),
  discriminator: {
    propertyName: '@odata.type',
    mapping: Object.fromEntries(Object.entries(variants).map(([odataType, v]) => [odataType, `#/components/schemas/${idOf(v)}`])),
  },
});

const serializers = new Map(Object.entries(variants).map(([odataType, schema]) => [odataType, fastJsonStringify(schema as object)]));

/** JSON of one Graph profile; an `@odata.type` outside the union is a bug, and throws. */
export function serializeProfile(profile: Record<string, unknown>): string {
  const serialize = serializers.get(profile['@odata.type'] as string);
  if (!serialize) throw new Error(`No response schema for profile type ${String(profile['@odata.type'])}.`);
  return serialize(profile);
}

/** JSON of a collection page of profiles: `{ "@odata.count"?, value, "@odata.nextLink"? }`. */
export function serializeProfilePage(body: { value: Record<string, unknown>[]; '@odata.count'?: number; '@odata.nextLink'?: string }): string {
  let out = '{';
  if (typeof body['@odata.count'] === 'number') out += `"@odata.count":${Math.trunc(body['@odata.count'])},`;
  out += '"value":[';
  for (let i = 0; i < body.value.length; i++) out += (i === 0 ? '' : ',') + serializeProfile(body.value[i]!);
  out += ']';
  if (typeof body['@odata.nextLink'] === 'string') out += `,"@odata.nextLink":${JSON.stringify(body['@odata.nextLink'])}`;
  return `${out}}`;
}

/**
 * A Fastify `serializerCompiler` for the profile routes: 200 bodies through the per-subtype
 * serializers (`page`: a collection), anything else (Graph errors) as JSON.
 */
export function profileSerializerCompiler(page: boolean) {
  return ({ httpStatus }: { httpStatus?: string }) => {
    if (httpStatus !== '200' && httpStatus !== '201') return (data: unknown) => JSON.stringify(data);
    return page
      ? (data: unknown) => serializeProfilePage(data as Parameters<typeof serializeProfilePage>[0])
      : (data: unknown) => serializeProfile(data as Record<string, unknown>);
  };
}
