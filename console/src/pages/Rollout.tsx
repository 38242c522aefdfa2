import { useEffect, useState } from 'react';
import {
  Badge, Button, Checkbox, Field, Input, MessageBar, MessageBarBody, MessageBarTitle, Radio, RadioGroup, Select, Text, Textarea,
  makeStyles, tokens,
} from '@fluentui/react-components';
import { LoadState, Section, formatDate, useLoad } from '../components.tsx';
import { useSession } from '../session.tsx';
import {
  describeRing, getRollout, moveRollout, ringsFromInput, rolloutStateLabels, startRollout,
  type Rollout, type RolloutAction, type StartRollout,
} from '../api-rollout.ts';
import type { GraphGroup } from './common.ts';

const useStyles = makeStyles({
  facts: { display: 'grid', gridTemplateColumns: 'max-content 1fr', gap: `${tokens.spacingVerticalXS} ${tokens.spacingHorizontalL}`, margin: 0 },
  row: { display: 'flex', gap: tokens.spacingHorizontalM, alignItems: 'center', flexWrap: 'wrap', margin: `${tokens.spacingVerticalM} 0` },
  form: { display: 'grid', gap: tokens.spacingVerticalM, maxWidth: '36rem' },
  track: { maxWidth: '36rem', height: '10px', backgroundColor: tokens.colorNeutralBackground3, borderRadius: tokens.borderRadiusMedium, overflow: 'hidden', marginBottom: tokens.spacingVerticalM },
  fill: { height: '100%', backgroundColor: tokens.colorBrandBackground },
});

const inForce = (rollout: Rollout | null) => rollout !== null && ['running', 'paused', 'stopped', 'rolledBack'].includes(rollout.state);
const stateColor = { running: 'brand', paused: 'warning', stopped: 'danger', rolledBack: 'danger', completed: 'success', superseded: 'subtle' } as const;

/**
 * The profile page's staged-rollout panel (decision 0029): rings and progress, the paused reason,
 * and for admins start, advance, pause/resume, stop (kill switch) and roll back. readOnly tokens see
 * the progress only. Refreshes every few seconds while a rollout runs (the worker moves it).
 */
