import { conflict } from '../../domain/errors.ts';
import type { Profile, ProfileDraft, ProfileType } from '../../domain/profiles/index.ts';
import type { ListQuery, Page } from '../list-query.ts';
import type { Queryable } from '../db.ts';
import { isoTime, listPage, type SortKey } from './list-sql.ts';
import { pgErrorCode, pgErrorCodes } from './pg-errors.ts';

interface ProfileRow {
  id: string;
  odata_type: ProfileType;
  display_name: string;
  description: string | null;
  role_scope_tag_ids: string[];
  settings: Record<string, unknown>;
  version: number;
  identity_certificate_id: string | null;
  smime_signing_certificate_id: string | null;
  smime_encryption_certificate_id: string | null;
  root_certificate_id: string | null;
  created_at: Date | string;
  updated_at: Date | string;
}

const columns = `p.id, p.odata_type, p.display_name, p.description, p.role_scope_tag_ids, p.settings, p.version,
  p.identity_certificate_id, p.smime_signing_certificate_id, p.smime_encryption_certificate_id, p.root_certificate_id,
  p.created_at, p.updated_at`;

const filterColumns = {
  id: 'p.id',
  '@odata.type': 'p.odata_type',
  displayName: 'p.display_name',
  description: 'p.description',
  version: 'p.version',
} as const;
export const profileFilterFields = Object.keys(filterColumns);
/** Graph property -> indexed sort key, for $orderby (migration 0017). */
const sortKeys: Record<string, SortKey> = { displayName: { sql: 'p.display_name', kind: 'text' } };
export const profileSortFields = ['createdDateTime', ...Object.keys(sortKeys)];

function toProfile(row: ProfileRow): Profile {
  return {
    id: row.id,
    odataType: row.odata_type,
    displayName: row.display_name,
    description: row.description,
    roleScopeTagIds: row.role_scope_tag_ids,
    settings: row.settings,
    links: {
      identityCertificate: row.identity_certificate_id,
      smimeSigningCertificate: row.smime_signing_certificate_id,
      smimeEncryptionCertificate: row.smime_encryption_certificate_id,
      rootCertificate: row.root_certificate_id,
    },
    version: row.version,
    createdDateTime: isoTime(row.created_at)!,
    lastModifiedDateTime: isoTime(row.updated_at)!,
  };
}

function draftParams(draft: ProfileDraft): unknown[] {
  return [
    draft.odataType,
    draft.displayName,
    draft.description,
    JSON.stringify(draft.roleScopeTagIds),
    JSON.stringify(draft.settings),
    draft.links.identityCertificate,
    draft.links.smimeSigningCertificate,
    draft.links.smimeEncryptionCertificate,
    draft.links.rootCertificate,
  ];
}

/** Device configurations (email and certificate profiles) of one tenant. */
export class ProfileStore {
  readonly #db: Queryable;

  constructor(db: Queryable) {
    this.#db = db;
  }

  list(tenantId: string, query: ListQuery): Promise<Page<Profile>> {
    return listPage<ProfileRow, Profile>(
      this.#db,
      { from: 'device_configurations p', alias: 'p', select: columns, tenantId, columns: filterColumns, sortKeys, toItem: toProfile },
      query,
    );
  }

  async get(tenantId: string, id: string): Promise<Profile | null> {
    const rows = await this.#db.query<ProfileRow>(`SELECT ${columns} FROM device_configurations p WHERE p.tenant_id = $1 AND p.id = $2`, [tenantId, id]);
    return rows[0] ? toProfile(rows[0]) : null;
  }

  /**
   * Locks the profile row `FOR UPDATE` until the surrounding transaction ends, so that writes which
   * replace a profile's dependent rows (its assignment set) run one after another; false if it does
   * not exist in the tenant.
   */
  async lockForUpdate(tenantId: string, id: string): Promise<boolean> {
    const rows = await this.#db.query('SELECT 1 FROM device_configurations WHERE tenant_id = $1 AND id = $2 FOR UPDATE', [tenantId, id]);
    return rows.length > 0;
  }

