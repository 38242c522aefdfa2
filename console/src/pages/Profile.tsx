import { Text, makeStyles, tokens } from '@fluentui/react-components';
import { AppLink, LoadState, PageTitle, Section, StatusBadge, StatusBars, formatDate, useLoad } from '../components.tsx';
import { useSession } from '../session.tsx';
import { describeProfileType, devicePlatformNames, statusLabel, type Overview } from '../status.ts';
import { assignmentSummary, profilesPath, type GraphAssignment, type GraphGroup, type GraphProfile } from './common.ts';
import { StatusTable } from './StatusTable.tsx';
import { ProfileProperties, ReplacementNote } from './ProfileProperties.tsx';
import { PayloadPreview } from './PayloadPreview.tsx';
import { BulkResend } from './BulkResend.tsx';
import AssignmentsEditor from './AssignmentsEditor.tsx';
import { startsWithAny } from '../api-paging.ts';
import RolloutPanel from './Rollout.tsx';

interface DeviceStatusRow {
  id: string;
  deviceDisplayName: string;
  userName: string | null;
  userPrincipalName: string | null;
  deviceModel: string | null;
  platform: number;
  status: string;
  lastReportedDateTime: string;
  reasonCode: string;
  adminMessage: string;
  endUserMessage: string | null;
  attempts: number;
}

interface UserStatusRow {
  id: string;
  userDisplayName: string;
  userPrincipalName: string;
  devicesCount: number;
  status: string;
  lastReportedDateTime: string;
}

const useStyles = makeStyles({
  facts: { display: 'grid', gridTemplateColumns: 'max-content 1fr', gap: `${tokens.spacingVerticalXS} ${tokens.spacingHorizontalL}`, margin: 0 },
  overviews: { display: 'flex', gap: tokens.spacingHorizontalXXXL, flexWrap: 'wrap' },
});

/** The id of the device in a status row id (`{profileId}_{deviceId}`). */
const deviceIdOf = (rowId: string) => rowId.slice(rowId.indexOf('_') + 1);

