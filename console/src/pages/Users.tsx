import { LoadState, PageTitle, formatDate, useLoad } from '../components.tsx';
import { useSession } from '../session.tsx';
import type { GraphUser } from './common.ts';
import { SearchableList } from './SearchableList.tsx';

/** Users: the directory the profiles take usernames and addresses from. */
export default function Users() {
  const { api } = useSession();
  const loaded = useLoad(() => api.all<GraphUser>('users?$top=999', 20_000), [api]);
  return (
    <>
      <PageTitle>Users</PageTitle>
      <LoadState loaded={loaded} what="users" />
      {loaded.data && (
        <SearchableList<GraphUser>
          name="users"
          rows={loaded.data.items}
          truncated={loaded.data.truncated}
          rowKey={(u) => u.id}
          searchText={(u) => `${u.displayName} ${u.userPrincipalName} ${u.mail ?? ''}`}
          columns={[
            { key: 'name', title: 'Display name', render: (u) => u.displayName },
            { key: 'upn', title: 'User principal name', render: (u) => u.userPrincipalName },
            { key: 'mail', title: 'Mail', render: (u) => u.mail ?? '—' },
            { key: 'created', title: 'Created', render: (u) => formatDate(u.createdDateTime) },
          ]}
        />
      )}
    </>
  );
}
