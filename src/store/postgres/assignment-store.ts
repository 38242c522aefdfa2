import type { Assignment, AssignmentTarget } from '../../domain/assignments/assignment-target.ts';
import { assignmentId } from '../../domain/assignments/assignment-target.ts';
import { conflict } from '../../domain/errors.ts';
import type { Queryable } from '../db.ts';
import { pgErrorCode, pgErrorCodes } from './pg-errors.ts';

interface AssignmentRow {
  target_type: AssignmentTarget['type'];
  group_id: string | null;
  intent: Assignment['intent'];
}

function toAssignment(row: AssignmentRow): Assignment {
  const target = (row.target_type === 'groupAssignmentTarget' || row.target_type === 'exclusionGroupAssignmentTarget'
    ? { type: row.target_type, groupId: row.group_id! }
    : { type: row.target_type }) as AssignmentTarget;
  return { target, intent: row.intent };
}

/** The assignment set of each profile. */
export class AssignmentStore {
  readonly #db: Queryable;

  constructor(db: Queryable) {
    this.#db = db;
  }

  async list(tenantId: string, profileId: string): Promise<Assignment[]> {
    const rows = await this.#db.query<AssignmentRow>(
      `SELECT target_type, group_id, intent FROM device_configuration_assignments
       WHERE tenant_id = $1 AND configuration_id = $2 ORDER BY created_at, id`,
      [tenantId, profileId],
    );
    return rows.map(toAssignment);
  }

  /** The assignment sets of several profiles at once (for `$expand=assignments` on a page); no entry: none. */
  async listForProfiles(tenantId: string, profileIds: readonly string[]): Promise<Map<string, Assignment[]>> {
    const sets = new Map<string, Assignment[]>();
    if (profileIds.length === 0) return sets;
    const rows = await this.#db.query<AssignmentRow & { configuration_id: string }>(
      `SELECT configuration_id, target_type, group_id, intent FROM device_configuration_assignments
       WHERE tenant_id = $1 AND configuration_id = ANY($2::uuid[]) ORDER BY created_at, id`,
      [tenantId, profileIds],
    );
    for (const row of rows) {
      const set = sets.get(row.configuration_id) ?? [];
      set.push(toAssignment(row));
      sets.set(row.configuration_id, set);
    }
    return sets;
  }

  async hasAny(tenantId: string, profileId: string): Promise<boolean> {
    const rows = await this.#db.query('SELECT 1 FROM device_configuration_assignments WHERE tenant_id = $1 AND configuration_id = $2 LIMIT 1', [tenantId, profileId]);
    return rows.length > 0;
  }

  /** Replaces the whole set (Graph `assign`). Run inside a transaction with the existence checks. */
  async replace(tenantId: string, profileId: string, assignments: readonly Assignment[]): Promise<void> {
    await this.#db.query('DELETE FROM device_configuration_assignments WHERE tenant_id = $1 AND configuration_id = $2', [tenantId, profileId]);
    if (assignments.length === 0) return;
    try {
      await this.#db.query(
        `INSERT INTO device_configuration_assignments (tenant_id, configuration_id, id, target_type, group_id, intent)
         SELECT $1, $2, a.id, a.target_type, a.group_id, a.intent
         FROM unnest($3::text[], $4::text[], $5::uuid[], $6::text[]) WITH ORDINALITY AS a (id, target_type, group_id, intent, n)
         ORDER BY a.n`,
        [
          tenantId,
          profileId,
          assignments.map((a) => assignmentId(profileId, a.target)),
          assignments.map((a) => a.target.type),
          assignments.map((a) => ('groupId' in a.target ? a.target.groupId : null)),
          assignments.map((a) => a.intent),
        ],
      );
    } catch (error) {
      // Callers lock the groups first (GroupStore.existing); this is the backstop if one did not.
      if (pgErrorCode(error) === pgErrorCodes.foreignKeyViolation) {
        throw conflict('A target group was deleted meanwhile; check the groupIds and retry.', 'assignments');
      }
      throw error;
    }
  }
}