/** A profile: overview, per-status counts by device and user, and the device and user status tables. */
export default function Profile({ id }: { id?: string }) {
  const { api, canWrite } = useSession();
  const styles = useStyles();
  const base = `${profilesPath}/${encodeURIComponent(id ?? '')}`;
  const loaded = useLoad(async () => {
    const profile = await api.get<GraphProfile>(base);
    const [deviceOverview, userOverview, assignments, groups] = await Promise.all([
      api.get<Overview>(`${base}/deviceStatusOverview`),
      api.get<Overview>(`${base}/userStatusOverview`),
      api.get<{ value: GraphAssignment[] }>(`${base}/assignments`),
      api.all<GraphGroup>('groups?$top=999&$select=id,displayName', 20_000),
    ]);
    const names = new Map(groups.items.map((g) => [g.id, g.displayName]));
    return { profile, deviceOverview, userOverview, assigned: assignmentSummary(assignments.value, names), assignedCount: assignments.value.length };
  }, [api, base]);
  const data = loaded.data;
  const kind = data ? describeProfileType(data.profile['@odata.type']) : null;
  return (
    <>
      <PageTitle>{data?.profile.displayName ?? 'Profile'}</PageTitle>
      <Text><AppLink to="/profiles">All configuration profiles</AppLink></Text>
      <LoadState loaded={loaded} what="the profile" />
      {data && kind && (
        <>
          <ReplacementNote profileId={data.profile.id} />
          <Section title="Overview">
            <dl className={styles.facts}>
              <dt>Platform</dt><dd>{kind.platform}</dd>
              <dt>Profile type</dt><dd>{kind.type}</dd>
              <dt>Version</dt><dd>{data.profile.version}</dd>
              <dt>Assigned to</dt><dd>{data.assigned}</dd>
              <dt>Last modified</dt><dd>{formatDate(data.profile.lastModifiedDateTime)}</dd>
              <dt>Status updated</dt><dd>{formatDate(data.deviceOverview.lastUpdateDateTime)}</dd>
            </dl>
          </Section>
          <div className={styles.overviews}>
            <Section title="Device status">
              <StatusBars counts={data.deviceOverview} label="Device status counts" />
            </Section>
            <Section title="User status">
              <StatusBars counts={data.userOverview} label="User status counts" />
            </Section>
          </div>
          <Section title="Device status details">
            <StatusTable<DeviceStatusRow>
              name="device statuses"
              path={`${base}/deviceStatuses`}
              statusFilter
              fileName={`${data.profile.displayName}-device-status.csv`}
              searchFilter={(text) => startsWithAny(['deviceDisplayName', 'userPrincipalName'], text)}
              searchHint="device name or user principal name"
              actions={canWrite ? (shown) => <BulkResend profileId={data.profile.id} deviceIds={shown.map((r) => deviceIdOf(r.id))} /> : undefined}
              columns={[
                { key: 'device', title: 'Device', render: (r) => <AppLink to={`/devices/${deviceIdOf(r.id)}`}>{r.deviceDisplayName}</AppLink> },
                { key: 'user', title: 'User', render: (r) => r.userPrincipalName ?? '—' },
                { key: 'platform', title: 'Platform', render: (r) => devicePlatformNames[r.platform] ?? String(r.platform) },
                { key: 'status', title: 'Status', render: (r) => <StatusBadge status={r.status} /> },
                { key: 'detail', title: 'Detail', render: (r) => r.adminMessage || r.reasonCode },
                { key: 'reported', title: 'Last reported', render: (r) => formatDate(r.lastReportedDateTime) },
              ]}
              csv={[
                { title: 'Device', value: (r) => r.deviceDisplayName },
                { title: 'Device id', value: (r) => deviceIdOf(r.id) },
                { title: 'User principal name', value: (r) => r.userPrincipalName },
                { title: 'Platform', value: (r) => devicePlatformNames[r.platform] ?? r.platform },
                { title: 'Status', value: (r) => statusLabel(r.status) },
                { title: 'Reason', value: (r) => r.reasonCode },
                { title: 'Admin message', value: (r) => r.adminMessage },
                { title: 'End-user message', value: (r) => r.endUserMessage },
                { title: 'Attempts', value: (r) => r.attempts },
                { title: 'Last reported', value: (r) => r.lastReportedDateTime },
              ]}
            />
          </Section>
          <Section title="User status details">
            <StatusTable<UserStatusRow>
              name="user statuses"
              path={`${base}/userStatuses`}
              fileName={`${data.profile.displayName}-user-status.csv`}
              searchFilter={(text) => startsWithAny(['userPrincipalName'], text)}
              searchHint="user principal name"
              columns={[
                { key: 'user', title: 'User', render: (r) => r.userDisplayName },
                { key: 'upn', title: 'User principal name', render: (r) => r.userPrincipalName },
                { key: 'devices', title: 'Devices', render: (r) => r.devicesCount },
                { key: 'status', title: 'Status', render: (r) => <StatusBadge status={r.status} /> },
                { key: 'reported', title: 'Last reported', render: (r) => formatDate(r.lastReportedDateTime) },
              ]}
              csv={[
                { title: 'User', value: (r) => r.userDisplayName },
                { title: 'User principal name', value: (r) => r.userPrincipalName },
                { title: 'Devices', value: (r) => r.devicesCount },
                { title: 'Status', value: (r) => statusLabel(r.status) },
                { title: 'Last reported', value: (r) => r.lastReportedDateTime },
              ]}
            />
          </Section>
          {canWrite && (
            <Section title="Properties">
              <ProfileProperties key={data.profile.id} profile={data.profile} assigned={data.assignedCount > 0} onSaved={loaded.reload} />
            </Section>
          )}
          {canWrite && typeof data.profile.hostName === 'string' && (
            <Section title="Payload preview">
              <PayloadPreview profileId={data.profile.id} />
            </Section>
          )}
          <AssignmentsEditor profileId={data.profile.id} onSaved={loaded.reload} />
          <RolloutPanel profileId={data.profile.id} odataType={data.profile['@odata.type']} />
        </>
      )}
    </>
  );
}
