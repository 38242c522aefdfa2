import { Text, makeStyles, tokens } from '@fluentui/react-components';
import { ApiError } from '../api.ts';
import { AppLink, DataTable, LoadState, PageTitle, Section, StatusBadge, formatDate, useLoad } from '../components.tsx';
import { useSession } from '../session.tsx';
import { devicesPath, type GraphDevice } from './common.ts';
import { osName } from './Devices.tsx';

interface ConfigurationState {
  id: string;
  displayName: string;
  platformType: string;
  state: string;
  version: number;
  userPrincipalName: string | null;
  reasonCode: string;
  adminMessage: string;
  endUserMessage: string | null;
}

interface ProtocolMessage {
  sessionId: string;
  msgId: number;
  receivedDateTime: string;
  body: string;
  truncated: boolean;
}

const useStyles = makeStyles({
  facts: { display: 'grid', gridTemplateColumns: 'max-content 1fr', gap: `${tokens.spacingVerticalXS} ${tokens.spacingHorizontalL}`, margin: 0 },
  body: { whiteSpace: 'pre-wrap', wordBreak: 'break-all', fontFamily: tokens.fontFamilyMonospace, fontSize: tokens.fontSizeBase200, maxHeight: '12rem', overflow: 'auto', margin: 0 },
});

/** A device: its facts, each profile's state on it, and its last protocol messages (admins). */
export default function Device({ id }: { id?: string }) {
  const { api, canWrite } = useSession();
  const styles = useStyles();
  const base = `${devicesPath}/${encodeURIComponent(id ?? '')}`;
  const loaded = useLoad(async () => {
    const [device, states] = await Promise.all([
      api.get<GraphDevice>(base),
      api.get<{ value: ConfigurationState[] }>(`${base}/deviceConfigurationStates`),
    ]);
    // Protocol messages carry directory values: the API keeps them to admins.
    const messages = canWrite
      ? await api.get<{ value: ProtocolMessage[] }>(`${base}/envelope/protocolMessages`).then((r) => r.value, (e: unknown) => {
        if (e instanceof ApiError && e.status === 403) return null;
        throw e;
      })
      : null;
    return { device, states: states.value, messages };
  }, [api, base, canWrite]);
  const data = loaded.data;
  const profileIdOf = (stateId: string) => stateId.slice(stateId.indexOf('_') + 1);
  return (
    <>
      <PageTitle>{data?.device.deviceName ?? 'Device'}</PageTitle>
      <Text><AppLink to="/devices">All devices</AppLink></Text>
      <LoadState loaded={loaded} what="the device" />
      {data && (
        <>
          <Section title="Overview">
            <dl className={styles.facts}>
              <dt>OS</dt><dd>{osName(data.device)} {data.device.osVersion}</dd>
              <dt>Model</dt><dd>{data.device.model ?? '—'}</dd>
              <dt>Primary user</dt><dd>{data.device.userPrincipalName ?? 'None (profiles need a primary user)'}</dd>
              <dt>Enrolled</dt><dd>{formatDate(data.device.enrolledDateTime)}</dd>
              <dt>Last check-in</dt><dd>{formatDate(data.device.lastSyncDateTime)}</dd>
            </dl>
          </Section>
          <Section title="Device configuration">
            <DataTable<ConfigurationState>
              label="Profiles on this device"
              rows={data.states}
              rowKey={(s) => s.id}
              empty="No profile has been assigned to this device."
              columns={[
                { key: 'profile', title: 'Profile', render: (s) => <AppLink to={`/profiles/${profileIdOf(s.id)}`}>{s.displayName}</AppLink> },
                { key: 'version', title: 'Version', render: (s) => s.version },
                { key: 'user', title: 'User', render: (s) => s.userPrincipalName ?? '—' },
                { key: 'state', title: 'State', render: (s) => <StatusBadge status={s.state} /> },
                { key: 'detail', title: 'Detail', render: (s) => s.adminMessage || s.reasonCode },
              ]}
            />
          </Section>
          <Section title="Last protocol messages">
            {data.messages === null ? (
              <Text>Protocol messages carry directory values: only admin tokens may read them.</Text>
            ) : (
              <DataTable<ProtocolMessage>
                label="Last protocol messages"
                rows={data.messages}
                rowKey={(m) => `${m.sessionId}/${m.msgId}`}
                empty="None kept: Envelope keeps the last messages of Windows PCs (OMA-DM); Apple devices have none."
                columns={[
                  { key: 'time', title: 'Received', render: (m) => formatDate(m.receivedDateTime) },
                  { key: 'session', title: 'Session / message', render: (m) => `${m.sessionId} / ${m.msgId}` },
                  { key: 'body', title: 'Message', render: (m) => <pre className={styles.body} tabIndex={0}>{m.body}{m.truncated ? '\n[cut]' : ''}</pre> },
                ]}
              />
            )}
          </Section>
        </>
      )}
    </>
  );
}
