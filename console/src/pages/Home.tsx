import { Card, CardHeader, Text, makeStyles, tokens } from '@fluentui/react-components';
import { AppLink, DataTable, LoadState, PageTitle, Section, StatusBars, useLoad } from '../components.tsx';
import { useSession } from '../session.tsx';
import { overviewBuckets, type Overview, type OverviewCounts } from '../status.ts';
import { deviceOverview, devicesPath, mapLimited, profilesPath, type GraphProfile } from './common.ts';

const useStyles = makeStyles({
  cards: { display: 'flex', gap: tokens.spacingHorizontalL, flexWrap: 'wrap', marginBottom: tokens.spacingVerticalL },
  card: { minWidth: '12rem' },
  number: { fontSize: tokens.fontSizeHero700, fontWeight: tokens.fontWeightSemibold },
});

interface HomeData {
  profiles: { profile: GraphProfile; overview: Overview }[];
  truncated: boolean;
  total: OverviewCounts;
  deviceCount: number;
  deviceCountTruncated: boolean;
}

/** Home: delivery status over all profiles, and the profiles that need attention. */
export default function Home() {
  const { api } = useSession();
  const styles = useStyles();
  const loaded = useLoad<HomeData>(async () => {
    const { items, truncated } = await api.all<GraphProfile>(`${profilesPath}?$top=999`, 2000);
    const overviews = await mapLimited(items, 6, (profile) => deviceOverview(api, profile.id));
    const total = Object.fromEntries(overviewBuckets.map((b) => [b.key, overviews.reduce((sum, o) => sum + o[b.key], 0)])) as OverviewCounts;
    const devices = await api.all<{ id: string }>(`${devicesPath}?$top=999&$select=id`, 10_000);
    return { profiles: items.map((profile, i) => ({ profile, overview: overviews[i]! })), truncated, total, deviceCount: devices.items.length, deviceCountTruncated: devices.truncated };
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
              <span className={styles.number}>{data.deviceCount}{data.deviceCountTruncated ? '+' : ''}</span>
            </Card>
          </div>
          <Section title="Profile delivery over all profiles (devices)">
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
