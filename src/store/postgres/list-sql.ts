import { badRequest } from '../../domain/errors.ts';
import type { FilterNode, ListQuery, Page, SearchNode } from '../list-query.ts';
import type { Queryable } from '../db.ts';

/**
 * A sort key: a NOT NULL SQL expression and how its value travels in a cursor. Each sort key has an
 * index `(tenant_id, key, id)` (migration 0017), so a page is one index range scan at any depth.
 * `time` keys are millisecond `timestamptz` columns (their cursor text is `Date#toISOString`).
 */
export interface SortKey {
  sql: string;
  kind: 'text' | 'time';
}

export interface ListSpec<Row, T> {
  from: string;
  alias: string;
  select: string;
  tenantId: string;
  /** Graph property names that may be filtered or searched on -> SQL expressions of `alias`. */
  columns: Readonly<Record<string, string>>;
  /** Graph property names that `$orderby` may name (besides the default creation time). */
  sortKeys?: Readonly<Record<string, SortKey>>;
  /** The order without `$orderby`; `alias.created_at`. */
  defaultSort?: SortKey;
  /** The id column breaking ties; `alias.id` (a uuid). */
  idSql?: string;
  extraWhere?: { sql: string; params: unknown[] };
  toItem: (row: Row) => T;
}

/**
 * Runs a tenant-scoped, keyset-paged list: `WHERE tenant_id = $1 [AND extra] [AND filter] [AND search]
 * [AND (key, id) >|< cursor] ORDER BY key, id [DESC] LIMIT top + 1`. Every value is a parameter; a
 * property the spec does not map is a 400 naming it. With `query.count`, also counts the matching rows
 * (without the cursor); `top: 0` reads only that count.
 */
export async function listPage<Row extends { id: string }, T>(db: Queryable, spec: ListSpec<Row, T>, query: ListQuery): Promise<Page<T>> {
  const params: unknown[] = [spec.tenantId];
  const param = (value: unknown): string => `$${params.push(value)}`;
  const where = [`${spec.alias}.tenant_id = $1`];
  if (spec.extraWhere) {
    const offset = params.length;
    where.push(spec.extraWhere.sql.replace(/\$(\d+)/g, (_, n: string) => `$${Number(n) + offset}`));
    params.push(...spec.extraWhere.params);
  }
  if (query.filter) where.push(filterSql(query.filter, spec.columns, param));
  if (query.search) where.push(searchSql(query.search, spec.columns, param));

  const count = query.count ? await countRows(db, spec, where, params) : undefined;
  if (query.top === 0) return { items: [], next: null, ...(count === undefined ? {} : { count }) };

  const key = sortKeyOf(spec, query);
  const idSql = spec.idSql ?? `${spec.alias}.id`;
  const direction = query.orderBy?.descending ? 'DESC' : 'ASC';
  const pageWhere = [...where];
  const pageParams = [...params];
  if (query.after) {
    if (key.kind === 'time' && !isCursorTime(query.after.key)) throw invalidSkipToken();
    const keyParam = `$${pageParams.push(query.after.key)}::${key.kind === 'time' ? 'timestamptz' : 'text'}`;
    const idParam = `$${pageParams.push(query.after.id)}::uuid`;
    pageWhere.push(`(${key.sql}, ${idSql}) ${direction === 'DESC' ? '<' : '>'} (${keyParam}, ${idParam})`);
  }
  pageParams.push(query.top + 1);
  const rows = await db.query<Row & { list_sort_key: Date | string }>(
    `SELECT ${spec.select}, ${key.sql} AS list_sort_key FROM ${spec.from} WHERE ${pageWhere.join(' AND ')}
     ORDER BY ${key.sql} ${direction}, ${idSql} ${direction} LIMIT $${pageParams.length}`,
    pageParams,
  );
  const more = rows.length > query.top;
  const pageRows = more ? rows.slice(0, query.top) : rows;
  const last = pageRows[pageRows.length - 1];
  const next = more && last
    ? { key: key.kind === 'time' ? new Date(last.list_sort_key).toISOString() : String(last.list_sort_key), id: String(last.id) }
    : null;
  return { items: pageRows.map(spec.toItem), next, ...(count === undefined ? {} : { count }) };
}

