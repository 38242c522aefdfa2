import type { Assignment, AssignmentTarget } from '../../domain/assignments/assignment-target.ts';
import { conflict } from '../../domain/errors.ts';
import type { RolloutCounts } from '../../domain/safe-changes/rollout-decision.ts';
import type { PreviousProfile, RolloutGate } from '../../domain/safe-changes/rollout-gate.ts';
import { reachedScopeOf, type RolloutRing } from '../../domain/safe-changes/rollout-rings.ts';
import type { Queryable } from '../db.ts';

export type RolloutState = 'running' | 'paused' | 'stopped' | 'rolledBack' | 'completed' | 'superseded';
export const inForceStates: readonly RolloutState[] = ['running', 'paused', 'stopped', 'rolledBack'];

/** One move of a rollout: who (`admin:<token id>`, `rolloutWorker`, or the direct change that ended it), what, at which ring, why. */
export interface RolloutHistoryEntry {
  at: number;
  action: 'start' | 'advance' | 'pause' | 'resume' | 'stop' | 'rollBack' | 'complete' | 'supersede';
  ring: number;
  by: string;
  reason: string | null;
}

export type RolloutPrevious =
  | { kind: 'assign'; targets: AssignmentTarget[]; assignments: Assignment[] }
  | { kind: 'update'; profile: PreviousProfile };

export interface StoredRollout {
  tenantId: string;
  id: string;
  profileId: string;
  state: RolloutState;
  rings: RolloutRing[];
  reachedRings: number;
  errorThresholdPercent: number;
  soakMs: number;
  autoAdvance: boolean;
  previous: RolloutPrevious;
  previousVersion: number;
  targetVersion: number;
  pausedReason: string | null;
  history: RolloutHistoryEntry[];
  /** Epoch ms. */
  ringStartedAt: number;
  createdAt: number;
  updatedAt: number;
  finishedAt: number | null;
}

/** The fields a move changes. */
export type RolloutMove = Pick<StoredRollout, 'state' | 'reachedRings' | 'pausedReason' | 'ringStartedAt' | 'finishedAt'>;

interface RolloutRow {
  tenant_id: string;
  id: string;
  configuration_id: string;
  kind: 'assign' | 'update';
  state: RolloutState;
  rings: RolloutRing[];
  reached_rings: number;
  error_threshold_percent: number;
  soak_seconds: number;
  auto_advance: boolean;
  previous: Record<string, unknown>;
  previous_version: number;
  target_version: number;
  paused_reason: string | null;
  history: RolloutHistoryEntry[];
  ring_started_at: Date | string;
  created_at: Date | string;
  updated_at: Date | string;
  finished_at: Date | string | null;
}

const columns = `tenant_id, id, configuration_id, kind, state, rings, reached_rings, error_threshold_percent, soak_seconds,
  auto_advance, previous, previous_version, target_version, paused_reason, history, ring_started_at, created_at, updated_at, finished_at`;
const inForceSql = `state IN ('running', 'paused', 'stopped', 'rolledBack')`;

/**
 * Staged rollouts (migration 0019, decision 0029). Every move of a rollout locks its row (`FOR
 * UPDATE`; the worker with `SKIP LOCKED`), so admins and workers in several processes take turns.
 * Advancing a ring fires the migration's trigger: the tenant's delivery epoch and the profile's wake
 * fan-out, in the same transaction.
 */
export class RolloutStore {
  readonly #db: Queryable;

  constructor(db: Queryable) {
    this.#db = db;
  }

  /** The tenant's rollouts in force, as the reconcile applies them (a handful; read in the device's transaction). */
  async gates(tenantId: string): Promise<RolloutGate[]> {
    const rows = await this.#db.query<RolloutRow>(`SELECT ${columns} FROM staged_rollouts WHERE tenant_id = $1 AND ${inForceSql}`, [tenantId]);
    return rows.map((row) => gateOf(toRollout(row)));
  }

