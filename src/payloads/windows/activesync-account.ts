import type { DeviceOperatingSystem } from '../../domain/directory.ts';

/**
 * Where the ActiveSync CSP lives. `./User/Vendor/MSFT/ActiveSync` is the supported, user-scoped
 * path on Windows 10/11 (desktop and Windows 10 Mobile); `./Vendor/MSFT/ActiveSync` is the form
 * Windows Phone 8.1 understands and is deprecated elsewhere (it works on Windows 10 only while the
 * user is signed in). https://learn.microsoft.com/windows/client-management/mdm/activesync-csp
 */
export const activeSyncRoots = {
  user: './User/Vendor/MSFT/ActiveSync',
  legacy: './Vendor/MSFT/ActiveSync',
} as const;
export type ActiveSyncRoot = (typeof activeSyncRoots)[keyof typeof activeSyncRoots];

/**
 * The root for a device, whichever Windows profile type is rendered: both
 * `windows10EasEmailProfileConfiguration` and `windowsPhoneEASEmailProfileConfiguration` (which also
 * applies to Windows 10) use the supported `./User` path on Windows devices; only a Windows Phone 8.1
 * device (`operatingSystem` `WindowsPhone`; Windows 10 Mobile reports `Windows`) gets the legacy path,
 * because `./User` does not exist there.
 */
export function activeSyncRootFor(operatingSystem: DeviceOperatingSystem): ActiveSyncRoot {
  return operatingSystem === 'WindowsPhone' ? activeSyncRoots.legacy : activeSyncRoots.user;
}

/** One account on one device: the CSP root and the `{AccountGUID}` node name, braces included. */
export interface WindowsAccountRef {
  root: ActiveSyncRoot;
  accountGuid: string;
}

const guidPattern = /^\{?([0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12})\}?$/;

/**
 * The account node name for a GUID given with or without braces: `{UPPER-CASE}`, the form of the
 * CSP doc's examples, so one account always has one spelling. The CSP requires a server-generated
 * GUID per account (`MSFT:ServerGeneratedUniqueIdentifier`); the caller creates it once per
 * (profile, device) and keeps it. Throws a TypeError for anything that is not a GUID: that is a bug
 * in the caller, not bad admin input.
 */
export function accountNodeName(guid: string): string {
  const match = guidPattern.exec(guid);
  if (!match?.[1]) throw new TypeError(`Not a GUID: '${guid}'.`);
  return `{${match[1].toUpperCase()}}`;
}

/** `{ root, accountGuid }` with the GUID in its canonical node-name form. */
export function windowsAccountRef(root: ActiveSyncRoot, guid: string): WindowsAccountRef {
  return { root, accountGuid: accountNodeName(guid) };
}

/**
 * The OMA-DM LocURI of the account node, or of `leafPath` below it. Braces are URL-encoded
 * (`%7B…%7D`) in the account GUID and in content-type GUIDs, as OMA-DM requires; nothing else in
 * these paths needs encoding.
 */
export function accountLocUri(account: WindowsAccountRef, leafPath?: string): string {
  const path = `${account.root}/Accounts/${account.accountGuid}${leafPath === undefined ? '' : `/${leafPath}`}`;
  return path.replaceAll('{', '%7B').replaceAll('}', '%7D');
}
