import { badRequest } from '../../domain/errors.ts';
import { isUuid } from '../../domain/ids.ts';
import type { ListQuery, OrderBy, Page, PageCursor } from '../../store/list-query.ts';
import { parseFilter, parseOrderBy, parseSearch } from './odata-expressions.ts';

/**
 * The OData query options a Graph collection offers: `$top` (1–999, default 100), `$skiptoken`
 * (opaque, from `@odata.nextLink`), `$select`, `$filter` (see odata-expressions.ts), `$orderby` on
 * the `sortable` properties, `$count=true`, `$search` on the `searchable` properties (with the
 * `ConsistencyLevel: eventual` header, as Graph requires) and `$expand` of the `expandable`
 * navigation properties. Any other option, and any option a collection does not offer, is a 400.
 */
export interface CollectionOptions {
  filterable: readonly string[];
  /** Property names $select may name; `anyProperty` for polymorphic collections whose subtypes differ. */
  selectable: readonly string[] | 'anyProperty';
  sortable?: readonly string[];
  searchable?: readonly string[];
  expandable?: readonly string[];
}

const knownOptions = ['$top', '$skiptoken', '$select', '$filter', '$orderby', '$count', '$search', '$expand'];

type Headers = Record<string, string | string[] | undefined>;

export function parseListQuery(query: unknown, options: CollectionOptions, headers: Headers = {}): ListQuery {
  const q = (query ?? {}) as Record<string, unknown>;
  for (const key of Object.keys(q)) {
    if (key.startsWith('$') && !knownOptions.includes(key)) {
      throw badRequest(`Query option '${key}' is not supported; use ${knownOptions.join(', ')}.`, key);
    }
  }
  const filterText = single(q.$filter, '$filter');
  const orderText = single(q.$orderby, '$orderby');
  const orderBy = orderText === undefined ? null : parseOrderBy(orderText, offered(options.sortable, '$orderby'));
  return {
    top: parseTop(q.$top),
    after: parseSkipToken(q.$skiptoken, orderBy),
    select: parseSelect(q.$select, options.selectable),
    filter: filterText === undefined || filterText.trim() === '' ? null : parseFilter(filterText, options.filterable),
    orderBy,
    search: parseSearchOption(q.$search, options.searchable, headers),
    count: parseCount(q.$count),
    expand: parseExpand(q.$expand, options.expandable),
  };
}

/** The options of `/$count`: `$filter` and `$search` only; the query reads no rows, only the count. */
export function parseCountQuery(query: unknown, options: CollectionOptions, headers: Headers = {}): ListQuery {
  const q = (query ?? {}) as Record<string, unknown>;
  for (const key of Object.keys(q)) {
    if (key.startsWith('$') && key !== '$filter' && key !== '$search') {
      throw badRequest(`Query option '${key}' is not supported on /$count; use $filter or $search.`, key);
    }
  }
  return { ...parseListQuery(q, options, headers), top: 0, count: true };
}

/** The options of a single item's GET: `$select` and `$expand` only. */
export function parseItemQuery(query: unknown, options: Pick<CollectionOptions, 'selectable' | 'expandable'>): Pick<ListQuery, 'select' | 'expand'> {
  const q = (query ?? {}) as Record<string, unknown>;
  for (const key of Object.keys(q)) {
    if (key.startsWith('$') && key !== '$select' && key !== '$expand') {
      throw badRequest(`Query option '${key}' is not supported on a single item; use $select or $expand.`, key);
    }
  }
  return { select: parseSelect(q.$select, options.selectable), expand: parseExpand(q.$expand, options.expandable) };
}

