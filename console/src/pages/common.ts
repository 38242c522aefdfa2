import type { Api } from '../api.ts';
import type { Overview } from '../status.ts';

/** A deviceConfiguration as the Graph API answers it (polymorphic). */
export interface GraphProfile {
  id: string;
  '@odata.type': string;
  displayName: string;
  description?: string | null;
  version: number;
  createdDateTime: string;
  lastModifiedDateTime: string;
  [property: string]: unknown;
}

export interface GraphAssignment {
  id: string;
  target: { '@odata.type': string; groupId?: string };
}

export interface GraphUser {
  id: string;
  displayName: string;
  userPrincipalName: string;
  mail: string | null;
  createdDateTime: string;
}

export interface GraphGroup {
  id: string;
  displayName: string;
  description: string | null;
  createdDateTime: string;
}

export interface GraphDevice {
  id: string;
  deviceName: string;
  operatingSystem: string;
  osVersion: string;
  model: string | null;
  androidManagementMode: string | null;
  userId: string | null;
  userPrincipalName: string | null;
  userDisplayName: string | null;
  enrolledDateTime: string;
  lastSyncDateTime: string | null;
}

export const profilesPath = 'deviceManagement/deviceConfigurations';
export const devicesPath = 'deviceManagement/managedDevices';

/** Runs `work` over `items` with at most `limit` at once, keeping order. */
export async function mapLimited<T, R>(items: readonly T[], limit: number, work: (item: T) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const runners = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await work(items[index]!);
    }
  });
  await Promise.all(runners);
  return results;
}

export function deviceOverview(api: Api, profileId: string): Promise<Overview> {
  return api.get<Overview>(`${profilesPath}/${encodeURIComponent(profileId)}/deviceStatusOverview`);
}

/** "All users", "2 groups: Sales, Field" or "Not assigned", from a profile's assignment targets. */
export function assignmentSummary(assignments: readonly GraphAssignment[], groupNames: ReadonlyMap<string, string>): string {
  if (assignments.length === 0) return 'Not assigned';
  const parts = assignments.map((a) => {
    const type = a.target['@odata.type'].replace('#microsoft.graph.', '');
    const group = a.target.groupId ? groupNames.get(a.target.groupId) ?? a.target.groupId : '';
    if (type === 'allLicensedUsersAssignmentTarget') return 'All users';
    if (type === 'allDevicesAssignmentTarget') return 'All devices';
    if (type === 'exclusionGroupAssignmentTarget') return `excluding ${group}`;
    return group;
  });
  return parts.join(', ');
}
