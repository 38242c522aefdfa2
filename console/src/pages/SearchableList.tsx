import { useMemo, useState } from 'react';
import { Field, SearchBox, Text, makeStyles, tokens } from '@fluentui/react-components';
import { DataTable, type Column } from '../components.tsx';

const useStyles = makeStyles({
  tools: { display: 'flex', gap: tokens.spacingHorizontalL, alignItems: 'end', marginBottom: tokens.spacingVerticalM },
});

/** A table with a text search over what `searchText` gives for each row. */
export function SearchableList<T>(props: { name: string; rows: readonly T[]; columns: readonly Column<T>[]; rowKey(row: T): string; searchText(row: T): string; truncated?: boolean }) {
  const styles = useStyles();
  const [search, setSearch] = useState('');
  const shown = useMemo(() => {
    const needle = search.trim().toLowerCase();
    return needle === '' ? props.rows : props.rows.filter((r) => props.searchText(r).toLowerCase().includes(needle));
  }, [props, search]);
  return (
    <>
      <div className={styles.tools}>
        <Field label={`Search ${props.name}`}>
          <SearchBox value={search} onChange={(_e, d) => setSearch(d.value)} />
        </Field>
        <Text aria-live="polite">{shown.length} of {props.rows.length}{props.truncated ? '+' : ''} shown</Text>
      </div>
      <DataTable<T> label={props.name} rows={shown} rowKey={props.rowKey} columns={props.columns} empty={props.rows.length === 0 ? `No ${props.name} yet.` : 'Nothing matches the search.'} />
    </>
  );
}
