import type { Assignment, AssignmentTarget } from '../../domain/assignments/assignment-target.ts';
import type { Profile } from '../../domain/profiles/index.ts';
import { emailProfileTargetPlatforms, targetPlatformCriteria } from '../../domain/assignments/device-platform.ts';
import { parseAssignBody } from '../../domain/assignments/parse-assign-body.ts';
import { badRequest, conflict, EnvelopeError, notFound } from '../../domain/errors.ts';
import { assignmentId, targetGroupId } from '../../domain/assignments/assignment-target.ts';
import type { Stores, Transactor } from '../../store/postgres/stores.ts';

/** Graph `deviceConfigurationTargetedUserAndDevice`. */
export interface TargetedUserAndDevice {
  deviceId: string;
  deviceName: string;
  lastCheckinDateTime: string | null;
  userDisplayName: string;
  userId: string;
  userPrincipalName: string;
}

/** A device in scope that cannot receive the profile, and why. */
export interface UntargetableDevice {
  deviceId: string;
  deviceName: string;
  reason: 'noPrimaryUser' | 'platformMismatch';
}

export interface TargetingResult {
  targeted: TargetedUserAndDevice[];
  notApplicable: UntargetableDevice[];
}

/** Devices read per round trip while resolving a profile's targets. */
const targetingPageSize = 5000;

/** Profile assignments (Graph `assign` replaces the whole set) and who they reach. */
export class AssignmentService {
  readonly #stores: Stores;
  readonly #transact: Transactor;

  constructor(stores: Stores, transact: Transactor) {
    this.#stores = stores;
    this.#transact = transact;
  }

  async list(tenantId: string, profileId: string): Promise<Assignment[]> {
    await this.#profileOrThrow(tenantId, profileId);
    return this.#stores.assignments.list(tenantId, profileId);
  }

