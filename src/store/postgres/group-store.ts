import { conflict } from '../../domain/errors.ts';
import type { ListQuery, Page } from '../list-query.ts';
import type { Queryable } from '../db.ts';
import { isoTime, listPage, type SortKey } from './list-sql.ts';
import { pgErrorCode, pgErrorCodes } from './pg-errors.ts';

export interface GroupRecord {
  id: string;
  displayName: string;
  description: string | null;
  /** The provisioning client's own id for the group (SCIM `externalId`); not unique. */
  externalId: string | null;
  mailNickname: string | null;
  /** Graph's group kind, kept as given (Envelope's groups are security groups either way). */
  mailEnabled: boolean;
  securityEnabled: boolean;
  groupTypes: string[];
  createdDateTime: string;
}

export type GroupFields = Omit<GroupRecord, 'id' | 'createdDateTime'>;

/** An exact match on one attribute, as SCIM filters ask for (`displayName eq "…"`, case-insensitive). */
export interface GroupMatch {
  attribute: 'id' | 'externalId' | 'displayName';
  value: string;
}

const matchSql: Record<GroupMatch['attribute'], string> = {
  id: 'g.id::text = $2',
  externalId: 'g.external_id = $2',
  displayName: 'lower(g.display_name) = lower($2)',
};

/** A group member: a user or a managed device. */
export interface MemberRef {
  kind: 'user' | 'device';
  id: string;
}

interface GroupRow {
  id: string;
  display_name: string;
  description: string | null;
  external_id: string | null;
  mail_nickname: string | null;
  mail_enabled: boolean;
  security_enabled: boolean;
  group_types: string[] | string;
  created_at: Date | string;
}

const columns = 'g.id, g.display_name, g.description, g.external_id, g.mail_nickname, g.mail_enabled, g.security_enabled, g.group_types, g.created_at';
const filterColumns = {
  id: 'g.id',
  displayName: 'g.display_name',
  description: 'g.description',
  mailNickname: 'g.mail_nickname',
  mailEnabled: 'g.mail_enabled',
  securityEnabled: 'g.security_enabled',
} as const;
export const groupFilterFields = Object.keys(filterColumns);
/** Graph property -> indexed sort key, for $orderby (migration 0017). */
const sortKeys: Record<string, SortKey> = { displayName: { sql: 'g.display_name', kind: 'text' } };
export const groupSortFields = ['createdDateTime', ...Object.keys(sortKeys)];
export const groupSearchFields = ['displayName', 'description'];

const toGroup = (row: GroupRow): GroupRecord => ({
  id: row.id,
  displayName: row.display_name,
  description: row.description,
  externalId: row.external_id,
  mailNickname: row.mail_nickname,
  mailEnabled: row.mail_enabled,
  securityEnabled: row.security_enabled,
  groupTypes: typeof row.group_types === 'string' ? (JSON.parse(row.group_types) as string[]) : row.group_types,
  createdDateTime: isoTime(row.created_at)!,
});

/** Groups of users and devices, and their direct members, per tenant. */
export class GroupStore {
  readonly #db: Queryable;

  constructor(db: Queryable) {
    this.#db = db;
  }

  list(tenantId: string, query: ListQuery): Promise<Page<GroupRecord>> {
    return listPage<GroupRow, GroupRecord>(
      this.#db,
      { from: 'groups g', alias: 'g', select: columns, tenantId, columns: filterColumns, sortKeys, toItem: toGroup },
      query,
    );
  }

  async get(tenantId: string, id: string): Promise<GroupRecord | null> {
    const rows = await this.#db.query<GroupRow>(`SELECT ${columns} FROM groups g WHERE g.tenant_id = $1 AND g.id = $2`, [tenantId, id]);
    return rows[0] ? toGroup(rows[0]) : null;
  }

