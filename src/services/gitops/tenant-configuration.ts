import { isDeepStrictEqual } from 'node:util';
import type { Assignment, AssignmentTarget } from '../../domain/assignments/assignment-target.ts';
import { badRequest } from '../../domain/errors.ts';
import {
  changedIdentityFields,
  navigationProperties,
  parseProfileCreate,
  profileKindOf,
  profileToGraph,
  type NavigationProperty,
  type ProfileKind,
  type ProfileType,
  type Profile,
  type ProfileDraft,
} from '../../domain/profiles/index.ts';
import { bindKeyOf, bindValueOf } from '../../domain/profiles/odata-bind.ts';
import type { GroupRecord } from '../../store/postgres/group-store.ts';
import type { ListQuery, Page } from '../../store/list-query.ts';

/**
 * One profile as a file under version control (`envelope export`/`apply`): the profile's Graph
 * JSON without what the server assigns (id, version, times), its certificate links by the linked
 * profile's display name, and its assignments by group display name. Display names are the keys:
 * Envelope keeps them unique per tenant, and they survive a move to another tenant.
 */
export interface ProfileFile {
  profile: Record<string, unknown>;
  certificates?: Partial<Record<NavigationProperty, string>>;
  assignments?: AssignmentEntry[];
}

export type AssignmentEntry =
  | { group: string; intent?: 'apply' | 'remove' }
  | { excludeGroup: string }
  | { allUsers: true; intent?: 'apply' | 'remove' }
  | { allDevices: true; intent?: 'apply' | 'remove' };

export type PlanAction = 'create' | 'update' | 'assign' | 'delete';

export interface PlannedChange {
  action: PlanAction;
  displayName: string;
  odataType: string;
  /** What changes: property names for an update, the new assignment summary for an assign. */
  details: string[];
  /**
   * Devices the email profile reaches now (update, assign, delete: before the change), from the
   * same resolver as `getTargetedUsersAndDevices`; null for a profile not yet created and for
   * certificate profiles.
   */
  devicesNow: number | null;
}

export interface ConfigurationPlan {
  changes: PlannedChange[];
  /** True when the files match the tenant: nothing to do. */
  upToDate: boolean;
}

/** What the service needs of the rest of Envelope (the profile, assignment and group services). */
export interface TenantConfigurationDeps {
  listProfiles(tenantId: string, query: ListQuery): Promise<Page<Profile>>;
  createProfile(tenantId: string, body: unknown): Promise<Profile>;
  updateProfile(tenantId: string, id: string, body: unknown): Promise<Profile>;
  deleteProfile(tenantId: string, id: string): Promise<void>;
  listAssignments(tenantId: string, profileId: string): Promise<Assignment[]>;
  assign(tenantId: string, profileId: string, body: unknown): Promise<Assignment[]>;
  listGroups(tenantId: string, query: ListQuery): Promise<Page<GroupRecord>>;
  /** Devices an email profile reaches now; null for certificate profiles (they go where the email profiles that use them go). */
  devicesReached(tenantId: string, profileId: string, kind: ProfileKind): Promise<number | null>;
}

/** Properties the server assigns; never in a file, ignored if present. */
const serverProperties = new Set(['id', 'version', 'createdDateTime', 'lastModifiedDateTime', 'supportsScopeTags']);

/**
 * Configuration as files: export a tenant's profiles, and make a tenant match a set of files with a
 * plan printed first (GitOps). Every write goes through the same services as the Graph API, so the
 * same validation, locking and delivery follow; files are all validated before the first write.
 */
export class TenantConfigurationService {
  readonly #deps: TenantConfigurationDeps;

  constructor(deps: TenantConfigurationDeps) {
    this.#deps = deps;
  }

