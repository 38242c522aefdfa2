import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { accountLocUri, activeSyncRoots, windowsAccountRef } from './activesync-account.ts';
import {
  installAccountCommands,
  recreateAccountCommands,
  removeAccountCommands,
  updateAccountCommands,
} from './activesync-commands.ts';
import type { SyncMlCommand } from './syncml-commands.ts';
import type { CspLeaf } from './windows-account-leaves.ts';

const account = windowsAccountRef(activeSyncRoots.user, '0f6b3e1d-2c4a-4b7e-9d8f-1a2b3c4d5e6f');
const replacement = windowsAccountRef(activeSyncRoots.user, 'c556e16f-56c4-4edb-9c64-d9469ee1fbe0');
const leaves: CspLeaf[] = [
  { path: 'EmailAddress', value: 'jane@contoso.com' },
  { path: 'ServerName', value: 'outlook.contoso.com' },
  { path: 'UserName', value: 'jdoe' },
  { path: 'AccountType', value: 'Exchange' },
  { path: 'Options/MailAgeFilter', value: '1' },
];

function cmdIds(commands: readonly SyncMlCommand[]): number[] {
  return commands.flatMap((command) => [command.CmdID, ...(command.command === 'Atomic' ? cmdIds(command.commands) : [])]);
}

function leavesWith(path: string, value: string | null): CspLeaf[] {
  const rest = leaves.filter((leaf) => leaf.path !== path);
  return value === null ? rest : [...rest, { path, value }];
}

describe('installAccountCommands', () => {
  it('wraps one chr Add per leaf in a single Atomic with CmdIDs increasing from the given start', () => {
    const [atomic, ...rest] = installAccountCommands(account, leaves, 7);
    assert.equal(rest.length, 0);
    assert.equal(atomic?.command, 'Atomic');
    assert.deepEqual(cmdIds([atomic!]), [7, 8, 9, 10, 11, 12]);
    if (atomic?.command !== 'Atomic') return;
    assert.deepEqual(
      atomic.commands.map((command) => (command.command === 'Add' ? [command.LocURI, command.Format, command.Data] : null)),
      leaves.map((leaf) => [accountLocUri(account, leaf.path), 'chr', leaf.value]),
    );
  });

  it('refuses a Password leaf, a content-type Name leaf and duplicate leaves', () => {
    assert.throws(() => installAccountCommands(account, [...leaves, { path: 'Password', value: 'x' }]), TypeError);
    assert.throws(() => installAccountCommands(account, [{ path: 'Options/ContentTypes/{c6d47067-6e92-480e-b0fc-4ba82182fac7}/Name', value: 'Email' }]), TypeError);
    assert.throws(() => installAccountCommands(account, [...leaves, leaves[0]!]), TypeError);
  });
});

describe('updateAccountCommands', () => {
  it('sends nothing when the leaves are unchanged, whatever their order', () => {
    assert.deepEqual(updateAccountCommands(account, leaves, [...leaves].reverse()), []);
  });

  it('replaces only the leaves whose value changed, inside one Atomic', () => {
    assert.deepEqual(updateAccountCommands(account, leaves, leavesWith('ServerName', 'mail.contoso.com'), 3), [
      {
        command: 'Atomic',
        CmdID: 3,
        commands: [{ command: 'Replace', CmdID: 4, LocURI: accountLocUri(account, 'ServerName'), Format: 'chr', Data: 'mail.contoso.com' }],
      },
    ]);
  });

  it('adds a Domain that appears and deletes one that disappears', () => {
    const withDomain = leavesWith('Domain', 'CONTOSO');
    const [added] = updateAccountCommands(account, leaves, withDomain);
    const [removed] = updateAccountCommands(account, withDomain, leaves);
    assert.equal(added?.command === 'Atomic' && added.commands[0]?.command, 'Add');
    assert.deepEqual(removed?.command === 'Atomic' && removed.commands[0], { command: 'Delete', CmdID: 2, LocURI: accountLocUri(account, 'Domain') });
  });

  it('replaces a sync option that appears, and resets one that is no longer managed to the device default', () => {
    const [appeared] = updateAccountCommands(account, leaves, leavesWith('Options/Schedule', '30'));
    const [dropped] = updateAccountCommands(account, leaves, leavesWith('Options/MailAgeFilter', null));
    assert.deepEqual(
      appeared?.command === 'Atomic' && appeared.commands.map((command) => [command.command, 'Data' in command ? command.Data : null]),
      [['Replace', '30']],
    );
    assert.deepEqual(
      dropped?.command === 'Atomic' && dropped.commands.map((command) => [command.command, 'Data' in command ? command.Data : null]),
      [['Replace', '3']],
    );
  });
});

describe('removeAccountCommands', () => {
  it('deletes the account node', () => {
    assert.deepEqual(removeAccountCommands(account, 5), [{ command: 'Delete', CmdID: 5, LocURI: accountLocUri(account) }]);
  });
});

describe('recreateAccountCommands', () => {
  it('deletes the old account, then adds every leaf under the new GUID in one Atomic', () => {
    const commands = recreateAccountCommands(account, replacement, leaves, 1);
    assert.deepEqual(commands[0], { command: 'Delete', CmdID: 1, LocURI: accountLocUri(account) });
    assert.deepEqual(commands.slice(1), installAccountCommands(replacement, leaves, 2));
    assert.deepEqual(cmdIds(commands), [1, 2, 3, 4, 5, 6, 7]);
  });

  it('refuses to recreate under the same GUID, which would lose the account', () => {
    assert.throws(() => recreateAccountCommands(account, { ...account }, leaves), TypeError);
  });
});
