import { useCallback, useEffect, useRef, useState } from 'react';
import {
  Badge, Body1, Button, Caption1, Card, Link, MessageBar, MessageBarBody, MessageBarTitle, Radio, RadioGroup, Spinner, Text, Title2,
  makeStyles, tokens, type BadgeProps,
} from '@fluentui/react-components';
import { PortalError, forgetSecret, portalRequest, takeSecret, type Condition, type EnrollmentLink, type PortalDevice, type PortalMe } from './portal-api.ts';

const useStyles = makeStyles({
  page: { maxWidth: '48rem', margin: '0 auto', padding: `${tokens.spacingVerticalL} ${tokens.spacingHorizontalL} ${tokens.spacingVerticalXXXL}` },
  header: { display: 'flex', flexWrap: 'wrap', alignItems: 'baseline', justifyContent: 'space-between', gap: tokens.spacingHorizontalM, marginBottom: tokens.spacingVerticalL },
  devices: { display: 'grid', gap: tokens.spacingVerticalL, margin: 0, padding: 0, listStyleType: 'none' },
  deviceHead: { display: 'flex', flexWrap: 'wrap', alignItems: 'center', gap: tokens.spacingHorizontalM },
  deviceName: { fontSize: tokens.fontSizeBase500, fontWeight: tokens.fontWeightSemibold, margin: 0 },
  profile: { borderTop: `1px solid ${tokens.colorNeutralStroke2}`, paddingTop: tokens.spacingVerticalM, marginTop: tokens.spacingVerticalS },
  profileName: { fontSize: tokens.fontSizeBase400, fontWeight: tokens.fontWeightSemibold, margin: `0 0 ${tokens.spacingVerticalXS}`, display: 'flex', flexWrap: 'wrap', gap: tokens.spacingHorizontalS, alignItems: 'center' },
  steps: { margin: `${tokens.spacingVerticalS} 0 0`, paddingLeft: '1.5em', lineHeight: tokens.lineHeightBase400 },
  actions: { display: 'flex', flexWrap: 'wrap', gap: tokens.spacingHorizontalM, alignItems: 'center', marginTop: tokens.spacingVerticalM },
  section: { marginTop: tokens.spacingVerticalXXL },
  h2: { fontSize: tokens.fontSizeBase500, fontWeight: tokens.fontWeightSemibold, margin: `0 0 ${tokens.spacingVerticalM}` },
  code: { fontFamily: tokens.fontFamilyMonospace, wordBreak: 'break-all', backgroundColor: tokens.colorNeutralBackground3, padding: '2px 4px', borderRadius: tokens.borderRadiusSmall },
});

const badgeColor: Record<Condition, BadgeProps['color']> = {
  actionNeeded: 'warning',
  contactIt: 'danger',
  inProgress: 'informative',
  ready: 'success',
  kept: 'subtle',
  none: 'subtle',
};

const osNames: Record<string, string> = { iOS: 'iPhone', iPadOS: 'iPad', Windows: 'Windows PC', WindowsPhone: 'Windows phone', Android: 'Android' };

function formatTime(iso: string | null): string {
  if (iso === null) return 'not yet';
  return new Date(iso).toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' });
}

/**
 * The company portal (decision 0031): an end user's devices, each email profile's state in plain
 * words with what to do, "Check again" per device, and an enrollment link for a new device.
 */