async function countRows(db: Queryable, spec: ListSpec<never, unknown>, where: string[], params: unknown[]): Promise<number> {
  const rows = await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${spec.from} WHERE ${where.join(' AND ')}`, params);
  return Number(rows[0]?.n ?? 0);
}

function sortKeyOf(spec: ListSpec<never, unknown>, query: ListQuery): SortKey {
  const fallback = spec.defaultSort ?? { sql: `${spec.alias}.created_at`, kind: 'time' };
  if (!query.orderBy) return fallback;
  const key = spec.sortKeys?.[query.orderBy.property] ?? (query.orderBy.property === 'createdDateTime' ? fallback : undefined);
  if (!key) throw badRequest(`$orderby: '${query.orderBy.property}' cannot be sorted on.`, '$orderby');
  return key;
}

function column(columns: Readonly<Record<string, string>>, property: string, option: string): string {
  const sql = Object.hasOwn(columns, property) ? columns[property] : undefined;
  if (!sql) throw badRequest(`${option}: '${property}' cannot be used here.`, option);
  return sql;
}

/**
 * Translates a filter tree: comparisons are on the column's text form (`uuid`, enum-like and number
 * columns compare as Graph prints them); a comparison with a null column is false, as OData says,
 * also under `not`.
 */
function filterSql(node: FilterNode, columns: Readonly<Record<string, string>>, param: (v: unknown) => string): string {
  switch (node.op) {
    case 'and':
    case 'or':
      return `(${filterSql(node.left, columns, param)} ${node.op.toUpperCase()} ${filterSql(node.right, columns, param)})`;
    case 'not':
      return `NOT COALESCE(${filterSql(node.operand, columns, param)}, false)`;
    case 'eq': {
      const col = column(columns, node.property, '$filter');
      return node.value === null ? `${col} IS NULL` : `${col}::text = ${param(String(node.value))}`;
    }
    case 'ne': {
      const col = column(columns, node.property, '$filter');
      return node.value === null ? `${col} IS NOT NULL` : `${col}::text IS DISTINCT FROM ${param(String(node.value))}`;
    }
    case 'in': {
      const col = column(columns, node.property, '$filter');
      const values = node.values.filter((v) => v !== null).map(String);
      const any = `${col}::text = ANY(${param(values)}::text[])`;
      return node.values.includes(null) ? `(${col} IS NULL OR ${any})` : any;
    }
    case 'startswith':
      return `starts_with(lower(${column(columns, node.property, '$filter')}::text), ${param(node.value.toLowerCase())})`;
    case 'isof':
      return `${column(columns, '@odata.type', '$filter')} = ${param(node.type)}`;
  }
}

/** `"property:words"` matches values with a word (at the start, or after a space) starting with the words, ignoring case. */
function searchSql(node: SearchNode, columns: Readonly<Record<string, string>>, param: (v: unknown) => string): string {
  if (node.op !== 'phrase') {
    return `(${searchSql(node.left, columns, param)} ${node.op.toUpperCase()} ${searchSql(node.right, columns, param)})`;
  }
  const col = column(columns, node.property, '$search');
  const escaped = node.value.replace(/[\\%_]/g, (c) => `\\${c}`);
  return `(${col} ILIKE ${param(`${escaped}%`)} OR ${col} ILIKE ${param(`% ${escaped}%`)})`;
}

/** A cursor time is exactly what `Date#toISOString` prints for years 0001–9999. */
function isCursorTime(value: string): boolean {
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/.test(value) || value.startsWith('0000')) return false;
  const time = new Date(value);
  return !Number.isNaN(time.getTime()) && time.toISOString() === value;
}

export function invalidSkipToken(): Error {
  return badRequest('$skiptoken is not valid; use the @odata.nextLink returned by the previous page.', '$skiptoken');
}

/** ISO-8601 text for a timestamptz value from either driver. */
export function isoTime(value: Date | string | null): string | null {
  return value === null ? null : new Date(value).toISOString();
}
