import { Badge, MessageBar, MessageBarBody, Text, makeStyles, tokens } from '@fluentui/react-components';
import { AppLink, LoadState, PageTitle, Section, formatDate, useLoad } from '../components.tsx';
import { useSession } from '../session.tsx';
import { affectedPath, alertsPath, type AffectedDevice, type GraphAlert } from '../api-alerts.ts';
import { SearchableList } from './SearchableList.tsx';

const useStyles = makeStyles({
  facts: { display: 'flex', flexDirection: 'column', gap: tokens.spacingVerticalS, maxWidth: '56rem' },
  profiles: { margin: 0, paddingLeft: tokens.spacingHorizontalL },
});

/** `/alerts/{kind}`: one alert, its fix, and the devices (and their users and profiles) it affects, paged on the server. */
export default function Alert({ id: kind }: { id?: string }) {
  const { api } = useSession();
  const styles = useStyles();
  const loaded = useLoad(async () => (await api.get<{ value: GraphAlert[] }>(alertsPath)).value.find((a) => a.kind === kind) ?? null, [api, kind]);
  const alert = loaded.data;
  return (
    <>
      <PageTitle>{alert?.title ?? 'Alert'}</PageTitle>
      <Text><AppLink to="/">Home</AppLink></Text>
      <LoadState loaded={loaded} what="the alert" />
      {loaded.data === null && (
        <MessageBar intent="success">
          <MessageBarBody>This alert is not active now: no device is in this state. Devices listed below, if any, were affected when the list was read.</MessageBarBody>
        </MessageBar>
      )}
      {alert && (
        <Section title="What to do">
          <div className={styles.facts}>
            <Text>
              <Badge appearance="filled" color={alert.severity === 'critical' ? 'danger' : 'warning'}>{alert.severity === 'critical' ? 'Critical' : 'Warning'}</Badge>{' '}
              {alert.affectedCount} device{alert.affectedCount === 1 ? '' : 's'} affected{alert.dueDateTime ? `; due ${formatDate(alert.dueDateTime)}` : ''}.
            </Text>
            <Text>Fix: {alert.fix}</Text>
          </div>
        </Section>
      )}
      {kind && loaded.data !== undefined && (
        <Section title="Affected devices">
          <SearchableList<AffectedDevice>
            name="affected devices"
            path={affectedPath(kind)}
            rowKey={(d) => d.deviceId}
            columns={[
              { key: 'device', title: 'Device', render: (d) => <AppLink to={`/devices/${d.deviceId}`}>{d.deviceName}</AppLink> },
              { key: 'os', title: 'OS', render: (d) => d.operatingSystem },
              { key: 'user', title: 'User', render: (d) => d.userPrincipalName ?? '—' },
              {
                key: 'profiles', title: 'Profiles and messages', render: (d) => d.profiles.length === 0 ? '—' : (
                  <ul className={styles.profiles}>
                    {d.profiles.map((p) => (
                      <li key={p.profileId}><AppLink to={`/profiles/${p.profileId}`}>{p.displayName}</AppLink>: {p.message || p.reasonCode} (since {formatDate(p.sinceDateTime)})</li>
                    ))}
                  </ul>
                ),
              },
            ]}
            csv={{
              fileName: `alert-${kind}.csv`,
              columns: [
                { title: 'Device', value: (d) => d.deviceName },
                { title: 'Device id', value: (d) => d.deviceId },
                { title: 'OS', value: (d) => d.operatingSystem },
                { title: 'User principal name', value: (d) => d.userPrincipalName },
                { title: 'Profiles', value: (d) => d.profiles.map((p) => `${p.displayName}: ${p.message || p.reasonCode}`).join('; ') },
              ],
            }}
          />
        </Section>
      )}
    </>
  );
}
