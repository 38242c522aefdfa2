import { useCallback, useEffect, useState, type ReactNode } from 'react';
import {
  Badge, Link, MessageBar, MessageBarBody, MessageBarTitle, Spinner, Table, TableBody, TableCell, TableHeader, TableHeaderCell, TableRow,
  Title2, makeStyles, tokens,
} from '@fluentui/react-components';
import { onLinkClick } from './router.ts';
import { overviewBuckets, statusColors, statusLabel, type OverviewCounts } from './status.ts';

export interface Loaded<T> {
  data: T | undefined;
  error: Error | undefined;
  loading: boolean;
  reload(): void;
}

/** Loads once per change of `deps` (and on reload); a late answer for old deps is dropped. */
export function useLoad<T>(load: () => Promise<T>, deps: readonly unknown[]): Loaded<T> {
  const [state, setState] = useState<{ data?: T; error?: Error; loading: boolean }>({ loading: true });
  const [generation, setGeneration] = useState(0);
  useEffect(() => {
    let current = true;
    setState((s) => ({ ...s, loading: true }));
    load().then(
      (data) => current && setState({ data, loading: false }),
      (error: unknown) => current && setState({ error: error instanceof Error ? error : new Error(String(error)), loading: false }),
    );
    return () => {
      current = false;
    };
  }, [...deps, generation]);
  const reload = useCallback(() => setGeneration((g) => g + 1), []);
  return { data: state.data, error: state.error, loading: state.loading, reload };
}

const useStyles = makeStyles({
  header: { display: 'flex', alignItems: 'baseline', gap: tokens.spacingHorizontalM, marginBottom: tokens.spacingVerticalL, flexWrap: 'wrap' },
  bars: { display: 'grid', gridTemplateColumns: 'minmax(8em, max-content) minmax(8em, 1fr) minmax(3em, max-content)', width: 'min(40rem, 100%)', minWidth: '20rem', gap: `${tokens.spacingVerticalXS} ${tokens.spacingHorizontalM}`, alignItems: 'center', maxWidth: '40rem' },
  track: { backgroundColor: tokens.colorNeutralBackground3, height: '14px', borderRadius: tokens.borderRadiusSmall, overflow: 'hidden' },
  count: { textAlign: 'right', fontVariantNumeric: 'tabular-nums' },
  section: { marginTop: tokens.spacingVerticalXL },
});

export function PageTitle({ children, actions }: { children: ReactNode; actions?: ReactNode }) {
  const styles = useStyles();
  return (
    <div className={styles.header}>
      <Title2 as="h1">{children}</Title2>
      {actions}
    </div>
  );
}

export function Section({ title, children }: { title: string; children: ReactNode }) {
  const styles = useStyles();
  return (
    <section className={styles.section} aria-label={title}>
      <h2 style={{ fontSize: tokens.fontSizeBase500, fontWeight: tokens.fontWeightSemibold, margin: `0 0 ${tokens.spacingVerticalM}` }}>{title}</h2>
      {children}
    </section>
  );
}

export function LoadState({ loaded, what }: { loaded: Loaded<unknown>; what: string }) {
  if (loaded.error) {
    return (
      <MessageBar intent="error">
        <MessageBarBody>
          <MessageBarTitle>Could not load {what}</MessageBarTitle>
          {loaded.error.message}
        </MessageBarBody>
      </MessageBar>
    );
  }
  if (loaded.loading && loaded.data === undefined) return <Spinner size="small" label={`Loading ${what}…`} />;
  return null;
}

export function AppLink({ to, children }: { to: string; children: ReactNode }) {
  return (
    <Link href={to} onClick={(event: React.MouseEvent<HTMLAnchorElement>) => onLinkClick(event, to)}>
      {children}
    </Link>
  );
}

export function StatusBadge({ status }: { status: string }) {
  return <Badge appearance="tint" color={statusColors[status] ?? 'subtle'}>{statusLabel(status)}</Badge>;
}

const barColors: Record<string, string> = {
  success: tokens.colorPaletteGreenBackground3,
  informative: tokens.colorPaletteBlueBorderActive,
  danger: tokens.colorPaletteRedBackground3,
  warning: tokens.colorPaletteDarkOrangeBackground3,
  subtle: tokens.colorNeutralForeground3,
};

/** A horizontal bar per status bucket; the numbers are text, the bars only show proportion. */
export function StatusBars({ counts, label }: { counts: OverviewCounts; label: string }) {
  const styles = useStyles();
  const total = overviewBuckets.reduce((sum, b) => sum + (counts[b.key] ?? 0), 0);
  return (
    <div role="group" aria-label={label} className={styles.bars}>
      {overviewBuckets.map((bucket) => {
        const value = counts[bucket.key] ?? 0;
        return (
          <div key={bucket.key} style={{ display: 'contents' }} data-bucket={bucket.key}>
            <span>{bucket.label}</span>
            <div className={styles.track} aria-hidden="true">
              <div style={{ width: `${total === 0 ? 0 : (100 * value) / total}%`, height: '100%', backgroundColor: barColors[bucket.color] }} />
            </div>
            <span className={styles.count}>{value}</span>
          </div>
        );
      })}
    </div>
  );
}

export interface Column<T> {
  key: string;
  title: string;
  render(row: T): ReactNode;
}

export function DataTable<T>({ label, columns, rows, rowKey, empty }: { label: string; columns: readonly Column<T>[]; rows: readonly T[]; rowKey(row: T): string; empty: string }) {
  return (
    <Table aria-label={label} size="small">
      <TableHeader>
        <TableRow>
          {columns.map((c) => <TableHeaderCell key={c.key}>{c.title}</TableHeaderCell>)}
        </TableRow>
      </TableHeader>
      <TableBody>
        {rows.length === 0 ? (
          <TableRow>
            <TableCell colSpan={columns.length}>{empty}</TableCell>
          </TableRow>
        ) : rows.map((row) => (
          <TableRow key={rowKey(row)}>
            {columns.map((c) => <TableCell key={c.key}>{c.render(row)}</TableCell>)}
          </TableRow>
        ))}
      </TableBody>
    </Table>
  );
}

export function formatDate(iso: string | null | undefined): string {
  if (!iso) return '—';
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) || date.getUTCFullYear() < 1900 ? '—' : date.toLocaleString();
}