  async export(tenantId: string): Promise<ProfileFile[]> {
    const profiles = await this.#allProfiles(tenantId);
    const groups = await this.#allGroups(tenantId);
    const groupNames = new Map(groups.map((g) => [g.id, g.displayName]));
    const profileNames = new Map(profiles.map((p) => [p.id, p.displayName]));
    const files: ProfileFile[] = [];
    for (const profile of inCreationOrder(profiles, (p) => p.odataType)) {
      const file: ProfileFile = { profile: fileBodyOf(profile) };
      const certificates: Partial<Record<NavigationProperty, string>> = {};
      for (const nav of navigationProperties) {
        const id = profile.links[nav];
        if (id !== null) certificates[nav] = profileNames.get(id) ?? id;
      }
      if (Object.keys(certificates).length > 0) file.certificates = certificates;
      const assignments = sortEntries((await this.#deps.listAssignments(tenantId, profile.id)).map((a) => entryOf(a, groupNames)));
      if (assignments.length > 0) file.assignments = assignments;
      files.push(file);
    }
    return files;
  }

  /** The changes that would make the tenant match `files`; throws a 400 naming the file and field for any invalid file. */
  async plan(tenantId: string, files: unknown): Promise<ConfigurationPlan> {
    return (await this.#prepare(tenantId, files)).plan;
  }

  /** Plans, then (unless `dryRun`) carries the plan out: creates in dependency order, updates, assignments, then deletes. */
  async apply(tenantId: string, files: unknown, options: { dryRun: boolean }): Promise<{ plan: ConfigurationPlan; applied: boolean }> {
    const prepared = await this.#prepare(tenantId, files);
    if (options.dryRun || prepared.plan.upToDate) return { plan: prepared.plan, applied: false };
    const ids = new Map(prepared.existing.map((p) => [p.displayName, p.id]));
    const bodyWithLinks = (wanted: WantedProfile): Record<string, unknown> => {
      const body: Record<string, unknown> = { ...wanted.file.profile };
      for (const nav of navigationProperties) {
        const name = wanted.file.certificates?.[nav];
        if (name !== undefined) body[bindKeyOf(nav)] = bindValueOf(ids.get(name)!);
        else if (wanted.existing?.links[nav]) body[bindKeyOf(nav)] = null;
      }
      return body;
    };
    for (const wanted of prepared.wanted) {
      if (wanted.existing === null) {
        const created = await this.#deps.createProfile(tenantId, bodyWithLinks(wanted));
        ids.set(created.displayName, created.id);
      } else if (wanted.changedProperties.length > 0) {
        await this.#deps.updateProfile(tenantId, wanted.existing.id, bodyWithLinks(wanted));
      }
    }
    const groupIds = new Map((await this.#allGroups(tenantId)).map((g) => [g.displayName, g.id]));
    for (const wanted of prepared.wanted) {
      if (wanted.existing !== null && !wanted.assignmentsChanged) continue;
      if (wanted.existing === null && wanted.assignments.length === 0) continue;
      await this.#deps.assign(tenantId, ids.get(wanted.displayName)!, { assignments: wanted.assignments.map((a) => graphAssignmentOf(a, groupIds)) });
    }
    for (const profile of prepared.unwanted) await this.#deps.deleteProfile(tenantId, profile.id);
    return { plan: prepared.plan, applied: true };
  }

  async #prepare(tenantId: string, input: unknown): Promise<Prepared> {
    const files = readFilesOrThrow(input);
    const existing = await this.#allProfiles(tenantId);
    const groups = await this.#allGroups(tenantId);
    const byName = new Map(existing.map((p) => [p.displayName, p]));
    const groupNames = new Map(groups.map((g) => [g.id, g.displayName]));
    const groupByName = new Set(groups.map((g) => g.displayName));
    const profileNames = new Map(existing.map((p) => [p.id, p.displayName]));
    const wantedNames = new Set(files.map((f) => String(f.profile.displayName)));

    const wanted: WantedProfile[] = files.map((file, index) => {
      const field = (name: string) => `profiles[${index}].${name}`;
      const current = byName.get(String(file.profile.displayName)) ?? null;
      const fileType = String(file.profile['@odata.type'] ?? '').replace(/^#?microsoft\.graph\./, '');
      if (current !== null && fileType !== '' && current.odataType !== fileType) {
        throw badRequest(`'${current.displayName}' is a ${current.odataType} in the tenant and a ${fileType} in the files: a profile cannot change type. Rename one of them.`, field('profile.@odata.type'));
      }
      const draft = parseFileProfile(file, index);
      for (const nav of navigationProperties) {
        const name = file.certificates?.[nav];
        if (name !== undefined && !wantedNames.has(name)) {
          throw badRequest(`certificates.${nav} names '${name}', which is not among the profiles being applied.`, field(`certificates.${nav}`));
        }
      }
      const assignments = file.assignments ?? [];
      assignments.forEach((entry, i) => {
        const group = 'group' in entry ? entry.group : 'excludeGroup' in entry ? entry.excludeGroup : null;
        if (group !== null && !groupByName.has(group)) throw badRequest(`Group '${group}' does not exist in this tenant.`, field(`assignments[${i}]`));
      });
      const changedProperties = current === null ? [] : changedPropertiesOf(current, draft, file, profileNames);
      return { file, draft, displayName: draft.displayName, existing: current, changedProperties, assignments, assignmentsChanged: false };
    });

    const changes: PlannedChange[] = [];
    const ordered = inCreationOrder(wanted, (w) => w.draft.odataType);
    for (const w of ordered) {
      if (w.existing === null) {
        changes.push({ action: 'create', displayName: w.displayName, odataType: w.draft.odataType, details: w.assignments.map(describeEntry), devicesNow: null });
        continue;
      }
      const existingProfile = w.existing;
      const currentAssignments = await this.#deps.listAssignments(tenantId, existingProfile.id);
      let reached: Promise<number | null> | undefined;
      const devicesNow = () => (reached ??= this.#deps.devicesReached(tenantId, existingProfile.id, profileKindOf(existingProfile.odataType)));
      if (w.changedProperties.length > 0) {
        const identity = changedIdentityFields(existingProfile, w.draft);
        if (identity.length > 0 && currentAssignments.length > 0) {
          throw badRequest(
            `'${w.displayName}': ${identity.join(' and ')} cannot change on an assigned profile (devices would keep the old account). Give the new profile another display name and remove the old one from the files, or unassign it first.`,
            identity[0],
          );
        }
        changes.push({ action: 'update', displayName: w.displayName, odataType: w.draft.odataType, details: w.changedProperties, devicesNow: await devicesNow() });
      }
      if (!sameEntries(currentAssignments.map((a) => entryOf(a, groupNames)), w.assignments)) {
        w.assignmentsChanged = true;
        changes.push({
          action: 'assign',
          displayName: w.displayName,
          odataType: w.draft.odataType,
          details: w.assignments.length === 0 ? ['no assignments'] : w.assignments.map(describeEntry),
          devicesNow: await devicesNow(),
        });
      }
    }
    const unwanted = inCreationOrder(existing.filter((p) => !wantedNames.has(p.displayName)), (p) => p.odataType).reverse();
    for (const p of unwanted) {
      changes.push({ action: 'delete', displayName: p.displayName, odataType: p.odataType, details: [], devicesNow: await this.#deps.devicesReached(tenantId, p.id, profileKindOf(p.odataType)) });
    }
    return { plan: { changes, upToDate: changes.length === 0 }, wanted: ordered, unwanted, existing };
  }

  async #allProfiles(tenantId: string): Promise<Profile[]> {
    return allPages((after) => this.#deps.listProfiles(tenantId, { top: 999, after, select: null, filter: null, orderBy: null, search: null, count: false, expand: [] }));
  }

  async #allGroups(tenantId: string): Promise<GroupRecord[]> {
    return allPages((after) => this.#deps.listGroups(tenantId, { top: 999, after, select: null, filter: null, orderBy: null, search: null, count: false, expand: [] }));
  }
}

interface WantedProfile {
  file: ProfileFile;
  draft: ProfileDraft;
  displayName: string;
  existing: Profile | null;
  changedProperties: string[];
  assignments: AssignmentEntry[];
  assignmentsChanged: boolean;
}

interface Prepared {
  plan: ConfigurationPlan;
  wanted: WantedProfile[];
  unwanted: Profile[];
  existing: Profile[];
}

async function allPages<T>(fetch: (after: ListQuery['after']) => Promise<Page<T>>): Promise<T[]> {
  const items: T[] = [];
  let after: ListQuery['after'] = null;
  do {
    const page = await fetch(after);
    items.push(...page.items);
    after = page.next;
  } while (after !== null);
  return items;
}

function fileBodyOf(profile: Profile): Record<string, unknown> {
  const body: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(profileToGraph(profile))) {
    if (!serverProperties.has(key)) body[key] = value;
  }
  return body;
}

/** Creation order: trusted roots, then certificate profiles that may link a root, then email profiles. */
const creationRank = { trustedRootCertificate: 0, scepCertificate: 1, pkcsCertificate: 1, email: 2 } as const;

/** `items` in creation order (deletion is the reverse), by kind, then display name. */
function inCreationOrder<T extends { displayName: string }>(items: readonly T[], typeOf: (item: T) => ProfileType): T[] {
  return [...items].sort((a, b) => creationRank[profileKindOf(typeOf(a))] - creationRank[profileKindOf(typeOf(b))] || a.displayName.localeCompare(b.displayName));
}

function readFilesOrThrow(input: unknown): ProfileFile[] {
  if (!Array.isArray(input)) throw badRequest('profiles must be an array of profile files.', 'profiles');
  const names = new Set<string>();
  return input.map((raw, index) => {
    const field = `profiles[${index}]`;
    if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw badRequest(`${field} must be an object with "profile".`, field);
    const file = raw as Record<string, unknown>;
    for (const key of Object.keys(file)) {
      if (!['profile', 'certificates', 'assignments'].includes(key)) throw badRequest(`${field}.${key} is not a property of a profile file (profile, certificates, assignments).`, `${field}.${key}`);
    }
    const profile = file.profile;
    if (typeof profile !== 'object' || profile === null || Array.isArray(profile)) throw badRequest(`${field}.profile must be the profile's Graph JSON.`, `${field}.profile`);
    const displayName = (profile as Record<string, unknown>).displayName;
    if (typeof displayName !== 'string' || displayName.trim() === '') throw badRequest(`${field}.profile.displayName is required.`, `${field}.profile.displayName`);
    if (names.has(displayName)) throw badRequest(`Two files define a profile named '${displayName}'; display names must be unique.`, `${field}.profile.displayName`);
    names.add(displayName);
    const certificates = file.certificates;
    if (certificates !== undefined) {
      if (typeof certificates !== 'object' || certificates === null || Array.isArray(certificates)) throw badRequest(`${field}.certificates must map a link name to a profile's display name.`, `${field}.certificates`);
      for (const [nav, name] of Object.entries(certificates)) {
        if (!(navigationProperties as readonly string[]).includes(nav)) throw badRequest(`${field}.certificates.${nav} is not a certificate link (${navigationProperties.join(', ')}).`, `${field}.certificates.${nav}`);
        if (typeof name !== 'string' || name === '') throw badRequest(`${field}.certificates.${nav} must be a profile's display name.`, `${field}.certificates.${nav}`);
      }
    }
    const assignments = file.assignments;
    if (assignments !== undefined) {
      if (!Array.isArray(assignments)) throw badRequest(`${field}.assignments must be an array.`, `${field}.assignments`);
      assignments.forEach((entry, i) => checkEntryOrThrow(entry, `${field}.assignments[${i}]`));
    }
    return { profile: stripServerProperties(profile as Record<string, unknown>), certificates: certificates as ProfileFile['certificates'], assignments: assignments as AssignmentEntry[] | undefined };
  });
}

function stripServerProperties(profile: Record<string, unknown>): Record<string, unknown> {
  const body: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(profile)) {
    if (!serverProperties.has(key) && !key.endsWith('@odata.bind')) body[key] = value;
  }
  return body;
}

function checkEntryOrThrow(entry: unknown, field: string): void {
  const shape = 'one of {"group": NAME}, {"excludeGroup": NAME}, {"allUsers": true}, {"allDevices": true}, with an optional "intent": "apply"|"remove"';
  if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) throw badRequest(`${field} must be ${shape}.`, field);
  const e = entry as Record<string, unknown>;
  const keys = Object.keys(e).filter((k) => k !== 'intent');
  const ok =
    keys.length === 1 &&
    ((typeof e.group === 'string' && e.group !== '') || (typeof e.excludeGroup === 'string' && e.excludeGroup !== '') || e.allUsers === true || e.allDevices === true) &&
    (e.intent === undefined || ((e.intent === 'apply' || e.intent === 'remove') && e.excludeGroup === undefined));
  if (!ok) throw badRequest(`${field} must be ${shape}.`, field);
}

/** Validates the profile with the Graph create rules (links stand in as placeholders until ids exist). */
function parseFileProfile(file: ProfileFile, index: number): ProfileDraft {
  const body: Record<string, unknown> = { ...file.profile };
  for (const nav of navigationProperties) {
    if (file.certificates?.[nav] !== undefined) body[bindKeyOf(nav)] = bindValueOf('00000000-0000-4000-8000-000000000000');
  }
  try {
    return parseProfileCreate(body);
  } catch (error) {
    const e = error as { message?: string; target?: string };
    throw badRequest(`profiles[${index}] ('${String(file.profile.displayName)}'): ${e.message ?? String(error)}`, `profiles[${index}].profile${e.target ? `.${e.target}` : ''}`);
  }
}

function changedPropertiesOf(current: Profile, draft: ProfileDraft, file: ProfileFile, profileNames: ReadonlyMap<string, string>): string[] {
  const changed: string[] = [];
  if (current.description !== draft.description) changed.push('description');
  if (!isDeepStrictEqual(current.roleScopeTagIds, draft.roleScopeTagIds)) changed.push('roleScopeTagIds');
  const keys = new Set([...Object.keys(current.settings), ...Object.keys(draft.settings)]);
  for (const key of keys) {
    if (!isDeepStrictEqual(current.settings[key], draft.settings[key])) changed.push(key);
  }
  for (const nav of navigationProperties) {
    const now = current.links[nav] === null ? undefined : (profileNames.get(current.links[nav]!) ?? current.links[nav]!);
    if (now !== file.certificates?.[nav]) changed.push(nav);
  }
  return changed;
}

function entryOf(assignment: Assignment, groupNames: ReadonlyMap<string, string>): AssignmentEntry {
  const intent = assignment.intent === 'remove' ? { intent: 'remove' as const } : {};
  const t = assignment.target;
  switch (t.type) {
    case 'groupAssignmentTarget':
      return { group: groupNames.get(t.groupId) ?? t.groupId, ...intent };
    case 'exclusionGroupAssignmentTarget':
      return { excludeGroup: groupNames.get(t.groupId) ?? t.groupId };
    case 'allLicensedUsersAssignmentTarget':
      return { allUsers: true, ...intent };
    case 'allDevicesAssignmentTarget':
      return { allDevices: true, ...intent };
  }
}

function graphAssignmentOf(entry: AssignmentEntry, groupIds: ReadonlyMap<string, string>): Record<string, unknown> {
  const target: AssignmentTarget =
    'group' in entry ? { type: 'groupAssignmentTarget', groupId: groupIds.get(entry.group)! }
    : 'excludeGroup' in entry ? { type: 'exclusionGroupAssignmentTarget', groupId: groupIds.get(entry.excludeGroup)! }
    : 'allUsers' in entry ? { type: 'allLicensedUsersAssignmentTarget' }
    : { type: 'allDevicesAssignmentTarget' };
  const { type, ...rest } = target;
  return {
    ...('intent' in entry && entry.intent === 'remove' ? { intent: 'remove' } : {}),
    target: { '@odata.type': `#microsoft.graph.${type}`, ...rest },
  };
}

function describeEntry(entry: AssignmentEntry): string {
  const remove = 'intent' in entry && entry.intent === 'remove' ? ' (remove)' : '';
  if ('group' in entry) return `group '${entry.group}'${remove}`;
  if ('excludeGroup' in entry) return `excluding group '${entry.excludeGroup}'`;
  return `${'allUsers' in entry ? 'all users' : 'all devices'}${remove}`;
}

function sameEntries(a: AssignmentEntry[], b: AssignmentEntry[]): boolean {
  const key = (e: AssignmentEntry) => JSON.stringify(Object.entries({ ...e, intent: 'intent' in e && e.intent === 'remove' ? 'remove' : 'apply' }).sort());
  const left = a.map(key).sort();
  const right = b.map(key).sort();
  return isDeepStrictEqual(left, right);
}

/** A stable order for files: all users, all devices, groups, then exclusions, each by name. */
function sortEntries(entries: AssignmentEntry[]): AssignmentEntry[] {
  const rank = (e: AssignmentEntry) => ('allUsers' in e ? 0 : 'allDevices' in e ? 1 : 'group' in e ? 2 : 3);
  const name = (e: AssignmentEntry) => ('group' in e ? e.group : 'excludeGroup' in e ? e.excludeGroup : '');
  return [...entries].sort((a, b) => rank(a) - rank(b) || name(a).localeCompare(name(b)));
}
