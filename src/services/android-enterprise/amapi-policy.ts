import { gmailPackageName, nineWorkPackageName } from '../../domain/account-identity.ts';
import { gmailProfileTypes, nineWorkProfileTypes } from '../../payloads/android/android-profile-input.ts';
import type { AmapiPolicy } from '../../protocols/amapi/amapi-client.ts';
import type { AmapiPolicyCommand } from '../../store/postgres/android-enterprise-store.ts';

/** The app an Android Enterprise email profile type configures, or null for other types. */
export function mailAppPackageOf(odataType: string): string | null {
  if ((gmailProfileTypes as readonly string[]).includes(odataType)) return gmailPackageName;
  if ((nineWorkProfileTypes as readonly string[]).includes(odataType)) return nineWorkPackageName;
  return null;
}

/** How the admin reads a package name in a status message. */
export function mailAppLabel(packageName: string): string {
  if (packageName === gmailPackageName) return 'Gmail';
  if (packageName === nineWorkPackageName) return 'Nine Work';
  return packageName;
}

/**
 * The device's one work-profile policy, merged from the latest command of each profile that reaches
 * it (`latest`: one row per profile): an `applications[]` entry (the app, its install type and the
 * user's managed configuration) per profile installed or on its way, none for a profile being removed.
 * The device's delivery core rules out two profiles for one app (a conflict); should two entries
 * still name one package, the later command wins. Status reports with application reports are asked
 * for, so a missing app is visible. Nothing here touches the personal profile: a work-profile policy
 * governs only the work profile (developers.google.com/android/management/work-profile).
 */
export function mergedDevicePolicy(latest: readonly AmapiPolicyCommand[]): AmapiPolicy {
  const byPackage = new Map<string, AmapiPolicyCommand>();
  for (const command of [...latest].sort((a, b) => a.seq - b.seq)) {
    if (command.application === null) {
      if (byPackage.get(command.packageName)?.profileId === command.profileId) byPackage.delete(command.packageName);
      continue;
    }
    byPackage.set(command.packageName, command);
  }
  const applications = [...byPackage.values()]
    .sort((a, b) => a.packageName.localeCompare(b.packageName))
    .map((command) => command.application as NonNullable<AmapiPolicy['applications']>[number]);
  return {
    applications,
    statusReportingSettings: { applicationReportsEnabled: true, softwareInfoEnabled: true },
  };
}
