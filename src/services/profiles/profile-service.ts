import { conflict, notFound } from '../../domain/errors.ts';
import {
  changedIdentityFields,
  checkLinkIdsOrThrow,
  checkProfileLinks,
  parseProfileCreate,
  parseProfilePatch,
  profileKindOf,
  type Profile,
  type ProfileDraft,
} from '../../domain/profiles/index.ts';
import type { Assignment } from '../../domain/assignments/assignment-target.ts';
import { parseAssignBody } from '../../domain/assignments/parse-assign-body.ts';
import { checkTargetGroups } from '../assignments/assignment-service.ts';
import type { ListQuery, Page } from '../../store/list-query.ts';
import type { Stores, Transactor } from '../../store/postgres/stores.ts';
import type { TenantCaService } from '../certificates/tenant-ca.ts';

/**
 * Email and certificate profiles (`deviceConfigurations`): validation is the domain's; this service
 * adds what needs the database — certificate links must exist in the tenant, names are unique, and
 * identity fields (hostName, emailAddressSource) of an assigned profile cannot change in place.
 */
export class ProfileService {
  readonly #stores: Stores;
  readonly #transact: Transactor;
  readonly #newId: () => string;
  readonly #tenantCa: TenantCaService;

  constructor(deps: { stores: Stores; transact: Transactor; newId: () => string; tenantCa: TenantCaService }) {
    this.#stores = deps.stores;
    this.#transact = deps.transact;
    this.#newId = deps.newId;
    this.#tenantCa = deps.tenantCa;
  }

  list(tenantId: string, query: ListQuery): Promise<Page<Profile>> {
    return this.#stores.profiles.list(tenantId, query);
  }

  /** The assignment sets of these profiles (`$expand=assignments`); a profile without assignments has no entry. */
  assignmentsOf(tenantId: string, profileIds: readonly string[]): Promise<Map<string, Assignment[]>> {
    return this.#stores.assignments.listForProfiles(tenantId, profileIds);
  }

  async getOrThrow(tenantId: string, id: string): Promise<Profile> {
    const profile = await this.#stores.profiles.get(tenantId, id);
    if (!profile) throw notFound('Device configuration', id);
    return profile;
  }

  /** Creates a profile; a PKCS certificate profile also makes sure the tenant's own CA exists to issue from. */
  async create(tenantId: string, body: unknown): Promise<Profile> {
    return (await this.createWithAssignments(tenantId, body)).profile;
  }