  /**
   * Validates the body, checks every group exists in the tenant, then replaces the set atomically.
   * Concurrent assigns of one profile run one after another (the profile row is locked), and the last
   * one wins whole; the groups are locked against deletion until the new set is committed.
   */
  async assign(tenantId: string, profileId: string, body: unknown): Promise<Assignment[]> {
    const assignments = parseAssignBody(body);
    return this.#transact(async (stores) => {
      if (!(await stores.profiles.lockForUpdate(tenantId, profileId))) throw notFound('Device configuration', profileId);
      await refuseReplaced(stores, tenantId, profileId);
      await stores.rollouts.endForDirectChange(tenantId, profileId, Date.now(), 'directAssign');
      await checkTargetGroups(stores, tenantId, assignments, true);
      await stores.assignments.replace(tenantId, profileId, assignments);
      return stores.assignments.list(tenantId, profileId);
    });
  }

  /** One assignment by its Graph id (`{profileId}_{groupId}`); 404 when the profile has no such assignment. */
  async get(tenantId: string, profileId: string, id: string): Promise<Assignment> {
    const found = (await this.list(tenantId, profileId)).find((a) => assignmentId(profileId, a.target) === id);
    if (!found) throw notFound('Device configuration assignment', id);
    return found;
  }

  /**
   * `POST …/assignments`: adds one assignment (Graph's create of a `deviceConfigurationAssignment`)
   * to the set, under the same rules as `assign` (400 naming the field, every group must exist; a
   * target already in the set is a 409). Returns the new assignment.
   */
  async add(tenantId: string, profileId: string, body: unknown): Promise<Assignment> {
    const [added] = singleAssignment(body);
    return this.#transact(async (stores) => {
      if (!(await stores.profiles.lockForUpdate(tenantId, profileId))) throw notFound('Device configuration', profileId);
      await refuseReplaced(stores, tenantId, profileId);
      await stores.rollouts.endForDirectChange(tenantId, profileId, Date.now(), 'directAssign');
      await checkTargetGroups(stores, tenantId, [added], true).catch((error: unknown) => {
        throw renamed(error);
      });
      const current = await stores.assignments.list(tenantId, profileId);
      if (current.some((a) => targetGroupId(a.target) === targetGroupId(added.target))) {
        throw conflict(`The profile already has an assignment for this target (${assignmentId(profileId, added.target)}); delete it first.`, 'target');
      }
      await stores.assignments.replace(tenantId, profileId, [...current, added]);
      return added;
    });
  }

  /** `DELETE …/assignments/{id}`: removes one assignment from the set; 404 when there is none with that id. */
  async remove(tenantId: string, profileId: string, id: string): Promise<void> {
    await this.#transact(async (stores) => {
      if (!(await stores.profiles.lockForUpdate(tenantId, profileId))) throw notFound('Device configuration', profileId);
      const current = await stores.assignments.list(tenantId, profileId);
      const kept = current.filter((a) => assignmentId(profileId, a.target) !== id);
      if (kept.length === current.length) throw notFound('Device configuration assignment', id);
      await stores.rollouts.endForDirectChange(tenantId, profileId, Date.now(), 'directAssign');
      await stores.assignments.replace(tenantId, profileId, kept);
    });
  }

  /**
   * `getTargetedUsersAndDevices`: the (device, primary user) pairs the profile reaches now, plus the
   * in-scope devices that cannot receive it (no primary user first, then other platforms; each list
   * in device-id order). Resolved by the database page by page, so memory stays proportional to the
   * answer, not to the tenant. Certificate profiles have no platform rule here and are resolved like
   * email profiles of their family later.
   */
  async targeted(tenantId: string, profileId: string): Promise<TargetingResult> {
    const profile = await this.#profileOrThrow(tenantId, profileId);
    const family = emailProfileTargetPlatforms[profile.odataType as keyof typeof emailProfileTargetPlatforms];
    if (!family) throw badRequest(`getTargetedUsersAndDevices applies to email profiles; '${profile.odataType}' is not one.`, 'id');
    const targets = await this.applyTargets(tenantId, profileId);
    const result: TargetingResult = { targeted: [], notApplicable: [] };
    const mismatched: UntargetableDevice[] = [];
    for (let after: string | null = null; ;) {
      const page = await this.#stores.targeting.scopePage(tenantId, targets, targetPlatformCriteria[family], after, targetingPageSize);
      for (const device of page) {
        if (device.outcome === 'targeted') {
          result.targeted.push({
            deviceId: device.deviceId,
            deviceName: device.deviceName,
            lastCheckinDateTime: device.lastSyncDateTime,
            userDisplayName: device.userDisplayName!,
            userId: device.userId!,
            userPrincipalName: device.userPrincipalName!,
          });
        } else {
          const reason = device.outcome === 'withoutPrimaryUser' ? 'noPrimaryUser' : 'platformMismatch';
          (reason === 'noPrimaryUser' ? result.notApplicable : mismatched).push({ deviceId: device.deviceId, deviceName: device.deviceName, reason });
        }
      }
      if (page.length < targetingPageSize) break;
      after = page[page.length - 1]!.deviceId;
    }
    result.notApplicable.push(...mismatched);
    return result;
  }

  /**
   * What `assign` would save, without saving it: the same validation (400 naming the field, 404 for
   * a profile outside the tenant, every group must exist), then the current and the proposed `apply`
   * targets. For the dry run.
   */
  async proposedAssign(tenantId: string, profileId: string, body: unknown): Promise<{ profile: Profile; current: AssignmentTarget[]; proposed: AssignmentTarget[] }> {
    const assignments = parseAssignBody(body);
    const profile = await this.#profileOrThrow(tenantId, profileId);
    await refuseReplaced(this.#stores, tenantId, profileId);
    await checkTargetGroups(this.#stores, tenantId, assignments, false);
    const proposed = assignments.filter((a) => a.intent === 'apply').map((a) => a.target);
    return { profile, current: await this.applyTargets(tenantId, profileId), proposed };
  }

  /** The targets an `assign` body would apply, validated like `assign` (400 naming the field), for a profile not saved yet. */
  async proposedTargets(tenantId: string, body: unknown): Promise<AssignmentTarget[]> {
    const assignments = parseAssignBody(body);
    await checkTargetGroups(this.#stores, tenantId, assignments, false);
    return assignments.filter((a) => a.intent === 'apply').map((a) => a.target);
  }

  /** The targets of the profile's `apply` assignments. */
  async applyTargets(tenantId: string, profileId: string): Promise<AssignmentTarget[]> {
    return (await this.#stores.assignments.list(tenantId, profileId)).filter((a) => a.intent === 'apply').map((a) => a.target);
  }

  async #profileOrThrow(tenantId: string, profileId: string) {
    const profile = await this.#stores.profiles.get(tenantId, profileId);
    if (!profile) throw notFound('Device configuration', profileId);
    return profile;
  }
}

/** One assignment body validated like an `assign` entry; errors name its own fields (`target.groupId`). */
function singleAssignment(body: unknown): [Assignment] {
  try {
    const [one] = parseAssignBody({ assignments: [body] });
    return [one!];
  } catch (error) {
    throw renamed(error);
  }
}

/** An `assignments[0].…` error about a single assignment body, renamed to the body's own field. */
function renamed(error: unknown): unknown {
  if (!(error instanceof EnvelopeError) || !error.target?.startsWith('assignments[0]')) return error;
  const target = error.target.replace(/^assignments\[0\]\.?/, '') || undefined;
  return new EnvelopeError(error.code, error.status, error.message.replaceAll('assignments[0].', '').replaceAll('assignments[0]', 'the assignment'), target);
}

/** Every group an assignment names must exist in the tenant (400 naming the assignment's groupId otherwise); `lock` keeps them until the transaction ends. */
export async function checkTargetGroups(stores: Stores, tenantId: string, assignments: readonly Assignment[], lock: boolean): Promise<void> {
  const groupIds = assignments.flatMap((a) => ('groupId' in a.target ? [a.target.groupId] : []));
  const existing = await stores.groups.existing(tenantId, groupIds, { lock });
  assignments.forEach((a, index) => {
    if ('groupId' in a.target && !existing.has(a.target.groupId)) {
      throw badRequest(`Group '${a.target.groupId}' does not exist in this tenant.`, `assignments[${index}].target.groupId`);
    }
  });
}

/** A replaced profile's assignments moved to its replacement; it cannot be assigned again (409 naming both) until the replacement is deleted. */
async function refuseReplaced(stores: Stores, tenantId: string, profileId: string): Promise<void> {
  const replacement = await stores.replacements.replacedBy(tenantId, profileId);
  if (replacement === null) return;
  const successor = await stores.profiles.get(tenantId, replacement.newProfileId);
  throw conflict(
    `'${replacement.oldDisplayName}' was replaced by '${successor?.displayName ?? replacement.newProfileId}' (${replacement.newProfileId}) on ${replacement.replacedDateTime}; ` +
      'a replaced profile cannot be assigned. Assign the new profile, or delete the old one.',
    'id',
  );
}
