import { accountLocUri, type WindowsAccountRef } from './activesync-account.ts';
import { assertDeliverableLeaf, isAddableAfterCreation, leafDefaults } from './leaf-lifecycle.ts';
import type { SyncMlAtomic, SyncMlCommand, SyncMlNodeCommand } from './syncml-commands.ts';
import type { CspLeaf } from './windows-account-leaves.ts';

/**
 * Creates the account: one `Atomic` (the account node is `MSFT:AtomicRequired` in the 2024 DDF)
 * holding one `Add` per leaf, in leaf order, CmdIDs increasing from `firstCmdId` (the `Atomic`
 * takes the first). Parents are created implicitly by the `Add`s. The GUID must be new on the
 * device: re-adding a live GUID deletes the account and does not recreate it.
 */
export function installAccountCommands(account: WindowsAccountRef, leaves: readonly CspLeaf[], firstCmdId = 1): SyncMlCommand[] {
  const byPath = leavesByPath(leaves);
  let cmdId = firstCmdId + 1;
  const adds: SyncMlNodeCommand[] = [];
  for (const [path, value] of byPath) {
    adds.push({ command: 'Add', CmdID: cmdId++, LocURI: accountLocUri(account, path), Format: 'chr', Data: value });
  }
  return [{ command: 'Atomic', CmdID: firstCmdId, commands: adds }];
}

/**
 * Moves a live account from `previous` to `next` leaves in place: nothing when they are equal,
 * otherwise one `Atomic` (all-or-nothing, so the device holds either the old or the new profile
 * version) with, in `next` order then `previous` order:
 * - `Replace` for a leaf whose value changed;
 * - for a leaf only in `next`: `Add` if the CSP allows adding it to a live account (`Domain`),
 *   else `Replace` (the node exists with its device default);
 * - for a leaf only in `previous`: `Replace` with the device default if it has one
 *   (`Options/MailAgeFilter`, `Options/Schedule`), else `Delete`.
 * It does not check whether the change is possible in place; `planWindowsAccountChange` does.
 */
export function updateAccountCommands(
  account: WindowsAccountRef,
  previous: readonly CspLeaf[],
  next: readonly CspLeaf[],
  firstCmdId = 1,
): SyncMlCommand[] {
  const before = leavesByPath(previous);
  const after = leavesByPath(next);
  let cmdId = firstCmdId + 1;
  const commands: SyncMlNodeCommand[] = [];
  for (const [path, value] of after) {
    const old = before.get(path);
    if (old === value) continue;
    const command = old === undefined && isAddableAfterCreation(path) ? 'Add' : 'Replace';
    commands.push({ command, CmdID: cmdId++, LocURI: accountLocUri(account, path), Format: 'chr', Data: value });
  }
  for (const path of before.keys()) {
    if (after.has(path)) continue;
    const LocURI = accountLocUri(account, path);
    const fallback = leafDefaults[path];
    commands.push(
      fallback === undefined
        ? { command: 'Delete', CmdID: cmdId++, LocURI }
        : { command: 'Replace', CmdID: cmdId++, LocURI, Format: 'chr', Data: fallback },
    );
  }
  if (commands.length === 0) return [];
  const atomic: SyncMlAtomic = { command: 'Atomic', CmdID: firstCmdId, commands };
  return [atomic];
}

/** Removes the account and everything below it with one `Delete` of the account node. */
export function removeAccountCommands(account: WindowsAccountRef, firstCmdId = 1): SyncMlCommand[] {
  return [{ command: 'Delete', CmdID: firstCmdId, LocURI: accountLocUri(account) }];
}

/**
 * Replaces an account the CSP cannot change in place: `Delete` of the old account node, then the
 * install `Atomic` under `next`, which must name a different GUID (re-adding a live or just-deleted
 * GUID is the documented way to lose the account). The `Delete` stays outside the `Atomic`: if the
 * user already removed the old account, its `Delete` gets 404, which inside the `Atomic` would also
 * abort the create.
 */
export function recreateAccountCommands(
  previous: WindowsAccountRef,
  next: WindowsAccountRef,
  leaves: readonly CspLeaf[],
  firstCmdId = 1,
): SyncMlCommand[] {
  if (previous.accountGuid.toUpperCase() === next.accountGuid.toUpperCase()) {
    throw new TypeError(`Recreating account ${previous.accountGuid} needs a new GUID.`);
  }
  return [...removeAccountCommands(previous, firstCmdId), ...installAccountCommands(next, leaves, firstCmdId + 1)];
}

/** Leaves keyed by path, in order; rejects duplicates and leaves that must never be sent. */
function leavesByPath(leaves: readonly CspLeaf[]): Map<string, string> {
  const byPath = new Map<string, string>();
  for (const leaf of leaves) {
    assertDeliverableLeaf(leaf.path);
    if (byPath.has(leaf.path)) throw new TypeError(`Duplicate ActiveSync leaf '${leaf.path}'.`);
    byPath.set(leaf.path, leaf.value);
  }
  return byPath;
}
