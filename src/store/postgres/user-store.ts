import type { DirectoryUser } from '../../domain/directory.ts';
import { conflict } from '../../domain/errors.ts';
import type { ListQuery, Page } from '../list-query.ts';
import type { Queryable } from '../db.ts';
import { isoTime, listPage, type SortKey } from './list-sql.ts';
import { pgErrorCode, pgErrorCodes } from './pg-errors.ts';

/** A stored user: the attributes profiles use plus what Graph and SCIM clients provision beside them. */
export interface UserRecord extends DirectoryUser {
  /** Graph `accountEnabled`, SCIM `active`. A disabled user keeps their devices and profiles (decision 0021). */
  accountEnabled: boolean;
  /** The provisioning client's own id for the user (SCIM `externalId`); not unique. */
  externalId: string | null;
  givenName: string | null;
  surname: string | null;
  mailNickname: string | null;
  /** SCIM attributes Envelope keeps for the client without using them (see migration 0014). */
  scimAttributes: Record<string, unknown>;
  createdDateTime: string;
}

export type UserFields = Omit<UserRecord, 'id' | 'createdDateTime'>;

/** An exact match on one attribute, as SCIM filters ask for (`userName eq "…"`): UPN and display name case-insensitively. */
export interface UserMatch {
  attribute: 'id' | 'userPrincipalName' | 'externalId' | 'displayName';
  value: string;
}

export interface UserRow {
  id: string;
  display_name: string;
  user_principal_name: string;
  mail: string | null;
  on_premises_sam_account_name: string | null;
  on_premises_domain_name: string | null;
  on_premises_net_bios_name: string | null;
  account_enabled: boolean;
  external_id: string | null;
  given_name: string | null;
  surname: string | null;
  mail_nickname: string | null;
  scim_attributes: Record<string, unknown> | string;
  created_at: Date | string;
}

const columns = `u.id, u.display_name, u.user_principal_name, u.mail, u.on_premises_sam_account_name,
  u.on_premises_domain_name, u.on_premises_net_bios_name, u.account_enabled, u.external_id, u.given_name,
  u.surname, u.mail_nickname, u.scim_attributes, u.created_at`;

/** Columns written by insert and update, in the order of `fieldValues`. */
const writtenColumns = ['display_name', 'user_principal_name', 'mail', 'on_premises_sam_account_name', 'on_premises_domain_name',
  'on_premises_net_bios_name', 'account_enabled', 'external_id', 'given_name', 'surname', 'mail_nickname', 'scim_attributes'];

function fieldValues(fields: UserFields): unknown[] {
  return [fields.displayName, fields.userPrincipalName, fields.mail, fields.onPremisesSamAccountName, fields.onPremisesDomainName,
    fields.onPremisesNetBiosName, fields.accountEnabled, fields.externalId, fields.givenName, fields.surname, fields.mailNickname,
    JSON.stringify(fields.scimAttributes)];
}

const matchSql: Record<UserMatch['attribute'], string> = {
  id: 'u.id::text = $2',
  userPrincipalName: 'lower(u.user_principal_name) = lower($2)',
  externalId: 'u.external_id = $2',
  displayName: 'lower(u.display_name) = lower($2)',
};

/** Graph property -> SQL column, for $filter. */
const filterColumns = {
  id: 'u.id',
  displayName: 'u.display_name',
  userPrincipalName: 'u.user_principal_name',
  mail: 'u.mail',
  onPremisesSamAccountName: 'u.on_premises_sam_account_name',
  onPremisesDomainName: 'u.on_premises_domain_name',
  onPremisesNetBiosName: 'u.on_premises_net_bios_name',
  accountEnabled: 'u.account_enabled',
  givenName: 'u.given_name',
  surname: 'u.surname',
  mailNickname: 'u.mail_nickname',
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
    accountEnabled: row.account_enabled,
    externalId: row.external_id,
    givenName: row.given_name,
    surname: row.surname,
    mailNickname: row.mail_nickname,
    scimAttributes: typeof row.scim_attributes === 'string' ? (JSON.parse(row.scim_attributes) as Record<string, unknown>) : (row.scim_attributes ?? {}),
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
        `INSERT INTO users AS u (tenant_id, id, ${writtenColumns.join(', ')})
         VALUES ($1, $2, ${writtenColumns.map((_, i) => `$${i + 3}`).join(', ')}) RETURNING ${columns}`,
        [tenantId, id, ...fieldValues(fields)],
      );
      return toUser(rows[0]!);
    } catch (error) {
      throw mapUserError(error, fields.userPrincipalName);
    }
  }

  async update(tenantId: string, id: string, fields: UserFields): Promise<UserRecord | null> {
    try {
      const rows = await this.#db.query<UserRow>(
        `UPDATE users AS u SET ${writtenColumns.map((c, i) => `${c} = $${i + 3}`).join(', ')}
         WHERE u.tenant_id = $1 AND u.id = $2 RETURNING ${columns}`,
        [tenantId, id, ...fieldValues(fields)],
      );
      return rows[0] ? toUser(rows[0]) : null;
    } catch (error) {
      throw mapUserError(error, fields.userPrincipalName);
    }
  }

  /** The user whose UPN is `upn` (case-insensitive, as Graph's `/users/{userPrincipalName}`), or null. */
  async findByUserPrincipalName(tenantId: string, upn: string): Promise<UserRecord | null> {
    const rows = await this.#db.query<UserRow>(
      `SELECT ${columns} FROM users u WHERE u.tenant_id = $1 AND lower(u.user_principal_name) = lower($2)`,
      [tenantId, upn],
    );
    return rows[0] ? toUser(rows[0]) : null;
  }

  /**
   * SCIM's offset paging: users matching `match` (all when null) in creation order, `count` of them
   * from the zero-based `offset`, with the total. Each match uses an index; a full list is for the
   * small directories SCIM clients list without a filter (Entra and Okta always filter).
   */
  async findPage(tenantId: string, match: UserMatch | null, offset: number, count: number): Promise<{ total: number; items: UserRecord[] }> {
    const where = match ? `u.tenant_id = $1 AND ${matchSql[match.attribute]}` : 'u.tenant_id = $1';
    const params: unknown[] = match ? [tenantId, match.value] : [tenantId];
    const [counted] = await this.#db.query<{ n: number }>(`SELECT count(*)::int AS n FROM users u WHERE ${where}`, params);
    const rows = count === 0 ? [] : await this.#db.query<UserRow>(
      `SELECT ${columns} FROM users u WHERE ${where} ORDER BY u.created_at, u.id
       LIMIT $${params.length + 1} OFFSET $${params.length + 2}`,
      [...params, count, offset],
    );
    return { total: counted?.n ?? 0, items: rows.map(toUser) };
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
