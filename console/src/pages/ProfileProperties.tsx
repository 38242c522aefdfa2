import { useMemo, useState, type FormEvent } from 'react';
import { Button, Checkbox, Field, Input, MessageBar, MessageBarBody, Select, Text, Textarea, makeStyles, tokens } from '@fluentui/react-components';
import { replacementsOf, updateProfile, type ReplacementSummary } from '../api-profile.ts';
import { AppLink, formatDate, useLoad } from '../components.tsx';
import { useSession } from '../session.tsx';
import type { GraphProfile } from './common.ts';
import { ReplaceDialog } from './ReplaceDialog.tsx';

const useStyles = makeStyles({
  form: { display: 'grid', gap: tokens.spacingVerticalM, maxWidth: '32rem' },
  actions: { display: 'flex', gap: tokens.spacingHorizontalM, alignItems: 'center' },
});

const addressSources = ['userPrincipalName', 'primarySmtpAddress'];

/** Properties the editor shows on their own, or that are not settings (read-only, identity, links). */
const notOtherSettings = new Set([
  'id', '@odata.type', 'version', 'createdDateTime', 'lastModifiedDateTime', 'supportsScopeTags', 'roleScopeTagIds',
  'displayName', 'description', 'hostName', 'emailAddressSource', 'applyOnlyToWindowsPhone81',
]);

type Scalar = string | number | boolean;

/** The profile's other scalar settings (text, number, yes/no), which change in place; the server validates them. */
function otherSettingsOf(profile: GraphProfile): [string, Scalar][] {
  return Object.entries(profile).filter((e): e is [string, Scalar] => !notOtherSettings.has(e[0]) && !e[0].includes('@') && ['string', 'number', 'boolean'].includes(typeof e[1]));
}

/**
 * The properties editor: name, description and the other scalar settings change in place (PATCH); hostName and
 * emailAddressSource of an assigned email profile cannot, so changing either offers the one-step
 * replace (with its dry run) instead of saving. Admins only: readOnly sessions do not render it.
 */
