import { useEffect, useState } from 'react';
import {
  Button, Dialog, DialogActions, DialogBody, DialogContent, DialogSurface, DialogTitle, MessageBar, MessageBarBody, Spinner, Text,
} from '@fluentui/react-components';
import { replaceProfile, type ReplaceResult } from '../api-profile.ts';
import { useSession } from '../session.tsx';
import { navigate } from '../router.ts';

/**
 * The one-step replace, confirmed: opens with the dry run's summary (which devices remove the old
 * account, install the new one, or are blocked and why), then replaces on "Replace" and opens the
 * new profile.
 */
export function ReplaceDialog(props: { profileId: string; changes: Record<string, unknown>; open: boolean; onClose(): void }) {
  const { api } = useSession();
  const [preview, setPreview] = useState<ReplaceResult | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  useEffect(() => {
    if (!props.open) return;
    let current = true;
    setPreview(null);
    setError(null);
    replaceProfile(api, props.profileId, props.changes, true).then(
      (r) => current && setPreview(r),
      (e: unknown) => current && setError(e instanceof Error ? e.message : String(e)),
    );
    return () => {
      current = false;
    };
  }, [api, props.open, props.profileId, props.changes]);

  const confirm = async () => {
    setBusy(true);
    setError(null);
    try {
      const done = await replaceProfile(api, props.profileId, props.changes, false);
      props.onClose();
      if (done.newProfile.id) navigate(`/profiles/${done.newProfile.id}`);
    } catch (e) {
      setError(e instanceof Error ? e.message : String(e));
    } finally {
      setBusy(false);
    }
  };

  return (
    <Dialog open={props.open} onOpenChange={(_e, d) => !d.open && props.onClose()} modalType="modal">
      <DialogSurface aria-describedby="replace-summary">
        <DialogBody>
          <DialogTitle>Replace the profile</DialogTitle>
          <DialogContent>
            <div id="replace-summary">
              <Text block>
                hostName and emailAddressSource cannot change on a deployed profile. Replace creates a new profile with your changes, moves the
                assignments to it, and devices remove the old account before they install the new one.
              </Text>
              {!preview && !error && <Spinner size="small" label="Working out what the replace does…" />}
              {error && <MessageBar intent="error"><MessageBarBody>{error}</MessageBarBody></MessageBar>}
              {preview && <ReplaceSummary result={preview} />}
            </div>
          </DialogContent>
          <DialogActions>
            <Button appearance="primary" disabled={!preview || busy} onClick={() => void confirm()}>Replace</Button>
            <Button onClick={props.onClose}>Cancel</Button>
          </DialogActions>
        </DialogBody>
      </DialogSurface>
    </Dialog>
  );
}

function ReplaceSummary({ result }: { result: ReplaceResult }) {
  const names = (items: { deviceName: string }[], count: number) =>
    items.length === 0 ? '' : `: ${items.map((i) => i.deviceName).join(', ')}${count > items.length ? ` and ${count - items.length} more` : ''}`;
  return (
    <div aria-live="polite">
      <p>{result.message}</p>
      <ul>
        <li>New profile: {result.newProfile.displayName} ({result.newProfile.hostName}, address from {result.newProfile.emailAddressSource})</li>
        <li>Assignments moved: {result.assignmentsMoved}</li>
        <li>Devices removing the old account: {result.removeOld.count}{names(result.removeOld.items, result.removeOld.count)}</li>
        <li>Devices installing the new profile: {result.installNew.count}{names(result.installNew.items, result.installNew.count)}</li>
        <li>Blocked: {result.blocked.count}</li>
      </ul>
      {result.blocked.items.length > 0 && (
        <ul aria-label="Blocked devices">
          {result.blocked.items.map((b) => (
            <li key={b.deviceId}>{b.deviceName}: {b.message}{b.oldAccount === 'kept' ? ' The old account stays on this device until the new one can be installed.' : ''}</li>
          ))}
        </ul>
      )}
    </div>
  );
}
