import { knoxOverwriteLoopThreshold, type AlertKind } from '../../domain/alerts/alert-kinds.ts';
import type { ListQuery, Page } from '../list-query.ts';
import type { Queryable } from '../db.ts';
import { isoTime, listPage } from './list-sql.ts';

/** The alerts computed from ledger rows (all but the push certificate's and the Knox overwrite loop's). */
export type LedgerAlertKind = Exclude<AlertKind, 'pushCertificateExpiring' | 'knoxOverwriteLoop'>;

/** One affected device, with the rows (one per profile) that put it on the alert. */
export interface AffectedDeviceRecord {
  deviceId: string;
  deviceName: string;
  operatingSystem: string;
  userId: string | null;
  userPrincipalName: string | null;
  userDisplayName: string | null;
  profiles: { profileId: string; displayName: string; reasonCode: string; message: string; sinceDateTime: string }[];
}

/**
 * Which ledger rows raise each alert, over `l` (`stuckBefore`: the parameter holding the time before
 * which a waiting row is stuck). Every condition is within the partial indexes of migration 0016.
 */
function conditionOf(kind: LedgerAlertKind, stuckBefore: string): string {
  switch (kind) {
    case 'duplicateAccountBlocks':
      return `l.state = 'conflict' AND l.reason_code = 'duplicateAccount'`;
    case 'profileConflict':
      return `l.state = 'conflict' AND l.reason_code = 'accountConflict'`;
    case 'certificateChainIncomplete':
      return `l.state = 'missingDependency'`;
    case 'androidAppNotInstalled':
      // AMAPI's NonComplianceReason, as the Android Enterprise channel records it (ledger-row.ts).
      return `l.state = 'error' AND l.last_error_code = 'APP_NOT_INSTALLED'`;
    case 'noPrimaryUser':
      return `l.state = 'error' AND l.reason_code = 'noPrimaryUser'`;
    case 'userAttributeMissing':
      return `l.state = 'error' AND l.reason_code = 'userAttributeMissing'`;
    case 'stuckPending':
      return `l.state IN ('pending', 'sent', 'waitingForDependency') AND l.state_changed_at < ${stuckBefore}`;
  }
}

const attentionKinds = ['duplicateAccountBlocks', 'profileConflict', 'certificateChainIncomplete', 'androidAppNotInstalled', 'noPrimaryUser', 'userAttributeMissing'] as const;

interface AffectedSqlRow {
  id: string;
  created_at: Date | string;
  device_name: string;
  operating_system: string;
  user_id: string | null;
  user_principal_name: string | null;
  user_display_name: string | null;
  profiles: { profileId: string; displayName: string; reasonCode: string; message: string; since: string }[] | null;
}

/** Alert reads: counts of affected devices per alert, and the affected devices page by page. Read-only. */
export class AlertStore {
  readonly #db: Queryable;

  constructor(db: Queryable) {
    this.#db = db;
  }

