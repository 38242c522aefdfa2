import { useEffect, useRef, useState } from 'react';
import {
  Button, Checkbox, Field, MessageBar, MessageBarBody, MessageBarTitle, Select, Text, makeStyles, tokens,
} from '@fluentui/react-components';
import { LoadState, Section, useLoad } from '../components.tsx';
import { useSession } from '../session.tsx';
import { profilesPath, type GraphAssignment, type GraphGroup } from './common.ts';

/** An assignment set as the editor holds it: Graph's four target kinds. */
export interface Targets {
  allUsers: boolean;
  allDevices: boolean;
  include: string[];
  exclude: string[];
}

export const noTargets: Targets = { allUsers: false, allDevices: false, include: [], exclude: [] };

const graph = '#microsoft.graph.';

export function targetsOf(assignments: readonly GraphAssignment[]): Targets {
  const targets: Targets = { allUsers: false, allDevices: false, include: [], exclude: [] };
  for (const { target } of assignments) {
    const type = target['@odata.type'].replace(graph, '');
    if (type === 'allLicensedUsersAssignmentTarget') targets.allUsers = true;
    else if (type === 'allDevicesAssignmentTarget') targets.allDevices = true;
    else if (type === 'exclusionGroupAssignmentTarget' && target.groupId) targets.exclude.push(target.groupId);
    else if (target.groupId) targets.include.push(target.groupId);
  }
  return targets;
}

/** The Graph `assign` body for `targets` (it replaces the whole set). */
export function assignBody(targets: Targets): { assignments: { target: Record<string, string> }[] } {
  return {
    assignments: [
      ...(targets.allUsers ? [{ target: { '@odata.type': `${graph}allLicensedUsersAssignmentTarget` } }] : []),
      ...(targets.allDevices ? [{ target: { '@odata.type': `${graph}allDevicesAssignmentTarget` } }] : []),
      ...targets.include.map((groupId) => ({ target: { '@odata.type': `${graph}groupAssignmentTarget`, groupId } })),
      ...targets.exclude.map((groupId) => ({ target: { '@odata.type': `${graph}exclusionGroupAssignmentTarget`, groupId } })),
    ],
  };
}

export function isEmpty(targets: Targets): boolean {
  return !targets.allUsers && !targets.allDevices && targets.include.length === 0 && targets.exclude.length === 0;
}

interface DryRunDevice {
  deviceId: string;
  deviceName: string;
  userPrincipalName: string | null;
}
interface DeviceList {
  count: number;
  userCount?: number;
  items: DryRunDevice[];
}
/** The answer of `…/envelope/dryRunAssign` (decision 0023). */
export interface DryRunResult {
  devicesEvaluated: number;
  gain: DeviceList;
  keep: DeviceList;
  update: DeviceList;
  lose: DeviceList;
  kept: { count: number; items: (DryRunDevice & { reasonCode: string; message: string })[] };
  conflicts: { count: number; items: (DryRunDevice & { kind: string; message: string; profiles: { id: string; displayName: string }[] })[] };
  conflictsResolved: DeviceList;
  usersMissingAttribute: { count: number; items: { userId: string; userPrincipalName: string; message: string }[] };
  devicesWithoutPrimaryUser: DeviceList;
  notApplicableCount: number;
}

const useStyles = makeStyles({
  row: { display: 'flex', gap: tokens.spacingHorizontalM, alignItems: 'end', flexWrap: 'wrap', marginBottom: tokens.spacingVerticalM },
  chosen: { listStyleType: 'none', margin: 0, padding: 0, display: 'flex', flexDirection: 'column', gap: tokens.spacingVerticalXS },
  chosenItem: { display: 'flex', gap: tokens.spacingHorizontalM, alignItems: 'center' },
  counts: { display: 'grid', gridTemplateColumns: 'max-content max-content 1fr', gap: `${tokens.spacingVerticalXS} ${tokens.spacingHorizontalL}`, margin: `0 0 ${tokens.spacingVerticalM}` },
  actions: { display: 'flex', gap: tokens.spacingHorizontalM, marginTop: tokens.spacingVerticalM },
  list: { margin: `${tokens.spacingVerticalXS} 0 ${tokens.spacingVerticalM}`, paddingLeft: tokens.spacingHorizontalXL },
});

/**
 * The assignment controls: all users, all devices, included and excluded groups. A group is chosen from
 * a list and added as included or excluded (a group is never both: adding it to one side takes it from
 * the other).
 */
