import { Text } from '@fluentui/react-components';
import { AppLink, DataTable, LoadState, PageTitle, Section, formatDate, useLoad } from '../components.tsx';
import { useSession } from '../session.tsx';
import type { GraphGroup } from './common.ts';
import { SearchableList } from './SearchableList.tsx';

interface Member {
  '@odata.type': string;
  id: string;
  displayName?: string;
  userPrincipalName?: string;
  deviceName?: string;
  operatingSystem?: string;
}

/** Groups, and on `/groups/{id}` the group's members (users and devices). */
export default function Groups({ id }: { id?: string }) {
  return id ? <GroupMembers id={id} /> : <GroupList />;
}

function GroupList() {
  const { api } = useSession();
  const loaded = useLoad(() => api.all<GraphGroup>('groups?$top=999', 20_000), [api]);
  return (
    <>
      <PageTitle>Groups</PageTitle>
      <LoadState loaded={loaded} what="groups" />
      {loaded.data && (
        <SearchableList<GraphGroup>
          name="groups"
          rows={loaded.data.items}
          truncated={loaded.data.truncated}
          rowKey={(g) => g.id}
          searchText={(g) => `${g.displayName} ${g.description ?? ''}`}
          columns={[
            { key: 'name', title: 'Group name', render: (g) => <AppLink to={`/groups/${g.id}`}>{g.displayName}</AppLink> },
            { key: 'description', title: 'Description', render: (g) => g.description ?? '—' },
            { key: 'created', title: 'Created', render: (g) => formatDate(g.createdDateTime) },
          ]}
        />
      )}
    </>
  );
}

function GroupMembers({ id }: { id: string }) {
  const { api } = useSession();
  const loaded = useLoad(async () => {
    const group = await api.get<GraphGroup>(`groups/${encodeURIComponent(id)}`);
    const members = await api.all<Member>(`groups/${encodeURIComponent(id)}/members?$top=999`, 20_000);
    return { group, members };
  }, [api, id]);
  return (
    <>
      <PageTitle>{loaded.data?.group.displayName ?? 'Group'}</PageTitle>
      <Text><AppLink to="/groups">All groups</AppLink></Text>
      <LoadState loaded={loaded} what="the group" />
      {loaded.data && (
        <Section title="Members">
          <DataTable<Member>
            label="Members"
            rows={loaded.data.members.items}
            rowKey={(m) => m.id}
            empty="This group has no members."
            columns={[
              { key: 'type', title: 'Type', render: (m) => (m['@odata.type'].endsWith('managedDevice') ? 'Device' : 'User') },
              { key: 'name', title: 'Name', render: (m) => (m['@odata.type'].endsWith('managedDevice') ? <AppLink to={`/devices/${m.id}`}>{m.deviceName}</AppLink> : m.displayName) },
              { key: 'detail', title: 'User principal name or OS', render: (m) => m.userPrincipalName ?? m.operatingSystem ?? '—' },
            ]}
          />
        </Section>
      )}
    </>
  );
}
