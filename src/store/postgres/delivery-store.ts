import type { AssignmentTarget } from '../../domain/assignments/assignment-target.ts';
import type { OverviewBucket, PlannedOperation } from '../../domain/delivery/index.ts';
import type { Queryable } from '../db.ts';
import type {
  DeliveryStore,
  DeviceDeliveryLock,
  OverviewDelta,
  QueuedCommand,
  ReconcileInput,
  ResendFilter,
  StoredLedgerRow,
} from '../delivery-store.ts';
import { DeliveryCounterStore } from './delivery-counter-store.ts';
import { DeliveryQueueStore } from './delivery-queue-store.ts';
import { at, ledgerColumns, ms, toLedgerRow, type LedgerSqlRow } from './delivery-rows.ts';
import { deviceColumns, deviceFrom, toDevice, type DeviceRow } from './device-store.ts';
import { ProfileStore } from './profile-store.ts';
import { RolloutStore } from './rollout-store.ts';
import { toUser, type UserRow } from './user-store.ts';

/** PostgreSQL (and PGlite) implementation of `DeliveryStore`; see the interface for the contracts. */
export class PostgresDeliveryStore implements DeliveryStore {
  readonly #db: Queryable;
  readonly #queue: DeliveryQueueStore;
  readonly #counters: DeliveryCounterStore;

  constructor(db: Queryable) {
    this.#db = db;
    this.#queue = new DeliveryQueueStore(db);
    this.#counters = new DeliveryCounterStore(db);
  }

  // The command queue and the counters live in their own modules.
  enqueue(tenantId: string, deviceId: string, operations: readonly PlannedOperation[], now: number): Promise<void> {
    return this.#queue.enqueue(tenantId, deviceId, operations, now);
  }

  nextCommand(tenantId: string, deviceId: string, options: { skipNotNow: boolean; sentBefore: number; odataTypes?: readonly string[] | null }): Promise<QueuedCommand | null> {
    return this.#queue.nextCommand(tenantId, deviceId, options);
  }

  command(commandId: string): Promise<QueuedCommand | null> {
    return this.#queue.command(commandId);
  }

  markCommandSent(commandId: string, now: number): Promise<void> {
    return this.#queue.markCommandSent(commandId, now);
  }

  markCommandNotNow(commandId: string, now: number): Promise<void> {
    return this.#queue.markCommandNotNow(commandId, now);
  }

  finishCommand(commandId: string, status: 'acknowledged' | 'failed', now: number): Promise<void> {
    return this.#queue.finishCommand(commandId, status, now);
  }

  supersedeDeviceCommands(tenantId: string, deviceId: string, now: number): Promise<number> {
    return this.#queue.supersedeDeviceCommands(tenantId, deviceId, now);
  }

  async markStale(tenantId: string, deviceId: string): Promise<void> {
    await this.#db.query('UPDATE delivery_devices SET stale = true WHERE tenant_id = $1 AND device_id = $2', [tenantId, deviceId]);
  }

  deleteFinishedCommands(before: number, limit: number): Promise<number> {
    return this.#queue.deleteFinishedCommands(before, limit);
  }

  addToUserTallies(tenantId: string, deltas: ReadonlyMap<string, Partial<Record<OverviewBucket, number>>>): Promise<Map<string, Record<OverviewBucket, number>>> {
    return this.#counters.addToUserTallies(tenantId, deltas);
  }

  addToOverview(tenantId: string, shard: number, deltas: readonly OverviewDelta[], now: number): Promise<void> {
    return this.#counters.addToOverview(tenantId, shard, deltas, now);
  }

