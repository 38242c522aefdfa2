import { useCallback, useEffect, useRef, useState } from 'react';
import type { Api, Collection } from './api.ts';

/** Rows per page the console asks for. */
export const defaultPageSize = 50;

/** An OData string literal: quotes doubled (`O'Neil` → `'O''Neil'`). */
export function odataString(value: string): string {
  return `'${value.replace(/'/g, "''")}'`;
}

/** `startswith(p, 'text')` over each property, joined by `or` (the server ignores case). */
export function startsWithAny(properties: readonly string[], text: string): string {
  return properties.map((p) => `startswith(${p},${odataString(text)})`).join(' or ');
}

/** `path` with query options added (`$top`, `$filter`…); empty or undefined values are left out. */
export function withQuery(path: string, options: Record<string, string | number | undefined>): string {
  const parts = Object.entries(options)
    .filter((entry): entry is [string, string | number] => entry[1] !== undefined && entry[1] !== '')
    .map(([key, value]) => `${key}=${encodeURIComponent(String(value))}`);
  if (parts.length === 0) return path;
  return `${path}${path.includes('?') ? '&' : '?'}${parts.join('&')}`;
}

/** The path and query of an `@odata.nextLink` (absolute, on the server's public URL). */
export function linkPath(link: string): string {
  if (!link.startsWith('http')) return link;
  const url = new URL(link);
  return `${url.pathname}${url.search}`;
}

export interface PagedList<T> {
  items: T[];
  /** True while the first page or a further one is loading. */
  loading: boolean;
  error: Error | undefined;
  /** The server has more rows than are shown (its last page had an @odata.nextLink). */
  hasMore: boolean;
  /** `@odata.count` of the first page, when `path` asks `$count=true`. */
  count: number | undefined;
  loadMore(): void;
  reload(): void;
}

/**
 * A server-paged collection: the first page of `path` (which carries `$top` and any filter), then
 * one more page per `loadMore`, following `@odata.nextLink` (keyset paging, decision 0026). A new
 * `path` starts over; a late answer for an old one is dropped. `path` null: nothing is loaded.
 */
export function usePagedList<T>(api: Api, path: string | null): PagedList<T> {
  const [state, setState] = useState<{ items: T[]; next: string | undefined; count?: number; loading: boolean; error?: Error }>({ items: [], next: undefined, loading: path !== null });
  const [generation, setGeneration] = useState(0);
  const current = useRef(0);

  useEffect(() => {
    const run = ++current.current;
    if (path === null) {
      setState({ items: [], next: undefined, loading: false });
      return;
    }
    setState((s) => ({ ...s, loading: true, error: undefined }));
    api.get<Collection<T> & { '@odata.count'?: number }>(path).then(
      (page) => run === current.current && setState({ items: page.value, next: page['@odata.nextLink'], count: page['@odata.count'], loading: false }),
      (error: unknown) => run === current.current && setState({ items: [], next: undefined, loading: false, error: error instanceof Error ? error : new Error(String(error)) }),
    );
  }, [api, path, generation]);

  // What loadMore reads without waiting for a render: the link to follow and whether a page is on its way.
  const latest = useRef(state);
  latest.current = state;
  const loadMore = useCallback(() => {
    const { next, loading } = latest.current;
    if (next === undefined || loading) return;
    const run = current.current;
    latest.current = { ...latest.current, loading: true };
    setState((s) => ({ ...s, loading: true, error: undefined }));
    api.get<Collection<T>>(linkPath(next)).then(
      (page) => run === current.current && setState((now) => ({ ...now, items: [...now.items, ...page.value], next: page['@odata.nextLink'], loading: false })),
      (error: unknown) => run === current.current && setState((now) => ({ ...now, loading: false, error: error instanceof Error ? error : new Error(String(error)) })),
    );
  }, [api]);

  const reload = useCallback(() => setGeneration((g) => g + 1), []);
  return { items: state.items, loading: state.loading, error: state.error, hasMore: state.next !== undefined, count: state.count, loadMore, reload };
}

/** Every row of `path`, page after page (for CSV export of all matching rows, not just those shown). */
export async function allPages<T>(api: Api, path: string, onProgress?: (rows: number) => void): Promise<T[]> {
  const items: T[] = [];
  let next: string | undefined = path;
  while (next !== undefined) {
    const page: Collection<T> = await api.get<Collection<T>>(linkPath(next));
    items.push(...page.value);
    onProgress?.(items.length);
    next = page['@odata.nextLink'];
  }
  return items;
}
