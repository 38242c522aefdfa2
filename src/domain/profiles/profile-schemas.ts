import Type, { type TObject } from 'typebox';
import { androidEnterpriseEmailModels } from './android-enterprise-email-schemas.ts';
import { certificateModels } from './certificate-schemas.ts';
import { iosEasEmailProfileModel } from './ios-email-schema.ts';
import { androidEasEmailProfileModel } from './knox-email-schema.ts';
import type { ProfileModel } from './profile-model.ts';
import { odataTypeOf, profileTypes, type ProfileType } from './profile-types.ts';
import { windows10EasEmailProfileModel, windowsPhoneEasEmailProfileModel } from './windows-email-schemas.ts';

const models: readonly ProfileModel[] = [
  iosEasEmailProfileModel,
  windows10EasEmailProfileModel,
  windowsPhoneEasEmailProfileModel,
  androidEasEmailProfileModel,
  ...androidEnterpriseEmailModels,
  ...certificateModels,
];

const modelByType = new Map<ProfileType, ProfileModel>(models.map((model) => [model.type, model]));
for (const type of profileTypes) {
  if (!modelByType.has(type)) throw new Error(`No profile model for ${type}.`);
}

export function profileModelOf(type: ProfileType): ProfileModel {
  return modelByType.get(type) as ProfileModel;
}

function schemaMap(pick: (model: ProfileModel) => TObject): Readonly<Record<ProfileType, TObject>> {
  return Object.fromEntries(profileTypes.map((type) => [type, pick(profileModelOf(type))])) as Record<
    ProfileType,
    TObject
  >;
}

/**
 * The Graph representation of each type, keyed by type name without prefix: closed schemas that validate
 * POST bodies (with `@odata.type`, `displayName` and the type's other create-time requirements), document
 * OpenAPI and describe GET/POST/PATCH responses. Read-only properties carry `readOnly: true`, binds
 * `writeOnly: true`. `parseProfileCreate` validates with these, so mounting them in Fastify is optional;
 * if mounted, run Ajv with `removeAdditional: false` and `coerceTypes: false`, or unknown properties are
 * silently dropped and `"true"` becomes `true` before Envelope can refuse them.
 */
export const profileSchemas: Readonly<Record<ProfileType, TObject>> = schemaMap((model) => model.schema);

/** The PATCH body of each type: the representation with every property optional. */
export const profilePatchSchemas: Readonly<Record<ProfileType, TObject>> = schemaMap((model) => model.patchSchema);

/** The same representation schemas keyed by full `@odata.type` (`#microsoft.graph.…`), for discriminators. */
export const profileSchemasByOdataType: Readonly<Record<string, TObject>> = Object.fromEntries(
  profileTypes.map((type) => [odataTypeOf(type), profileSchemas[type]]),
);

/**
 * Any profile body, for documentation: the representation schemas as alternatives, picked by
 * `@odata.type`. Used as the OpenAPI body of POST and PATCH `/deviceManagement/deviceConfigurations`.
 */
export const deviceConfigurationSchema = Type.Union(
  profileTypes.map((type) => profileSchemas[type]),
  { description: 'A deviceConfiguration subtype, chosen by "@odata.type" (#microsoft.graph.<type>).' },
);