  /** Affected devices per ledger alert (a device counts once however many of its profiles are affected). */
  async ledgerCounts(tenantId: string, stuckBefore: number): Promise<Record<LedgerAlertKind, number>> {
    const attention = await this.#db.query<Record<string, number>>(
      `SELECT ${attentionKinds.map((kind) => `count(DISTINCT l.device_id) FILTER (WHERE ${conditionOf(kind, '$2')})::int AS "${kind}"`).join(', ')}
         FROM delivery_ledger l WHERE l.tenant_id = $1 AND l.state IN ('conflict', 'error', 'missingDependency')`,
      [tenantId],
    );
    const stuck = await this.#db.query<{ n: number }>(
      `SELECT count(DISTINCT l.device_id)::int AS n FROM delivery_ledger l WHERE l.tenant_id = $1 AND ${conditionOf('stuckPending', '$2')}`,
      [tenantId, new Date(stuckBefore)],
    );
    const counts = Object.fromEntries(attentionKinds.map((kind) => [kind, Number(attention[0]?.[kind] ?? 0)]));
    return { ...counts, stuckPending: stuck[0]?.n ?? 0 } as Record<LedgerAlertKind, number>;
  }

  /** The devices a ledger alert affects, with their affected rows, paged like every Graph collection. */
  affectedByLedger(tenantId: string, kind: LedgerAlertKind, stuckBefore: number, query: ListQuery): Promise<Page<AffectedDeviceRecord>> {
    // The cut-off is the first parameter after the tenant's: `$1` in the WHERE part (listPage
    // renumbers it to `$2`), `$2` in the select list (not renumbered). Only the stuck alert has one.
    const params = kind === 'stuckPending' ? [new Date(stuckBefore)] : [];
    return this.#affected(tenantId, `d.id IN (SELECT l.device_id FROM delivery_ledger l WHERE l.tenant_id = d.tenant_id AND ${conditionOf(kind, '$1')})`,
      `(SELECT jsonb_agg(jsonb_build_object('profileId', l.profile_id, 'displayName', l.display_name, 'reasonCode', l.reason_code,
          'message', l.message, 'since', l.state_changed_at) ORDER BY l.display_name, l.profile_id)
         FROM delivery_ledger l WHERE l.tenant_id = d.tenant_id AND l.device_id = d.id AND ${conditionOf(kind, '$2::timestamptz')})`,
      params, query);
  }

  /**
   * Knox devices where an Envelope account has overwritten a user-made one at least
   * `knoxOverwriteLoopThreshold` times (the agent reports each overwrite; knox_accounts counts them).
   */
  async knoxOverwriteLoopCount(tenantId: string): Promise<number> {
    const rows = await this.#db.query<{ n: number }>(
      'SELECT count(DISTINCT k.device_id)::int AS n FROM knox_accounts k WHERE k.tenant_id = $1 AND k.overwritten_count >= $2',
      [tenantId, knoxOverwriteLoopThreshold],
    );
    return rows[0]?.n ?? 0;
  }

  /** The devices of `knoxOverwriteLoopCount`, each with its looping profiles and how many overwrites so far. */
  affectedKnoxOverwriteLoops(tenantId: string, query: ListQuery): Promise<Page<AffectedDeviceRecord>> {
    const loops = `FROM knox_accounts k JOIN delivery_ledger l ON l.tenant_id = k.tenant_id AND l.device_id = k.device_id AND l.profile_id = k.profile_id
      WHERE k.tenant_id = d.tenant_id AND k.device_id = d.id AND k.overwritten_count >= ${knoxOverwriteLoopThreshold}`;
    return this.#affected(tenantId, `d.id IN (SELECT k.device_id FROM knox_accounts k WHERE k.tenant_id = d.tenant_id AND k.overwritten_count >= ${knoxOverwriteLoopThreshold})`,
      `(SELECT jsonb_agg(jsonb_build_object('profileId', l.profile_id, 'displayName', l.display_name, 'reasonCode', 'userAccountOverwritten',
          'message', 'A user-made account with this address was overwritten ' || k.overwritten_count || ' times so far.', 'since', coalesce(k.last_event_at, l.state_changed_at)) ORDER BY l.display_name, l.profile_id)
         ${loops})`,
      [], query);
  }

  /** The push certificate's expiry (epoch ms), or null when the tenant has none. */
  async pushCertificateExpiry(tenantId: string): Promise<number | null> {
    const rows = await this.#db.query<{ not_after: Date | string }>('SELECT not_after FROM apple_push_certificates WHERE tenant_id = $1', [tenantId]);
    return rows[0] ? new Date(rows[0].not_after).getTime() : null;
  }

  async appleDeviceCount(tenantId: string): Promise<number> {
    const rows = await this.#db.query<{ n: number }>('SELECT count(*)::int AS n FROM apple_enrollments WHERE tenant_id = $1', [tenantId]);
    return rows[0]?.n ?? 0;
  }

  /** The Apple devices enrolled in the tenant (those a push certificate wakes). */
  affectedAppleDevices(tenantId: string, query: ListQuery): Promise<Page<AffectedDeviceRecord>> {
    return this.#affected(tenantId, 'd.id IN (SELECT e.device_id FROM apple_enrollments e WHERE e.tenant_id = d.tenant_id)', 'NULL::jsonb', [], query);
  }

  #affected(tenantId: string, where: string, profiles: string, params: unknown[], query: ListQuery): Promise<Page<AffectedDeviceRecord>> {
    return listPage<AffectedSqlRow, AffectedDeviceRecord>(
      this.#db,
      {
        from: 'managed_devices d LEFT JOIN users u ON u.tenant_id = d.tenant_id AND u.id = d.user_id',
        alias: 'd',
        select: `d.id, d.created_at, d.device_name, d.operating_system, d.user_id, u.user_principal_name, u.display_name AS user_display_name, ${profiles} AS profiles`,
        tenantId,
        columns: {},
        extraWhere: { sql: where, params },
        toItem: (row) => ({
          deviceId: row.id,
          deviceName: row.device_name,
          operatingSystem: row.operating_system,
          userId: row.user_id,
          userPrincipalName: row.user_principal_name,
          userDisplayName: row.user_display_name,
          profiles: (row.profiles ?? []).map((p) => ({ profileId: p.profileId, displayName: p.displayName, reasonCode: p.reasonCode, message: p.message, sinceDateTime: isoTime(p.since)! })),
        }),
      },
      query,
    );
  }
}
