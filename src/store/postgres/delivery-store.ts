import type { AssignmentTarget } from '../../domain/assignments/assignment-target.ts';
import { overviewBuckets, type OverviewBucket, type OverviewCounter, type PlannedOperation } from '../../domain/delivery/index.ts';
import type { Queryable } from '../db.ts';
import type {
  DeliveryStore,
  DeviceDeliveryLock,
  OverviewDelta,
  QueuedCommand,
  ReconcileInput,
  ResendFilter,
  StoredLedgerRow,
  TallyKey,
} from '../delivery-store.ts';
import { tallyKey } from '../delivery-store.ts';
import { bucketColumns, counterColumns } from './delivery-columns.ts';
import { DeviceStore } from './device-store.ts';
import { ProfileStore } from './profile-store.ts';
import { UserStore } from './user-store.ts';

const ms = (value: Date | string | null): number | null => (value === null ? null : new Date(value).getTime());
const at = (value: number | null): Date | null => (value === null ? null : new Date(value));

interface LedgerSqlRow {
  device_id: string;
  profile_id: string;
  odata_type: StoredLedgerRow['odataType'];
  display_name: string;
  state: StoredLedgerRow['state'];
  reason_code: StoredLedgerRow['reasonCode'];
  message: string;
  operation: StoredLedgerRow['operation'];
  command_id: string | null;
  generation: number;
  attempts: number;
  target: StoredLedgerRow['target'];
  installed: StoredLedgerRow['installed'];
  account_incarnation: number;
  last_error_class: NonNullable<StoredLedgerRow['lastError']>['errorClass'] | null;
  last_error_code: string | null;
  last_error_message: string | null;
  next_attempt_at: Date | string | null;
  resend_requested: boolean;
  user_prompt: StoredLedgerRow['userPrompt'];
  state_changed_at: Date | string;
  last_reported_at: Date | string | null;
  compliance_status: StoredLedgerRow['complianceStatus'];
  counted_user_id: string | null;
}

const ledgerColumns = `device_id, profile_id, odata_type, display_name, state, reason_code, message, operation, command_id, generation,
  attempts, target, installed, account_incarnation, last_error_class, last_error_code, last_error_message, next_attempt_at,
  resend_requested, user_prompt, state_changed_at, last_reported_at, compliance_status, counted_user_id`;

function toLedgerRow(row: LedgerSqlRow): StoredLedgerRow {
  return {
    deviceId: row.device_id,
    profileId: row.profile_id,
    odataType: row.odata_type,
    displayName: row.display_name,
    state: row.state,
    reasonCode: row.reason_code,
    message: row.message,
    operation: row.operation,
    commandId: row.command_id,
    generation: row.generation,
    attempts: row.attempts,
    target: row.target,
    installed: row.installed,
    accountIncarnation: row.account_incarnation,
    lastError: row.last_error_class === null ? null : { errorClass: row.last_error_class, code: row.last_error_code ?? '', message: row.last_error_message ?? '' },
    nextAttemptAt: ms(row.next_attempt_at),
    resendRequested: row.resend_requested,
    userPrompt: row.user_prompt,
    stateChangedAt: ms(row.state_changed_at)!,
    lastReportedAt: ms(row.last_reported_at),
    complianceStatus: row.compliance_status,
    countedUserId: row.counted_user_id,
  };
}

interface CommandSqlRow {
  command_id: string;
  tenant_id: string;
  device_id: string;
  profile_id: string;
  kind: QueuedCommand['kind'];
  odata_type: QueuedCommand['odataType'];
  version: number;
  generation: number;
  remove_command_id: string | null;
  user_prompt: QueuedCommand['userPrompt'];
  target: QueuedCommand['target'];
  previous: QueuedCommand['previous'];
  status: QueuedCommand['status'];
  active: boolean;
  not_now_count: number;
}

const commandColumns = `command_id, tenant_id, device_id, profile_id, kind, odata_type, version, generation, remove_command_id,
  user_prompt, target, previous, status, active, not_now_count`;

function toCommand(row: CommandSqlRow): QueuedCommand {
  return {
    commandId: row.command_id,
    tenantId: row.tenant_id,
    deviceId: row.device_id,
    profileId: row.profile_id,
    kind: row.kind,
    odataType: row.odata_type,
    version: row.version,
    generation: row.generation,
    removeCommandId: row.remove_command_id,
    userPrompt: row.user_prompt,
    target: row.target,
    previous: row.previous,
    status: row.status,
    active: row.active,
    notNowCount: row.not_now_count,
  };
}

/** PostgreSQL (and PGlite) implementation of `DeliveryStore`; see the interface for the contracts. */
export class PostgresDeliveryStore implements DeliveryStore {
  readonly #db: Queryable;

  readonly #asyncCommit: boolean;

  /** `asyncCommit`: device transactions do not wait for the WAL flush (PostgreSQL server only; decision 0015). */
  constructor(db: Queryable, options: { asyncCommit?: boolean } = {}) {
    this.#db = db;
    this.#asyncCommit = options.asyncCommit ?? false;
  }