export function TargetsPicker({ groups, value, onChange }: { groups: readonly GraphGroup[]; value: Targets; onChange(targets: Targets): void }) {
  const styles = useStyles();
  const [groupId, setGroupId] = useState('');
  const names = new Map(groups.map((g) => [g.id, g.displayName]));
  const add = (side: 'include' | 'exclude') => {
    if (!groupId) return;
    const other = side === 'include' ? 'exclude' : 'include';
    onChange({ ...value, [side]: value[side].includes(groupId) ? value[side] : [...value[side], groupId], [other]: value[other].filter((id) => id !== groupId) });
    setGroupId('');
  };
  const remove = (side: 'include' | 'exclude', id: string) => onChange({ ...value, [side]: value[side].filter((g) => g !== id) });
  const chosen = (side: 'include' | 'exclude', title: string) => (
    <div>
      <Text weight="semibold">{title}</Text>
      {value[side].length === 0 ? <Text block>None.</Text> : (
        <ul className={styles.chosen} aria-label={title}>
          {value[side].map((id) => (
            <li key={id} className={styles.chosenItem}>
              <span>{names.get(id) ?? id}</span>
              <Button size="small" onClick={() => remove(side, id)} aria-label={`Remove ${names.get(id) ?? id} from ${title.toLowerCase()}`}>Remove</Button>
            </li>
          ))}
        </ul>
      )}
    </div>
  );
  return (
    <div>
      <div className={styles.row}>
        <Checkbox label="All users" checked={value.allUsers} onChange={(_e, d) => onChange({ ...value, allUsers: d.checked === true })} />
        <Checkbox label="All devices" checked={value.allDevices} onChange={(_e, d) => onChange({ ...value, allDevices: d.checked === true })} />
      </div>
      <div className={styles.row}>
        <Field label="Group">
          <Select value={groupId} onChange={(_e, d) => setGroupId(d.value)}>
            <option value="">Choose a group</option>
            {groups.map((g) => <option key={g.id} value={g.id}>{g.displayName}</option>)}
          </Select>
        </Field>
        <Button onClick={() => add('include')} disabled={!groupId}>Include group</Button>
        <Button onClick={() => add('exclude')} disabled={!groupId}>Exclude group</Button>
      </div>
      <div className={styles.row} style={{ alignItems: 'start', gap: tokens.spacingHorizontalXXXL }}>
        {chosen('include', 'Included groups')}
        {chosen('exclude', 'Excluded groups')}
      </div>
    </div>
  );
}

const few = 5;
const deviceNames = (list: DeviceList) =>
  list.items.slice(0, few).map((d) => (d.userPrincipalName ? `${d.deviceName} (${d.userPrincipalName})` : d.deviceName)).join(', ') +
  (list.count > few ? `, and ${list.count - few} more` : '');

/** What the dry run says the change would do: counts with a few names, then the problems it found. */
export function DryRunSummary({ result }: { result: DryRunResult }) {
  const styles = useStyles();
  const rows: [string, DeviceList][] = [
    ['Gain the profile', result.gain],
    ['Keep it unchanged', result.keep],
    ['Updated in place', result.update],
    ['Lose the profile', result.lose],
  ];
  return (
    <div role="region" aria-label="Dry run result">
      <Text block>{result.devicesEvaluated} device(s) evaluated; nothing has been saved yet.</Text>
      <dl className={styles.counts}>
        {rows.map(([label, list]) => (
          <div key={label} style={{ display: 'contents' }} data-change={label}>
            <dt>{label}</dt>
            <dd style={{ margin: 0, fontVariantNumeric: 'tabular-nums' }}>{list.count}</dd>
            <dd style={{ margin: 0 }}>{list.count > 0 ? deviceNames(list) : ''}</dd>
          </div>
        ))}
      </dl>
      {result.conflicts.count > 0 && (
        <MessageBar intent="warning">
          <MessageBarBody>
            <MessageBarTitle>{result.conflicts.count} conflict(s): neither profile is sent to these devices</MessageBarTitle>
            <ul className={styles.list}>
              {result.conflicts.items.slice(0, few).map((c) => <li key={`${c.deviceId}-${c.kind}`}>{c.deviceName}: {c.message}</li>)}
            </ul>
          </MessageBarBody>
        </MessageBar>
      )}
      {result.kept.count > 0 && (
        <MessageBar intent="info">
          <MessageBarBody>
            <MessageBarTitle>{result.kept.count} device(s) keep the profile although no longer assigned</MessageBarTitle>
            <ul className={styles.list}>
              {result.kept.items.slice(0, few).map((k) => <li key={k.deviceId}>{k.deviceName}: {k.message}</li>)}
            </ul>
          </MessageBarBody>
        </MessageBar>
      )}
      {result.usersMissingAttribute.count > 0 && (
        <MessageBar intent="warning">
          <MessageBarBody>
            <MessageBarTitle>{result.usersMissingAttribute.count} user(s) lack a directory attribute the profile needs</MessageBarTitle>
            <ul className={styles.list}>
              {result.usersMissingAttribute.items.slice(0, few).map((u) => <li key={u.userId}>{u.userPrincipalName}: {u.message}</li>)}
            </ul>
          </MessageBarBody>
        </MessageBar>
      )}
      {result.devicesWithoutPrimaryUser.count > 0 && (
        <MessageBar intent="warning">
          <MessageBarBody>
            <MessageBarTitle>{result.devicesWithoutPrimaryUser.count} device(s) have no primary user and cannot receive the profile</MessageBarTitle>
            {deviceNames(result.devicesWithoutPrimaryUser)}
          </MessageBarBody>
        </MessageBar>
      )}
      {result.conflictsResolved.count > 0 && <Text block>{result.conflictsResolved.count} conflict(s) of this profile would end: {deviceNames(result.conflictsResolved)}.</Text>}
      {result.notApplicableCount > 0 && <Text block>{result.notApplicableCount} device(s) in scope are of another platform (not applicable).</Text>}
    </div>
  );
}

