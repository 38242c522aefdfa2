import { useMemo, useState, type ReactNode } from 'react';
import { Button, Field, SearchBox, Select, Text, makeStyles, tokens } from '@fluentui/react-components';
import { DataTable, type Column } from '../components.tsx';
import { downloadCsv, toCsv } from '../csv.ts';
import { statusLabel, statusLabels } from '../status.ts';

const useStyles = makeStyles({
  tools: { display: 'flex', gap: tokens.spacingHorizontalL, alignItems: 'end', flexWrap: 'wrap', marginBottom: tokens.spacingVerticalM },
});

export interface CsvColumn<T> {
  title: string;
  value(row: T): unknown;
}

/** A status table with a text search, a status filter and CSV export of what the filters show. */
export function StatusTable<T extends { id: string; status: string }>(props: {
  name: string;
  rows: readonly T[];
  columns: readonly Column<T>[];
  csv: readonly CsvColumn<T>[];
  searchText(row: T): string;
  fileName: string;
  note?: ReactNode;
  /** Controls acting on the rows shown now (after search and filter), e.g. bulk resend. */
  actions?(shown: readonly T[]): ReactNode;
}) {
  const styles = useStyles();
  const [search, setSearch] = useState('');
  const [status, setStatus] = useState('all');
  const shown = useMemo(() => {
    const needle = search.trim().toLowerCase();
    return props.rows.filter((row) => (status === 'all' || row.status === status) && (needle === '' || props.searchText(row).toLowerCase().includes(needle)));
  }, [props, search, status]);
  const present = useMemo(() => Object.keys(statusLabels).filter((s) => props.rows.some((r) => r.status === s)), [props.rows]);
  return (
    <>
      <div className={styles.tools}>
        <Field label={`Search ${props.name}`}>
          <SearchBox value={search} onChange={(_e, d) => setSearch(d.value)} />
        </Field>
        <Field label="Status">
          <Select value={status} onChange={(_e, d) => setStatus(d.value)}>
            <option value="all">All statuses</option>
            {present.map((s) => <option key={s} value={s}>{statusLabel(s)}</option>)}
          </Select>
        </Field>
        <Button onClick={() => downloadCsv(props.fileName, toCsv(props.csv.map((c) => c.title), shown.map((row) => props.csv.map((c) => c.value(row)))))}>
          Export CSV
        </Button>
        {props.actions?.(shown)}
        <Text aria-live="polite">{shown.length} of {props.rows.length} shown</Text>
      </div>
      {props.note}
      <DataTable<T> label={props.name} rows={shown} rowKey={(r) => r.id} columns={props.columns} empty={props.rows.length === 0 ? `No ${props.name} yet.` : 'Nothing matches the search and filter.'} />
    </>
  );
}