  /**
   * Creates a profile from a Graph body that may be a profile as exported with
   * `$expand=assignments`: OData instance and property annotations (`@odata.context`,
   * `assignments@odata.context`, …; not `@odata.type` or binds) are ignored as Graph ignores them,
   * read-only properties (`id`, `version`, `createdDateTime`, …) are ignored by the profile domain,
   * and `assignments` (an `assign` body's array: 400 naming `assignments[i]…`, every group must
   * exist) are created with the profile in one transaction — all or nothing. `assignments` is null
   * when the body had none.
   */
  async createWithAssignments(tenantId: string, body: unknown): Promise<{ profile: Profile; assignments: Assignment[] | null }> {
    const { profileBody, assignmentsBody } = splitExport(body);
    const draft = parseProfileCreate(profileBody);
    const assignments = assignmentsBody === undefined ? null : parseAssignBody({ assignments: assignmentsBody });
    if (profileKindOf(draft.odataType) === 'pkcsCertificate') {
      const tenant = await this.#stores.tenants.findById(tenantId);
      await this.#tenantCa.ensure(tenantId, tenant?.name ?? tenantId);
    }
    return this.#transact(async (stores) => {
      await checkLinks(stores, tenantId, draft);
      const profile = await stores.profiles.insert(tenantId, this.#newId(), draft);
      if (!assignments) return { profile, assignments: null };
      await checkTargetGroups(stores, tenantId, assignments, true);
      await stores.assignments.replace(tenantId, profile.id, assignments);
      return { profile, assignments: await stores.assignments.list(tenantId, profile.id) };
    });
  }

  /**
   * Graph PATCH: merges `body` into the profile, bumps `version`. Refuses (409) to change hostName or
   * emailAddressSource while the profile is assigned: devices would keep an account under the old
   * identity; the admin must delete and recreate the profile, or replace it in one step (ReplaceService).
   */
  async update(tenantId: string, id: string, body: unknown): Promise<Profile> {
    return this.#transact(async (stores) => {
      const { existing, draft } = await validatedPatch(stores, tenantId, id, body);
      const updated = await stores.profiles.update(tenantId, id, draft, existing.version);
      if (!updated) throw conflict('The profile was changed by another request meanwhile; read it again and retry.', 'version');
      // After the UPDATE, which holds the row lock: a rollout started meanwhile is seen (decision 0029).
      await stores.rollouts.endForDirectChange(tenantId, id, Date.now(), 'directUpdate');
      return updated;
    });
  }

  /**
   * What `update` would save, without saving it: the same validation and the same refusals (404,
   * 400 naming the field, 409 for hostName/emailAddressSource of an assigned profile), then the
   * profile as it would read afterwards (version + 1). For the dry run.
   */
  async proposedUpdate(tenantId: string, id: string, body: unknown): Promise<{ current: Profile; proposed: Profile }> {
    const { existing, draft } = await validatedPatch(this.#stores, tenantId, id, body);
    return { current: existing, proposed: { ...existing, ...draft, version: existing.version + 1 } };
  }

  /**
   * The draft of a new profile replacing `existing` (the one-step replace): `body`, a PATCH body,
   * merged over it and validated like any profile (the type's schema and rules; certificate links
   * must exist in the tenant). Runs on `stores`, the replace's transaction.
   */
  async replacementDraft(stores: Stores, tenantId: string, existing: Profile, body: unknown): Promise<ProfileDraft> {
    const draft = parseProfilePatch(existing, body);
    await checkLinks(stores, tenantId, draft);
    return draft;
  }

  /**
   * What `create` would save, without saving it: the same parsing and link checks (400 naming the
   * field), as a profile with a provisional id that no stored profile has. For the dry run of a new
   * profile (the wizard previews its assignment before creating it).
   */
  async proposedCreate(tenantId: string, body: unknown): Promise<Profile> {
    const draft = parseProfileCreate(body);
    await checkLinks(this.#stores, tenantId, draft);
    const now = new Date().toISOString();
    return { ...draft, id: this.#newId(), version: 1, createdDateTime: now, lastModifiedDateTime: now };
  }

  async delete(tenantId: string, id: string): Promise<void> {
    if (!(await this.#stores.profiles.delete(tenantId, id))) throw notFound('Device configuration', id);
  }
}

/** OData annotations a Graph GET adds and a POST of the same JSON may carry: ignored, as Graph does. */
const ignoredAnnotation = /^[^@]*@odata\.(?:context|id|etag|editLink|readLink|mediaEditLink|mediaReadLink|navigationLink|associationLink|count|nextLink|deltaLink)$/;

function splitExport(body: unknown): { profileBody: unknown; assignmentsBody: unknown } {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) return { profileBody: body, assignmentsBody: undefined };
  const profileBody: Record<string, unknown> = {};
  let assignmentsBody: unknown;
  for (const [key, value] of Object.entries(body)) {
    if (key === 'assignments') assignmentsBody = value;
    else if (!ignoredAnnotation.test(key)) profileBody[key] = value;
  }
  return { profileBody, assignmentsBody };
}

async function validatedPatch(stores: Stores, tenantId: string, id: string, body: unknown): Promise<{ existing: Profile; draft: ProfileDraft }> {
  const existing = await stores.profiles.get(tenantId, id);
  if (!existing) throw notFound('Device configuration', id);
  const draft = parseProfilePatch(existing, body);
  await checkLinks(stores, tenantId, draft, id);
  const identityChanges = changedIdentityFields(existing, draft);
  if (identityChanges.length > 0 && (await stores.assignments.hasAny(tenantId, id))) {
    throw conflict(
      `${identityChanges.join(' and ')} cannot change on an assigned profile: devices would keep the old account. ` +
        'Delete this profile and create a new one with the new value (then assign it), or do both in one step with ' +
        `POST …/deviceConfigurations/${id}/envelope/replace and the same body.`,
      identityChanges[0],
    );
  }
  return { existing, draft };
}

async function checkLinks(stores: Stores, tenantId: string, draft: ProfileDraft, selfId?: string): Promise<void> {
  checkLinkIdsOrThrow(draft.links);
  const ids = Object.values(draft.links).filter((id): id is string => typeof id === 'string' && id !== selfId);
  const types = await stores.profiles.typesOf(tenantId, ids);
  checkProfileLinks(draft, types);
}
