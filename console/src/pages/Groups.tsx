import { Text } from '@fluentui/react-components';
import { AppLink, LoadState, PageTitle, Section, formatDate, useLoad } from '../components.tsx';
import { startsWithAny } from '../api-paging.ts';
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
  return (
    <>
      <PageTitle>Groups</PageTitle>
      <SearchableList<GraphGroup>
        name="groups"
        path="groups?$orderby=displayName"
        rowKey={(g) => g.id}
        searchFilter={(text) => startsWithAny(['displayName', 'description'], text)}
        searchHint="name or description"
        columns={[
          { key: 'name', title: 'Group name', render: (g) => <AppLink to={`/groups/${g.id}`}>{g.displayName}</AppLink> },
          { key: 'description', title: 'Description', render: (g) => g.description ?? '—' },
          { key: 'created', title: 'Created', render: (g) => formatDate(g.createdDateTime) },
        ]}
      />
    </>
  );
}

function GroupMembers({ id }: { id: string }) {
  const { api } = useSession();
  const loaded = useLoad(() => api.get<GraphGroup>(`groups/${encodeURIComponent(id)}`), [api, id]);
  return (
    <>
      <PageTitle>{loaded.data?.displayName ?? 'Group'}</PageTitle>
      <Text><AppLink to="/groups">All groups</AppLink></Text>
      <LoadState loaded={loaded} what="the group" />
      {loaded.data && (
        <Section title="Members">
          <SearchableList<Member>
            name="members"
            path={`groups/${encodeURIComponent(id)}/members`}
            rowKey={(m) => m.id}
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
