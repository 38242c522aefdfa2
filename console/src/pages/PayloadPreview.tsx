import { useState } from 'react';
import { Button, Field, MessageBar, MessageBarBody, Select, Text, makeStyles, tokens } from '@fluentui/react-components';
import { previewPayload, type PayloadPreview as Preview } from '../api-profile.ts';
import { useLoad } from '../components.tsx';
import { useSession } from '../session.tsx';
import type { GraphUser } from './common.ts';

const useStyles = makeStyles({
  tools: { display: 'flex', gap: tokens.spacingHorizontalL, alignItems: 'end', flexWrap: 'wrap' },
  payload: { maxHeight: '24rem', overflow: 'auto', backgroundColor: tokens.colorNeutralBackground3, padding: tokens.spacingHorizontalM, fontSize: tokens.fontSizeBase200 },
});

/** What a chosen user's device would receive (the server's preview: never a password or a private key). Admins only. */
export function PayloadPreview({ profileId }: { profileId: string }) {
  const { api } = useSession();
  const styles = useStyles();
  const users = useLoad(() => api.all<GraphUser>('users?$top=999&$select=id,displayName,userPrincipalName', 5000), [api]);
  const [userId, setUserId] = useState('');
  const [preview, setPreview] = useState<Preview | null>(null);
  const [error, setError] = useState<string | null>(null);
  const show = async () => {
    setError(null);
    setPreview(null);
    try {
      setPreview(await previewPayload(api, profileId, userId));
    } catch (e) {
      setError(e instanceof Error ? e.message : String(e));
    }
  };
  return (
    <>
      <div className={styles.tools}>
        <Field label="Preview for user">
          <Select value={userId} onChange={(_e, d) => setUserId(d.value)}>
            <option value="">Choose a user</option>
            {(users.data?.items ?? []).map((u) => <option key={u.id} value={u.id}>{u.displayName} ({u.userPrincipalName})</option>)}
          </Select>
        </Field>
        <Button disabled={userId === ''} onClick={() => void show()}>Preview payload</Button>
      </div>
      {error && <MessageBar intent="error"><MessageBarBody>{error}</MessageBarBody></MessageBar>}
      {preview && (
        <div aria-live="polite">
          <Text block>{preview.format} for {preview.deviceName}, address {preview.emailAddress}</Text>
          {preview.notes.map((n) => <Text block key={n}>{n}</Text>)}
          <pre className={styles.payload} tabIndex={0} aria-label="Payload">{typeof preview.content === 'string' ? preview.content : JSON.stringify(preview.content, null, 2)}</pre>
        </div>
      )}
    </>
  );
}
