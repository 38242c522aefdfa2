import { badRequest } from '../../domain/errors.ts';
import type { ListQuery, Page } from '../list-query.ts';
import type { Queryable } from '../db.ts';

/**
 * Runs a tenant-scoped, keyset-paged list: `WHERE tenant_id = $1 [AND extra] [AND filters]
 * [AND (created_at, id) > cursor] ORDER BY created_at, id LIMIT top + 1`. `columns` maps the Graph
 * property names that may be filtered on to SQL expressions of `alias`; values are always parameters.
 */
export async function listPage<Row extends { created_at: Date | string; id: string }, T>(
  db: Queryable,
  spec: {
    from: string;
    alias: string;
    select: string;
    tenantId: string;
    columns: Readonly<Record<string, string>>;
    extraWhere?: { sql: string; params: unknown[] };
    toItem: (row: Row) => T;
  },
  query: ListQuery,
): Promise<Page<T>> {
  const params: unknown[] = [spec.tenantId];
  const where = [`${spec.alias}.tenant_id = $1`];
  if (spec.extraWhere) {
    const offset = params.length;
    where.push(spec.extraWhere.sql.replace(/\$(\d+)/g, (_, n: string) => `$${Number(n) + offset}`));
    params.push(...spec.extraWhere.params);
  }
  for (const clause of query.filters) {
    const column = spec.columns[clause.field];
    if (!column) throw badRequest(`$filter: '${clause.field}' cannot be filtered on.`, '$filter');
    if (clause.value === null) {
      where.push(`${column} IS NULL`);
    } else {
      params.push(typeof clause.value === 'string' ? clause.value : String(clause.value));
      where.push(`${column}::text = $${params.length}`);
    }
  }
  if (query.after) {
    params.push(query.after.createdAt, query.after.id);
    where.push(`(${spec.alias}.created_at, ${spec.alias}.id::text) > ($${params.length - 1}::timestamptz, $${params.length})`);
  }
  params.push(query.top + 1);
  const rows = await db.query<Row>(
    `SELECT ${spec.select} FROM ${spec.from} WHERE ${where.join(' AND ')}
     ORDER BY ${spec.alias}.created_at, ${spec.alias}.id::text LIMIT $${params.length}`,
    params,
  );
  const more = rows.length > query.top;
  const pageRows = more ? rows.slice(0, query.top) : rows;
  const last = pageRows[pageRows.length - 1];
  return {
    items: pageRows.map(spec.toItem),
    next: more && last ? { createdAt: new Date(last.created_at).toISOString(), id: String(last.id) } : null,
  };
}

/** ISO-8601 text for a timestamptz value from either driver. */
export function isoTime(value: Date | string | null): string | null {
  return value === null ? null : new Date(value).toISOString();
}