  async getMany(tenantId: string, ids: readonly string[]): Promise<Profile[]> {
    if (ids.length === 0) return [];
    const rows = await this.#db.query<ProfileRow>(`SELECT ${columns} FROM device_configurations p WHERE p.tenant_id = $1 AND p.id = ANY($2::uuid[])`, [tenantId, ids]);
    return rows.map(toProfile);
  }

  /** The types of those `ids` that exist in the tenant (for certificate-link checks). */
  async typesOf(tenantId: string, ids: readonly string[]): Promise<Map<string, ProfileType>> {
    if (ids.length === 0) return new Map();
    const rows = await this.#db.query<{ id: string; odata_type: ProfileType }>(
      'SELECT id, odata_type FROM device_configurations WHERE tenant_id = $1 AND id = ANY($2::uuid[])',
      [tenantId, ids],
    );
    return new Map(rows.map((r) => [r.id, r.odata_type]));
  }

  async insert(tenantId: string, id: string, draft: ProfileDraft): Promise<Profile> {
    try {
      const rows = await this.#db.query<ProfileRow>(
        `INSERT INTO device_configurations AS p (tenant_id, id, odata_type, display_name, description, role_scope_tag_ids, settings,
           identity_certificate_id, smime_signing_certificate_id, smime_encryption_certificate_id, root_certificate_id)
         VALUES ($1, $2, $3, $4, $5, $6::jsonb, $7::jsonb, $8, $9, $10, $11) RETURNING ${columns}`,
        [tenantId, id, ...draftParams(draft)],
      );
      return toProfile(rows[0]!);
    } catch (error) {
      throw mapProfileError(error, draft);
    }
  }

  /**
   * Replaces the profile's content and bumps `version`, only if it is still at `expectedVersion`
   * (optimistic concurrency: a concurrent PATCH makes this return null instead of losing an update).
   */
  async update(tenantId: string, id: string, draft: ProfileDraft, expectedVersion: number): Promise<Profile | null> {
    try {
      const rows = await this.#db.query<ProfileRow>(
        `UPDATE device_configurations AS p SET odata_type = $3, display_name = $4, description = $5, role_scope_tag_ids = $6::jsonb,
           settings = $7::jsonb, identity_certificate_id = $8, smime_signing_certificate_id = $9,
           smime_encryption_certificate_id = $10, root_certificate_id = $11, version = p.version + 1,
           updated_at = date_trunc('milliseconds', now())
         WHERE p.tenant_id = $1 AND p.id = $2 AND p.version = $12 RETURNING ${columns}`,
        [tenantId, id, ...draftParams(draft), expectedVersion],
      );
      return rows[0] ? toProfile(rows[0]) : null;
    } catch (error) {
      throw mapProfileError(error, draft);
    }
  }

  /** Deletes the profile and its assignments; 409 naming the profiles that still use it as a certificate. */
  async delete(tenantId: string, id: string): Promise<boolean> {
    const users = await this.#db.query<{ display_name: string }>(
      `SELECT display_name FROM device_configurations WHERE tenant_id = $1 AND id <> $2 AND $2 IN
         (identity_certificate_id, smime_signing_certificate_id, smime_encryption_certificate_id, root_certificate_id)
       ORDER BY display_name`,
      [tenantId, id],
    );
    if (users.length > 0) {
      throw conflict(
        `The profile is used as a certificate by ${users.map((u) => `'${u.display_name}'`).join(', ')}; unlink or delete those first.`,
        'id',
      );
    }
    try {
      const rows = await this.#db.query('DELETE FROM device_configurations WHERE tenant_id = $1 AND id = $2 RETURNING id', [tenantId, id]);
      return rows.length > 0;
    } catch (error) {
      if (pgErrorCode(error) === pgErrorCodes.foreignKeyViolation) {
        throw conflict('Another profile started using this one as a certificate meanwhile; unlink it first.', 'id');
      }
      throw error;
    }
  }
}

function mapProfileError(error: unknown, draft: ProfileDraft): unknown {
  switch (pgErrorCode(error)) {
    case pgErrorCodes.uniqueViolation:
      return conflict(`Another profile is already named '${draft.displayName}'.`, 'displayName');
    case pgErrorCodes.foreignKeyViolation:
      return conflict('A linked certificate profile was deleted meanwhile; bind an existing one.', 'identityCertificate@odata.bind');
    default:
      return error;
  }
}
