import { useState } from 'react';
import { Button, Field, Input, MessageBar, MessageBarBody, MessageBarTitle, Select, Text, makeStyles, tokens } from '@fluentui/react-components';
import { DataTable, LoadState, Section, formatDate, useLoad } from '../components.tsx';
import { useSession } from '../session.tsx';

interface ApiToken {
  id: string;
  role: string;
  displayName: string;
  createdDateTime: string;
  revokedDateTime: string | null;
  expirationDateTime: string | null;
  lastUsedDateTime: string | null;
}
interface IssuedApiToken {
  id: string;
  token: string;
  role: string;
  expirationDateTime: string | null;
}
interface ConsoleAccount {
  id: string;
  userName: string;
  role: string;
  createdDateTime: string;
  lastSignInDateTime: string | null;
  lockedUntilDateTime: string | null;
}

const tokensPath = 'envelope/apiTokens';
const accountsPath = 'envelope/consoleAccounts';
const roleNames: Record<string, string> = { admin: 'Admin', readOnly: 'Read only', scim: 'SCIM provisioning' };

const useStyles = makeStyles({
  form: { display: 'flex', gap: tokens.spacingHorizontalL, alignItems: 'end', flexWrap: 'wrap', marginBottom: tokens.spacingVerticalL },
  secret: { fontFamily: tokens.fontFamilyMonospace, wordBreak: 'break-all' },
});

function tokenState(token: ApiToken): string {
  if (token.revokedDateTime) return 'Revoked';
  if (token.expirationDateTime && new Date(token.expirationDateTime).getTime() < Date.now()) return 'Expired';
  return 'Active';
}

const messageOf = (e: unknown) => (e instanceof Error ? e.message : String(e));

/**
 * API tokens (admins only: the API answers 403 to readOnly tokens) — issue one (its value shown once),
 * see when each was last used, revoke — and console accounts (listed for everyone, managed by admins).
 */
export function ApiTokensSection() {
  const { api, canWrite } = useSession();
  const styles = useStyles();
  const loaded = useLoad(async () => (canWrite ? (await api.get<{ value: ApiToken[] }>(tokensPath)).value : null), [api, canWrite]);
  const [role, setRole] = useState('readOnly');
  const [label, setLabel] = useState('');
  const [days, setDays] = useState('');
  const [issued, setIssued] = useState<IssuedApiToken | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  if (!canWrite) {
    return (
      <Section title="API tokens">
        <Text>Only admins see and manage API tokens (here, or with `envelope token create|list|revoke` on the server).</Text>
      </Section>
    );
  }
  const create = async (event: React.FormEvent) => {
    event.preventDefault();
    setError(null);
    setIssued(null);
    setBusy(true);
    try {
      const body: Record<string, unknown> = { role, displayName: label };
      // The server validates the number and names the field; the form only sends what was typed.
      if (days.trim() !== '') body.expirationDays = /^\d+$/.test(days.trim()) ? Number(days.trim()) : days.trim();
      setIssued(await api.post<IssuedApiToken>(tokensPath, body));
      setLabel('');
      loaded.reload();
    } catch (e) {
      setError(messageOf(e));
    } finally {
      setBusy(false);
    }
  };
  const revoke = async (id: string) => {
    setError(null);
    try {
      await api.del(`${tokensPath}/${encodeURIComponent(id)}`);
      loaded.reload();
    } catch (e) {
      setError(messageOf(e));
    }
  };
  return (
    <Section title="API tokens">
      <form className={styles.form} onSubmit={create} aria-label="Issue an API token" noValidate>
        <Field label="Role" required>
          <Select value={role} onChange={(_e, d) => setRole(d.value)}>
            <option value="readOnly">Read only</option>
            <option value="admin">Admin</option>
            <option value="scim">SCIM provisioning</option>
          </Select>
        </Field>
        <Field label="Label (who uses it)">
          <Input value={label} onChange={(_e, d) => setLabel(d.value)} />
        </Field>
        <Field label="Expires after (days; empty: never)">
          <Input inputMode="numeric" value={days} onChange={(_e, d) => setDays(d.value)} />
        </Field>
        <Button appearance="primary" type="submit" disabled={busy}>Issue token</Button>
      </form>
      {error && <MessageBar intent="error"><MessageBarBody>{error}</MessageBarBody></MessageBar>}
      {issued && (
        <MessageBar intent="success">
          <MessageBarBody>
            <MessageBarTitle>Copy the token now: it is shown only once.</MessageBarTitle>
            <div className={styles.secret} data-testid="issued-api-token">{issued.token}</div>
            <div>{roleNames[issued.role] ?? issued.role}; {issued.expirationDateTime ? `expires ${formatDate(issued.expirationDateTime)}` : 'never expires'}.</div>
          </MessageBarBody>
        </MessageBar>
      )}
      <LoadState loaded={loaded} what="API tokens" />
      {loaded.data && (
        <DataTable<ApiToken>
          label="API tokens"
          rows={loaded.data}
          rowKey={(t) => t.id}
          empty="No API tokens."
          columns={[
            { key: 'label', title: 'Label', render: (t) => t.displayName || '—' },
            { key: 'role', title: 'Role', render: (t) => roleNames[t.role] ?? t.role },
            { key: 'state', title: 'State', render: (t) => tokenState(t) },
            { key: 'lastUsed', title: 'Last used', render: (t) => (t.lastUsedDateTime ? formatDate(t.lastUsedDateTime) : 'Never') },
            { key: 'expires', title: 'Expires', render: (t) => (t.expirationDateTime ? formatDate(t.expirationDateTime) : 'Never') },
            { key: 'created', title: 'Created', render: (t) => formatDate(t.createdDateTime) },
            {
              key: 'revoke', title: 'Actions',
              render: (t: ApiToken) => (tokenState(t) !== 'Active' ? '—' : (
                <Button size="small" onClick={() => void revoke(t.id)} aria-label={`Revoke the ${roleNames[t.role] ?? t.role} token ${t.displayName || 'without a label'} created ${formatDate(t.createdDateTime)}`}>Revoke</Button>
              )),
            },
          ]}
        />
      )}
    </Section>
  );
}

