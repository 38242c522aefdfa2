import { badRequest } from '../../domain/errors.ts';
import { isUuid } from '../../domain/ids.ts';
import type { FilterClause, ListQuery, Page, PageCursor } from '../../store/list-query.ts';

/**
 * The OData query options Envelope supports on Graph collections: `$top` (1–999, default 100),
 * `$skiptoken` (opaque, from `@odata.nextLink`), `$select` (comma-separated properties) and `$filter`
 * with `eq` comparisons joined by `and` (`displayName eq 'Sales'`, `operatingSystem eq 'iOS'`,
 * `mail eq null`), plus `isof('microsoft.graph.<type>')` on polymorphic collections.
 */
export interface CollectionOptions {
  filterable: readonly string[];
  /** Property names $select may name; `anyProperty` for polymorphic collections whose subtypes differ. */
  selectable: readonly string[] | 'anyProperty';
}

export function parseListQuery(query: unknown, options: CollectionOptions): ListQuery {
  const q = (query ?? {}) as Record<string, unknown>;
  for (const key of Object.keys(q)) {
    if (key.startsWith('$') && !['$top', '$skiptoken', '$select', '$filter'].includes(key)) {
      throw badRequest(`Query option '${key}' is not supported; use $top, $skiptoken, $select or $filter.`, key);
    }
  }
  return {
    top: parseTop(q.$top),
    after: parseSkipToken(q.$skiptoken),
    select: parseSelect(q.$select, options.selectable),
    filters: parseFilter(q.$filter, options.filterable),
  };
}

function single(value: unknown, name: string): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string') throw badRequest(`Query option '${name}' may be given once.`, name);
  return value;
}

/** `$top` of a query: 1–999, 100 when absent; 400 naming `$top` otherwise. */
export function parseTop(raw: unknown): number {
  const text = single(raw, '$top');
  if (text === undefined) return 100;
  const top = Number(text);
  if (!/^\d+$/.test(text) || top < 1 || top > 999) throw badRequest(`$top must be an integer from 1 to 999, not '${text}'.`, '$top');
  return top;
}

/**
 * A cursor is exactly what `encodeSkipToken` writes: an ISO-8601 UTC time as `Date#toISOString` prints
 * it for years 0001–9999 (the range PostgreSQL's timestamptz and JavaScript share) and a UUID. Any other
 * token, however Date.parse reads it, is refused naming $skiptoken.
 */
function parseSkipToken(raw: unknown): PageCursor | null {
  const text = single(raw, '$skiptoken');
  if (text === undefined) return null;
  try {
    const cursor = JSON.parse(Buffer.from(text, 'base64url').toString('utf8')) as unknown;
    const [createdAt, id] = Array.isArray(cursor) && cursor.length === 2 ? cursor : [];
    if (isCursorTime(createdAt) && isUuid(id)) return { createdAt, id };
  } catch {
    // fall through to the error below
  }
  throw badRequest('$skiptoken is not valid; use the @odata.nextLink returned by the previous page.', '$skiptoken');
}

function isCursorTime(value: unknown): value is string {
  if (typeof value !== 'string' || !/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/.test(value) || value.startsWith('0000')) return false;
  const time = new Date(value);
  return !Number.isNaN(time.getTime()) && time.toISOString() === value;
}

export function encodeSkipToken(cursor: PageCursor): string {
  return Buffer.from(JSON.stringify([cursor.createdAt, cursor.id]), 'utf8').toString('base64url');
}

function parseSelect(raw: unknown, selectable: CollectionOptions['selectable']): string[] | null {
  const text = single(raw, '$select');
  if (text === undefined) return null;
  const fields = text.split(',').map((f) => f.trim()).filter(Boolean);
  for (const field of fields) {
    const known = selectable === 'anyProperty' ? /^[A-Za-z][\w]*$/.test(field) : selectable.includes(field);
    if (!known) throw badRequest(`$select: '${field}' is not a property of this collection.`, '$select');
  }
  return fields;
}

/** ` and ` followed by an even number of quotes, i.e. not inside a string literal (`''` escapes pair up). */
const andOutsideQuotes = /\s+and\s+(?=(?:[^']*'[^']*')*[^']*$)/i;

const clausePattern = /^(?:([A-Za-z@][A-Za-z0-9@.]*)\s+eq\s+('(?:[^']|'')*'|true|false|null|-?\d+(?:\.\d+)?)|isof\(\s*'(?:#?microsoft\.graph\.)?([A-Za-z0-9]+)'\s*\))$/;

function parseFilter(raw: unknown, filterable: readonly string[]): FilterClause[] {
  const text = single(raw, '$filter');
  if (text === undefined || text.trim() === '') return [];
  return text.trim().split(andOutsideQuotes).map((part) => {
    const match = clausePattern.exec(part.trim());
    if (!match) {
      throw badRequest(`$filter: '${part.trim()}' is not supported; use "<property> eq <value>" joined by "and".`, '$filter');
    }
    if (match[3]) return requireFilterable({ field: '@odata.type', value: match[3] }, filterable);
    const literal = match[2]!;
    const value = literal.startsWith("'")
      ? literal.slice(1, -1).replace(/''/g, "'")
      : literal === 'null' ? null : literal === 'true' ? true : literal === 'false' ? false : Number(literal);
    return requireFilterable({ field: match[1]!, value }, filterable);
  });
}

function requireFilterable(clause: FilterClause, filterable: readonly string[]): FilterClause {
  if (!filterable.includes(clause.field)) {
    throw badRequest(`$filter: '${clause.field}' cannot be filtered on; filterable: ${filterable.join(', ')}.`, '$filter');
  }
  return clause;
}

/** Keeps only the selected properties (plus `id` and `@odata.type`, which Graph always returns). */
export function applySelect<T extends object>(item: T, select: string[] | null): Partial<T> {
  if (!select) return item;
  const out: Partial<T> = {};
  for (const key of ['@odata.type', 'id', ...select]) {
    if (Object.hasOwn(item, key)) (out as Record<string, unknown>)[key] = (item as Record<string, unknown>)[key];
  }
  return out;
}

/** The Graph collection body: `{ value, "@odata.nextLink"? }` — the link repeats the query with a new $skiptoken. */
export function collectionBody<T extends object>(
  page: Page<T>,
  select: string[] | null,
  requestUrl: string,
  baseUrl: string,
): { value: Partial<T>[]; '@odata.nextLink'?: string } {
  const link = nextLink(page, requestUrl, baseUrl);
  return { value: page.items.map((item) => applySelect(item, select)), ...(link ? { '@odata.nextLink': link } : {}) };
}

/** The `@odata.nextLink` of a page, or undefined on the last page. */
export function nextLink(page: Page<unknown>, requestUrl: string, baseUrl: string): string | undefined {
  if (!page.next) return undefined;
  const url = new URL(requestUrl, baseUrl);
  url.searchParams.set('$skiptoken', encodeSkipToken(page.next));
  return url.toString();
}
