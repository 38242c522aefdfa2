import { PageTitle, formatDate } from '../components.tsx';
import { startsWithAny } from '../api-paging.ts';
import type { GraphUser } from './common.ts';
import { SearchableList } from './SearchableList.tsx';

/** Users: the directory the profiles take usernames and addresses from, paged and searched on the server. */
export default function Users() {
  return (
    <>
      <PageTitle>Users</PageTitle>
      <SearchableList<GraphUser>
        name="users"
        path="users?$orderby=displayName"
        rowKey={(u) => u.id}
        searchFilter={(text) => startsWithAny(['displayName', 'userPrincipalName', 'mail'], text)}
        searchHint="display name, user principal name or mail"
        columns={[
          { key: 'name', title: 'Display name', render: (u) => u.displayName },
          { key: 'upn', title: 'User principal name', render: (u) => u.userPrincipalName },
          { key: 'mail', title: 'Mail', render: (u) => u.mail ?? '—' },
          { key: 'created', title: 'Created', render: (u) => formatDate(u.createdDateTime) },
        ]}
        csv={{
          fileName: 'users.csv',
          columns: [
            { title: 'Display name', value: (u) => u.displayName },
            { title: 'User principal name', value: (u) => u.userPrincipalName },
            { title: 'Mail', value: (u) => u.mail },
            { title: 'Created', value: (u) => u.createdDateTime },
          ],
        }}
      />
    </>
  );
}
