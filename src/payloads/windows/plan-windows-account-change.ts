import { windowsAccountRef, type WindowsAccountRef } from './activesync-account.ts';
import { recreateAccountCommands, updateAccountCommands } from './activesync-commands.ts';
import { requiresRecreate } from './leaf-lifecycle.ts';
import type { SyncMlCommand } from './syncml-commands.ts';
import type { CspLeaf } from './windows-account-leaves.ts';

/** What the device holds now, as last delivered: the account and the leaves it was given. */
export interface DeployedWindowsAccount {
  account: WindowsAccountRef;
  leaves: readonly CspLeaf[];
}

export interface WindowsAccountChangeOptions {
  /** The device reported a successful sync of this account; from then on `UserName` is frozen. */
  hasSynced: boolean;
  /** GUID (with or without braces) to use if the account must be recreated; must be new. */
  replacementGuid: string;
  /** First CmdID to use; default 1. */
  firstCmdId?: number;
}

export interface WindowsAccountChangePlan {
  /** `none`: nothing to send; `update`: in-place `Atomic`; `recreate`: `Delete` + `Atomic` of `Add`s. */
  kind: 'none' | 'update' | 'recreate';
  /** The account the device holds once the commands succeed; the caller persists it (new GUID after a recreate). */
  account: WindowsAccountRef;
  commands: SyncMlCommand[];
}

/**
 * Plans how to move a deployed account to the `next` leaves. A change the CSP cannot apply in place
 * (`AccountType`; `UserName` once `hasSynced`) deletes the account and creates it under
 * `replacementGuid`; anything else is an in-place update of the changed leaves only, and equal leaf
 * sets plan nothing. Deterministic: the same inputs give the same commands.
 */
export function planWindowsAccountChange(
  previous: DeployedWindowsAccount,
  next: readonly CspLeaf[],
  options: WindowsAccountChangeOptions,
): WindowsAccountChangePlan {
  const firstCmdId = options.firstCmdId ?? 1;
  if (mustRecreate(previous.leaves, next, options.hasSynced)) {
    const account = windowsAccountRef(previous.account.root, options.replacementGuid);
    return { kind: 'recreate', account, commands: recreateAccountCommands(previous.account, account, next, firstCmdId) };
  }
  const commands = updateAccountCommands(previous.account, previous.leaves, next, firstCmdId);
  return { kind: commands.length === 0 ? 'none' : 'update', account: previous.account, commands };
}

function mustRecreate(previous: readonly CspLeaf[], next: readonly CspLeaf[], hasSynced: boolean): boolean {
  const before = new Map(previous.map((leaf) => [leaf.path, leaf.value]));
  const after = new Map(next.map((leaf) => [leaf.path, leaf.value]));
  for (const path of new Set([...before.keys(), ...after.keys()])) {
    if (requiresRecreate(path, hasSynced) && before.get(path) !== after.get(path)) return true;
  }
  return false;
}
