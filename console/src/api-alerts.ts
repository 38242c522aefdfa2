/** The alerts API (Envelope extension, decision 0023) as the console reads it. */

export const alertsPath = 'envelope/alerts';

export interface GraphAlert {
  id: string;
  kind: string;
  severity: 'critical' | 'warning';
  title: string;
  affectedCount: number;
  fix: string;
  dueDateTime: string | null;
}

export interface AffectedDevice {
  deviceId: string;
  deviceName: string;
  operatingSystem: string;
  userId: string | null;
  userPrincipalName: string | null;
  userDisplayName: string | null;
  profiles: { profileId: string; displayName: string; reasonCode: string; message: string; sinceDateTime: string }[];
}

/** The devices an alert affects, paged with $top and @odata.nextLink. */
export function affectedPath(kind: string): string {
  return `${alertsPath}/${encodeURIComponent(kind)}/affected`;
}