  async insert(rollout: StoredRollout): Promise<void> {
    const { kind, ...previous } = rollout.previous;
    try {
      await this.#db.query(
        `INSERT INTO staged_rollouts (${columns})
         VALUES ($1, $2, $3, $4, $5, $6::jsonb, $7, $8, $9, $10, $11::jsonb, $12, $13, $14, $15::jsonb, $16, $17, $18, $19)`,
        [rollout.tenantId, rollout.id, rollout.profileId, kind, rollout.state, JSON.stringify(rollout.rings), rollout.reachedRings,
          rollout.errorThresholdPercent, rollout.soakMs / 1000, rollout.autoAdvance, JSON.stringify(previous), rollout.previousVersion,
          rollout.targetVersion, rollout.pausedReason, JSON.stringify(rollout.history), new Date(rollout.ringStartedAt), new Date(rollout.createdAt),
          new Date(rollout.updatedAt), rollout.finishedAt === null ? null : new Date(rollout.finishedAt)],
      );
    } catch (error) {
      // The partial unique index: another transaction started one meanwhile.
      if ((error as { code?: string }).code === '23505') throw conflict('A staged rollout of this profile is already in force.', 'id');
      throw error;
    }
  }

  /** The profile's rollout in force, locked until the transaction ends; null when there is none. */
  async lockInForce(tenantId: string, profileId: string): Promise<StoredRollout | null> {
    const rows = await this.#db.query<RolloutRow>(
      `SELECT ${columns} FROM staged_rollouts WHERE tenant_id = $1 AND configuration_id = $2 AND ${inForceSql} FOR UPDATE`,
      [tenantId, profileId],
    );
    return rows[0] ? toRollout(rows[0]) : null;
  }

  /** The profile's newest rollout (in force or not), or null. */
  async latest(tenantId: string, profileId: string): Promise<StoredRollout | null> {
    const rows = await this.#db.query<RolloutRow>(
      `SELECT ${columns} FROM staged_rollouts WHERE tenant_id = $1 AND configuration_id = $2 ORDER BY created_at DESC, id DESC LIMIT 1`,
      [tenantId, profileId],
    );
    return rows[0] ? toRollout(rows[0]) : null;
  }

  /** The profile's rollouts, newest first, at most `limit`. */
  async list(tenantId: string, profileId: string, limit: number): Promise<StoredRollout[]> {
    const rows = await this.#db.query<RolloutRow>(
      `SELECT ${columns} FROM staged_rollouts WHERE tenant_id = $1 AND configuration_id = $2 ORDER BY created_at DESC, id DESC LIMIT $3`,
      [tenantId, profileId, limit],
    );
    return rows.map(toRollout);
  }

  /** Writes a move and appends its history entry. */
  async move(tenantId: string, id: string, move: RolloutMove, entry: RolloutHistoryEntry): Promise<void> {
    await this.#db.query(
      `UPDATE staged_rollouts SET state = $3, reached_rings = $4, paused_reason = $5, ring_started_at = $6, finished_at = $7,
              history = history || $8::jsonb, updated_at = $9
        WHERE tenant_id = $1 AND id = $2`,
      [tenantId, id, move.state, move.reachedRings, move.pausedReason, new Date(move.ringStartedAt),
        move.finishedAt === null ? null : new Date(move.finishedAt), JSON.stringify([entry]), new Date(entry.at)],
    );
  }

  /**
   * Before a direct `assign` or PATCH of the profile (the caller holds the profile's row lock): 409
   * naming the rollout while one is running or paused; a stopped or rolled-back rollout ends
   * (`superseded`): the admin's new change goes to every device, as any direct change does.
   */
  async endForDirectChange(tenantId: string, profileId: string, now: number, by: string): Promise<void> {
    const rollout = await this.lockInForce(tenantId, profileId);
    if (rollout === null) return;
    if (rollout.state === 'running' || rollout.state === 'paused') {
      throw conflict(
        `Staged rollout '${rollout.id}' of this profile is ${rollout.state} (ring ${rollout.reachedRings} of ${rollout.rings.length}); ` +
          'advance it to the end, or stop it (…/envelope/rollout/stop), before changing the profile or its assignments directly.',
        'id',
      );
    }
    await this.move(tenantId, rollout.id, { ...rollout, state: 'superseded', finishedAt: now },
      { at: now, action: 'supersede', ring: rollout.reachedRings, by, reason: 'A direct change of the profile or its assignments replaced it.' });
  }

  /**
   * Up to `limit` running rollouts whose ring has soaked by `now`, locked `FOR UPDATE SKIP LOCKED`
   * (a rollout another worker or an admin holds is skipped this round). Call inside a transaction.
   */
  async claimSoaked(now: number, limit: number): Promise<StoredRollout[]> {
    const rows = await this.#db.query<RolloutRow>(
      `SELECT ${columns} FROM staged_rollouts
        WHERE state = 'running' AND ring_started_at + soak_seconds * interval '1 second' <= $1
        ORDER BY ring_started_at LIMIT $2 FOR UPDATE SKIP LOCKED`,
      [new Date(now), limit],
    );
    return rows.map(toRollout);
  }

  /**
   * How the devices reached so far stand, from the profile's ledger rows (devices reached but not yet
   * reconciled have no row and are not counted). Succeeded means on the new version (update) or
   * settled after the assignment change (assign); a row removed or kept before the rollout started is
   * history, not part of it.
   */
  async counts(rollout: StoredRollout): Promise<RolloutCounts> {
    const scope = reachedScopeOf(rollout.rings, rollout.reachedRings);
    const rows = await this.#db.query<{ reached: string | number; on_version: string | number; settled: string | number; errors: string | number }>(
      `SELECT count(*) AS reached,
              count(*) FILTER (WHERE l.state IN ('succeeded', 'verified') AND COALESCE((l.installed->>'version')::integer, 0) >= $6) AS on_version,
              count(*) FILTER (WHERE l.state IN ('succeeded', 'verified', 'removed', 'kept')) AS settled,
              count(*) FILTER (WHERE l.state IN ('error', 'conflict')) AS errors
         FROM delivery_ledger l
         JOIN managed_devices d ON d.tenant_id = l.tenant_id AND d.id = l.device_id
        WHERE l.tenant_id = $1 AND l.profile_id = $2 AND l.state <> 'notApplicable'
          AND NOT (l.state IN ('removed', 'kept') AND l.state_changed_at < $7)
          AND ($4 >= 10000
               OR ($4 > 0 AND staged_rollout_bucket($3::uuid, l.device_id) < $4)
               OR l.device_id IN (SELECT device_id FROM group_members WHERE tenant_id = $1 AND group_id = ANY($5::uuid[]) AND device_id IS NOT NULL)
               OR d.user_id IN (SELECT user_id FROM group_members WHERE tenant_id = $1 AND group_id = ANY($5::uuid[]) AND user_id IS NOT NULL))`,
      [rollout.tenantId, rollout.profileId, rollout.id, scope.bucketLimit, scope.groupIds, rollout.targetVersion, new Date(rollout.createdAt)],
    );
    const reached = Number(rows[0]?.reached ?? 0);
    // An update succeeded where the new version is installed; an assignment where the row settled after it.
    const ok = Number((rollout.previous.kind === 'update' ? rows[0]?.on_version : rows[0]?.settled) ?? 0);
    const errors = Number(rows[0]?.errors ?? 0);
    return { reached, succeeded: ok, errors, pending: reached - ok - errors };
  }

  /** `staged_rollout_bucket` for some devices (the SQL twin of `rolloutBucket`; for the test that holds them together). */
  async bucketsOf(rolloutId: string, deviceIds: readonly string[]): Promise<Map<string, number>> {
    const rows = await this.#db.query<{ id: string; bucket: number }>(
      'SELECT id, staged_rollout_bucket($1::uuid, id) AS bucket FROM unnest($2::uuid[]) AS id',
      [rolloutId, deviceIds],
    );
    return new Map(rows.map((row) => [row.id, Number(row.bucket)]));
  }
}

