import type { PlannedOperation } from '../../domain/delivery/index.ts';
import type { Queryable } from '../db.ts';
import type { QueuedCommand } from '../delivery-store.ts';
import { commandColumns, toCommand, type CommandSqlRow } from './delivery-rows.ts';

/**
 * The per-device command queue (`delivery_commands`): what a device is handed at check-in, in queue
 * order, until its result deactivates it. Active rows sit in a partial index; answered ones leave it
 * and are deleted after a while. Part of `PostgresDeliveryStore`; see `DeliveryStore` for the contracts.
 */
export class DeliveryQueueStore {
  readonly #db: Queryable;

  constructor(db: Queryable) {
    this.#db = db;
  }

  async enqueue(tenantId: string, deviceId: string, operations: readonly PlannedOperation[], now: number): Promise<void> {
    for (const op of operations) {
      // Generation 1 is the row's first command: there is nothing older to supersede.
      if (!op.reoffer && op.generation > 1) {
        await this.#db.query(
          `UPDATE delivery_commands SET status = 'superseded', active = false, updated_at = $5
            WHERE tenant_id = $1 AND device_id = $2 AND profile_id = $3 AND active AND command_id <> $4`,
          [tenantId, deviceId, op.profileId, op.commandId, new Date(now)],
        );
      }
      await this.#db.query(
        `INSERT INTO delivery_commands (command_id, tenant_id, device_id, profile_id, kind, odata_type, version, generation,
           remove_command_id, user_prompt, target, previous, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11::jsonb, $12::jsonb, $13, $13)
         ON CONFLICT (command_id) DO NOTHING`,
        [op.commandId, tenantId, deviceId, op.profileId, op.kind, op.odataType, op.version, op.generation, op.removeCommandId,
          op.userPrompt, JSON.stringify(op.target), op.previous === null ? null : JSON.stringify(op.previous), new Date(now)],
      );
    }
  }

  async nextCommand(tenantId: string, deviceId: string, options: { skipNotNow: boolean; sentBefore: number; odataTypes?: readonly string[] | null }): Promise<QueuedCommand | null> {
    const rows = await this.#db.query<CommandSqlRow>(
      `SELECT ${commandColumns} FROM delivery_commands
        WHERE tenant_id = $1 AND device_id = $2 AND active
          AND NOT ($3 AND status = 'notNow') AND NOT (status = 'sent' AND sent_at > $4)
          AND ($5::text[] IS NULL OR odata_type = ANY($5::text[]))
        ORDER BY seq LIMIT 1`,
      [tenantId, deviceId, options.skipNotNow, new Date(options.sentBefore), options.odataTypes ?? null],
    );
    return rows[0] ? toCommand(rows[0]) : null;
  }

  async command(commandId: string): Promise<QueuedCommand | null> {
    const rows = await this.#db.query<CommandSqlRow>(`SELECT ${commandColumns} FROM delivery_commands WHERE command_id = $1`, [commandId]);
    return rows[0] ? toCommand(rows[0]) : null;
  }

  async markCommandSent(commandId: string, now: number): Promise<void> {
    await this.#db.query(`UPDATE delivery_commands SET status = 'sent', sent_at = $2, updated_at = $2 WHERE command_id = $1 AND active`, [commandId, new Date(now)]);
  }

  async markCommandNotNow(commandId: string, now: number): Promise<void> {
    await this.#db.query(
      `UPDATE delivery_commands SET status = 'notNow', not_now_count = not_now_count + 1, not_now_at = COALESCE(not_now_at, $2), updated_at = $2
        WHERE command_id = $1 AND active`,
      [commandId, new Date(now)],
    );
  }

  async finishCommand(commandId: string, status: 'acknowledged' | 'failed', now: number): Promise<void> {
    await this.#db.query(`UPDATE delivery_commands SET status = $2, active = false, updated_at = $3 WHERE command_id = $1 AND active`, [commandId, status, new Date(now)]);
  }

  async deleteFinishedCommands(before: number, limit: number): Promise<number> {
    const rows = await this.#db.query(
      `DELETE FROM delivery_commands WHERE command_id IN (
         SELECT command_id FROM delivery_commands WHERE NOT active AND updated_at < $1 ORDER BY updated_at LIMIT $2)
       RETURNING command_id`,
      [new Date(before), limit],
    );
    return rows.length;
  }

  async supersedeDeviceCommands(tenantId: string, deviceId: string, now: number): Promise<number> {
    const rows = await this.#db.query(
      `UPDATE delivery_commands SET status = 'superseded', active = false, updated_at = $3
        WHERE tenant_id = $1 AND device_id = $2 AND active RETURNING command_id`,
      [tenantId, deviceId, new Date(now)],
    );
    return rows.length;
  }

}
