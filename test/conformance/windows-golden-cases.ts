import { activeSyncRoots, windowsAccountRef, type ActiveSyncRoot } from '../../src/payloads/windows/activesync-account.ts';
import { installAccountCommands } from '../../src/payloads/windows/activesync-commands.ts';
import { planWindowsAccountChange } from '../../src/payloads/windows/plan-windows-account-change.ts';
import { renderSyncMlMessage } from '../../src/payloads/windows/render-syncml.ts';
import type { SyncMlCommand } from '../../src/payloads/windows/syncml-commands.ts';
import { windowsAccountLeavesForUser } from '../../src/payloads/windows/windows-account-leaves.ts';
import { fixedGuids, fixedHeader, jane, windows10Settings, windowsPhoneSettings } from './windows-fixtures.ts';

/** One golden file: the full message Envelope sends, from fixed inputs. */
export interface GoldenCase {
  file: string;
  root: ActiveSyncRoot;
  commands: SyncMlCommand[];
  xml: string;
}

const w10 = windowsAccountRef(activeSyncRoots.user, fixedGuids.account);
const w10Leaves = windowsAccountLeavesForUser(windows10Settings, jane);

function golden(file: string, root: ActiveSyncRoot, commands: SyncMlCommand[]): GoldenCase {
  return { file, root, commands, xml: `${renderSyncMlMessage(fixedHeader, commands, { pretty: true })}\n` };
}

export function goldenCases(): GoldenCase[] {
  const wp = windowsAccountRef(activeSyncRoots.legacy, fixedGuids.account);
  const edited = windowsAccountLeavesForUser(
    { ...windows10Settings, hostName: 'mail.contoso.com', customDomainName: 'EMEA', durationOfEmailToSync: 'userDefined', syncTasks: true },
    jane,
  );
  const upnLogin = windowsAccountLeavesForUser({ ...windows10Settings, usernameAADSource: 'userPrincipalName' }, jane);
  const deployed = { account: w10, leaves: w10Leaves };
  const options = { replacementGuid: fixedGuids.replacement };
  return [
    golden('windows10-install.xml', w10.root, installAccountCommands(w10, w10Leaves)),
    golden('windows-phone-81-install.xml', wp.root, installAccountCommands(wp, windowsAccountLeavesForUser(windowsPhoneSettings, jane))),
    golden('windows10-update.xml', w10.root, planWindowsAccountChange(deployed, edited, { ...options, hasSynced: true }).commands),
    golden('windows10-recreate.xml', w10.root, planWindowsAccountChange(deployed, upnLogin, { ...options, hasSynced: true }).commands),
  ];
}