  /**
   * Which of `ids` exist in the tenant. Inside a transaction they stay that way until it ends: each is
   * locked `FOR KEY SHARE`, so a concurrent delete waits and then sees any assignment this transaction
   * made (and answers 409), instead of the assignment failing on a vanished group. `lock: false`
   * (the dry run) only reads.
   */
  async existing(tenantId: string, ids: readonly string[], options: { lock: boolean } = { lock: true }): Promise<Set<string>> {
    if (ids.length === 0) return new Set();
    const rows = await this.#db.query<{ id: string }>(
      `SELECT id FROM groups WHERE tenant_id = $1 AND id = ANY($2::uuid[]) ORDER BY id${options.lock ? ' FOR KEY SHARE' : ''}`,
      [tenantId, ids],
    );
    return new Set(rows.map((r) => r.id));
  }

  /**
   * Creates the group with its first `members` in one statement: a member deleted meanwhile fails
   * the whole creation with a 409, leaving no group behind.
   */
  async insert(tenantId: string, id: string, fields: GroupFields, members: readonly MemberRef[] = []): Promise<GroupRecord> {
    try {
      const rows = await this.#db.query<GroupRow>(
        `WITH g AS (
           INSERT INTO groups AS g (tenant_id, id, display_name, description, external_id, mail_nickname, mail_enabled, security_enabled, group_types)
           VALUES ($1, $2, $3, $4, $7, $8, $9, $10, $11::jsonb) RETURNING ${columns}
         ), m AS (${insertMembersSql('g', '$5', '$6')} ON CONFLICT DO NOTHING)
         SELECT * FROM g`,
        [tenantId, id, fields.displayName, fields.description, ...memberIdArrays(members), ...extraValues(fields)],
      );
      return toGroup(rows[0]!);
    } catch (error) {
      throw mapGroupError(error, fields.displayName);
    }
  }

  /** Updates the group and adds `members` (existing members are kept) in one statement; null if it does not exist. */
  async update(tenantId: string, id: string, fields: GroupFields, members: readonly MemberRef[] = []): Promise<GroupRecord | null> {
    try {
      const rows = await this.#db.query<GroupRow>(
        `WITH g AS (
           UPDATE groups AS g SET display_name = $3, description = $4, external_id = $7, mail_nickname = $8, mail_enabled = $9,
             security_enabled = $10, group_types = $11::jsonb
           WHERE g.tenant_id = $1 AND g.id = $2 RETURNING ${columns}
         ), m AS (${insertMembersSql('g', '$5', '$6')} ON CONFLICT DO NOTHING)
         SELECT * FROM g`,
        [tenantId, id, fields.displayName, fields.description, ...memberIdArrays(members), ...extraValues(fields)],
      );
      return rows[0] ? toGroup(rows[0]) : null;
    } catch (error) {
      throw mapGroupError(error, fields.displayName);
    }
  }

  /** SCIM's offset paging: groups matching `match` (all when null) in creation order, with the total. */
  async findPage(tenantId: string, match: GroupMatch | null, offset: number, count: number): Promise<{ total: number; items: GroupRecord[] }> {
    const where = match ? `g.tenant_id = $1 AND ${matchSql[match.attribute]}` : 'g.tenant_id = $1';
    const params: unknown[] = match ? [tenantId, match.value] : [tenantId];
    const [counted] = await this.#db.query<{ n: number }>(`SELECT count(*)::int AS n FROM groups g WHERE ${where}`, params);
    const rows = count === 0 ? [] : await this.#db.query<GroupRow>(
      `SELECT ${columns} FROM groups g WHERE ${where} ORDER BY g.created_at, g.id
       LIMIT $${params.length + 1} OFFSET $${params.length + 2}`,
      [...params, count, offset],
    );
    return { total: counted?.n ?? 0, items: rows.map(toGroup) };
  }

  /** The group's user members (ids), in the order they were added; device members are not listed. */
  async userMemberIds(tenantId: string, groupId: string): Promise<string[]> {
    const rows = await this.#db.query<{ user_id: string }>(
      'SELECT user_id FROM group_members WHERE tenant_id = $1 AND group_id = $2 AND user_id IS NOT NULL ORDER BY added_at, user_id',
      [tenantId, groupId],
    );
    return rows.map((r) => r.user_id);
  }

  /** Removes the given users from the group (absent ones are ignored); returns how many were removed. */
  async removeUsers(tenantId: string, groupId: string, userIds: readonly string[]): Promise<number> {
    if (userIds.length === 0) return 0;
    const rows = await this.#db.query(
      'DELETE FROM group_members WHERE tenant_id = $1 AND group_id = $2 AND user_id = ANY($3::uuid[]) RETURNING user_id',
      [tenantId, groupId, userIds],
    );
    return rows.length;
  }

  /** Deletes the group and its memberships; 409 naming the profiles while it is assigned to any. */
  async delete(tenantId: string, id: string): Promise<boolean> {
    const profiles = await this.#db.query<{ display_name: string }>(
      `SELECT DISTINCT c.display_name FROM device_configuration_assignments a
       JOIN device_configurations c ON c.tenant_id = a.tenant_id AND c.id = a.configuration_id
       WHERE a.tenant_id = $1 AND a.group_id = $2 ORDER BY c.display_name`,
      [tenantId, id],
    );
    if (profiles.length > 0) {
      throw conflict(
        `The group is assigned to ${profiles.length} profile(s) (${profiles.map((p) => `'${p.display_name}'`).join(', ')}); ` +
          'remove those assignments first.',
        'id',
      );
    }
    try {
      const rows = await this.#db.query('DELETE FROM groups WHERE tenant_id = $1 AND id = $2 RETURNING id', [tenantId, id]);
      return rows.length > 0;
    } catch (error) {
      if (pgErrorCode(error) === pgErrorCodes.foreignKeyViolation) {
        throw conflict('The group was assigned to a profile meanwhile; remove that assignment first.', 'id');
      }
      throw error;
    }
  }

  /** Resolves a directory object id to a user or device of the tenant. */
  async findMemberObject(tenantId: string, id: string): Promise<MemberRef | null> {
    const rows = await this.#db.query<{ kind: 'user' | 'device' }>(
      `SELECT 'user' AS kind FROM users WHERE tenant_id = $1 AND id = $2
       UNION ALL SELECT 'device' FROM managed_devices WHERE tenant_id = $1 AND id = $2`,
      [tenantId, id],
    );
    return rows[0] ? { kind: rows[0].kind, id } : null;
  }

  /**
   * Adds members; returns those that were already members (nothing is added when any is). A member or
   * the group deleted by a concurrent request is a 409.
   */
  async addMembers(tenantId: string, groupId: string, members: readonly MemberRef[]): Promise<MemberRef[]> {
    const rows = await this.#db.query<{ id: string; kind: 'user' | 'device' }>(
      `${insertMembersSql('(SELECT $2::uuid AS id) g', '$3', '$4')}
       ON CONFLICT DO NOTHING
       RETURNING COALESCE(user_id, device_id) AS id, CASE WHEN user_id IS NULL THEN 'device' ELSE 'user' END AS kind`,
      [tenantId, groupId, ...memberIdArrays(members)],
    ).catch((error: unknown) => {
      if (pgErrorCode(error) === pgErrorCodes.foreignKeyViolation) {
        throw conflict('The group or one of the new members was deleted meanwhile; check them and retry.', 'members@odata.bind');
      }
      throw error;
    });
    const added = new Set(rows.map((r) => r.id));
    return members.filter((m) => !added.has(m.id));
  }

  async removeMember(tenantId: string, groupId: string, memberId: string): Promise<boolean> {
    const rows = await this.#db.query(
      'DELETE FROM group_members WHERE tenant_id = $1 AND group_id = $2 AND (user_id = $3 OR device_id = $3) RETURNING group_id',
      [tenantId, groupId, memberId],
    );
    return rows.length > 0;
  }

  /**
   * Direct members (users and devices), keyset-paged in the order they were added. `added_at` keeps
   * microseconds on PostgreSQL while cursors carry milliseconds, so the order key is truncated to
   * milliseconds like every other table's `created_at` — or a page's last member would come back.
   */
  async listMembers(tenantId: string, groupId: string, query: ListQuery): Promise<Page<MemberRef>> {
    return listPage<{ id: string; kind: 'user' | 'device'; created_at: Date | string }, MemberRef>(
      this.#db,
      {
        from: `(SELECT tenant_id, group_id, COALESCE(user_id, device_id) AS id,
                  CASE WHEN user_id IS NULL THEN 'device' ELSE 'user' END AS kind,
                  date_trunc('milliseconds', added_at) AS created_at
                FROM group_members) m`,
        alias: 'm',
        select: 'm.id, m.kind, m.created_at',
        tenantId,
        columns: { id: 'm.id' },
        extraWhere: { sql: 'm.group_id = $1', params: [groupId] },
        toItem: (row) => ({ kind: row.kind, id: row.id }),
      },
      query,
    );
  }
}