export default function RolloutPanel({ profileId, odataType }: { profileId: string; odataType: string }) {
  const { api, canWrite } = useSession();
  const styles = useStyles();
  const loaded = useLoad(async () => {
    const [rollout, groups] = await Promise.all([getRollout(api, profileId), api.all<GraphGroup>('groups?$top=999&$select=id,displayName', 20_000)]);
    return { rollout, groups: groups.items };
  }, [api, profileId]);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  // The start form opens on demand: the profile page stays short, and its fields appear only when wanted.
  const [starting, setStarting] = useState(false);
  const rollout = loaded.data?.rollout ?? null;
  const running = rollout?.state === 'running' || rollout?.state === 'paused';

  useEffect(() => {
    if (!running) return undefined;
    const timer = setInterval(() => loaded.reload(), 3000);
    return () => clearInterval(timer);
  }, [running, loaded.reload]);

  const groupName = (id: string) => loaded.data?.groups.find((g) => g.id === id)?.displayName ?? id;
  const act = async (action: RolloutAction) => {
    setError(null);
    setBusy(true);
    try {
      await moveRollout(api, profileId, action);
      loaded.reload();
    } catch (e) {
      setError(e instanceof Error ? e.message : String(e));
    } finally {
      setBusy(false);
    }
  };

  return (
    <Section title="Staged rollout">
      <LoadState loaded={loaded} what="the staged rollout" />
      {error && <MessageBar intent="error"><MessageBarBody>{error}</MessageBarBody></MessageBar>}
      {loaded.data && rollout === null && <Text block>No staged rollout of this profile yet.</Text>}
      {rollout && (
        <div data-testid="rollout-progress">
          <div className={styles.row}>
            <Badge appearance="filled" color={stateColor[rollout.state]}>{rolloutStateLabels[rollout.state]}</Badge>
            <Text weight="semibold">Ring {rollout.currentRing} of {rollout.ringCount}</Text>
            <Text>{rollout.kind === 'assign' ? 'New assignment' : `Profile update: version ${rollout.previousVersion} → ${rollout.targetVersion}`}</Text>
          </div>
          {/* A plain bar, not a progressbar role: the console's "still loading" is a progressbar; the text says the same. */}
          <div className={styles.track} aria-hidden="true">
            <div className={styles.fill} style={{ width: `${(100 * rollout.currentRing) / rollout.ringCount}%` }} />
          </div>
          {rollout.state === 'paused' && rollout.pausedReason && (
            <MessageBar intent="warning" data-testid="rollout-paused"><MessageBarBody><MessageBarTitle>Paused</MessageBarTitle>{' '}{rollout.pausedReason}</MessageBarBody></MessageBar>
          )}
          {rollout.state === 'stopped' && (
            <MessageBar intent="info"><MessageBarBody><MessageBarTitle>Stopped</MessageBarTitle>{' '}No further device gets the change; devices already reached keep it. Roll back to return them to the previous state.</MessageBarBody></MessageBar>
          )}
          {rollout.state === 'rolledBack' && (
            <MessageBar intent="info"><MessageBarBody><MessageBarTitle>Rolled back</MessageBarTitle>{' '}Devices that were reached return to the previous state; the others never got the change.</MessageBarBody></MessageBar>
          )}
          <ol aria-label="Rings">
            {rollout.rings.map((ring, index) => (
              <li key={index}>
                {describeRing(ring, groupName)} — {index < rollout.currentRing ? 'reached' : 'not reached yet'}
              </li>
            ))}
          </ol>
          <dl className={styles.facts} aria-label="Progress of the devices reached">
            <dt>Devices reached</dt><dd data-testid="rollout-reached">{rollout.reached.reached}</dd>
            <dt>Succeeded</dt><dd>{rollout.reached.succeeded}</dd>
            <dt>Errors and conflicts</dt><dd data-testid="rollout-errors">{rollout.reached.errors}</dd>
            <dt>Pending</dt><dd>{rollout.reached.pending}</dd>
            <dt>Error rate</dt><dd>{rollout.reached.errorRatePercent} % (pauses above {rollout.errorThresholdPercent} %)</dd>
            <dt>Soak per ring</dt><dd>{rollout.soakMinutes} min{rollout.soakEndsDateTime ? `, this ring until ${formatDate(rollout.soakEndsDateTime)}` : ''}</dd>
            <dt>Advances</dt><dd>{rollout.autoAdvance ? 'Automatically while under the threshold' : 'Manually'}</dd>
            <dt>Started</dt><dd>{formatDate(rollout.createdDateTime)}</dd>
          </dl>
          {canWrite && inForce(rollout) && (
            <div className={styles.row} role="group" aria-label="Rollout actions">
              {running && <Button appearance="primary" disabled={busy} onClick={() => void act('advance')}>{rollout.currentRing >= rollout.ringCount ? 'Complete' : 'Advance to next ring'}</Button>}
              {rollout.state === 'running' && <Button disabled={busy} onClick={() => void act('pause')}>Pause</Button>}
              {rollout.state === 'paused' && <Button disabled={busy} onClick={() => void act('resume')}>Resume</Button>}
              {running && <Button disabled={busy} onClick={() => void act('stop')}>Stop (no more devices)</Button>}
              {rollout.state !== 'rolledBack' && <Button disabled={busy} onClick={() => void act('rollBack')}>{rollout.state === 'stopped' ? 'Roll back' : 'Stop and roll back'}</Button>}
            </div>
          )}
          <details>
            <summary>History</summary>
            <ul>
              {rollout.history.map((h, index) => (
                <li key={index}>{formatDate(h.dateTime)}: {h.action} (ring {h.ring}) by {h.by}{h.reason ? ` — ${h.reason}` : ''}</li>
              ))}
            </ul>
          </details>
        </div>
      )}
      {canWrite && loaded.data && !inForce(rollout) && !starting && (
        <div className={styles.row}><Button aria-expanded={false} onClick={() => setStarting(true)}>Start a staged rollout…</Button></div>
      )}
      {canWrite && loaded.data && !inForce(rollout) && starting && (
        <StartForm odataType={odataType} groups={loaded.data.groups} onCancel={() => setStarting(false)} onStart={async (body) => {
          setError(null);
          await startRollout(api, profileId, body);
          setStarting(false);
          loaded.reload();
        }} />
      )}
    </Section>
  );
}

