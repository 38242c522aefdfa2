import { badRequest } from '../errors.ts';
import { checkCertificateProfileOrThrow } from './certificate-rules.ts';
import { checkEmailProfileOrThrow } from './email-rules.ts';
import { canonicalFlags } from './graph-flags.ts';
import {
  checkKnownPropertiesOrThrow,
  checkRequiredOrThrow,
  readOdataTypeOrThrow,
  requireBodyObjectOrThrow,
  splitInput,
  validateOrThrow,
  withCanonicalOdataType,
} from './profile-input.ts';
import type { ProfileModel } from './profile-model.ts';
import { profileModelOf } from './profile-schemas.ts';
import { noLinks, type Profile, type ProfileDraft, type ProfileLinks } from './profile.ts';
import { isEmailProfileType, odataTypeOf } from './profile-types.ts';

/**
 * Parses a Graph POST body for `/deviceManagement/deviceConfigurations` into a draft: validated against the
 * type's closed schema, normalised, omitted settings defaulted, links taken from `<nav>@odata.bind`.
 * Read-only properties and OData annotations are accepted and ignored. Throws a 400 (`BadRequest`) whose
 * message and `target` name the offending property or bind. Link targets are checked separately, against
 * the tenant, by `checkProfileLinks`.
 */
export function parseProfileCreate(body: unknown): ProfileDraft {
  const input = requireBodyObjectOrThrow(body);
  const type = readOdataTypeOrThrow(input['@odata.type']);
  const model = profileModelOf(type);
  checkKnownPropertiesOrThrow(model, input);
  checkRequiredOrThrow(model, input);
  validateOrThrow(model, model.schema, withCanonicalOdataType(input, type));
  const parts = splitInput(model, input);
  return buildDraft(
    model,
    {
      displayName: parts.base.displayName as string,
      description: (parts.base.description as string | null | undefined) ?? null,
      roleScopeTagIds: parts.base.roleScopeTagIds as string[] | null | undefined,
    },
    parts.settings,
    { ...noLinks, ...parts.links },
  );
}

/**
 * Applies a Graph PATCH body to `existing` with merge semantics: properties present in the body replace
 * the stored ones (null clears a nullable property or unlinks a bind), absent ones are kept. A body
 * `@odata.type` must name the existing type. All rules are checked on the merged result, so a PATCH can
 * fail on a rule involving a property it did not send (e.g. turning `requireSmime` off while a S/MIME
 * certificate is still linked); the message says what to send.
 */
export function parseProfilePatch(existing: Profile, body: unknown): ProfileDraft {
  const input = requireBodyObjectOrThrow(body);
  const type = existing.odataType;
  if (input['@odata.type'] !== undefined && readOdataTypeOrThrow(input['@odata.type']) !== type) {
    throw badRequest(
      `@odata.type cannot change: this profile is a ${odataTypeOf(type)}. To move to another platform or app, create a new profile.`,
      '@odata.type',
    );
  }
  const model = profileModelOf(type);
  checkKnownPropertiesOrThrow(model, input);
  validateOrThrow(model, model.patchSchema, withCanonicalOdataType(input, type));
  const parts = splitInput(model, input);
  const base = parts.base;
  return buildDraft(
    model,
    {
      displayName: (base.displayName as string | undefined) ?? existing.displayName,
      description: Object.hasOwn(base, 'description') ? (base.description as string | null) : existing.description,
      roleScopeTagIds: Object.hasOwn(base, 'roleScopeTagIds') ? (base.roleScopeTagIds as string[] | null) : existing.roleScopeTagIds,
    },
    { ...existing.settings, ...parts.settings },
    { ...existing.links, ...parts.links },
  );
}

interface BaseInput {
  displayName: string;
  description: string | null;
  roleScopeTagIds: string[] | null | undefined;
}

function buildDraft(
  model: ProfileModel,
  base: BaseInput,
  settingsInput: Record<string, unknown>,
  links: ProfileLinks,
): ProfileDraft {
  if (base.displayName.trim() === '') {
    throw badRequest('displayName must not be blank: give the profile a name of 1–200 characters.', 'displayName');
  }
  const settings = normaliseSettings(model, settingsInput);
  if (isEmailProfileType(model.type)) checkEmailProfileOrThrow(model.type, settings, links);
  else checkCertificateProfileOrThrow(model.type, settings, links);
  return {
    odataType: model.type,
    displayName: base.displayName,
    description: base.description,
    roleScopeTagIds: normaliseScopeTags(base.roleScopeTagIds),
    settings,
    links,
  };
}

/**
 * Every setting of the type in schema order, copied: the given value, else the type's default. Flags become their
 * canonical string, `hostName` lower case (DNS is case-insensitive; lower case keeps account identity keys
 * stable), extended key usages lose their echoed `@odata.type`.
 */
function normaliseSettings(model: ProfileModel, input: Record<string, unknown>): Record<string, unknown> {
  const settings: Record<string, unknown> = {};
  for (const key of model.settingKeys) {
    const value = structuredClone(Object.hasOwn(input, key) ? input[key] : model.defaults[key]);
    const members = model.flags[key];
    if (members !== undefined && typeof value === 'string') settings[key] = canonicalFlags(value, members);
    else if (key === 'hostName' && typeof value === 'string') settings[key] = value.toLowerCase();
    else if (key === 'extendedKeyUsages' && Array.isArray(value)) {
      settings[key] = value.map((usage: { name: string; objectIdentifier: string }) => ({
        name: usage.name,
        objectIdentifier: usage.objectIdentifier,
      }));
    } else settings[key] = value;
  }
  return settings;
}

/** Intune gives every profile at least the Default scope tag "0"; duplicates are dropped. */
function normaliseScopeTags(tags: string[] | null | undefined): string[] {
  if (tags === null || tags === undefined || tags.length === 0) return ['0'];
  return [...new Set(tags)];
}
