import { AppLink, PageTitle, formatDate } from '../components.tsx';
import { startsWithAny } from '../api-paging.ts';
import { devicesPath, type GraphDevice } from './common.ts';
import { SearchableList } from './SearchableList.tsx';

export function osName(device: GraphDevice): string {
  if (device.operatingSystem === 'Android' && device.androidManagementMode === 'knox') return 'Android (Samsung Knox)';
  if (device.operatingSystem === 'Android' && device.androidManagementMode === 'workProfile') return 'Android Enterprise';
  return device.operatingSystem;
}

/** Managed devices: each with its OS, primary user and last check-in, paged and searched on the server. */
export default function Devices() {
  return (
    <>
      <PageTitle>Devices</PageTitle>
      <SearchableList<GraphDevice>
        name="devices"
        path={`${devicesPath}?$orderby=deviceName`}
        rowKey={(d) => d.id}
        searchFilter={(text) => startsWithAny(['deviceName', 'userPrincipalName', 'model'], text)}
        searchHint="device name, primary user or model"
        columns={[
          { key: 'name', title: 'Device name', render: (d) => <AppLink to={`/devices/${d.id}`}>{d.deviceName}</AppLink> },
          { key: 'os', title: 'OS', render: (d) => osName(d) },
          { key: 'version', title: 'OS version', render: (d) => d.osVersion },
          { key: 'model', title: 'Model', render: (d) => d.model ?? '—' },
          { key: 'user', title: 'Primary user', render: (d) => d.userPrincipalName ?? '—' },
          { key: 'sync', title: 'Last check-in', render: (d) => formatDate(d.lastSyncDateTime) },
        ]}
        csv={{
          fileName: 'devices.csv',
          columns: [
            { title: 'Device name', value: (d) => d.deviceName },
            { title: 'Device id', value: (d) => d.id },
            { title: 'OS', value: (d) => osName(d) },
            { title: 'OS version', value: (d) => d.osVersion },
            { title: 'Model', value: (d) => d.model },
            { title: 'Primary user', value: (d) => d.userPrincipalName },
            { title: 'Last check-in', value: (d) => d.lastSyncDateTime },
          ],
        }}
      />
    </>
  );
}
