import type { Queryable } from '../db.ts';

/** Housekeeping deletes, a batch at a time so no statement holds many locks or runs long. */
export class MaintenanceStore {
  readonly #db: Queryable;

  constructor(db: Queryable) {
    this.#db = db;
  }

  /** Served enrollment profiles never installed, expired before `before`. */
  async deleteExpiredPendingEnrollments(before: Date, limit: number): Promise<number> {
    const rows = await this.#db.query(
      `DELETE FROM apple_pending_enrollments WHERE (tenant_id, id) IN (
         SELECT tenant_id, id FROM apple_pending_enrollments WHERE completed_at IS NULL AND expires_at < $1 LIMIT $2)
       RETURNING id`,
      [before, limit],
    );
    return rows.length;
  }

  /** Removal halves of replaces whose command has been collected. */
  async deleteOrphanedReplaceRemovals(limit: number): Promise<number> {
    const rows = await this.#db.query(
      `DELETE FROM apple_replace_removals WHERE (tenant_id, device_id, remove_command_id) IN (
         SELECT r.tenant_id, r.device_id, r.remove_command_id FROM apple_replace_removals r
          WHERE NOT EXISTS (SELECT 1 FROM delivery_commands c WHERE c.command_id = r.command_id) LIMIT $1)
       RETURNING command_id`,
      [limit],
    );
    return rows.length;
  }

  /** Issued PKCS identities whose certificate expired before `before`. */
  async deleteExpiredIssuedIdentities(before: Date, limit: number): Promise<number> {
    const rows = await this.#db.query(
      `DELETE FROM issued_identities WHERE (tenant_id, device_id, profile_id, profile_version, user_id) IN (
         SELECT tenant_id, device_id, profile_id, profile_version, user_id FROM issued_identities WHERE not_after < $1 LIMIT $2)
       RETURNING device_id`,
      [before, limit],
    );
    return rows.length;
  }
}
