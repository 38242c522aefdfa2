import { performance } from 'node:perf_hooks';
import type { DirectoryUser } from '../src/domain/directory.ts';
import { activeSyncRoots, windowsAccountRef } from '../src/payloads/windows/activesync-account.ts';
import { installAccountCommands } from '../src/payloads/windows/activesync-commands.ts';
import { renderSyncMlMessage } from '../src/payloads/windows/render-syncml.ts';
import { windowsAccountLeavesForUser } from '../src/payloads/windows/windows-account-leaves.ts';
import type { WindowsEasEmailSettings } from '../src/payloads/windows/windows-eas-settings.ts';
import { windows10Settings } from '../test/conformance/windows-fixtures.ts';

/** The conformance suite's full Windows 10 profile (sAM login, NetBIOS domain), on a 15-minute schedule without tasks. */
const settings: WindowsEasEmailSettings = { ...windows10Settings, emailSyncSchedule: 'fifteenMinutes', syncTasks: false };

/** A pool of distinct users and GUIDs, so each render does the full per-device work. */
const pool = Array.from({ length: 1024 }, (_, i) => ({
  user: {
    id: `user-${i}`,
    displayName: `User ${i}`,
    userPrincipalName: `user${i}@contoso.com`,
    mail: `user${i}@contoso.com`,
    onPremisesSamAccountName: `user${i}`,
    onPremisesDomainName: 'corp.contoso.com',
    onPremisesNetBiosName: 'CONTOSO',
  } satisfies DirectoryUser,
  guid: crypto.randomUUID(),
}));

/** One full install render: user values → leaves → commands → compact SyncML message. */
function renderInstall(i: number): string {
  const entry = pool[i % pool.length]!;
  const commands = installAccountCommands(
    windowsAccountRef(activeSyncRoots.user, entry.guid),
    windowsAccountLeavesForUser(settings, entry.user),
    1,
  );
  return renderSyncMlMessage({ SessionID: '1', MsgID: 1, Target: entry.user.id, Source: 'https://envelope.example.com/mdm' }, commands);
}

/**
 * Windows install renders per second on one core (compiler and XML serialisation, no I/O): a
 * warm-up of 20,000 renders, then as many as fit in at least 2 s of timed loop.
 */
export async function benchSyncMl(): Promise<{ installPerSecond: number }> {
  let bytes = 0;
  for (let i = 0; i < 20_000; i++) bytes += renderInstall(i).length;
  let count = 0;
  const start = performance.now();
  let elapsed = 0;
  while (elapsed < 2000) {
    for (let i = 0; i < 1000; i++) bytes += renderInstall(count++).length;
    elapsed = performance.now() - start;
  }
  if (bytes === 0) throw new Error('Nothing was rendered.');
  return { installPerSecond: Math.round((count / elapsed) * 1000) };
}

if (import.meta.main) {
  const { installPerSecond } = await benchSyncMl();
  console.log(`Windows ActiveSync install renders: ${installPerSecond.toLocaleString('en-US')}/s`);
}
