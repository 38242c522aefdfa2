import { Button, Text } from '@fluentui/react-components';
import { navigate } from '../router.ts';
import { AppLink, DataTable, LoadState, PageTitle, formatDate, useLoad } from '../components.tsx';
import { useSession } from '../session.tsx';
import { describeProfileType, type Overview } from '../status.ts';
import { assignmentSummary, deviceOverview, mapLimited, profilesPath, type GraphAssignment, type GraphGroup, type GraphProfile } from './common.ts';

interface Row {
  profile: GraphProfile;
  overview: Overview;
  assignments: string;
}

/** Configuration profiles: platform, type, version, assignments and device status counts of each. */
export default function Profiles() {
  const { api, canWrite } = useSession();
  const loaded = useLoad(async () => {
    const [{ items, truncated }, groups] = await Promise.all([
      api.all<GraphProfile>(`${profilesPath}?$top=999`, 2000),
      api.all<GraphGroup>('groups?$top=999&$select=id,displayName', 20_000),
    ]);
    const names = new Map(groups.items.map((g) => [g.id, g.displayName]));
    const rows = await mapLimited(items, 6, async (profile): Promise<Row> => {
      const [overview, assignments] = await Promise.all([
        deviceOverview(api, profile.id),
        api.get<{ value: GraphAssignment[] }>(`${profilesPath}/${profile.id}/assignments`),
      ]);
      return { profile, overview, assignments: assignmentSummary(assignments.value, names) };
    });
    return { rows, truncated };
  }, [api]);
  return (
    <>
      <PageTitle actions={canWrite ? <Button appearance="primary" onClick={() => navigate('/profiles/new')}>Create profile</Button> : undefined}>Configuration profiles</PageTitle>
      <LoadState loaded={loaded} what="profiles" />
      {loaded.data && (
        <>
          {loaded.data.truncated && <Text>Showing the first {loaded.data.rows.length} profiles.</Text>}
          <DataTable<Row>
            label="Configuration profiles"
            rows={loaded.data.rows}
            rowKey={(r) => r.profile.id}
            empty="No profiles yet. Create one through the API (POST /graph/beta/deviceManagement/deviceConfigurations)."
            columns={[
              { key: 'name', title: 'Profile name', render: (r) => <AppLink to={`/profiles/${r.profile.id}`}>{r.profile.displayName}</AppLink> },
              { key: 'platform', title: 'Platform', render: (r) => describeProfileType(r.profile['@odata.type']).platform },
              { key: 'type', title: 'Profile type', render: (r) => describeProfileType(r.profile['@odata.type']).type },
              { key: 'version', title: 'Version', render: (r) => r.profile.version },
              { key: 'assigned', title: 'Assigned to', render: (r) => r.assignments },
              { key: 'succeeded', title: 'Succeeded', render: (r) => r.overview.successCount },
              { key: 'pending', title: 'Pending', render: (r) => r.overview.pendingCount },
              { key: 'error', title: 'Error', render: (r) => r.overview.errorCount + r.overview.failedCount },
              { key: 'conflict', title: 'Conflict', render: (r) => r.overview.conflictCount },
              { key: 'na', title: 'Not applicable', render: (r) => r.overview.notApplicableCount },
              { key: 'modified', title: 'Last modified', render: (r) => formatDate(r.profile.lastModifiedDateTime) },
            ]}
          />
        </>
      )}
    </>
  );
}