export function PortalApp() {
  const styles = useStyles();
  const [secret] = useState(() => takeSecret());
  const [me, setMe] = useState<PortalMe | undefined>();
  const [failure, setFailure] = useState<PortalError | undefined>();
  const [loading, setLoading] = useState(true);
  const [notice, setNotice] = useState<string>('');
  const polls = useRef<number[]>([]);

  const load = useCallback(async () => {
    if (secret === null) return;
    setLoading(true);
    try {
      setMe(await portalRequest<PortalMe>(secret, 'GET', '/me'));
      setFailure(undefined);
    } catch (error) {
      const portalError = error instanceof PortalError ? error : new PortalError(0, String(error));
      if (portalError.status === 401) forgetSecret();
      setFailure(portalError);
    } finally {
      setLoading(false);
    }
  }, [secret]);

  useEffect(() => {
    void load();
    return () => polls.current.forEach((id) => window.clearTimeout(id));
  }, [load]);

  const checkAgain = async (device: PortalDevice) => {
    if (secret === null) return;
    try {
      await portalRequest(secret, 'POST', `/devices/${encodeURIComponent(device.id)}/checkAgain`);
      setNotice(`${device.deviceName} was asked to check in. This page updates by itself in the next seconds.`);
      // The device answers a push within seconds when it is on and connected: look again a few times.
      polls.current.forEach((id) => window.clearTimeout(id));
      polls.current = [3, 6, 10, 15, 25, 40].map((s) => window.setTimeout(() => void load(), s * 1000));
    } catch (error) {
      setNotice(error instanceof Error ? error.message : String(error));
    }
  };

  if (secret === null) {
    return (
      <main className={styles.page}>
        <Title2 as="h1" block>Company portal</Title2>
        <MessageBar intent="info" style={{ marginTop: tokens.spacingVerticalL }}>
          <MessageBarBody>
            <MessageBarTitle>Open your personal link</MessageBarTitle>
            Your IT department sends you a personal link to this page. Open that link to see your devices and company email.
          </MessageBarBody>
        </MessageBar>
      </main>
    );
  }

  return (
    <main className={styles.page}>
      <div className={styles.header}>
        <div>
          <Title2 as="h1" block>Your devices</Title2>
          {me && (
            <Body1 as="p" style={{ margin: 0 }}>
              Company email for {me.user.displayName}
              {me.user.displayName === (me.user.mail ?? me.user.userPrincipalName) ? '' : ` (${me.user.mail ?? me.user.userPrincipalName})`}
            </Body1>
          )}
        </div>
        <Button onClick={() => void load()} disabled={loading}>Refresh</Button>
      </div>

      <div aria-live="polite">
        {notice && (
          <MessageBar intent="info">
            <MessageBarBody>{notice}</MessageBarBody>
          </MessageBar>
        )}
      </div>

      {failure && (
        <MessageBar intent="error">
          <MessageBarBody>
            <MessageBarTitle>{failure.status === 401 ? 'This link no longer works' : 'Something went wrong'}</MessageBarTitle>
            {failure.message}
          </MessageBarBody>
        </MessageBar>
      )}
      {loading && me === undefined && !failure && <Spinner size="small" label="Loading your devices…" />}

      {me && (
        <>
          {me.devices.length === 0 ? (
            <Body1 as="p">No devices of yours are managed yet. Set one up below.</Body1>
          ) : (
            <ul className={styles.devices} aria-label="Your devices">
              {me.devices.map((device) => (
                <li key={device.id}>
                  <DeviceCard device={device} onCheckAgain={() => void checkAgain(device)} />
                </li>
              ))}
            </ul>
          )}
          <NewDevice secret={secret} />
          <Caption1 as="p" className={styles.section}>This personal link works until {formatTime(me.linkExpirationDateTime)}. Do not share it.</Caption1>
        </>
      )}
    </main>
  );
}