export function ProfileProperties(props: { profile: GraphProfile; assigned: boolean; onSaved(): void }) {
  const { api } = useSession();
  const styles = useStyles();
  const p = props.profile;
  const isEmail = typeof p.hostName === 'string';
  const [displayName, setDisplayName] = useState(p.displayName);
  const [description, setDescription] = useState(p.description ?? '');
  const [hostName, setHostName] = useState(String(p.hostName ?? ''));
  const [addressSource, setAddressSource] = useState(String(p.emailAddressSource ?? 'userPrincipalName'));
  const others = useMemo(() => otherSettingsOf(p), [p]);
  const [settings, setSettings] = useState<Record<string, Scalar>>(() => Object.fromEntries(others));
  const [message, setMessage] = useState<{ intent: 'success' | 'error'; text: string } | null>(null);
  const [replacing, setReplacing] = useState(false);
  const identityChanged = isEmail && (hostName.trim().toLowerCase() !== String(p.hostName ?? '').toLowerCase() || addressSource !== (p.emailAddressSource ?? 'userPrincipalName'));
  const needsReplace = identityChanged && props.assigned;
  const changes = useMemo(() => {
    const out: Record<string, unknown> = {};
    if (displayName !== p.displayName) out.displayName = displayName;
    if (description !== (p.description ?? '')) out.description = description;
    if (isEmail && hostName.trim().toLowerCase() !== String(p.hostName ?? '').toLowerCase()) out.hostName = hostName.trim();
    if (isEmail && addressSource !== (p.emailAddressSource ?? 'userPrincipalName')) out.emailAddressSource = addressSource;
    for (const [key, original] of others) {
      const value = settings[key];
      if (value === undefined || String(value) === String(original)) continue;
      out[key] = typeof original === 'number' && value !== '' && !Number.isNaN(Number(value)) ? Number(value) : value;
    }
    return out;
  }, [displayName, description, hostName, addressSource, p, isEmail, others, settings]);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setMessage(null);
    if (needsReplace) {
      setReplacing(true);
      return;
    }
    try {
      await updateProfile(api, p, changes);
      setMessage({ intent: 'success', text: 'Saved. Devices get the new version at their next check-in.' });
      props.onSaved();
    } catch (e) {
      setMessage({ intent: 'error', text: e instanceof Error ? e.message : String(e) });
    }
  };

  return (
    <form className={styles.form} onSubmit={(e) => void submit(e)} aria-label="Profile properties">
      <Field label="Name" required>
        <Input value={displayName} onChange={(_e, d) => setDisplayName(d.value)} />
      </Field>
      <Field label="Description">
        <Textarea value={description} onChange={(_e, d) => setDescription(d.value)} />
      </Field>
      {isEmail && (
        <>
          <Field label="Email server (hostName)" hint={props.assigned ? 'Changing it on an assigned profile replaces the profile.' : undefined}>
            <Input value={hostName} onChange={(_e, d) => setHostName(d.value)} />
          </Field>
          <Field label="Email address attribute (emailAddressSource)">
            <Select value={addressSource} onChange={(_e, d) => setAddressSource(d.value)}>
              {addressSources.map((s) => <option key={s} value={s}>{s}</option>)}
            </Select>
          </Field>
        </>
      )}
      {others.length > 0 && (
        <fieldset className={styles.form}>
          <legend>Other settings (change in place)</legend>
          {others.map(([key, original]) => typeof original === 'boolean'
            ? <Checkbox key={key} label={key} checked={settings[key] === true} onChange={(_e, d) => setSettings((s) => ({ ...s, [key]: d.checked === true }))} />
            : (
              <Field key={key} label={key}>
                <Input type={typeof original === 'number' ? 'number' : 'text'} value={String(settings[key] ?? '')} onChange={(_e, d) => setSettings((s) => ({ ...s, [key]: d.value }))} />
              </Field>
            ))}
        </fieldset>
      )}
      <div className={styles.actions}>
        <Button appearance="primary" type="submit" disabled={Object.keys(changes).length === 0}>
          {needsReplace ? 'Replace…' : 'Save'}
        </Button>
        {needsReplace && <Text>The server or address attribute changed: devices must remove the old account and install a new one.</Text>}
      </div>
      {message && <MessageBar intent={message.intent}><MessageBarBody>{message.text}</MessageBarBody></MessageBar>}
      {replacing && <ReplaceDialog profileId={p.id} changes={changes} open onClose={() => setReplacing(false)} />}
    </form>
  );
}

/** What replaced this profile (or what it replaced), and how far devices got; nothing when it took part in no replace. */
export function ReplacementNote({ profileId }: { profileId: string }) {
  const { api } = useSession();
  const loaded = useLoad(() => replacementsOf(api, profileId), [api, profileId]);
  return <>{(loaded.data ?? []).map((r) => <ReplacementBar key={r.oldProfile.id} r={r} profileId={profileId} />)}</>;
}

function ReplacementBar({ r, profileId }: { r: ReplacementSummary; profileId: string }) {
  const isOld = r.oldProfile.id === profileId;
  const p = r.progress;
  return (
    <MessageBar intent={isOld ? 'warning' : 'info'}>
      <MessageBarBody>
        {isOld
          ? <>Replaced by <AppLink to={`/profiles/${r.newProfile.id}`}>{r.newProfile.displayName}</AppLink> on {formatDate(r.replacedDateTime)}; it can no longer be assigned. </>
          : <>Replaces {r.oldProfile.exists ? <AppLink to={`/profiles/${r.oldProfile.id}`}>{r.oldProfile.displayName}</AppLink> : r.oldProfile.displayName} since {formatDate(r.replacedDateTime)}. </>}
        Old account removed on {p.oldRemoved} device(s), still on {p.oldOnDevices} ({p.oldKept} kept); new profile installed on {p.newInstalled}, pending on {p.newPending}, failed on {p.newFailed}.
      </MessageBarBody>
    </MessageBar>
  );
}
