import { parseAssignBody } from '../../domain/assignments/parse-assign-body.ts';
import { badRequest, conflict, notFound } from '../../domain/errors.ts';
import type { ProfileDraft } from '../../domain/profiles/index.ts';
import { decideRollout, errorRatePercent, type RolloutCounts } from '../../domain/safe-changes/rollout-decision.ts';
import { parseRolloutRequest } from '../../domain/safe-changes/rollout-request.ts';
import type { RolloutRing } from '../../domain/safe-changes/rollout-rings.ts';
import type { RolloutHistoryEntry, RolloutMove, RolloutState, StoredRollout } from '../../store/postgres/rollout-store.ts';
import type { Stores, Transactor } from '../../store/postgres/stores.ts';
import { checkTargetGroups, type AssignmentService } from '../assignments/assignment-service.ts';
import type { ProfileService } from '../profiles/profile-service.ts';

/** A rollout as the API shows it. */
export interface RolloutView {
  id: string;
  profileId: string;
  kind: 'assign' | 'update';
  state: RolloutState;
  rings: RolloutRing[];
  /** Rings reached so far: "ring 2 of 3". */
  currentRing: number;
  ringCount: number;
  errorThresholdPercent: number;
  soakMinutes: number;
  autoAdvance: boolean;
  previousVersion: number;
  targetVersion: number;
  pausedReason: string | null;
  ringStartedDateTime: string;
  /** When the worker next judges the ring (running rollouts only). */
  soakEndsDateTime: string | null;
  createdDateTime: string;
  finishedDateTime: string | null;
  reached: RolloutCounts & { errorRatePercent: number };
  history: { dateTime: string; action: RolloutHistoryEntry['action']; ring: number; by: string; reason: string | null }[];
}

/** What one worker round did. */
export interface RolloutEvaluation {
  rolloutId: string;
  action: 'wait' | 'pause' | 'advance' | 'complete';
}

/**
 * Staged rollouts (SPEC §5, issue 11, docs/decisions/0029): an `assign` body or a PATCH body saved at
 * once, but delivered ring by ring. The change is validated exactly as the direct action validates it
 * (`proposedAssign`, `proposedUpdate`: 400 naming the field, 404, 409); the profile and its assignments
 * then hold the new state, and the rollout row what devices outside the reached rings keep (the
 * reconcile applies it, `applyRolloutGates`). Every move locks the rollout row; advancing bumps the
 * tenant's delivery epoch and wakes the profile's devices (migration 0019's trigger).
 *
 * Stop is a kill switch: at once no further device gets the change (the reached rings freeze), devices
 * already reached keep it. Stop with `rollBack` also returns the reached devices to what they had: an
 * update rollout writes the previous settings back as a new version (reached devices update to it;
 * the others still hold the previous version, whose content is the same, and are left alone), an
 * assign rollout puts the previous assignments back.
 */
export class RolloutService {
  readonly #stores: Stores;
  readonly #transact: Transactor;
  readonly #assignments: AssignmentService;
  readonly #profiles: ProfileService;
  readonly #newId: () => string;
  readonly #now: () => number;

  constructor(deps: { stores: Stores; transact: Transactor; assignments: AssignmentService; profiles: ProfileService; newId: () => string; now?: () => number }) {
    this.#stores = deps.stores;
    this.#transact = deps.transact;
    this.#assignments = deps.assignments;
    this.#profiles = deps.profiles;
    this.#newId = deps.newId;
    this.#now = deps.now ?? Date.now;
  }