/**
 * `INSERT INTO group_members` of the user ids in array parameter `users` and the device ids in
 * `devices`, for each group row of `groups` (a relation `g` with an `id`; none: nothing is inserted).
 * The tenant is `$1`.
 */
function insertMembersSql(groups: string, users: string, devices: string): string {
  return `INSERT INTO group_members (tenant_id, group_id, user_id, device_id)
       SELECT $1::uuid, g.id, u, NULL::uuid FROM ${groups}, unnest(${users}::uuid[]) AS u
       UNION ALL SELECT $1::uuid, g.id, NULL::uuid, d FROM ${groups}, unnest(${devices}::uuid[]) AS d`;
}

function memberIdArrays(members: readonly MemberRef[]): [string[], string[]] {
  return [members.filter((m) => m.kind === 'user').map((m) => m.id), members.filter((m) => m.kind === 'device').map((m) => m.id)];
}

function extraValues(fields: GroupFields): unknown[] {
  return [fields.externalId, fields.mailNickname, fields.mailEnabled, fields.securityEnabled, JSON.stringify(fields.groupTypes)];
}

function mapGroupError(error: unknown, name: string): unknown {
  switch (pgErrorCode(error)) {
    case pgErrorCodes.uniqueViolation:
      return conflict(`Another group is already named '${name}'.`, 'displayName');
    case pgErrorCodes.foreignKeyViolation:
      return conflict('A new member was deleted meanwhile; check members@odata.bind and retry.', 'members@odata.bind');
    default:
      return error;
  }
}