/** Console accounts: user name and role, last sign-in, lock; admins add (password set once) and delete. */
export function ConsoleAccountsSection() {
  const { api, canWrite } = useSession();
  const styles = useStyles();
  const loaded = useLoad(async () => (await api.get<{ value: ConsoleAccount[] }>(accountsPath)).value, [api]);
  const [userName, setUserName] = useState('');
  const [role, setRole] = useState('readOnly');
  const [password, setPassword] = useState('');
  const [note, setNote] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const create = async (event: React.FormEvent) => {
    event.preventDefault();
    setError(null);
    setNote(null);
    setBusy(true);
    try {
      const account = await api.post<ConsoleAccount>(accountsPath, { userName, role, password });
      setNote(`Account ${account.userName} created. Give the password to its owner by a safe channel; Envelope never shows it again.`);
      setUserName('');
      setPassword('');
      loaded.reload();
    } catch (e) {
      setError(messageOf(e));
    } finally {
      setBusy(false);
    }
  };
  const remove = async (account: ConsoleAccount) => {
    setError(null);
    setNote(null);
    try {
      await api.del(`${accountsPath}/${encodeURIComponent(account.id)}`);
      setNote(`Account ${account.userName} deleted; its sessions ended.`);
      loaded.reload();
    } catch (e) {
      setError(messageOf(e));
    }
  };
  return (
    <Section title="Console accounts">
      {canWrite && (
        <form className={styles.form} onSubmit={create} aria-label="Add a console account" noValidate>
          <Field label="User name" required>
            <Input value={userName} onChange={(_e, d) => setUserName(d.value)} autoComplete="off" />
          </Field>
          <Field label="Role" required>
            <Select value={role} onChange={(_e, d) => setRole(d.value)}>
              <option value="readOnly">Read only</option>
              <option value="admin">Admin</option>
            </Select>
          </Field>
          <Field label="Password (at least 12 characters)" required>
            <Input type="password" value={password} onChange={(_e, d) => setPassword(d.value)} autoComplete="new-password" />
          </Field>
          <Button appearance="primary" type="submit" disabled={busy}>Add account</Button>
        </form>
      )}
      {error && <MessageBar intent="error"><MessageBarBody>{error}</MessageBarBody></MessageBar>}
      {note && <MessageBar intent="success"><MessageBarBody>{note}</MessageBarBody></MessageBar>}
      <LoadState loaded={loaded} what="console accounts" />
      {loaded.data && (
        <DataTable<ConsoleAccount>
          label="Console accounts"
          rows={loaded.data}
          rowKey={(a) => a.id}
          empty="No console accounts: sign-in is by API token only."
          columns={[
            { key: 'name', title: 'User name', render: (a) => a.userName },
            { key: 'role', title: 'Role', render: (a) => roleNames[a.role] ?? a.role },
            { key: 'lastSignIn', title: 'Last sign-in', render: (a) => (a.lastSignInDateTime ? formatDate(a.lastSignInDateTime) : 'Never') },
            { key: 'locked', title: 'Locked', render: (a) => (a.lockedUntilDateTime && new Date(a.lockedUntilDateTime).getTime() > Date.now() ? `Until ${formatDate(a.lockedUntilDateTime)}` : 'No') },
            ...(canWrite ? [{
              key: 'delete', title: 'Actions',
              render: (a: ConsoleAccount) => <Button size="small" onClick={() => void remove(a)} aria-label={`Delete the console account ${a.userName}`}>Delete</Button>,
            }] : []),
          ]}
        />
      )}
    </Section>
  );
}