function offered(list: readonly string[] | undefined, option: string): readonly string[] {
  if (!list || list.length === 0) throw badRequest(`Query option '${option}' is not supported on this collection.`, option);
  return list;
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

function parseCount(raw: unknown): boolean {
  const text = single(raw, '$count');
  if (text === undefined || text === 'false') return false;
  if (text === 'true') return true;
  throw badRequest(`$count must be true or false, not '${text}'.`, '$count');
}

function parseSearchOption(raw: unknown, searchable: readonly string[] | undefined, headers: Headers) {
  const text = single(raw, '$search');
  if (text === undefined) return null;
  const allowed = offered(searchable, '$search');
  const level = headers.consistencylevel;
  if (typeof level !== 'string' || level.toLowerCase() !== 'eventual') {
    throw badRequest("$search needs the request header 'ConsistencyLevel: eventual', as in Microsoft Graph.", 'ConsistencyLevel');
  }
  return parseSearch(text, allowed);
}

function parseExpand(raw: unknown, expandable: readonly string[] | undefined): string[] {
  const text = single(raw, '$expand');
  if (text === undefined) return [];
  const names = text.split(',').map((n) => n.trim());
  for (const name of names) {
    if (!expandable?.includes(name)) {
      throw badRequest(`$expand: '${name}' cannot be expanded here${expandable?.length ? `; expandable: ${expandable.join(', ')}` : ''}.`, '$expand');
    }
  }
  return [...new Set(names)];
}

/**
 * A token is what `encodeSkipToken` writes: the sort property and direction it was made for, the
 * last row's sort key and id. A token from another order, or any other text, is refused naming
 * $skiptoken (the store checks that a time key is a time).
 */
function parseSkipToken(raw: unknown, orderBy: OrderBy | null): PageCursor | null {
  const text = single(raw, '$skiptoken');
  if (text === undefined) return null;
  try {
    const cursor = JSON.parse(Buffer.from(text, 'base64url').toString('utf8')) as unknown;
    if (Array.isArray(cursor) && cursor.length === 3) {
      const [order, key, id] = cursor as unknown[];
      if (order === orderTag(orderBy) && typeof key === 'string' && key.length <= 1024 && isUuid(id)) return { key, id };
    }
  } catch {
    // fall through to the error below
  }
  throw badRequest('$skiptoken is not valid; use the @odata.nextLink returned by the previous page.', '$skiptoken');
}

function orderTag(orderBy: OrderBy | null): string {
  return orderBy ? `${orderBy.property} ${orderBy.descending ? 'desc' : 'asc'}` : '';
}

export function encodeSkipToken(cursor: PageCursor, orderBy: OrderBy | null): string {
  return Buffer.from(JSON.stringify([orderTag(orderBy), cursor.key, cursor.id]), 'utf8').toString('base64url');
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

/** Keeps only the selected properties (plus `id` and `@odata.type`, which Graph always returns). */
export function applySelect<T extends object>(item: T, select: string[] | null): Partial<T> {
  if (!select) return item;
  const out: Partial<T> = {};
  for (const key of ['@odata.type', 'id', ...select]) {
    if (Object.hasOwn(item, key)) (out as Record<string, unknown>)[key] = (item as Record<string, unknown>)[key];
  }
  return out;
}

export interface CollectionBody<T> {
  value: T[];
  '@odata.count'?: number;
  '@odata.nextLink'?: string;
}

/** The Graph collection body: `{ value, "@odata.count"?, "@odata.nextLink"? }` — the link repeats the query with a new $skiptoken. */
export function collectionBody<T extends object>(
  page: Page<T>,
  query: Pick<ListQuery, 'select' | 'orderBy'>,
  requestUrl: string,
  baseUrl: string,
): CollectionBody<Partial<T>> {
  const link = nextLink(page, query.orderBy, requestUrl, baseUrl);
  return {
    value: query.select ? page.items.map((item) => applySelect(item, query.select)) : page.items,
    ...(page.count === undefined ? {} : { '@odata.count': page.count }),
    ...(link ? { '@odata.nextLink': link } : {}),
  };
}

/** The `@odata.nextLink` of a page, or undefined on the last page. */
export function nextLink(page: Page<unknown>, orderBy: OrderBy | null, requestUrl: string, baseUrl: string): string | undefined {
  if (!page.next) return undefined;
  const url = new URL(requestUrl, baseUrl);
  url.searchParams.set('$skiptoken', encodeSkipToken(page.next, orderBy));
  return url.toString();
}
