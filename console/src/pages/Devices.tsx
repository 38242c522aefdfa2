import { AppLink, LoadState, PageTitle, formatDate, useLoad } from '../components.tsx';
import { useSession } from '../session.tsx';
import { devicesPath, type GraphDevice } from './common.ts';
import { SearchableList } from './SearchableList.tsx';

export function osName(device: GraphDevice): string {
  if (device.operatingSystem === 'Android' && device.androidManagementMode === 'knox') return 'Android (Samsung Knox)';
  if (device.operatingSystem === 'Android' && device.androidManagementMode === 'workProfile') return 'Android Enterprise';
  return device.operatingSystem;
}

/** Managed devices: each with its OS, primary user and last check-in. */
export default function Devices() {
  const { api } = useSession();
  const loaded = useLoad(() => api.all<GraphDevice>(`${devicesPath}?$top=999`, 20_000), [api]);
  return (
    <>
      <PageTitle>Devices</PageTitle>
      <LoadState loaded={loaded} what="devices" />
      {loaded.data && (
        <SearchableList<GraphDevice>
          name="devices"
          rows={loaded.data.items}
          truncated={loaded.data.truncated}
          rowKey={(d) => d.id}
          searchText={(d) => `${d.deviceName} ${d.userPrincipalName ?? ''} ${d.model ?? ''} ${d.operatingSystem}`}
          columns={[
            { key: 'name', title: 'Device name', render: (d) => <AppLink to={`/devices/${d.id}`}>{d.deviceName}</AppLink> },
            { key: 'os', title: 'OS', render: (d) => osName(d) },
            { key: 'version', title: 'OS version', render: (d) => d.osVersion },
            { key: 'model', title: 'Model', render: (d) => d.model ?? '—' },
            { key: 'user', title: 'Primary user', render: (d) => d.userPrincipalName ?? '—' },
            { key: 'sync', title: 'Last check-in', render: (d) => formatDate(d.lastSyncDateTime) },
          ]}
        />
      )}
    </>
  );
}