  /** Starts a rollout (201). 409 while another is running or paused; a stopped one is superseded. */
  async start(tenantId: string, profileId: string, body: unknown, by: string): Promise<RolloutView> {
    const request = parseRolloutRequest(body);
    const changeBody = request.change.body;
    // The direct action's own validation and refusals, before anything is locked.
    const proposedUpdate = request.change.kind === 'update' ? await this.#profiles.proposedUpdate(tenantId, profileId, changeBody) : null;
    if (request.change.kind === 'assign') await this.#assignments.proposedAssign(tenantId, profileId, changeBody);
    const ringGroups = request.rings.flatMap((ring, index) => ('groupIds' in ring ? ring.groupIds.map((id, at) => ({ id, field: `rings[${index}].groupIds[${at}]` })) : []));
    const rollout = await this.#transact(async (stores) => {
      if (!(await stores.profiles.lockForUpdate(tenantId, profileId))) throw notFound('Device configuration', profileId);
      const existingGroups = await stores.groups.existing(tenantId, ringGroups.map((g) => g.id), { lock: false });
      const missing = ringGroups.find((g) => !existingGroups.has(g.id));
      if (missing) throw badRequest(`Group '${missing.id}' does not exist in this tenant.`, missing.field);
      const now = this.#now();
      const inForce = await stores.rollouts.lockInForce(tenantId, profileId);
      if (inForce !== null) {
        if (inForce.state === 'running' || inForce.state === 'paused') {
          throw conflict(`Staged rollout '${inForce.id}' of this profile is already ${inForce.state}; stop it or let it finish before starting another.`, 'id');
        }
        await stores.rollouts.move(tenantId, inForce.id, { ...inForce, state: 'superseded', finishedAt: now },
          { at: now, action: 'supersede', ring: inForce.reachedRings, by, reason: 'A new staged rollout of the profile replaced it.' });
      }
      const current = (await stores.profiles.get(tenantId, profileId))!;
      let previous: StoredRollout['previous'];
      let targetVersion = current.version;
      if (request.change.kind === 'assign') {
        const assignments = parseAssignBody(changeBody);
        await checkTargetGroups(stores, tenantId, assignments, true);
        const before = await stores.assignments.list(tenantId, profileId);
        previous = { kind: 'assign', assignments: before, targets: before.filter((a) => a.intent === 'apply').map((a) => a.target) };
        await stores.assignments.replace(tenantId, profileId, assignments);
      } else {
        const proposed = proposedUpdate!.proposed;
        if (current.version !== proposedUpdate!.current.version) throw conflict('The profile was changed by another request meanwhile; read it again and retry.', 'version');
        previous = { kind: 'update', profile: { version: current.version, displayName: current.displayName, description: current.description, settings: current.settings, links: current.links } };
        const updated = await stores.profiles.update(tenantId, profileId, draftOf(proposed), current.version);
        if (!updated) throw conflict('The profile was changed by another request meanwhile; read it again and retry.', 'version');
        targetVersion = updated.version;
      }
      const created: StoredRollout = {
        tenantId, id: this.#newId(), profileId, state: 'running', rings: request.rings, reachedRings: 1,
        errorThresholdPercent: request.errorThresholdPercent, soakMs: Math.round(request.soakMinutes * 60_000), autoAdvance: request.autoAdvance,
        previous, previousVersion: current.version, targetVersion, pausedReason: null,
        history: [{ at: now, action: 'start', ring: 1, by, reason: null }],
        ringStartedAt: now, createdAt: now, updatedAt: now, finishedAt: null,
      };
      await stores.rollouts.insert(created);
      return created;
    });
    return this.#view(rollout);
  }

  /** The profile's newest rollout with its counts; 404 for a profile outside the tenant or one never rolled out. */
  async get(tenantId: string, profileId: string): Promise<RolloutView> {
    if ((await this.#stores.profiles.get(tenantId, profileId)) === null) throw notFound('Device configuration', profileId);
    const rollout = await this.#stores.rollouts.latest(tenantId, profileId);
    if (rollout === null) throw notFound('Staged rollout of device configuration', profileId);
    return this.#view(rollout);
  }

  /** The profile's rollouts, newest first (the last 10), each with its counts; an empty list when it never had one; 404 for a profile outside the tenant. */
  async list(tenantId: string, profileId: string): Promise<RolloutView[]> {
    if ((await this.#stores.profiles.get(tenantId, profileId)) === null) throw notFound('Device configuration', profileId);
    const views: RolloutView[] = [];
    for (const rollout of await this.#stores.rollouts.list(tenantId, profileId, 10)) views.push(await this.#view(rollout));
    return views;
  }

  /** Reaches the next ring now (soak and error rate not checked: the admin's call); after the last ring, completes. Running or paused only. */
  advance(tenantId: string, profileId: string, by: string): Promise<RolloutView> {
    return this.#moveInForce(tenantId, profileId, (rollout, now) => {
      if (rollout.state !== 'running' && rollout.state !== 'paused') throw notInState(rollout, 'advanced');
      return advanceMove(rollout, now, by, 'Advanced by an admin.');
    });
  }

  /** Holds the rollout at its ring (running → paused; paused stays). */
  pause(tenantId: string, profileId: string, by: string): Promise<RolloutView> {
    return this.#moveInForce(tenantId, profileId, (rollout, now) => {
      if (rollout.state === 'paused') return null;
      if (rollout.state !== 'running') throw notInState(rollout, 'paused');
      return { move: { ...rollout, state: 'paused', pausedReason: 'Paused by an admin.' }, entry: { at: now, action: 'pause', ring: rollout.reachedRings, by, reason: 'Paused by an admin.' } };
    });
  }

  /** paused → running; the ring's soak starts again (running stays). */
  resume(tenantId: string, profileId: string, by: string): Promise<RolloutView> {
    return this.#moveInForce(tenantId, profileId, (rollout, now) => {
      if (rollout.state === 'running') return null;
      if (rollout.state !== 'paused') throw notInState(rollout, 'resumed');
      return { move: { ...rollout, state: 'running', pausedReason: null, ringStartedAt: now }, entry: { at: now, action: 'resume', ring: rollout.reachedRings, by, reason: null } };
    });
  }

  /**
   * The kill switch: no further device gets the change, at once (running/paused → stopped; the
   * reached rings freeze and stay in force). `rollBack`: reached devices also return to the previous
   * version or assignment (→ rolledBack). Repeating a stop changes nothing.
   */
  stop(tenantId: string, profileId: string, options: { rollBack: boolean }, by: string): Promise<RolloutView> {
    return this.#moveInForce(tenantId, profileId, async (rollout, now, stores) => {
      if (rollout.state === 'rolledBack' || (rollout.state === 'stopped' && !options.rollBack)) return null;
      if (options.rollBack) {
        if (rollout.previous.kind === 'assign') {
          const previous = rollout.previous.assignments;
          const groupIds = previous.flatMap((a) => ('groupId' in a.target ? [a.target.groupId] : []));
          const existing = await stores.groups.existing(tenantId, groupIds, { lock: true });
          // A group deleted since cannot be assigned again; the rest of the previous set can.
          await stores.assignments.replace(tenantId, profileId, previous.filter((a) => !('groupId' in a.target) || existing.has(a.target.groupId)));
        } else {
          const current = (await stores.profiles.get(tenantId, profileId))!;
          const { displayName, description, settings, links } = rollout.previous.profile;
          await stores.profiles.update(tenantId, profileId, { odataType: current.odataType, roleScopeTagIds: current.roleScopeTagIds, displayName, description, settings, links }, current.version);
        }
      }
      const state = options.rollBack ? 'rolledBack' : 'stopped';
      const reason = options.rollBack
        ? 'Stopped and rolled back by an admin: reached devices return to the previous state.'
        : 'Stopped by an admin: no further device gets the change; reached devices keep it.';
      return { move: { ...rollout, state, pausedReason: null, finishedAt: now }, entry: { at: now, action: options.rollBack ? 'rollBack' : 'stop', ring: rollout.reachedRings, by, reason } };
    });
  }

  /**
   * One worker round (decision 0029): claims running rollouts whose ring has soaked (`SKIP LOCKED`,
   * so several processes share the work), judges each on its reached devices' error rate
   * (`decideRollout`) and pauses, advances or completes it in the same transaction. Returns what it did.
   */
  async evaluateDue(limit: number): Promise<RolloutEvaluation[]> {
    return this.#transact(async (stores) => {
      const now = this.#now();
      const done: RolloutEvaluation[] = [];
      for (const rollout of await stores.rollouts.claimSoaked(now, limit)) {
        const counts = await stores.rollouts.counts(rollout);
        const verdict = decideRollout({
          counts, errorThresholdPercent: rollout.errorThresholdPercent, ringStartedAt: rollout.ringStartedAt, soakMs: rollout.soakMs,
          now, currentRing: rollout.reachedRings, ringCount: rollout.rings.length, autoAdvance: rollout.autoAdvance,
        });
        done.push({ rolloutId: rollout.id, action: verdict.action });
        if (verdict.action === 'wait') continue;
        const step = verdict.action === 'pause'
          ? { move: { ...rollout, state: 'paused' as const, pausedReason: verdict.reason }, entry: { at: now, action: 'pause' as const, ring: rollout.reachedRings, by: workerActor, reason: verdict.reason } }
          : advanceMove(rollout, now, workerActor, `Error rate ${Math.round(errorRatePercent(counts) * 100) / 100} % of ${counts.reached} devices reached is within the threshold.`);
        await stores.rollouts.move(rollout.tenantId, rollout.id, step.move, step.entry);
      }
      return done;
    });
  }

  async #moveInForce(
    tenantId: string,
    profileId: string,
    decide: (rollout: StoredRollout, now: number, stores: Stores) => Promise<Step | null> | Step | null,
  ): Promise<RolloutView> {
    const rollout = await this.#transact(async (stores) => {
      if (!(await stores.profiles.lockForUpdate(tenantId, profileId))) throw notFound('Device configuration', profileId);
      const inForce = await stores.rollouts.lockInForce(tenantId, profileId);
      if (inForce === null) throw conflict('This profile has no staged rollout in force (none started, or it completed or was superseded).', 'id');
      const now = this.#now();
      const step = await decide(inForce, now, stores);
      if (step === null) return inForce;
      await stores.rollouts.move(tenantId, inForce.id, step.move, step.entry);
      return { ...inForce, ...step.move, history: [...inForce.history, step.entry] };
    });
    return this.#view(rollout);
  }

  async #view(rollout: StoredRollout): Promise<RolloutView> {
    const counts = await this.#stores.rollouts.counts(rollout);
    const iso = (ms: number) => new Date(ms).toISOString();
    return {
      id: rollout.id,
      profileId: rollout.profileId,
      kind: rollout.previous.kind,
      state: rollout.state,
      rings: rollout.rings,
      currentRing: rollout.reachedRings,
      ringCount: rollout.rings.length,
      errorThresholdPercent: rollout.errorThresholdPercent,
      soakMinutes: rollout.soakMs / 60_000,
      autoAdvance: rollout.autoAdvance,
      previousVersion: rollout.previousVersion,
      targetVersion: rollout.targetVersion,
      pausedReason: rollout.pausedReason,
      ringStartedDateTime: iso(rollout.ringStartedAt),
      soakEndsDateTime: rollout.state === 'running' ? iso(rollout.ringStartedAt + rollout.soakMs) : null,
      createdDateTime: iso(rollout.createdAt),
      finishedDateTime: rollout.finishedAt === null ? null : iso(rollout.finishedAt),
      reached: { ...counts, errorRatePercent: Math.round(errorRatePercent(counts) * 100) / 100 },
      history: rollout.history.map((entry) => ({ dateTime: iso(entry.at), action: entry.action, ring: entry.ring, by: entry.by, reason: entry.reason })),
    };
  }
}

/** Who the worker's moves are recorded under. */
export const workerActor = 'rolloutWorker';

interface Step {
  move: RolloutMove;
  entry: RolloutHistoryEntry;
}

function advanceMove(rollout: StoredRollout, now: number, by: string, reason: string): Step {
  if (rollout.reachedRings >= rollout.rings.length) {
    return { move: { ...rollout, state: 'completed', pausedReason: null, finishedAt: now }, entry: { at: now, action: 'complete', ring: rollout.reachedRings, by, reason } };
  }
  const ring = rollout.reachedRings + 1;
  return { move: { ...rollout, state: 'running', reachedRings: ring, pausedReason: null, ringStartedAt: now }, entry: { at: now, action: 'advance', ring, by, reason } };
}

function notInState(rollout: StoredRollout, verb: string) {
  return conflict(`Staged rollout '${rollout.id}' is ${rollout.state} and cannot be ${verb}.`, 'id');
}

function draftOf(profile: ProfileDraft): ProfileDraft {
  const { odataType, displayName, description, roleScopeTagIds, settings, links } = profile;
  return { odataType, displayName, description, roleScopeTagIds, settings, links };
}
