import type { AssignmentTarget } from '../../domain/assignments/assignment-target.ts';
import { badRequest, EnvelopeError } from '../../domain/errors.ts';
import type { DeviceTargeting } from '../../domain/delivery/index.ts';
import type { Profile } from '../../domain/profiles/index.ts';
import { deviceChangeEffect, type CreatedConflict } from '../../domain/safe-changes/device-change-effect.ts';
import type { DryRunStore } from '../../store/postgres/dry-run-store.ts';
import type { TargetingStore } from '../../store/postgres/targeting-store.ts';
import type { AssignmentService } from '../assignments/assignment-service.ts';
import type { ProfileService } from '../profiles/profile-service.ts';
import { assigned, deviceItem, listAdder, scopePages } from './scope-pages.ts';

/** A device in a dry-run list, with its primary user (null when it has none). */
export interface DryRunDeviceItem {
  deviceId: string;
  deviceName: string;
  userId: string | null;
  userPrincipalName: string | null;
  userDisplayName: string | null;
}

/** The first `top` items of a list, and how many there are in all. */
export interface DryRunList<T> {
  count: number;
  items: T[];
}

export interface DryRunResult {
  profileId: string;
  displayName: string;
  action: 'assign' | 'update' | 'create';
  currentVersion: number;
  proposedVersion: number;
  /** Devices in scope before or after the change: the devices the dry run evaluated. */
  devicesEvaluated: number;
  gain: DryRunList<DryRunDeviceItem> & { userCount: number };
  keep: DryRunList<DryRunDeviceItem> & { userCount: number };
  update: DryRunList<DryRunDeviceItem> & { userCount: number };
  lose: DryRunList<DryRunDeviceItem> & { userCount: number };
  /** No longer assigned but staying on the device (the only email profile on it; a certificate in use). */
  kept: DryRunList<DryRunDeviceItem & { reasonCode: string; message: string }>;
  conflicts: DryRunList<DryRunDeviceItem & CreatedConflict>;
  conflictsResolved: DryRunList<DryRunDeviceItem>;
  usersMissingAttribute: DryRunList<{ userId: string; userPrincipalName: string; userDisplayName: string; message: string }>;
  devicesWithoutPrimaryUser: DryRunList<DryRunDeviceItem>;
  notApplicableCount: number;
}

export interface DryRunOptions {
  /** Items per list (the counts are always complete). */
  top: number;
}

/** Devices read per round trip. */
const defaultPageSize = 2000;

/**
 * The safe-change dry run (SPEC §5, issue 11): what an `assign` body or a PATCH body would do to
 * devices, before it is saved. Validation and refusals are the real actions' own
 * (`AssignmentService.proposedAssign`, `ProfileService.proposedUpdate`); the effect per device is
 * the delivery core's (`deviceChangeEffect` over `computeDesiredSet` and `planDeviceDelivery`).
 *
 * Only reads: the devices in scope before or after the change are streamed from the database in
 * device-id pages (the SQL resolver's keyset, `TargetingStore.scopeUnionPage`), each page with a few
 * statements; memory holds one page and the first `top` items of each list. The reads are not one
 * snapshot: a change committed during a dry run may show in the pages read after it.
 */
export class DryRunService {
  readonly #assignments: AssignmentService;
  readonly #profiles: ProfileService;
  readonly #targeting: TargetingStore;
  readonly #store: DryRunStore;
  readonly #uuidNamespace: Uint8Array;
  readonly #keepOnlyEmailProfile: boolean;
  readonly #now: () => number;
  readonly #pageSize: number;

  constructor(deps: {
    assignments: AssignmentService;
    profiles: ProfileService;
    targeting: TargetingStore;
    store: DryRunStore;
    uuidNamespace: Uint8Array;
    keepOnlyEmailProfile: boolean;
    now: () => number;
    pageSize?: number;
  }) {
    this.#assignments = deps.assignments;
    this.#profiles = deps.profiles;
    this.#targeting = deps.targeting;
    this.#store = deps.store;
    this.#uuidNamespace = deps.uuidNamespace;
    this.#keepOnlyEmailProfile = deps.keepOnlyEmailProfile;
    this.#now = deps.now;
    this.#pageSize = deps.pageSize ?? defaultPageSize;
  }

  /** The effect of Graph `assign` with `body` on profile `profileId` (the whole set replaced). */
  async assign(tenantId: string, profileId: string, body: unknown, options: DryRunOptions): Promise<DryRunResult> {
    const { profile, current, proposed } = await this.#assignments.proposedAssign(tenantId, profileId, body);
    return this.#run(tenantId, 'assign', { profile, targets: current }, { profile, targets: proposed }, options);
  }

  /** The effect of Graph PATCH with `body` on profile `profileId` (assignments unchanged). */
  async update(tenantId: string, profileId: string, body: unknown, options: DryRunOptions): Promise<DryRunResult> {
    const { current, proposed } = await this.#profiles.proposedUpdate(tenantId, profileId, body);
    const targets = await this.#assignments.applyTargets(tenantId, profileId);
    return this.#run(tenantId, 'update', { profile: current, targets }, { profile: proposed, targets }, options);
  }

