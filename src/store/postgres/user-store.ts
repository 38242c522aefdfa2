import type { DirectoryUser } from '../../domain/directory.ts';
import { conflict } from '../../domain/errors.ts';
import type { ListQuery, Page } from '../list-query.ts';
import type { Queryable } from '../db.ts';
import { isoTime, listPage, type SortKey } from './list-sql.ts';
import { pgErrorCode, pgErrorCodes } from './pg-errors.ts';

export interface UserRecord extends DirectoryUser {
  createdDateTime: string;
}

export type UserFields = Omit<DirectoryUser, 'id'>;

export interface UserRow {
  id: string;
  display_name: string;
  user_principal_name: string;
  mail: string | null;
  on_premises_sam_account_name: string | null;
  on_premises_domain_name: string | null;
  on_premises_net_bios_name: string | null;
  created_at: Date | string;
}

const columns = `u.id, u.display_name, u.user_principal_name, u.mail, u.on_premises_sam_account_name,
  u.on_premises_domain_name, u.on_premises_net_bios_name, u.created_at`;

/** Graph property -> SQL column, for $filter. */
const filterColumns = {
  id: 'u.id',
  displayName: 'u.display_name',
  userPrincipalName: 'u.user_principal_name',
  mail: 'u.mail',
  onPremisesSamAccountName: 'u.on_premises_sam_account_name',
  onPremisesDomainName: 'u.on_premises_domain_name',
  onPremisesNetBiosName: 'u.on_premises_net_bios_name',
} as const;
export const userFilterFields = Object.keys(filterColumns);
/** Graph property -> indexed sort key, for $orderby (migration 0017). */
const sortKeys: Record<string, SortKey> = {
  displayName: { sql: 'u.display_name', kind: 'text' },
  userPrincipalName: { sql: 'u.user_principal_name', kind: 'text' },
};
export const userSortFields = ['createdDateTime', ...Object.keys(sortKeys)];
export const userSearchFields = ['displayName', 'userPrincipalName', 'mail'];

export function toUser(row: UserRow): UserRecord {
  return {
    id: row.id,
    displayName: row.display_name,
    userPrincipalName: row.user_principal_name,
    mail: row.mail,
    onPremisesSamAccountName: row.on_premises_sam_account_name,
    onPremisesDomainName: row.on_premises_domain_name,
    onPremisesNetBiosName: row.on_premises_net_bios_name,
    createdDateTime: isoTime(row.created_at)!,
  };
}

/** Directory users of one tenant. Every method takes the tenant id first; nothing crosses tenants. */
export class UserStore {
  readonly #db: Queryable;

  constructor(db: Queryable) {
    this.#db = db;
  }

  list(tenantId: string, query: ListQuery): Promise<Page<UserRecord>> {
    return listPage<UserRow, UserRecord>(
      this.#db,
      { from: 'users u', alias: 'u', select: columns, tenantId, columns: filterColumns, sortKeys, toItem: toUser },
      query,
    );
  }

  async get(tenantId: string, id: string): Promise<UserRecord | null> {
    const rows = await this.#db.query<UserRow>(`SELECT ${columns} FROM users u WHERE u.tenant_id = $1 AND u.id = $2`, [tenantId, id]);
    return rows[0] ? toUser(rows[0]) : null;
  }

  /** Users by id (missing ids are simply absent from the result). */
  async getMany(tenantId: string, ids: readonly string[]): Promise<UserRecord[]> {
    if (ids.length === 0) return [];
    const rows = await this.#db.query<UserRow>(`SELECT ${columns} FROM users u WHERE u.tenant_id = $1 AND u.id = ANY($2::uuid[])`, [tenantId, ids]);
    return rows.map(toUser);
  }

  async insert(tenantId: string, id: string, fields: UserFields): Promise<UserRecord> {
    try {
      const rows = await this.#db.query<UserRow>(
        `INSERT INTO users AS u (tenant_id, id, display_name, user_principal_name, mail, on_premises_sam_account_name,
           on_premises_domain_name, on_premises_net_bios_name)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING ${columns}`,
        [tenantId, id, fields.displayName, fields.userPrincipalName, fields.mail, fields.onPremisesSamAccountName,
          fields.onPremisesDomainName, fields.onPremisesNetBiosName],
      );
      return toUser(rows[0]!);
    } catch (error) {
      throw mapUserError(error, fields.userPrincipalName);
    }
  }

  async update(tenantId: string, id: string, fields: UserFields): Promise<UserRecord | null> {
    try {
      const rows = await this.#db.query<UserRow>(
        `UPDATE users AS u SET display_name = $3, user_principal_name = $4, mail = $5, on_premises_sam_account_name = $6,
           on_premises_domain_name = $7, on_premises_net_bios_name = $8
         WHERE u.tenant_id = $1 AND u.id = $2 RETURNING ${columns}`,
        [tenantId, id, fields.displayName, fields.userPrincipalName, fields.mail, fields.onPremisesSamAccountName,
          fields.onPremisesDomainName, fields.onPremisesNetBiosName],
      );
      return rows[0] ? toUser(rows[0]) : null;
    } catch (error) {
      throw mapUserError(error, fields.userPrincipalName);
    }
  }

  /**
   * Deletes the user and their group memberships. Returns false when there is no such user; throws 409
   * when the user is still the primary user of devices (they would be left without one silently).
   */
  async delete(tenantId: string, id: string): Promise<boolean> {
    const devices = await this.#db.query<{ device_name: string }>(
      'SELECT device_name FROM managed_devices WHERE tenant_id = $1 AND user_id = $2 ORDER BY device_name LIMIT 6',
      [tenantId, id],
    );
    if (devices.length > 0) {
      const names = devices.slice(0, 5).map((d) => `'${d.device_name}'`).join(', ');
      throw conflict(
        `The user is the primary user of ${devices.length > 5 ? 'more than 5 devices' : `${devices.length} device(s)`} (${names}); ` +
          'change or clear their primary user (userId) first.',
        'id',
      );
    }
    try {
      const rows = await this.#db.query('DELETE FROM users WHERE tenant_id = $1 AND id = $2 RETURNING id', [tenantId, id]);
      return rows.length > 0;
    } catch (error) {
      if (pgErrorCode(error) === pgErrorCodes.foreignKeyViolation) {
        throw conflict('The user became the primary user of a device meanwhile; retry after changing it.', 'id');
      }
      throw error;
    }
  }
}

function mapUserError(error: unknown, upn: string): unknown {
  if (pgErrorCode(error) === pgErrorCodes.uniqueViolation) {
    return conflict(`Another user already has userPrincipalName '${upn}'.`, 'userPrincipalName');
  }
  return error;
}
