/** Graph complianceStatus values as Intune's console names them, and their colours. */
export const statusLabels: Record<string, string> = {
  compliant: 'Succeeded',
  remediated: 'Succeeded (remediated)',
  unknown: 'Pending',
  error: 'Error',
  nonCompliant: 'Failed',
  conflict: 'Conflict',
  notApplicable: 'Not applicable',
  notAssigned: 'Not assigned',
};

export type BadgeColor = 'success' | 'warning' | 'danger' | 'informative' | 'subtle' | 'important';
export const statusColors: Record<string, BadgeColor> = {
  compliant: 'success',
  remediated: 'success',
  unknown: 'informative',
  error: 'danger',
  nonCompliant: 'danger',
  conflict: 'warning',
  notApplicable: 'subtle',
  notAssigned: 'subtle',
};

export function statusLabel(status: string): string {
  return statusLabels[status] ?? status;
}

/** Counts of a Graph status overview (deviceStatusOverview / userStatusOverview). */
export interface Overview {
  pendingCount: number;
  notApplicableCount: number;
  successCount: number;
  errorCount: number;
  failedCount: number;
  conflictCount: number;
  lastUpdateDateTime: string;
  configurationVersion: number;
  notApplicablePlatformCount?: number;
}

export const overviewBuckets = [
  { key: 'successCount', label: 'Succeeded', color: 'success' },
  { key: 'pendingCount', label: 'Pending', color: 'informative' },
  { key: 'errorCount', label: 'Error', color: 'danger' },
  { key: 'failedCount', label: 'Failed', color: 'danger' },
  { key: 'conflictCount', label: 'Conflict', color: 'warning' },
  { key: 'notApplicableCount', label: 'Not applicable', color: 'subtle' },
] as const;

export type OverviewCounts = Record<(typeof overviewBuckets)[number]['key'], number>;

/** Platform and kind of a profile from its @odata.type, as Intune's profile list shows them. */
export function describeProfileType(odataType: string): { platform: string; type: string } {
  const t = odataType.replace('#microsoft.graph.', '');
  const platform = t.startsWith('ios') ? 'iOS/iPadOS'
    : t.startsWith('macOS') ? 'macOS'
    : t.startsWith('windows') ? 'Windows'
    : t.startsWith('androidWorkProfile') ? 'Android Enterprise (work profile)'
    : t.startsWith('androidForWork') ? 'Android Enterprise'
    : t.startsWith('android') ? 'Android (Samsung Knox)'
    : 'Other';
  const type = /Gmail/.test(t) ? 'Email (Gmail)'
    : /NineWork/.test(t) ? 'Email (Nine Work)'
    : /Email/i.test(t) ? 'Email'
    : /TrustedRoot/.test(t) ? 'Trusted certificate'
    : /Scep/.test(t) ? 'SCEP certificate'
    : /Pkcs/.test(t) ? 'PKCS certificate'
    : t;
  return { platform, type };
}

export const devicePlatformNames: Record<number, string> = { 0: 'Android', 1: 'Android for Work', 2: 'iOS/iPadOS', 3: 'macOS', 4: 'Windows Phone 8.1', 5: 'Windows 8.1', 6: 'Windows 10 and later', 7: 'Android Enterprise', 8: 'All' };
