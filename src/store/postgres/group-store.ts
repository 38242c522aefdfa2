import { conflict } from '../../domain/errors.ts';
import type { ListQuery, Page } from '../list-query.ts';
import type { Queryable } from '../db.ts';
import { isoTime, listPage, type SortKey } from './list-sql.ts';
import { pgErrorCode, pgErrorCodes } from './pg-errors.ts';

export interface GroupRecord {
  id: string;
  displayName: string;
  description: string | null;
  createdDateTime: string;
}

export type GroupFields = Pick<GroupRecord, 'displayName' | 'description'>;

/** A group member: a user or a managed device. */
export interface MemberRef {
  kind: 'user' | 'device';
  id: string;
}

interface GroupRow {
  id: string;
  display_name: string;
  description: string | null;
  created_at: Date | string;
}

const columns = 'g.id, g.display_name, g.description, g.created_at';
const filterColumns = { id: 'g.id', displayName: 'g.display_name', description: 'g.description' } as const;
export const groupFilterFields = Object.keys(filterColumns);
/** Graph property -> indexed sort key, for $orderby (migration 0017). */
const sortKeys: Record<string, SortKey> = { displayName: { sql: 'g.display_name', kind: 'text' } };
export const groupSortFields = ['createdDateTime', ...Object.keys(sortKeys)];
export const groupSearchFields = ['displayName', 'description'];

const toGroup = (row: GroupRow): GroupRecord => ({
  id: row.id,
  displayName: row.display_name,
  description: row.description,
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
   * made (and answers 409), instead of the assignment failing on a vanished group.
   */
  async existing(tenantId: string, ids: readonly string[]): Promise<Set<string>> {
    if (ids.length === 0) return new Set();
    const rows = await this.#db.query<{ id: string }>(
      'SELECT id FROM groups WHERE tenant_id = $1 AND id = ANY($2::uuid[]) ORDER BY id FOR KEY SHARE',
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
           INSERT INTO groups AS g (tenant_id, id, display_name, description) VALUES ($1, $2, $3, $4) RETURNING ${columns}
         ), m AS (${insertMembersSql('g', '$5', '$6')} ON CONFLICT DO NOTHING)
         SELECT * FROM g`,
        [tenantId, id, fields.displayName, fields.description, ...memberIdArrays(members)],
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
           UPDATE groups AS g SET display_name = $3, description = $4 WHERE g.tenant_id = $1 AND g.id = $2 RETURNING ${columns}
         ), m AS (${insertMembersSql('g', '$5', '$6')} ON CONFLICT DO NOTHING)
         SELECT * FROM g`,
        [tenantId, id, fields.displayName, fields.description, ...memberIdArrays(members)],
      );
      return rows[0] ? toGroup(rows[0]) : null;
    } catch (error) {
      throw mapGroupError(error, fields.displayName);
    }
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
