import type { QueuedCommand, StoredLedgerRow } from '../delivery-store.ts';

/** Row mapping of the delivery tables (migration 0002), shared by the delivery stores. */

export const ms = (value: Date | string | null): number | null => (value === null ? null : new Date(value).getTime());
export const at = (value: number | null): Date | null => (value === null ? null : new Date(value));

export interface LedgerSqlRow {
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

export const ledgerColumns = `device_id, profile_id, odata_type, display_name, state, reason_code, message, operation, command_id, generation,
  attempts, target, installed, account_incarnation, last_error_class, last_error_code, last_error_message, next_attempt_at,
  resend_requested, user_prompt, state_changed_at, last_reported_at, compliance_status, counted_user_id`;

export function toLedgerRow(row: LedgerSqlRow): StoredLedgerRow {
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

export interface CommandSqlRow {
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

export const commandColumns = `command_id, tenant_id, device_id, profile_id, kind, odata_type, version, generation, remove_command_id,
  user_prompt, target, previous, status, active, not_now_count`;

export function toCommand(row: CommandSqlRow): QueuedCommand {
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