function DeviceCard({ device, onCheckAgain }: { device: PortalDevice; onCheckAgain: () => void }) {
  const styles = useStyles();
  const headingId = `device-${device.id}`;
  return (
    <Card aria-labelledby={headingId} role="region">
      <div className={styles.deviceHead}>
        <h2 id={headingId} className={styles.deviceName}>{device.deviceName}</h2>
        <Badge appearance="tint" color={badgeColor[device.condition]}>{device.label}</Badge>
      </div>
      <Text size={200}>
        {osNames[device.operatingSystem] ?? device.operatingSystem} {device.osVersion}{device.model ? ` · ${device.model}` : ''} · last check-in: {formatTime(device.lastCheckInDateTime)}
      </Text>
      {device.profiles.length === 0 && <Body1 as="p">No company email settings are meant for this device.</Body1>}
      {device.profiles.map((profile) => (
        <div key={profile.profileId} className={styles.profile}>
          <h3 className={styles.profileName}>
            {profile.displayName}
            <Badge appearance="tint" color={badgeColor[profile.condition]}>{profile.label}</Badge>
          </h3>
          {profile.emailAddress && <Text size={200} block>Account: {profile.emailAddress}</Text>}
          <Body1 as="p" style={{ margin: `${tokens.spacingVerticalXS} 0 0` }}>{profile.message}</Body1>
          {profile.steps.length > 0 && (
            <ol className={styles.steps} aria-label={`What to do for ${profile.displayName}`}>
              {profile.steps.map((step) => <li key={step}>{step}</li>)}
            </ol>
          )}
        </div>
      ))}
      <div className={styles.actions}>
        <Button appearance={device.condition === 'actionNeeded' ? 'primary' : 'secondary'} onClick={onCheckAgain} aria-label={`Check again: ${device.deviceName}`}>
          Check again
        </Button>
      </div>
    </Card>
  );
}

const platforms = [
  { value: 'iOS', label: 'iPhone or iPad' },
  { value: 'Windows', label: 'Windows PC' },
  { value: 'Android', label: 'Samsung (Knox) Android phone' },
] as const;

function NewDevice({ secret }: { secret: string }) {
  const styles = useStyles();
  const [platform, setPlatform] = useState<string>('iOS');
  const [issued, setIssued] = useState<{ platform: string; link: EnrollmentLink } | undefined>();
  const [error, setError] = useState<string>('');
  const [busy, setBusy] = useState(false);

  const issue = async () => {
    setBusy(true);
    setError('');
    try {
      setIssued({ platform, link: await portalRequest<EnrollmentLink>(secret, 'POST', '/enrollmentLinks', { platform }) });
    } catch (e) {
      setIssued(undefined);
      setError(e instanceof Error ? e.message : String(e));
    } finally {
      setBusy(false);
    }
  };

  return (
    <section className={styles.section} aria-labelledby="new-device">
      <h2 id="new-device" className={styles.h2}>Set up a new device</h2>
      <RadioGroup value={platform} onChange={(_event, data) => setPlatform(data.value)} aria-labelledby="new-device">
        {platforms.map((p) => <Radio key={p.value} value={p.value} label={p.label} />)}
      </RadioGroup>
      <div className={styles.actions}>
        <Button appearance="primary" onClick={() => void issue()} disabled={busy}>Get an enrollment link</Button>
      </div>
      <div aria-live="polite">
        {error && (
          <MessageBar intent="warning" style={{ marginTop: tokens.spacingVerticalM }}>
            <MessageBarBody>{error}</MessageBarBody>
          </MessageBar>
        )}
        {issued && (
          <MessageBar intent="success" style={{ marginTop: tokens.spacingVerticalM }}>
            <MessageBarBody>
              <MessageBarTitle>Your enrollment link</MessageBarTitle>
              {issued.platform === 'Windows' ? (
                <>
                  On the PC: Settings, Accounts, Access work or school, <strong>Enroll only in device management</strong>. Enter your work
                  address, then this code as the password: <span className={styles.code}>{issued.link.token}</span>
                </>
              ) : (
                <>
                  Open this link on the new device (it works once, until {formatTime(issued.link.expirationDateTime)}):{' '}
                  <Link href={issued.link.enrollmentUrl} className={styles.code}>{issued.link.enrollmentUrl}</Link>
                </>
              )}
            </MessageBarBody>
          </MessageBar>
        )}
      </div>
    </section>
  );
}