  /**
   * The effect of creating a profile and assigning it at once, before either is saved: `body` is
   * `{ profile, assignments }` — the Graph POST body and the `assign` body's list (absent = none).
   * Validated like the real actions: errors in the profile name the field under `profile.` (e.g.
   * `profile.hostName`, same message), errors in the assignments `assignments[i]…`. The result's
   * `profileId` is provisional (no profile has it), `currentVersion` 0 and `proposedVersion` 1.
   */
  async create(tenantId: string, body: unknown, options: DryRunOptions): Promise<DryRunResult> {
    if (body === null || typeof body !== 'object' || Array.isArray(body)) {
      throw badRequest('The body must be an object: { "profile": <the deviceConfigurations POST body>, "assignments": [<as for assign>] }.');
    }
    const { profile: profileBody, assignments, ...rest } = body as Record<string, unknown>;
    const extra = Object.keys(rest)[0];
    if (extra !== undefined) throw badRequest(`${extra} is not an allowed property here: send profile and assignments.`, extra);
    if (profileBody === undefined) throw badRequest('profile is required: the body POST …/deviceConfigurations would take.', 'profile');
    let profile: Profile;
    try {
      profile = await this.#profiles.proposedCreate(tenantId, profileBody);
    } catch (error) {
      if (error instanceof EnvelopeError && error.status === 400) {
        throw new EnvelopeError(error.code, error.status, error.message, error.target === undefined ? 'profile' : `profile.${error.target}`);
      }
      throw error;
    }
    const targets = await this.#assignments.proposedTargets(tenantId, { assignments: assignments ?? [] });
    const result = await this.#run(tenantId, 'create', { profile, targets: [] }, { profile, targets }, options);
    return { ...result, currentVersion: 0 };
  }

  async #run(
    tenantId: string,
    action: DryRunResult['action'],
    before: { profile: Profile; targets: AssignmentTarget[] },
    after: { profile: Profile; targets: AssignmentTarget[] },
    { top }: DryRunOptions,
  ): Promise<DryRunResult> {
    const profileId = before.profile.id;
    const result = emptyResult(action, before.profile, after.profile);
    const userSets = { gain: new Set<string>(), keep: new Set<string>(), update: new Set<string>(), lose: new Set<string>() };
    const usersMissing = new Set<string>();
    const add = listAdder(top);
    const others = (await this.#store.assignedProfiles(tenantId)).filter((p) => p.profile.id !== profileId);
    const now = this.#now();
    const ctx = { now, uuidNamespace: this.#uuidNamespace, keepOnlyEmailProfile: this.#keepOnlyEmailProfile };

    const pages = scopePages({ targeting: this.#targeting, store: this.#store, pageSize: this.#pageSize }, tenantId, [before.targets, after.targets], others);
    for await (const { devices, verdicts, othersAssigned } of pages) {
      const beforeVerdicts = verdicts(before.profile, before.targets);
      const afterVerdicts = verdicts(after.profile, after.targets);
      const ledger = await this.#store.ledgerRows(tenantId, devices.filter((d) => !afterVerdicts.has(d.delivery.id)).map((d) => d.delivery.id));

      for (const device of devices) {
        const id = device.delivery.id;
        const common = othersAssigned(id);
        const withProfile = (profile: Profile, targeting: DeviceTargeting | undefined) => (targeting === undefined ? common : [...common, assigned(profile, targeting)]);
        const wasTargeted = beforeVerdicts.get(id);
        const assignedBefore = withProfile(before.profile, wasTargeted);
        const unchanged = before.profile === after.profile && wasTargeted === afterVerdicts.get(id);
        const effect = deviceChangeEffect(
          device.delivery, profileId, assignedBefore, unchanged ? assignedBefore : withProfile(after.profile, afterVerdicts.get(id)), ledger.get(id) ?? [], ctx,
        );
        result.devicesEvaluated += 1;
        const item = () => deviceItem(device);
        const userId = device.delivery.primaryUser?.id ?? null;
        if (effect.change === 'kept') {
          const reason = effect.keptReason!;
          add(result.kept, () => ({ ...item(), reasonCode: reason.code, message: reason.message }));
        } else if (effect.change !== null) {
          add(result[effect.change], item);
          if (userId !== null) userSets[effect.change].add(userId);
        }
        for (const conflict of effect.conflictsCreated) add(result.conflicts, () => ({ ...item(), ...conflict }));
        if (effect.conflictResolved) add(result.conflictsResolved, item);
        if (effect.withoutPrimaryUser) add(result.devicesWithoutPrimaryUser, item);
        if (effect.notApplicable) result.notApplicableCount += 1;
        const user = device.delivery.primaryUser;
        if (effect.missingAttribute !== null && user !== null && !usersMissing.has(user.id)) {
          usersMissing.add(user.id);
          const message = effect.missingAttribute;
          add(result.usersMissingAttribute, () => ({ userId: user.id, userPrincipalName: user.userPrincipalName, userDisplayName: user.displayName, message }));
        }
      }
    }
    for (const change of ['gain', 'keep', 'update', 'lose'] as const) result[change].userCount = userSets[change].size;
    return result;
  }
}

function emptyResult(action: DryRunResult['action'], current: Profile, proposed: Profile): DryRunResult {
  const users = () => ({ count: 0, items: [], userCount: 0 });
  return {
    profileId: current.id,
    displayName: proposed.displayName,
    action,
    currentVersion: current.version,
    proposedVersion: proposed.version,
    devicesEvaluated: 0,
    gain: users(),
    keep: users(),
    update: users(),
    lose: users(),
    kept: { count: 0, items: [] },
    conflicts: { count: 0, items: [] },
    conflictsResolved: { count: 0, items: [] },
    usersMissingAttribute: { count: 0, items: [] },
    devicesWithoutPrimaryUser: { count: 0, items: [] },
    notApplicableCount: 0,
  };
}