  async needsCheckInWork(tenantId: string, deviceId: string, now: number, contact = false): Promise<boolean> {
    // One statement: the device's state row by primary key, the tenant epoch by primary key, and an
    // EXISTS on the partial index of active commands; with `contact`, a data-modifying CTE moves
    // last_sync_at when it is a minute old (last_sync_at is in no trigger's column list).
    const rows = await this.#db.query<{ busy: boolean }>(
      `WITH contact AS (
         UPDATE managed_devices SET last_sync_at = $3
          WHERE $4 AND tenant_id = $1 AND id = $2 AND (last_sync_at IS NULL OR last_sync_at <= $3::timestamptz - interval '1 minute')
       )
       SELECT s.device_id IS NULL OR s.stale OR s.reconciled_epoch < COALESCE(e.epoch, 0) OR COALESCE(s.next_attempt_at <= $3, false)
              OR EXISTS (SELECT 1 FROM delivery_commands c WHERE c.tenant_id = $1 AND c.device_id = $2 AND c.active) AS busy
         FROM (SELECT 1) AS one
         LEFT JOIN delivery_devices s ON s.tenant_id = $1 AND s.device_id = $2
         LEFT JOIN delivery_epochs e ON e.tenant_id = $1`,
      [tenantId, deviceId, new Date(now), contact],
    );
    return rows[0]?.busy ?? true;
  }

  async lockDevice(tenantId: string, deviceId: string): Promise<DeviceDeliveryLock | null> {
    const lock = () =>
      this.#db.query<{ reconciled_epoch: string | number; stale: boolean; next_attempt_at: Date | string | null; epoch: string | number; user_id: string | null }>(
        `SELECT s.reconciled_epoch, s.stale, s.next_attempt_at, d.user_id,
                COALESCE((SELECT epoch FROM delivery_epochs WHERE tenant_id = $1), 0) AS epoch
           FROM delivery_devices s JOIN managed_devices d ON d.tenant_id = s.tenant_id AND d.id = s.device_id
          WHERE s.tenant_id = $1 AND s.device_id = $2
          FOR UPDATE OF s`,
        [tenantId, deviceId],
      );
    let rows = await lock();
    if (rows.length === 0) {
      await this.#db.query(
        `INSERT INTO delivery_devices (tenant_id, device_id)
         SELECT tenant_id, id FROM managed_devices WHERE tenant_id = $1 AND id = $2 ON CONFLICT DO NOTHING`,
        [tenantId, deviceId],
      );
      rows = await lock();
    }
    const row = rows[0];
    if (!row) return null;
    return {
      tenantEpoch: Number(row.epoch),
      reconciledEpoch: Number(row.reconciled_epoch),
      stale: row.stale,
      nextAttemptAt: ms(row.next_attempt_at),
      userId: row.user_id,
    };
  }

  async reconcileInput(tenantId: string, deviceId: string): Promise<ReconcileInput | null> {
    // The device and its primary user in one statement (the device view already joins the user).
    const found = await this.#db.query<DeviceRow & { primary_user: UserRow | null }>(
      `SELECT ${deviceColumns}, to_jsonb(u) AS primary_user FROM ${deviceFrom} WHERE d.tenant_id = $1 AND d.id = $2`,
      [tenantId, deviceId],
    );
    if (found[0] === undefined) return null;
    const device = toDevice(found[0]);
    const user = found[0].primary_user === null ? null : toUser(found[0].primary_user);
    const memberships = await this.#db.query<{ group_id: string; of_device: boolean }>(
      `SELECT group_id, device_id IS NOT NULL AS of_device FROM group_members
        WHERE tenant_id = $1 AND (device_id = $2 OR ($3::uuid IS NOT NULL AND user_id = $3::uuid))`,
      [tenantId, deviceId, device.userId],
    );
    const deviceGroupIds = memberships.filter((m) => m.of_device).map((m) => m.group_id);
    const userGroupIds = memberships.filter((m) => !m.of_device).map((m) => m.group_id);
    const assignments = await this.#db.query<{ configuration_id: string; target_type: AssignmentTarget['type']; group_id: string | null }>(
      `SELECT configuration_id, target_type, group_id FROM device_configuration_assignments
        WHERE tenant_id = $1 AND intent = 'apply' AND configuration_id IN (
          SELECT configuration_id FROM device_configuration_assignments
           WHERE tenant_id = $1 AND intent = 'apply'
             AND (target_type IN ('allLicensedUsersAssignmentTarget', 'allDevicesAssignmentTarget') OR group_id = ANY($2::uuid[])))`,
      [tenantId, [...deviceGroupIds, ...userGroupIds]],
    );
    const targets = new Map<string, AssignmentTarget[]>();
    for (const row of assignments) {
      const target = (row.group_id === null ? { type: row.target_type } : { type: row.target_type, groupId: row.group_id }) as AssignmentTarget;
      const list = targets.get(row.configuration_id);
      if (list) list.push(target);
      else targets.set(row.configuration_id, [target]);
    }
    // A profile under a staged rollout is a candidate even when its current targets miss the device:
    // the device may be outside the reached rings and keep the previous targets (decision 0029).
    const rollouts = await new RolloutStore(this.#db).gates(tenantId);
    const profiles = await new ProfileStore(this.#db).getMany(tenantId, [...new Set([...targets.keys(), ...rollouts.map((gate) => gate.profileId)])]);
    return {
      device,
      user,
      deviceGroupIds,
      userGroupIds,
      profiles: profiles.map((profile) => ({ profile, targets: targets.get(profile.id) ?? [] })),
      rollouts,
    };
  }

  async ledgerRows(tenantId: string, deviceId: string): Promise<StoredLedgerRow[]> {
    const rows = await this.#db.query<LedgerSqlRow>(
      `SELECT ${ledgerColumns} FROM delivery_ledger WHERE tenant_id = $1 AND device_id = $2 ORDER BY profile_id`,
      [tenantId, deviceId],
    );
    return rows.map(toLedgerRow);
  }

  async ledgerRow(tenantId: string, deviceId: string, profileId: string): Promise<StoredLedgerRow | null> {
    const rows = await this.#db.query<LedgerSqlRow>(
      `SELECT ${ledgerColumns} FROM delivery_ledger WHERE tenant_id = $1 AND device_id = $2 AND profile_id = $3`,
      [tenantId, deviceId, profileId],
    );
    return rows[0] ? toLedgerRow(rows[0]) : null;
  }

  async writeLedgerRows(tenantId: string, rows: readonly StoredLedgerRow[], now: number): Promise<void> {
    for (const row of rows) {
      await this.#db.query(
        `INSERT INTO delivery_ledger (tenant_id, ${ledgerColumns}, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13::jsonb, $14::jsonb, $15, $16, $17, $18, $19, $20, $21, $22, $23, $24, $25, $26)
         ON CONFLICT (tenant_id, device_id, profile_id) DO UPDATE SET
           odata_type = EXCLUDED.odata_type, display_name = EXCLUDED.display_name, state = EXCLUDED.state,
           reason_code = EXCLUDED.reason_code, message = EXCLUDED.message, operation = EXCLUDED.operation,
           command_id = EXCLUDED.command_id, generation = EXCLUDED.generation, attempts = EXCLUDED.attempts,
           target = EXCLUDED.target, installed = EXCLUDED.installed, account_incarnation = EXCLUDED.account_incarnation,
           last_error_class = EXCLUDED.last_error_class, last_error_code = EXCLUDED.last_error_code,
           last_error_message = EXCLUDED.last_error_message, next_attempt_at = EXCLUDED.next_attempt_at,
           resend_requested = EXCLUDED.resend_requested, user_prompt = EXCLUDED.user_prompt,
           state_changed_at = EXCLUDED.state_changed_at, last_reported_at = EXCLUDED.last_reported_at,
           compliance_status = EXCLUDED.compliance_status, counted_user_id = EXCLUDED.counted_user_id,
           updated_at = EXCLUDED.updated_at`,
        [
          tenantId, row.deviceId, row.profileId, row.odataType, row.displayName, row.state, row.reasonCode, row.message,
          row.operation, row.commandId, row.generation, row.attempts,
          row.target === null ? null : JSON.stringify(row.target), row.installed === null ? null : JSON.stringify(row.installed),
          row.accountIncarnation, row.lastError?.errorClass ?? null, row.lastError?.code ?? null, row.lastError?.message ?? null,
          at(row.nextAttemptAt), row.resendRequested, row.userPrompt, new Date(row.stateChangedAt), at(row.lastReportedAt),
          row.complianceStatus, row.countedUserId, new Date(now),
        ],
      );
    }
  }

  async markReconciled(tenantId: string, deviceId: string, epoch: number, nextAttemptAt: number | null, now: number): Promise<void> {
    await this.#db.query(
      `UPDATE delivery_devices SET reconciled_epoch = $3, stale = false, next_attempt_at = $4, reconciled_at = $5
        WHERE tenant_id = $1 AND device_id = $2`,
      [tenantId, deviceId, epoch, at(nextAttemptAt), new Date(now)],
    );
  }

  async refreshNextAttempt(tenantId: string, deviceId: string): Promise<void> {
    await this.#db.query(
      `UPDATE delivery_devices SET next_attempt_at =
         (SELECT min(next_attempt_at) FROM delivery_ledger WHERE tenant_id = $1 AND device_id = $2)
        WHERE tenant_id = $1 AND device_id = $2`,
      [tenantId, deviceId],
    );
  }

  async requestResend(tenantId: string, profileId: string, filter: ResendFilter): Promise<number | null> {
    const profile = await this.#db.query('SELECT 1 FROM device_configurations WHERE tenant_id = $1 AND id = $2', [tenantId, profileId]);
    if (profile.length === 0) return null;
    const statuses = filter.statuses ?? ['error', 'conflict', 'stuck'];
    const rows = await this.#db.query<{ device_id: string }>(
      `UPDATE delivery_ledger SET resend_requested = true
        WHERE tenant_id = $1 AND profile_id = $2 AND ($3::uuid[] IS NULL OR device_id = ANY($3::uuid[]))
          AND ((compliance_status = 'error' AND 'error' = ANY($4::text[]))
            OR (compliance_status = 'conflict' AND 'conflict' = ANY($4::text[]))
            OR (state IN ('pending', 'sent', 'waitingForDependency') AND state_changed_at < $5 AND 'stuck' = ANY($4::text[])))
        RETURNING device_id`,
      [tenantId, profileId, filter.deviceIds, statuses, new Date(filter.stuckBefore)],
    );
    const deviceIds = [...new Set(rows.map((r) => r.device_id))];
    if (deviceIds.length > 0) {
      await this.#db.query('UPDATE delivery_devices SET stale = true WHERE tenant_id = $1 AND device_id = ANY($2::uuid[])', [tenantId, deviceIds]);
    }
    return deviceIds.length;
  }

  async devicesToWake(tenantId: string, now: number, afterDeviceId: string | null, limit: number): Promise<string[]> {
    const rows = await this.#db.query<{ id: string }>(
      `SELECT d.id FROM managed_devices d
         LEFT JOIN delivery_devices s ON s.tenant_id = d.tenant_id AND s.device_id = d.id
        WHERE d.tenant_id = $1 AND ($2::uuid IS NULL OR d.id > $2::uuid)
          AND (s.device_id IS NULL OR s.stale OR s.next_attempt_at <= $3
            OR s.reconciled_epoch < COALESCE((SELECT epoch FROM delivery_epochs WHERE tenant_id = $1), 0)
            OR EXISTS (SELECT 1 FROM delivery_commands c WHERE c.tenant_id = d.tenant_id AND c.device_id = d.id AND c.active AND c.status <> 'sent'))
        ORDER BY d.id LIMIT $4`,
      [tenantId, afterDeviceId, new Date(now), limit],
    );
    return rows.map((r) => r.id);
  }

}