  async needsCheckInWork(tenantId: string, deviceId: string, now: number): Promise<boolean> {
    // One statement: the device's state row by primary key, the tenant epoch by primary key, and an
    // EXISTS on the partial index of active commands.
    const rows = await this.#db.query<{ busy: boolean }>(
      `SELECT s.device_id IS NULL OR s.stale OR s.reconciled_epoch < COALESCE(e.epoch, 0) OR COALESCE(s.next_attempt_at <= $3, false)
              OR EXISTS (SELECT 1 FROM delivery_commands c WHERE c.tenant_id = $1 AND c.device_id = $2 AND c.active) AS busy
         FROM (SELECT 1) AS one
         LEFT JOIN delivery_devices s ON s.tenant_id = $1 AND s.device_id = $2
         LEFT JOIN delivery_epochs e ON e.tenant_id = $1`,
      [tenantId, deviceId, new Date(now)],
    );
    return rows[0]?.busy ?? true;
  }

  async lockDevice(tenantId: string, deviceId: string): Promise<DeviceDeliveryLock | null> {
    // Every device transaction starts here. On a PostgreSQL server its commit need not wait for the
    // WAL flush: what a lost commit (a PostgreSQL crash within ~0.6 s of it) undoes is planned again
    // under the same command ids or re-offered, and devices apply commands idempotently (decision 0015).
    if (this.#asyncCommit) await this.#db.query('SET LOCAL synchronous_commit = off');
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
    const device = await new DeviceStore(this.#db).get(tenantId, deviceId);
    if (!device) return null;
    const user = device.userId === null ? null : await new UserStore(this.#db).get(tenantId, device.userId);
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
    const profiles = await new ProfileStore(this.#db).getMany(tenantId, [...targets.keys()]);
    return {
      device,
      user,
      deviceGroupIds,
      userGroupIds,
      profiles: profiles.map((profile) => ({ profile, targets: targets.get(profile.id) ?? [] })),
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

  async lockUserTallies(tenantId: string, keys: readonly TallyKey[]): Promise<Map<string, Record<OverviewBucket, number>>> {
    const tallies = new Map<string, Record<OverviewBucket, number>>();
    if (keys.length === 0) return tallies;
    const sorted = [...new Map(keys.map((k) => [tallyKey(k), k])).values()].sort((a, b) => (tallyKey(a) < tallyKey(b) ? -1 : 1));
    const profileIds = sorted.map((k) => k.profileId);
    const userIds = sorted.map((k) => k.userId);
    await this.#db.query(
      `INSERT INTO delivery_user_tally (tenant_id, profile_id, user_id)
       SELECT $1, p, u FROM unnest($2::uuid[], $3::uuid[]) AS k(p, u) ON CONFLICT DO NOTHING`,
      [tenantId, profileIds, userIds],
    );
    const rows = await this.#db.query<Record<string, unknown> & { profile_id: string; user_id: string }>(
      `SELECT t.* FROM delivery_user_tally t JOIN unnest($2::uuid[], $3::uuid[]) AS k(p, u) ON t.profile_id = k.p AND t.user_id = k.u
        WHERE t.tenant_id = $1 ORDER BY t.profile_id, t.user_id FOR UPDATE OF t`,
      [tenantId, profileIds, userIds],
    );
    for (const row of rows) {
      const tally = {} as Record<OverviewBucket, number>;
      for (const bucket of overviewBuckets) tally[bucket] = Number(row[bucketColumns[bucket]]);
      tallies.set(tallyKey({ profileId: row.profile_id, userId: row.user_id }), tally);
    }
    return tallies;
  }

  async writeUserTallies(tenantId: string, tallies: ReadonlyMap<string, Record<OverviewBucket, number>>): Promise<void> {
    for (const [key, tally] of tallies) {
      const [profileId, userId] = key.split('|');
      await this.#db.query(
        `UPDATE delivery_user_tally SET ${overviewBuckets.map((b, i) => `${bucketColumns[b]} = $${i + 4}`).join(', ')}
          WHERE tenant_id = $1 AND profile_id = $2 AND user_id = $3`,
        [tenantId, profileId, userId, ...overviewBuckets.map((b) => tally[b])],
      );
    }
  }

  async addToOverview(tenantId: string, shard: number, deltas: readonly OverviewDelta[], now: number): Promise<void> {
    // Profile order: every transaction takes shard row locks in the same order, so none deadlock.
    const sorted = [...deltas].sort((a, b) => (a.profileId + a.kind < b.profileId + b.kind ? -1 : 1));
    const counters = Object.keys(counterColumns) as OverviewCounter[];
    for (const delta of sorted) {
      if (Object.keys(delta.counts).length === 0) continue;
      await this.#db.query(
        `INSERT INTO delivery_overview (tenant_id, profile_id, kind, shard, ${counters.map((c) => counterColumns[c]).join(', ')}, updated_at)
         VALUES ($1, $2, $3, $4, ${counters.map((_, i) => `$${i + 5}`).join(', ')}, $${counters.length + 5})
         ON CONFLICT (tenant_id, profile_id, kind, shard) DO UPDATE SET
           ${counters.map((c) => `${counterColumns[c]} = delivery_overview.${counterColumns[c]} + EXCLUDED.${counterColumns[c]}`).join(', ')},
           updated_at = EXCLUDED.updated_at`,
        [tenantId, delta.profileId, delta.kind, shard, ...counters.map((c) => delta.counts[c] ?? 0), new Date(now)],
      );
    }
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

  async deleteFinishedCommands(before: number, limit: number): Promise<number> {
    const rows = await this.#db.query(
      `DELETE FROM delivery_commands WHERE command_id IN (
         SELECT command_id FROM delivery_commands WHERE NOT active AND updated_at < $1 ORDER BY updated_at LIMIT $2)
       RETURNING command_id`,
      [new Date(before), limit],
    );
    return rows.length;
  }
}