/** "All users, Sales, excluding Contractors" for the read-only view. */
function describeTargets(targets: Targets, names: ReadonlyMap<string, string>): string {
  const parts = [
    ...(targets.allUsers ? ['All users'] : []),
    ...(targets.allDevices ? ['All devices'] : []),
    ...targets.include.map((id) => names.get(id) ?? id),
    ...targets.exclude.map((id) => `excluding ${names.get(id) ?? id}`),
  ];
  return parts.length === 0 ? 'Not assigned.' : parts.join(', ');
}

/**
 * The assignments editor of a profile: change the targets, **Preview changes** (the dry run: who gains,
 * keeps, updates, loses the profile; conflicts; only-profile keeps; missing attributes), then **Save**
 * (Graph `assign`). Save is offered only for the selection just previewed. A readOnly token sees the
 * assignments and no control.
 */
export default function AssignmentsEditor({ profileId, onSaved }: { profileId: string; onSaved?(): void }) {
  const { api, canWrite } = useSession();
  const classes = useStyles();
  const base = `${profilesPath}/${encodeURIComponent(profileId)}`;
  const loaded = useLoad(async () => {
    const [assignments, groups] = await Promise.all([
      api.get<{ value: GraphAssignment[] }>(`${base}/assignments`),
      api.all<GraphGroup>('groups?$top=999&$select=id,displayName', 20_000),
    ]);
    return { saved: targetsOf(assignments.value), groups: groups.items };
  }, [api, base]);
  const [targets, setTargets] = useState<Targets | null>(null);
  const [preview, setPreview] = useState<{ for: string; result: DryRunResult } | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [savedNote, setSavedNote] = useState<string | null>(null);
  const previewHeading = useRef<HTMLDivElement>(null);
  const current = targets ?? loaded.data?.saved ?? null;
  const key = current ? JSON.stringify(assignBody(current)) : '';

  const runPreview = async () => {
    if (!current) return;
    setBusy(true);
    setError(null);
    setSavedNote(null);
    try {
      const result = await api.post<DryRunResult>(`${base}/envelope/dryRunAssign?$top=20`, assignBody(current));
      setPreview({ for: key, result });
    } catch (e) {
      setError(e instanceof Error ? e.message : String(e));
    } finally {
      setBusy(false);
    }
  };
  const save = async () => {
    if (!current) return;
    setBusy(true);
    setError(null);
    try {
      await api.post(`${base}/assign`, assignBody(current));
      setPreview(null);
      setTargets(null);
      setSavedNote('Assignments saved. Devices are being updated.');
      loaded.reload();
      onSaved?.();
    } catch (e) {
      setError(e instanceof Error ? e.message : String(e));
    } finally {
      setBusy(false);
    }
  };
  useEffect(() => {
    if (preview) previewHeading.current?.focus();
  }, [preview]);

  const names = new Map(loaded.data?.groups.map((g) => [g.id, g.displayName]) ?? []);
  const fresh = preview !== null && preview.for === key;
  return (
    <Section title="Assignments">
      <LoadState loaded={loaded} what="the assignments" />
      {loaded.data && current && !canWrite && <Text block>{describeTargets(loaded.data.saved, names)}</Text>}
      {loaded.data && current && canWrite && (
        <>
          <TargetsPicker groups={loaded.data.groups} value={current} onChange={(t) => { setTargets(t); setSavedNote(null); }} />
          <div className={classes.actions}>
            <Button onClick={() => void runPreview()} disabled={busy}>Preview changes</Button>
            <Button appearance="primary" onClick={() => void save()} disabled={busy || !fresh}>Save assignments</Button>
          </div>
          {!fresh && preview === null && <Text block size={200}>Preview the change to see its effect; Save is available after the preview.</Text>}
          {preview !== null && !fresh && <Text block size={200}>The selection changed since the preview: preview again before saving.</Text>}
          {error && <MessageBar intent="error"><MessageBarBody>{error}</MessageBarBody></MessageBar>}
          {savedNote && <MessageBar intent="success"><MessageBarBody>{savedNote}</MessageBarBody></MessageBar>}
          {fresh && (
            <div ref={previewHeading} tabIndex={-1} style={{ marginTop: tokens.spacingVerticalM, outline: 'none' }}>
              <h3 style={{ fontSize: tokens.fontSizeBase400, margin: `0 0 ${tokens.spacingVerticalS}` }}>Preview of this change</h3>
              <DryRunSummary result={preview.result} />
            </div>
          )}
        </>
      )}
    </Section>
  );
}
