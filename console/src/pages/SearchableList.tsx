import { useEffect, useMemo, useState, type ReactNode } from 'react';
import { Button, Field, MessageBar, MessageBarBody, SearchBox, Spinner, Text, makeStyles, tokens } from '@fluentui/react-components';
import { DataTable, type Column } from '../components.tsx';
import { downloadCsv, toCsv } from '../csv.ts';
import { useSession } from '../session.tsx';
import { allPages, defaultPageSize, usePagedList, withQuery } from '../api-paging.ts';

const useStyles = makeStyles({
  tools: { display: 'flex', gap: tokens.spacingHorizontalL, alignItems: 'end', flexWrap: 'wrap', marginBottom: tokens.spacingVerticalM },
  more: { display: 'flex', gap: tokens.spacingHorizontalM, alignItems: 'center', marginTop: tokens.spacingVerticalM },
});

export interface CsvColumn<T> {
  title: string;
  value(row: T): unknown;
}

/** Waits `ms` after the last change of `value` (typing in a search box asks the server once). */
function useDebounced<T>(value: T, ms: number): T {
  const [settled, setSettled] = useState(value);
  useEffect(() => {
    const timer = setTimeout(() => setSettled(value), ms);
    return () => clearTimeout(timer);
  }, [value, ms]);
  return settled;
}

/**
 * A server-paged table: the first `pageSize` rows of `path`, more with "Load more" (the API's
 * `@odata.nextLink`), searched on the server through `searchFilter` (a `$filter` for the typed text)
 * and `filter` (the caller's other controls, ANDed). CSV export walks every page of what matches.
 */
export function SearchableList<T>(props: {
  name: string;
  /** The collection, with any fixed options (`$orderby`, `$select`) but no `$top` or `$filter`. */
  path: string;
  columns: readonly Column<T>[];
  rowKey(row: T): string;
  /** The `$filter` for a search text; without it the table has no search box. */
  searchFilter?(text: string): string;
  /** What the search matches, for its label (e.g. "name or user principal name"). */
  searchHint?: string;
  /** A further `$filter` from the caller's own controls; '' for none. */
  filter?: string;
  csv?: { fileName: string; columns: readonly CsvColumn<T>[] };
  /** The caller's own filter controls, shown beside the search box. */
  tools?: ReactNode;
  note?: ReactNode;
  /** Controls acting on the rows loaded now (after the server's search and filter), e.g. bulk resend. */
  actions?(shown: readonly T[]): ReactNode;
  pageSize?: number;
}) {
  const styles = useStyles();
  const { api } = useSession();
  const [search, setSearch] = useState('');
  const needle = useDebounced(search.trim(), 300);
  const { searchFilter, filter = '' } = props;
  const combined = useMemo(() => {
    const parts = [needle && searchFilter ? searchFilter(needle) : '', filter].filter(Boolean);
    return parts.length > 1 ? parts.map((p) => `(${p})`).join(' and ') : parts[0] ?? '';
  }, [needle, searchFilter, filter]);
  const path = withQuery(props.path, { $top: props.pageSize ?? defaultPageSize, $count: 'true', $filter: combined });
  const list = usePagedList<T>(api, path);
  const count = list.count;
  const [exporting, setExporting] = useState<string | null>(null);
  const exportCsv = async () => {
    if (!props.csv) return;
    const { fileName, columns } = props.csv;
    setExporting('Exporting…');
    try {
      // Every matching row, not only the pages loaded: the export walks the server's pages.
      const rows = await allPages<T>(api, withQuery(props.path, { $top: 999, $filter: combined }), (n) => setExporting(`Exporting… ${n} rows`));
      downloadCsv(fileName, toCsv(columns.map((c) => c.title), rows.map((row) => columns.map((c) => c.value(row)))));
      setExporting(`Exported ${rows.length} row${rows.length === 1 ? '' : 's'} (all that match, not only those shown).`);
    } catch (error) {
      setExporting(`Export failed: ${error instanceof Error ? error.message : String(error)}`);
    }
  };
  const shown = list.items.length;
  const summary = list.loading && shown === 0 ? 'Loading…' : `${shown} of ${count ?? (list.hasMore ? `${shown}+` : shown)} shown`;
  return (
    <>
      <div className={styles.tools}>
        {searchFilter && (
          <Field label={`Search ${props.name}`} hint={props.searchHint ? `Starts with: ${props.searchHint}` : undefined}>
            <SearchBox value={search} onChange={(_e, d) => setSearch(d.value)} />
          </Field>
        )}
        {props.tools}
        {props.csv && (
          <Button onClick={() => void exportCsv()} disabled={exporting !== null && exporting.startsWith('Exporting')}>
            Export CSV
          </Button>
        )}
        {props.actions?.(list.items)}
        <Text aria-live="polite">{summary}{props.csv && list.hasMore ? '; Export CSV writes every matching row, not only those shown' : ''}</Text>
        {exporting && <Text aria-live="polite">{exporting}</Text>}
      </div>
      {props.note}
      {list.error && (
        <MessageBar intent="error">
          <MessageBarBody>Could not load {props.name}: {list.error.message}</MessageBarBody>
        </MessageBar>
      )}
      <DataTable<T>
        label={props.name}
        rows={list.items}
        rowKey={props.rowKey}
        columns={props.columns}
        empty={list.loading ? `Loading ${props.name}…` : combined === '' ? `No ${props.name} yet.` : 'Nothing matches the search and filter.'}
      />
      <div className={styles.more}>
        {list.hasMore && (
          <Button onClick={list.loadMore} disabled={list.loading}>
            Load more {props.name}
          </Button>
        )}
        {list.loading && shown > 0 && <Spinner size="tiny" label={`Loading more ${props.name}…`} />}
      </div>
    </>
  );
}
