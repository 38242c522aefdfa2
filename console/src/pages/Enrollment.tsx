import { useState } from 'react';
import { Button, Field, Input, MessageBar, MessageBarBody, MessageBarTitle, Select, Text, makeStyles, tokens } from '@fluentui/react-components';
import { DataTable, LoadState, PageTitle, Section, formatDate, useLoad } from '../components.tsx';
import { useSession } from '../session.tsx';
import type { GraphUser } from './common.ts';
import PortalLinks from './PortalLinks.tsx';

interface EnrollmentToken {
  id: string;
  userId: string;
  platform: string;
  maxDevices: number;
  usedCount: number;
  expirationDateTime: string;
  revokedDateTime: string | null;
  createdDateTime: string;
}

interface IssuedToken {
  id: string;
  token: string;
  enrollmentUrl: string;
  expirationDateTime: string;
  maxDevices: number;
}

const path = 'envelope/enrollmentTokens';
const useStyles = makeStyles({
  form: { display: 'flex', gap: tokens.spacingHorizontalL, alignItems: 'end', flexWrap: 'wrap', marginBottom: tokens.spacingVerticalL },
  secret: { fontFamily: tokens.fontFamilyMonospace, wordBreak: 'break-all' },
});

function tokenState(t: EnrollmentToken): string {
  if (t.revokedDateTime) return 'Revoked';
  if (new Date(t.expirationDateTime).getTime() < Date.now()) return 'Expired';
  if (t.usedCount >= t.maxDevices) return 'Used up';
  return 'Active';
}

/** Enrollment tokens: the links that enroll a user's devices; admins create (shown once) and revoke. */
export default function Enrollment() {
  const { api, canWrite } = useSession();
  const styles = useStyles();
  const loaded = useLoad(async () => {
    const [tokens, users] = await Promise.all([api.all<EnrollmentToken>(`${path}?$top=999`, 5000), api.all<GraphUser>('users?$top=999&$select=id,displayName,userPrincipalName', 20_000)]);
    return { tokens: tokens.items, users: users.items };
  }, [api]);
  const [userId, setUserId] = useState('');
  const [platform, setPlatform] = useState('iOS');
  const [maxDevices, setMaxDevices] = useState('1');
  const [issued, setIssued] = useState<IssuedToken | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const upn = new Map(loaded.data?.users.map((u) => [u.id, u.userPrincipalName]) ?? []);

  const create = async (event: React.FormEvent) => {
    event.preventDefault();
    setError(null);
    setIssued(null);
    if (!userId) return setError('Choose the user whose device the link enrolls.');
    const count = Number(maxDevices);
    if (!Number.isInteger(count) || count < 1) return setError('Devices must be a whole number of at least 1.');
    setBusy(true);
    try {
      setIssued(await api.post<IssuedToken>(path, { userId, platform, maxDevices: count }));
      loaded.reload();
    } catch (e) {
      setError(e instanceof Error ? e.message : String(e));
    } finally {
      setBusy(false);
    }
  };
  const revoke = async (id: string) => {
    setError(null);
    try {
      await api.del(`${path}/${encodeURIComponent(id)}`);
      loaded.reload();
    } catch (e) {
      setError(e instanceof Error ? e.message : String(e));
    }
  };

  return (
    <>
      <PageTitle>Enrollment</PageTitle>
      <LoadState loaded={loaded} what="enrollment tokens" />
      {canWrite && loaded.data && (
        <Section title="Create an enrollment link">
          <form className={styles.form} onSubmit={create} aria-label="Create an enrollment link" noValidate>
            <Field label="User" required>
              <Select value={userId} onChange={(_e, d) => setUserId(d.value)}>
                <option value="">Choose a user</option>
                {loaded.data.users.map((u) => <option key={u.id} value={u.id}>{u.displayName} ({u.userPrincipalName})</option>)}
              </Select>
            </Field>
            <Field label="Platform" required>
              <Select value={platform} onChange={(_e, d) => setPlatform(d.value)}>
                <option value="iOS">iOS/iPadOS</option>
                <option value="Windows">Windows</option>
                <option value="Android">Android</option>
              </Select>
            </Field>
            <Field label="Devices it may enroll" required>
              <Input type="number" min={1} value={maxDevices} onChange={(_e, d) => setMaxDevices(d.value)} />
            </Field>
            <Button appearance="primary" type="submit" disabled={busy}>Create link</Button>
          </form>
          {error && <MessageBar intent="error"><MessageBarBody>{error}</MessageBarBody></MessageBar>}
          {issued && (
            <MessageBar intent="success">
              <MessageBarBody>
                <MessageBarTitle>Send this link to the user now: it is shown only once.</MessageBarTitle>
                <div className={styles.secret} data-testid="enrollment-url">{issued.enrollmentUrl}</div>
                <div>Token (Windows asks for it as the password): <span className={styles.secret}>{issued.token}</span></div>
                <div>Expires {formatDate(issued.expirationDateTime)}; enrolls up to {issued.maxDevices} device(s).</div>
              </MessageBarBody>
            </MessageBar>
          )}
        </Section>
      )}
      {loaded.data && (
        <Section title="Enrollment tokens">
          {!canWrite && <Text>Read-only: tokens are listed, never their values.</Text>}
          <DataTable<EnrollmentToken>
            label="Enrollment tokens"
            rows={loaded.data.tokens}
            rowKey={(t) => t.id}
            empty="No enrollment tokens yet."
            columns={[
              { key: 'user', title: 'User', render: (t) => upn.get(t.userId) ?? t.userId },
              { key: 'platform', title: 'Platform', render: (t) => t.platform },
              { key: 'used', title: 'Enrolled devices', render: (t) => `${t.usedCount} of ${t.maxDevices}` },
              { key: 'state', title: 'State', render: (t) => tokenState(t) },
              { key: 'created', title: 'Created', render: (t) => formatDate(t.createdDateTime) },
              { key: 'expires', title: 'Expires', render: (t) => formatDate(t.expirationDateTime) },
              ...(canWrite ? [{
                key: 'revoke', title: 'Actions',
                render: (t: EnrollmentToken) => (t.revokedDateTime ? '—' : <Button size="small" onClick={() => void revoke(t.id)} aria-label={`Revoke the token of ${upn.get(t.userId) ?? t.userId} created ${formatDate(t.createdDateTime)}`}>Revoke</Button>),
              }] : []),
            ]}
          />
        </Section>
      )}
      <PortalLinks />
    </>
  );
}
