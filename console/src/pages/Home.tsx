import { Badge, Card, CardHeader, Text, makeStyles, tokens } from '@fluentui/react-components';
import { AppLink, DataTable, LoadState, PageTitle, Section, StatusBars, formatDate, useLoad } from '../components.tsx';
import { useSession } from '../session.tsx';
import { overviewBuckets, type Overview, type OverviewCounts } from '../status.ts';
import { deviceOverview, devicesPath, mapLimited, profilesPath, type GraphProfile } from './common.ts';
import { alertsPath, type GraphAlert } from '../api-alerts.ts';

const useStyles = makeStyles({
  cards: { display: 'flex', gap: tokens.spacingHorizontalL, flexWrap: 'wrap', marginBottom: tokens.spacingVerticalL },
  card: { minWidth: '12rem' },
  number: { fontSize: tokens.fontSizeHero700, fontWeight: tokens.fontWeightSemibold },
  alerts: { listStyleType: 'none', margin: 0, padding: 0, display: 'flex', flexDirection: 'column', gap: tokens.spacingVerticalM },
  alert: { display: 'flex', flexDirection: 'column', gap: tokens.spacingVerticalXS, maxWidth: '56rem' },
  alertHead: { display: 'flex', gap: tokens.spacingHorizontalM, alignItems: 'center', flexWrap: 'wrap' },
  stack: { display: 'flex', width: 'min(40rem, 100%)', height: '24px', borderRadius: tokens.borderRadiusMedium, overflow: 'hidden', backgroundColor: tokens.colorNeutralBackground3, marginBottom: tokens.spacingVerticalM },
  legend: { display: 'flex', gap: tokens.spacingHorizontalL, flexWrap: 'wrap', listStyleType: 'none', padding: 0, margin: `0 0 ${tokens.spacingVerticalM}` },
  swatch: { display: 'inline-block', width: '12px', height: '12px', borderRadius: tokens.borderRadiusSmall, marginRight: tokens.spacingHorizontalXS, verticalAlign: 'middle' },
});

/** The status colours of the stacked bar, as the bars of StatusBars use them. */
const stackColors: Record<string, string> = {
  success: tokens.colorPaletteGreenBackground3,
  informative: tokens.colorPaletteBlueBorderActive,
  danger: tokens.colorPaletteRedBackground3,
  warning: tokens.colorPaletteDarkOrangeBackground3,
  subtle: tokens.colorNeutralForeground3,
};

interface HomeData {
  profiles: { profile: GraphProfile; overview: Overview }[];
  truncated: boolean;
  total: OverviewCounts;
  deviceCount: number;
  alerts: GraphAlert[];
}

const percent = (value: number, total: number) => (total === 0 ? 0 : Math.round((1000 * value) / total) / 10);

/**
 * One stacked bar of every status over all profiles, as a chart: the picture is `role="img"` with
 * the counts in its name, and a legend with each count and share in text beside it.
 */
function StatusChart({ counts }: { counts: OverviewCounts }) {
  const styles = useStyles();
  const total = overviewBuckets.reduce((sum, b) => sum + counts[b.key], 0);
  const description = overviewBuckets.map((b) => `${b.label} ${counts[b.key]}`).join(', ');
  return (
    <figure style={{ margin: 0 }}>
      <div className={styles.stack} role="img" aria-label={`Device deliveries over all profiles: ${total} in all; ${description}`}>
        {overviewBuckets.map((b) => counts[b.key] > 0 && (
          <div key={b.key} style={{ width: `${(100 * counts[b.key]) / total}%`, backgroundColor: stackColors[b.color] }} />
        ))}
      </div>
      <figcaption>
        <ul className={styles.legend}>
          {overviewBuckets.map((b) => (
            <li key={b.key}>
              <span className={styles.swatch} style={{ backgroundColor: stackColors[b.color] }} aria-hidden="true" />
              {b.label}: {counts[b.key]} ({percent(counts[b.key], total)} %)
            </li>
          ))}
        </ul>
      </figcaption>
    </figure>
  );
}

