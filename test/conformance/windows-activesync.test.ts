import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { accountLocUri, activeSyncRoots, windowsAccountRef, type ActiveSyncRoot, type WindowsAccountRef } from '../../src/payloads/windows/activesync-account.ts';
import { installAccountCommands, removeAccountCommands, updateAccountCommands } from '../../src/payloads/windows/activesync-commands.ts';
import { planWindowsAccountChange } from '../../src/payloads/windows/plan-windows-account-change.ts';
import { renderSyncMlMessage } from '../../src/payloads/windows/render-syncml.ts';
import type { SyncMlCommand } from '../../src/payloads/windows/syncml-commands.ts';
import { windowsAccountLeavesForUser, type CspLeaf } from '../../src/payloads/windows/windows-account-leaves.ts';
import { ddfFiles, loadDdf, validateSyncMlAgainstDdf } from './windows-ddf.ts';
import { completeUserArbitrary, fixedGuids, fixedHeader, windowsSettingsArbitrary } from './windows-fixtures.ts';
import { goldenCases } from './windows-golden-cases.ts';
import { readSyncMl } from './windows-syncml-reader.ts';

const ddfs = { [activeSyncRoots.user]: loadDdf(ddfFiles.current), [activeSyncRoots.legacy]: loadDdf(ddfFiles.legacy) };
const roots = fc.constantFrom<ActiveSyncRoot>(activeSyncRoots.user, activeSyncRoots.legacy);
const leavesArbitrary = fc.tuple(windowsSettingsArbitrary, completeUserArbitrary).map(([settings, user]) => windowsAccountLeavesForUser(settings, user));

/** Renders the commands as a message, checks it re-parses to them, and returns the DDF violations. */
function violationsOf(root: ActiveSyncRoot, commands: SyncMlCommand[]): string[] {
  const xml = renderSyncMlMessage(fixedHeader, commands);
  assert.deepEqual(readSyncMl(xml), { commands, problems: [] });
  return validateSyncMlAgainstDdf(ddfs[root], xml);
}

/** Leaf paths (braces decoded) a list of commands touches below `account`. */
function touchedPaths(account: WindowsAccountRef, commands: readonly SyncMlCommand[]): string[] {
  const prefix = `${accountLocUri(account)}/`;
  return commands.flatMap((command) =>
    command.command === 'Atomic'
      ? touchedPaths(account, command.commands)
      : [command.LocURI.slice(prefix.length).replaceAll('%7B', '{').replaceAll('%7D', '}')],
  );
}

function changedPaths(previous: readonly CspLeaf[], next: readonly CspLeaf[]): string[] {
  const before = new Map(previous.map((leaf) => [leaf.path, leaf.value]));
  const after = new Map(next.map((leaf) => [leaf.path, leaf.value]));
  return [...new Set([...before.keys(), ...after.keys()])].filter((path) => before.get(path) !== after.get(path)).sort();
}

describe('ActiveSync commands against the DDF', () => {
  it('every golden message conforms to the DDF of its CSP root', () => {
    for (const golden of goldenCases()) {
      assert.deepEqual(validateSyncMlAgainstDdf(ddfs[golden.root], golden.xml), [], golden.file);
    }
  });

  it('installing any valid Windows profile for any user conforms, on both CSP roots', () => {
    fc.assert(
      fc.property(leavesArbitrary, roots, fc.integer({ min: 1, max: 10_000 }), (leaves, root, firstCmdId) => {
        const account = windowsAccountRef(root, fixedGuids.account);
        assert.deepEqual(violationsOf(root, installAccountCommands(account, leaves, firstCmdId)), []);
      }),
    );
  });

  it('updating from any profile to any other conforms and touches exactly the changed leaves', () => {
    fc.assert(
      fc.property(leavesArbitrary, leavesArbitrary, roots, (previous, next, root) => {
        const account = windowsAccountRef(root, fixedGuids.account);
        const commands = updateAccountCommands(account, previous, next);
        assert.deepEqual(violationsOf(root, commands), []);
        assert.deepEqual(touchedPaths(account, commands).sort(), changedPaths(previous, next));
      }),
    );
  });

  it('updating a profile to itself sends nothing', () => {
    fc.assert(
      fc.property(leavesArbitrary, (leaves) => {
        const account = windowsAccountRef(activeSyncRoots.user, fixedGuids.account);
        assert.deepEqual(updateAccountCommands(account, leaves, leaves.map((leaf) => ({ ...leaf }))), []);
      }),
    );
  });

  it('every planned change conforms, and recreates exactly when a synced account changes user name', () => {
    fc.assert(
      fc.property(leavesArbitrary, leavesArbitrary, roots, fc.boolean(), (previous, next, root, hasSynced) => {
        const account = windowsAccountRef(root, fixedGuids.account);
        const plan = planWindowsAccountChange({ account, leaves: previous }, next, { hasSynced, replacementGuid: fixedGuids.replacement });
        const userNameChanged = changedPaths(previous, next).includes('UserName');
        const expected = hasSynced && userNameChanged ? 'recreate' : changedPaths(previous, next).length > 0 ? 'update' : 'none';
        assert.equal(plan.kind, expected);
        assert.deepEqual(violationsOf(root, plan.commands), []);
      }),
    );
  });

  it('removing an account conforms on both CSP roots', () => {
    for (const root of [activeSyncRoots.user, activeSyncRoots.legacy]) {
      assert.deepEqual(violationsOf(root, removeAccountCommands(windowsAccountRef(root, fixedGuids.account), 9)), []);
    }
  });

  it('no message ever carries a Password or a content-type Name', () => {
    fc.assert(
      fc.property(leavesArbitrary, leavesArbitrary, fc.boolean(), (previous, next, hasSynced) => {
        const account = windowsAccountRef(activeSyncRoots.user, fixedGuids.account);
        const plan = planWindowsAccountChange({ account, leaves: previous }, next, { hasSynced, replacementGuid: fixedGuids.replacement });
        for (const commands of [installAccountCommands(account, next), plan.commands]) {
          const xml = renderSyncMlMessage(fixedHeader, commands);
          assert.doesNotMatch(xml, /\/Password<|\/Name</);
        }
      }),
    );
  });
});
