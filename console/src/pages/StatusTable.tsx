import { useState, type ReactNode } from 'react';
import { Field, Select } from '@fluentui/react-components';
import type { Column } from '../components.tsx';
import { odataString } from '../api-paging.ts';
import { statusLabel, statusLabels } from '../status.ts';
import { SearchableList, type CsvColumn } from './SearchableList.tsx';

export type { CsvColumn } from './SearchableList.tsx';

/**
 * A profile's device or user status table, paged on the server: a search (`searchFilter`), a status
 * filter when the collection filters on `status`, and CSV export of every matching row.
 */
export function StatusTable<T extends { id: string; status: string }>(props: {
  name: string;
  /** The status collection (`…/deviceStatuses`, `…/userStatuses`). */
  path: string;
  columns: readonly Column<T>[];
  csv: readonly CsvColumn<T>[];
  searchFilter(text: string): string;
  searchHint: string;
  /** The collection filters on `status` (device statuses do; user statuses do not). */
  statusFilter?: boolean;
  fileName: string;
  note?: ReactNode;
  /** Controls acting on the rows shown now (loaded, after search and filter), e.g. bulk resend. */
  actions?(shown: readonly T[]): ReactNode;
}) {
  const [status, setStatus] = useState('all');
  return (
    <SearchableList<T>
      name={props.name}
      path={props.path}
      columns={props.columns}
      rowKey={(r) => r.id}
      searchFilter={props.searchFilter}
      searchHint={props.searchHint}
      filter={props.statusFilter && status !== 'all' ? `status eq ${odataString(status)}` : ''}
      csv={{ fileName: props.fileName, columns: props.csv }}
      note={props.note}
      {...(props.actions ? { actions: props.actions } : {})}
      tools={props.statusFilter && (
        <Field label="Status">
          <Select value={status} onChange={(_e, d) => setStatus(d.value)}>
            <option value="all">All statuses</option>
            {Object.keys(statusLabels).map((s) => <option key={s} value={s}>{statusLabel(s)}</option>)}
          </Select>
        </Field>
      )}
    />
  );
}
