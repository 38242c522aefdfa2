import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { activeSyncRoots, windowsAccountRef } from './activesync-account.ts';
import { recreateAccountCommands } from './activesync-commands.ts';
import { nextCmdId } from './syncml-commands.ts';

describe('nextCmdId', () => {
  it('returns the start when there are no commands', () => {
    assert.equal(nextCmdId([], 4), 4);
  });

  it('returns the id after the highest one, counting commands inside Atomic', () => {
    const old = windowsAccountRef(activeSyncRoots.user, '0f6b3e1d-2c4a-4b7e-9d8f-1a2b3c4d5e6f');
    const next = windowsAccountRef(activeSyncRoots.user, 'c556e16f-56c4-4edb-9c64-d9469ee1fbe0');
    const commands = recreateAccountCommands(old, next, [{ path: 'AccountType', value: 'Exchange' }], 10);
    assert.equal(nextCmdId(commands, 10), 13);
  });
});
