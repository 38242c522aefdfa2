import type { Queryable } from '../db.ts';
import { isoTime } from './list-sql.ts';

/** A tenant's WNS app identity without its secret (what the admin API shows). */
export interface StoredWindowsPushSettingsInfo {
  /** `ms-app://S-1-15-2-…`. */
  packageSid: string;
  /** What PCs get at `DMClient/Provider/<id>/Push/PFN`; null when not configured. */
  packageFamilyName: string | null;
  /** Changes with every PUT (one sequence for all tenants, so also after a DELETE and a new PUT). */
  version: number;
  updatedDateTime: string;
}

/** The whole record, the client secret sealed (the store never sees it in clear). */
export interface StoredWindowsPushSettings extends StoredWindowsPushSettingsInfo {
  sealedClientSecret: Buffer;
}

interface SettingsRow {
  package_sid: string;
  package_family_name: string | null;
  version: number;
  updated_at: Date | string;
}

const infoColumns = 'package_sid, package_family_name, version, updated_at';

function toInfo(row: SettingsRow): StoredWindowsPushSettingsInfo {
  return { packageSid: row.package_sid, packageFamilyName: row.package_family_name, version: row.version, updatedDateTime: isoTime(row.updated_at)! };
}

/** One WNS app identity (Package SID and sealed client secret) per tenant: `windows_push_settings`, migration 0009. */
export class WindowsPushSettingsStore {
  readonly #db: Queryable;

  constructor(db: Queryable) {
    this.#db = db;
  }

  async getInfo(tenantId: string): Promise<StoredWindowsPushSettingsInfo | null> {
    const rows = await this.#db.query<SettingsRow>(`SELECT ${infoColumns} FROM windows_push_settings WHERE tenant_id = $1`, [tenantId]);
    return rows[0] ? toInfo(rows[0]) : null;
  }

  /** The whole record, for the WNS client. */
  async get(tenantId: string): Promise<StoredWindowsPushSettings | null> {
    const rows = await this.#db.query<SettingsRow & { sealed_client_secret: Uint8Array }>(
      `SELECT ${infoColumns}, sealed_client_secret FROM windows_push_settings WHERE tenant_id = $1`,
      [tenantId],
    );
    const row = rows[0];
    return row ? { ...toInfo(row), sealedClientSecret: Buffer.from(row.sealed_client_secret) } : null;
  }

  /** Inserts the tenant's settings or replaces them; either way the version changes. */
  async put(tenantId: string, settings: { packageSid: string; packageFamilyName: string | null; sealedClientSecret: Buffer }): Promise<StoredWindowsPushSettingsInfo> {
    const rows = await this.#db.query<SettingsRow>(
      `INSERT INTO windows_push_settings (tenant_id, package_sid, package_family_name, sealed_client_secret)
       VALUES ($1, $2, $4, $3)
       ON CONFLICT (tenant_id) DO UPDATE SET
         package_sid = EXCLUDED.package_sid, package_family_name = EXCLUDED.package_family_name, sealed_client_secret = EXCLUDED.sealed_client_secret,
         version = nextval('windows_push_settings_version'), updated_at = date_trunc('milliseconds', now())
       RETURNING ${infoColumns}`,
      [tenantId, settings.packageSid, settings.sealedClientSecret, settings.packageFamilyName],
    );
    return toInfo(rows[0]!);
  }

  /** Removes the tenant's settings; whether there were any. */
  async delete(tenantId: string): Promise<boolean> {
    const rows = await this.#db.query('DELETE FROM windows_push_settings WHERE tenant_id = $1 RETURNING 1', [tenantId]);
    return rows.length > 0;
  }
}