export function gateOf(rollout: StoredRollout): RolloutGate {
  const base = { rolloutId: rollout.id, profileId: rollout.profileId, rings: rollout.rings, reachedRings: rollout.reachedRings };
  return rollout.previous.kind === 'assign'
    ? { ...base, kind: 'assign', previousTargets: rollout.previous.targets }
    : { ...base, kind: 'update', previous: rollout.previous.profile };
}

function toRollout(row: RolloutRow): StoredRollout {
  const previous: RolloutPrevious = row.kind === 'assign'
    ? { kind: 'assign', targets: (row.previous.targets ?? []) as AssignmentTarget[], assignments: (row.previous.assignments ?? []) as Assignment[] }
    : { kind: 'update', profile: row.previous.profile as PreviousProfile };
  return {
    tenantId: row.tenant_id,
    id: row.id,
    profileId: row.configuration_id,
    state: row.state,
    rings: row.rings,
    reachedRings: row.reached_rings,
    errorThresholdPercent: Number(row.error_threshold_percent),
    soakMs: Math.round(Number(row.soak_seconds) * 1000),
    autoAdvance: row.auto_advance,
    previous,
    previousVersion: row.previous_version,
    targetVersion: row.target_version,
    pausedReason: row.paused_reason,
    history: row.history,
    ringStartedAt: new Date(row.ring_started_at).getTime(),
    createdAt: new Date(row.created_at).getTime(),
    updatedAt: new Date(row.updated_at).getTime(),
    finishedAt: row.finished_at === null ? null : new Date(row.finished_at).getTime(),
  };
}