/** Home: the alerts that need an admin, delivery status over all profiles, and the profiles in trouble. */
export default function Home() {
  const { api } = useSession();
  const styles = useStyles();
  const loaded = useLoad<HomeData>(async () => {
    const [{ items, truncated }, deviceCount, alerts] = await Promise.all([
      api.all<GraphProfile>(`${profilesPath}?$top=999`, 2000),
      api.get<number>(`${devicesPath}/$count`),
      api.get<{ value: GraphAlert[] }>(alertsPath),
    ]);
    const overviews = await mapLimited(items, 6, (profile) => deviceOverview(api, profile.id));
    const total = Object.fromEntries(overviewBuckets.map((b) => [b.key, overviews.reduce((sum, o) => sum + o[b.key], 0)])) as OverviewCounts;
    return { profiles: items.map((profile, i) => ({ profile, overview: overviews[i]! })), truncated, total, deviceCount: Number(deviceCount), alerts: alerts.value };
  }, [api]);
  const data = loaded.data;
  const attention = data?.profiles.filter((p) => p.overview.errorCount + p.overview.failedCount + p.overview.conflictCount > 0) ?? [];
  return (
    <>
      <PageTitle>Home</PageTitle>
      <LoadState loaded={loaded} what="the status summary" />
      {data && (
        <>
          <div className={styles.cards}>
            <Card className={styles.card}>
              <CardHeader header={<Text weight="semibold">Email and certificate profiles</Text>} />
              <span className={styles.number}>{data.profiles.length}{data.truncated ? '+' : ''}</span>
            </Card>
            <Card className={styles.card}>
              <CardHeader header={<Text weight="semibold">Managed devices</Text>} />
              <span className={styles.number}>{data.deviceCount}</span>
            </Card>
            <Card className={styles.card}>
              <CardHeader header={<Text weight="semibold">Active alerts</Text>} />
              <span className={styles.number}>{data.alerts.length}</span>
            </Card>
          </div>
          <Section title="Alerts">
            {data.alerts.length === 0 ? (
              <Text>No alerts: nothing in delivery needs an admin now.</Text>
            ) : (
              <ul className={styles.alerts} aria-label="Active alerts">
                {data.alerts.map((alert) => (
                  <li key={alert.kind}>
                    <Card className={styles.alert}>
                      <div className={styles.alertHead}>
                        <Badge appearance="filled" color={alert.severity === 'critical' ? 'danger' : 'warning'}>{alert.severity === 'critical' ? 'Critical' : 'Warning'}</Badge>
                        <Text weight="semibold" as="h3" style={{ margin: 0, fontSize: tokens.fontSizeBase400 }}>{alert.title}</Text>
                      </div>
                      <Text>
                        {alert.affectedCount} device{alert.affectedCount === 1 ? '' : 's'} affected
                        {alert.dueDateTime ? `; due ${formatDate(alert.dueDateTime)}` : ''}.
                      </Text>
                      <Text>Fix: {alert.fix}</Text>
                      <Text><AppLink to={`/alerts/${alert.kind}`}>{`See the ${alert.affectedCount} affected device${alert.affectedCount === 1 ? '' : 's'}`}</AppLink></Text>
                    </Card>
                  </li>
                ))}
              </ul>
            )}
          </Section>
          <Section title="Profile delivery over all profiles (devices)">
            <StatusChart counts={data.total} />
            <StatusBars counts={data.total} label="Device status counts over all profiles" />
          </Section>
          <Section title="Profiles with errors or conflicts">
            <DataTable
              label="Profiles with errors or conflicts"
              rows={attention}
              rowKey={(r) => r.profile.id}
              empty="No profile has a device in error, failed or in conflict."
              columns={[
                { key: 'name', title: 'Profile', render: (r) => <AppLink to={`/profiles/${r.profile.id}`}>{r.profile.displayName}</AppLink> },
                { key: 'error', title: 'Error', render: (r) => r.overview.errorCount + r.overview.failedCount },
                { key: 'conflict', title: 'Conflict', render: (r) => r.overview.conflictCount },
              ]}
            />
          </Section>
        </>
      )}
    </>
  );
}
