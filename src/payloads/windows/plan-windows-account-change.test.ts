import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { activeSyncRoots, windowsAccountRef } from './activesync-account.ts';
import { installAccountCommands, recreateAccountCommands, updateAccountCommands } from './activesync-commands.ts';
import { planWindowsAccountChange } from './plan-windows-account-change.ts';
import type { CspLeaf } from './windows-account-leaves.ts';

const account = windowsAccountRef(activeSyncRoots.user, '0f6b3e1d-2c4a-4b7e-9d8f-1a2b3c4d5e6f');
const replacementGuid = 'c556e16f-56c4-4edb-9c64-d9469ee1fbe0';
const leaves: CspLeaf[] = [
  { path: 'EmailAddress', value: 'jane@contoso.com' },
  { path: 'UserName', value: 'jdoe' },
  { path: 'AccountType', value: 'Exchange' },
];
const deployed = { account, leaves };

function change(path: string, value: string): CspLeaf[] {
  return leaves.map((leaf) => (leaf.path === path ? { path, value } : leaf));
}

describe('planWindowsAccountChange', () => {
  it('plans nothing when the leaves are the same', () => {
    assert.deepEqual(planWindowsAccountChange(deployed, leaves, { hasSynced: true, replacementGuid }), {
      kind: 'none',
      account,
      commands: [],
    });
  });

  it('updates in place when a replaceable leaf changed, keeping the account GUID', () => {
    const next = change('EmailAddress', 'jane.doe@contoso.com');
    const plan = planWindowsAccountChange(deployed, next, { hasSynced: true, replacementGuid, firstCmdId: 4 });
    assert.equal(plan.kind, 'update');
    assert.deepEqual(plan.account, account);
    assert.deepEqual(plan.commands, updateAccountCommands(account, leaves, next, 4));
  });

  it('updates the user name in place while the account has never synced', () => {
    const plan = planWindowsAccountChange(deployed, change('UserName', 'jane.doe@contoso.com'), { hasSynced: false, replacementGuid });
    assert.equal(plan.kind, 'update');
  });

  it('recreates under the new GUID when the user name changes after a sync', () => {
    const next = change('UserName', 'jane.doe@contoso.com');
    const plan = planWindowsAccountChange(deployed, next, { hasSynced: true, replacementGuid });
    const newAccount = windowsAccountRef(account.root, replacementGuid);
    assert.equal(plan.kind, 'recreate');
    assert.deepEqual(plan.account, newAccount);
    assert.deepEqual(plan.commands, recreateAccountCommands(account, newAccount, next, 1));
  });

  it('recreates when the account type changes, synced or not', () => {
    const plan = planWindowsAccountChange(deployed, change('AccountType', 'IMAP'), { hasSynced: false, replacementGuid });
    assert.equal(plan.kind, 'recreate');
    assert.deepEqual(plan.commands.slice(1), installAccountCommands(plan.account, change('AccountType', 'IMAP'), 2));
  });
});
