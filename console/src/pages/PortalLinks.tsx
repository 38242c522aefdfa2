import { useState } from 'react';
import { Button, Field, MessageBar, MessageBarBody, MessageBarTitle, Select, Text, makeStyles, tokens } from '@fluentui/react-components';
import { DataTable, LoadState, Section, formatDate, useLoad } from '../components.tsx';
import { useSession } from '../session.tsx';
import type { GraphUser } from './common.ts';

interface PortalLink {
  id: string;
  userId: string;
  expirationDateTime: string;
  revokedDateTime: string | null;
  lastUsedDateTime: string | null;
  createdDateTime: string;
}
interface IssuedPortalLink {
  id: string;
  url: string;
  expirationDateTime: string;
}

const useStyles = makeStyles({
  form: { display: 'flex', gap: tokens.spacingHorizontalL, alignItems: 'end', flexWrap: 'wrap', marginBottom: tokens.spacingVerticalL },
  secret: { fontFamily: tokens.fontFamilyMonospace, wordBreak: 'break-all' },
});

const linksPath = (userId: string) => `users/${encodeURIComponent(userId)}/envelope/portalLinks`;

function linkState(link: PortalLink): string {
  if (link.revokedDateTime) return 'Revoked';
  return new Date(link.expirationDateTime).getTime() < Date.now() ? 'Expired' : 'Active';
}

/**
 * Company portal links (decision 0031): choose a user to see their links; admins create one (the URL
 * is shown once: only its secret's hash is stored) and revoke. The user opens it to see their
 * devices, what to do, and to get an enrollment link.
 */
export default function PortalLinks() {
  const { api, canWrite } = useSession();
  const styles = useStyles();
  const users = useLoad(async () => (await api.all<GraphUser>('users?$top=999&$select=id,displayName,userPrincipalName', 20_000)).items, [api]);
  const [userId, setUserId] = useState('');
  const links = useLoad(async () => (userId ? (await api.get<{ value: PortalLink[] }>(linksPath(userId))).value : null), [api, userId]);
  const [issued, setIssued] = useState<IssuedPortalLink | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const upn = users.data?.find((u) => u.id === userId)?.userPrincipalName ?? '';

  const create = async (event: React.FormEvent) => {
    event.preventDefault();
    setError(null);
    setIssued(null);
    if (!userId) return setError('Choose the user the link is for.');
    setBusy(true);
    try {
      setIssued(await api.post<IssuedPortalLink>(`users/${encodeURIComponent(userId)}/envelope/portalLink`, {}));
      links.reload();
    } catch (e) {
      setError(e instanceof Error ? e.message : String(e));
    } finally {
      setBusy(false);
    }
  };
  const revoke = async (linkId: string) => {
    setError(null);
    try {
      await api.del(`${linksPath(userId)}/${encodeURIComponent(linkId)}`);
      links.reload();
    } catch (e) {
      setError(e instanceof Error ? e.message : String(e));
    }
  };

  return (
    <Section title="Company portal links">
      <Text block>A personal link shows the user their devices, why mail is not set up on one and what to do, and gives them an enrollment link for a new device. It lasts 7 days.</Text>
      <LoadState loaded={users} what="users" />
      {users.data && (() => {
        const picker = (
          <Field label="Employee" required={canWrite}>
            <Select value={userId} onChange={(_e, d) => { setUserId(d.value); setIssued(null); setError(null); }}>
              <option value="">Choose a user</option>
              {users.data.map((u) => <option key={u.id} value={u.id}>{u.displayName} ({u.userPrincipalName})</option>)}
            </Select>
          </Field>
        );
        // readOnly tokens only choose whose links to list: no form, nothing to submit.
        return canWrite ? (
          <form className={styles.form} onSubmit={create} aria-label="Company portal link" noValidate>
            {picker}
            <Button appearance="primary" type="submit" disabled={busy}>Create portal link</Button>
          </form>
        ) : <div className={styles.form}>{picker}</div>;
      })()}
      {error && <MessageBar intent="error"><MessageBarBody>{error}</MessageBarBody></MessageBar>}
      {issued && (
        <MessageBar intent="success">
          <MessageBarBody>
            <MessageBarTitle>Send this link to {upn} now: it is shown only once.</MessageBarTitle>
            <div className={styles.secret} data-testid="portal-url">{issued.url}</div>
            <div>Expires {formatDate(issued.expirationDateTime)}.</div>
          </MessageBarBody>
        </MessageBar>
      )}
      {userId && <LoadState loaded={links} what="portal links" />}
      {links.data && (
        <DataTable<PortalLink>
          label={`Portal links of ${upn}`}
          rows={links.data}
          rowKey={(l) => l.id}
          empty="No portal links for this user."
          columns={[
            { key: 'state', title: 'State', render: (l) => linkState(l) },
            { key: 'created', title: 'Created', render: (l) => formatDate(l.createdDateTime) },
            { key: 'expires', title: 'Expires', render: (l) => formatDate(l.expirationDateTime) },
            { key: 'used', title: 'Last used', render: (l) => (l.lastUsedDateTime ? formatDate(l.lastUsedDateTime) : 'Never') },
            ...(canWrite ? [{
              key: 'revoke', title: 'Actions',
              render: (l: PortalLink) => (linkState(l) !== 'Active' ? '—' : <Button size="small" onClick={() => void revoke(l.id)} aria-label={`Revoke the portal link of ${upn} created ${formatDate(l.createdDateTime)}`}>Revoke</Button>),
            }] : []),
          ]}
        />
      )}
    </Section>
  );
}
