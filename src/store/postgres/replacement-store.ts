import type { ProfileType } from '../../domain/profiles/profile-types.ts';
import type { Queryable } from '../db.ts';

/** A replace (migration 0018): which profile replaced which, when and by whom. */
export interface ProfileReplacement {
  oldProfileId: string;
  newProfileId: string;
  oldDisplayName: string;
  oldOdataType: ProfileType;
  assignmentsMoved: number;
  replacedDateTime: string;
  replacedByTokenId: string | null;
  replacedByRole: string;
}

/** Ledger counts of both profiles of a replace: how far devices got. */
export interface ReplacementProgress {
  /** Devices that still hold the old account (installed), including those keeping it. */
  oldOnDevices: number;
  /** Of those, devices with its removal on its way. */
  oldRemoving: number;
  /** Of those, devices keeping it (the only email profile while the new one is blocked there). */
  oldKept: number;
  /** Devices where the old profile is removed (or nothing of it was ever there). */
  oldRemoved: number;
  /** Devices with the new profile installed (succeeded or verified). */
  newInstalled: number;
  /** Devices with the new profile on its way (pending, sent, waiting for a certificate). */
  newPending: number;
  /** Devices where the new profile is in error, conflict or missing a dependency. */
  newFailed: number;
}

interface ReplacementRow {
  old_profile_id: string;
  new_profile_id: string;
  old_display_name: string;
  old_odata_type: ProfileType;
  assignments_moved: number;
  replaced_at: Date | string;
  replaced_by_token_id: string | null;
  replaced_by_role: string;
}

const columns = 'old_profile_id, new_profile_id, old_display_name, old_odata_type, assignments_moved, replaced_at, replaced_by_token_id, replaced_by_role';

function toReplacement(row: ReplacementRow): ProfileReplacement {
  return {
    oldProfileId: row.old_profile_id,
    newProfileId: row.new_profile_id,
    oldDisplayName: row.old_display_name,
    oldOdataType: row.old_odata_type,
    assignmentsMoved: row.assignments_moved,
    replacedDateTime: new Date(row.replaced_at).toISOString(),
    replacedByTokenId: row.replaced_by_token_id,
    replacedByRole: row.replaced_by_role,
  };
}

/** `profile_replacements` and the ledger counts of a replace. */
export class ReplacementStore {
  readonly #db: Queryable;

  constructor(db: Queryable) {
    this.#db = db;
  }

  /** Records a replace; run in the transaction that moves the assignments (the old profile's row locked). */
  async insert(tenantId: string, record: Omit<ProfileReplacement, 'replacedDateTime'>): Promise<ProfileReplacement> {
    const rows = await this.#db.query<ReplacementRow>(
      `INSERT INTO profile_replacements (tenant_id, old_profile_id, new_profile_id, old_display_name, old_odata_type, assignments_moved, replaced_by_token_id, replaced_by_role)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING ${columns}`,
      [tenantId, record.oldProfileId, record.newProfileId, record.oldDisplayName, record.oldOdataType, record.assignmentsMoved, record.replacedByTokenId, record.replacedByRole],
    );
    return toReplacement(rows[0]!);
  }

  /** The replace that replaced `profileId`, or null when it was not replaced. */
  async replacedBy(tenantId: string, profileId: string): Promise<ProfileReplacement | null> {
    const rows = await this.#db.query<ReplacementRow>(`SELECT ${columns} FROM profile_replacements WHERE tenant_id = $1 AND old_profile_id = $2`, [tenantId, profileId]);
    return rows[0] ? toReplacement(rows[0]) : null;
  }

  /** The replaces `profileId` took part in (0–2): the one in which it is the old profile first, then the one that created it. */
  async forProfile(tenantId: string, profileId: string): Promise<ProfileReplacement[]> {
    const rows = await this.#db.query<ReplacementRow>(
      `SELECT ${columns} FROM profile_replacements WHERE tenant_id = $1 AND (old_profile_id = $2 OR new_profile_id = $2)
       ORDER BY (old_profile_id = $2) DESC`,
      [tenantId, profileId],
    );
    return rows.map(toReplacement);
  }

  /** The ledger counts of both profiles (one statement over the (tenant, profile, state) index). */
  async progress(tenantId: string, oldProfileId: string, newProfileId: string): Promise<ReplacementProgress> {
    const rows = await this.#db.query<Record<keyof ReplacementProgress, number>>(
      `SELECT
         count(*) FILTER (WHERE profile_id = $2 AND installed IS NOT NULL)::int AS "oldOnDevices",
         count(*) FILTER (WHERE profile_id = $2 AND installed IS NOT NULL AND operation = 'remove' AND state IN ('pending', 'sent'))::int AS "oldRemoving",
         count(*) FILTER (WHERE profile_id = $2 AND installed IS NOT NULL AND state = 'kept')::int AS "oldKept",
         count(*) FILTER (WHERE profile_id = $2 AND state = 'removed')::int AS "oldRemoved",
         count(*) FILTER (WHERE profile_id = $3 AND state IN ('succeeded', 'verified'))::int AS "newInstalled",
         count(*) FILTER (WHERE profile_id = $3 AND state IN ('pending', 'sent', 'waitingForDependency'))::int AS "newPending",
         count(*) FILTER (WHERE profile_id = $3 AND state IN ('error', 'conflict', 'missingDependency'))::int AS "newFailed"
       FROM delivery_ledger WHERE tenant_id = $1 AND profile_id IN ($2, $3)`,
      [tenantId, oldProfileId, newProfileId],
    );
    return rows[0]!;
  }
}
