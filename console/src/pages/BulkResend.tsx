import { useState } from 'react';
import { Button, Text } from '@fluentui/react-components';
import { resendToDevices } from '../api-profile.ts';
import { useSession } from '../session.tsx';

/** Resends the profile to the devices the status table shows now (its search and filter); the server resends those in error, conflict or stuck. */
export function BulkResend(props: { profileId: string; deviceIds: readonly string[] }) {
  const { api } = useSession();
  const [result, setResult] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const resend = async () => {
    setBusy(true);
    try {
      const count = await resendToDevices(api, props.profileId, props.deviceIds);
      setResult(`Resend requested for ${count} device(s) in error, conflict or stuck.`);
    } catch (e) {
      setResult(e instanceof Error ? e.message : String(e));
    } finally {
      setBusy(false);
    }
  };
  return (
    <>
      <Button disabled={busy || props.deviceIds.length === 0} onClick={() => void resend()}>Resend to {props.deviceIds.length} shown</Button>
      {result && <Text aria-live="polite">{result}</Text>}
    </>
  );
}
