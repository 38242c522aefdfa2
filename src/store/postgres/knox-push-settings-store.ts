import type { Queryable } from '../db.ts';
import { isoTime } from './list-sql.ts';

/** A tenant's Firebase service account without its key (what the admin API shows). */
export interface StoredKnoxPushSettingsInfo {
  projectId: string;
  clientEmail: string;
  /** Changes with every PUT (one sequence for all tenants). */
  version: number;
  updatedDateTime: string;
}

/** The whole record, the service-account JSON sealed (the store never sees it in clear). */
export interface StoredKnoxPushSettings extends StoredKnoxPushSettingsInfo {
  sealedServiceAccount: Buffer;
}

interface SettingsRow {
  project_id: string;
  client_email: string;
  version: number;
  updated_at: Date | string;
}

const infoColumns = 'project_id, client_email, version, updated_at';

function toInfo(row: SettingsRow): StoredKnoxPushSettingsInfo {
  return { projectId: row.project_id, clientEmail: row.client_email, version: row.version, updatedDateTime: isoTime(row.updated_at)! };
}

/** One Firebase service account per tenant: `knox_push_settings`, migration 0012. */
export class KnoxPushSettingsStore {
  readonly #db: Queryable;

  constructor(db: Queryable) {
    this.#db = db;
  }

  async getInfo(tenantId: string): Promise<StoredKnoxPushSettingsInfo | null> {
    const rows = await this.#db.query<SettingsRow>(`SELECT ${infoColumns} FROM knox_push_settings WHERE tenant_id = $1`, [tenantId]);
    return rows[0] ? toInfo(rows[0]) : null;
  }

  /** The whole record, for the FCM client. */
  async get(tenantId: string): Promise<StoredKnoxPushSettings | null> {
    const rows = await this.#db.query<SettingsRow & { sealed_service_account: Uint8Array }>(
      `SELECT ${infoColumns}, sealed_service_account FROM knox_push_settings WHERE tenant_id = $1`,
      [tenantId],
    );
    const row = rows[0];
    return row ? { ...toInfo(row), sealedServiceAccount: Buffer.from(row.sealed_service_account) } : null;
  }

  /** Inserts the tenant's settings or replaces them; either way the version changes. */
  async put(tenantId: string, settings: { projectId: string; clientEmail: string; sealedServiceAccount: Buffer }): Promise<StoredKnoxPushSettingsInfo> {
    const rows = await this.#db.query<SettingsRow>(
      `INSERT INTO knox_push_settings (tenant_id, project_id, client_email, sealed_service_account)
       VALUES ($1, $2, $3, $4)
       ON CONFLICT (tenant_id) DO UPDATE SET
         project_id = EXCLUDED.project_id, client_email = EXCLUDED.client_email, sealed_service_account = EXCLUDED.sealed_service_account,
         version = nextval('knox_push_settings_version'), updated_at = date_trunc('milliseconds', now())
       RETURNING ${infoColumns}`,
      [tenantId, settings.projectId, settings.clientEmail, settings.sealedServiceAccount],
    );
    return toInfo(rows[0]!);
  }

  /** Removes the tenant's settings; whether there were any. */
  async delete(tenantId: string): Promise<boolean> {
    const rows = await this.#db.query('DELETE FROM knox_push_settings WHERE tenant_id = $1 RETURNING 1', [tenantId]);
    return rows.length > 0;
  }
}