function StartForm({ odataType, groups, onStart, onCancel }: { odataType: string; groups: GraphGroup[]; onStart(body: StartRollout): Promise<void>; onCancel(): void }) {
  const styles = useStyles();
  const [kind, setKind] = useState<'assign' | 'update'>('assign');
  const [groupId, setGroupId] = useState('');
  const [patch, setPatch] = useState(JSON.stringify({ '@odata.type': odataType }, null, 2));
  const [pilot, setPilot] = useState('');
  const [percentages, setPercentages] = useState('1, 10, 100');
  const [threshold, setThreshold] = useState('5');
  const [soak, setSoak] = useState('60');
  const [autoAdvance, setAutoAdvance] = useState(true);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const submit = async (event: React.FormEvent) => {
    event.preventDefault();
    setError(null);
    const rings = ringsFromInput(percentages, pilot);
    if ('error' in rings) return setError(rings.error);
    const thresholdValue = Number(threshold);
    if (threshold.trim() === '' || !Number.isFinite(thresholdValue) || thresholdValue < 0 || thresholdValue > 100) return setError('Error threshold: a percentage from 0 to 100.');
    const soakValue = Number(soak);
    if (soak.trim() === '' || !Number.isFinite(soakValue) || soakValue < 0) return setError('Soak: minutes, 0 or more.');
    let change: Pick<StartRollout, 'assign' | 'update'>;
    if (kind === 'assign') {
      if (!groupId) return setError('Choose the group to assign the profile to.');
      change = { assign: { assignments: [{ target: { '@odata.type': '#microsoft.graph.groupAssignmentTarget', groupId } }] } };
    } else {
      try {
        change = { update: JSON.parse(patch) as Record<string, unknown> };
      } catch {
        return setError('Settings update: the PATCH body is not valid JSON.');
      }
    }
    setBusy(true);
    try {
      await onStart({ ...change, rings: rings.rings, errorThresholdPercent: thresholdValue, soakMinutes: soakValue, autoAdvance });
    } catch (e) {
      setError(e instanceof Error ? e.message : String(e));
    } finally {
      setBusy(false);
    }
  };

  return (
    <form className={styles.form} onSubmit={submit} aria-label="Start a staged rollout" noValidate>
      <Field label="Change to roll out">
        <RadioGroup value={kind} onChange={(_e, d) => setKind(d.value as 'assign' | 'update')} layout="horizontal">
          <Radio value="assign" label="Assign to a group" />
          <Radio value="update" label="Update settings" />
        </RadioGroup>
      </Field>
      {kind === 'assign' ? (
        <Field label="Assign to group" hint="Replaces the profile's current assignments." required>
          <Select value={groupId} onChange={(_e, d) => setGroupId(d.value)}>
            <option value="">Choose a group</option>
            {groups.map((g) => <option key={g.id} value={g.id}>{g.displayName}</option>)}
          </Select>
        </Field>
      ) : (
        <Field label="Settings update (Graph PATCH body, JSON)" required>
          <Textarea value={patch} onChange={(_e, d) => setPatch(d.value)} rows={5} resize="vertical" />
        </Field>
      )}
      <Field label="Pilot group first (optional)">
        <Select value={pilot} onChange={(_e, d) => setPilot(d.value)}>
          <option value="">No pilot group</option>
          {groups.map((g) => <option key={g.id} value={g.id}>{g.displayName}</option>)}
        </Select>
      </Field>
      <Field label="Rings (percent of devices)" hint="Increasing, separated by commas, ending at 100." required>
        <Input value={percentages} onChange={(_e, d) => setPercentages(d.value)} />
      </Field>
      <Field label="Pause when the error rate exceeds (%)" required>
        <Input type="number" min={0} max={100} value={threshold} onChange={(_e, d) => setThreshold(d.value)} />
      </Field>
      <Field label="Minimum soak per ring (minutes)" required>
        <Input type="number" min={0} value={soak} onChange={(_e, d) => setSoak(d.value)} />
      </Field>
      <Checkbox checked={autoAdvance} onChange={(_e, d) => setAutoAdvance(d.checked === true)} label="Advance automatically while under the threshold" />
      {error && <MessageBar intent="error"><MessageBarBody>{error}</MessageBarBody></MessageBar>}
      <div className={styles.row}>
        <Button appearance="primary" type="submit" disabled={busy}>Start rollout</Button>
        <Button type="button" onClick={onCancel}>Cancel</Button>
      </div>
    </form>
  );
}
