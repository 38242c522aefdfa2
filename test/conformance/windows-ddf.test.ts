import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { activeSyncRoots, windowsAccountRef } from '../../src/payloads/windows/activesync-account.ts';
import { installAccountCommands } from '../../src/payloads/windows/activesync-commands.ts';
import { leafDefaults } from '../../src/payloads/windows/leaf-lifecycle.ts';
import { renderSyncBodyCommands, renderSyncMlMessage } from '../../src/payloads/windows/render-syncml.ts';
import { windowsAccountLeavesForUser } from '../../src/payloads/windows/windows-account-leaves.ts';
import { ddfFiles, loadDdf, resolveLocUri, validateCommandsAgainstDdf, validateSyncMlAgainstDdf } from './windows-ddf.ts';
import { fixedGuids, fixedHeader, jane, windows10Settings } from './windows-fixtures.ts';
import type { ReadSyncMlCommand } from './windows-syncml-reader.ts';

const ddf = loadDdf(ddfFiles.current);
const account = './User/Vendor/MSFT/ActiveSync/Accounts/%7B0F6B3E1D-2C4A-4B7E-9D8F-1A2B3C4D5E6F%7D';
const email = '%7Bc6d47067-6e92-480e-b0fc-4ba82182fac7%7D';

function add(CmdID: number, path: string, Data: string, Format = 'chr'): ReadSyncMlCommand {
  return { command: 'Add', CmdID, LocURI: `${account}/${path}`, Format, Data };
}

function atomic(...commands: ReadSyncMlCommand[]): ReadSyncMlCommand {
  return { command: 'Atomic', CmdID: 1, commands };
}

/** Validates `commands` and expects exactly one violation matching `pattern`. */
function assertOneViolation(commands: ReadSyncMlCommand[], pattern: RegExp): void {
  const violations = validateCommandsAgainstDdf(ddf, commands);
  assert.equal(violations.length, 1, violations.join('\n'));
  assert.match(violations[0]!, pattern);
}

describe('loadDdf', () => {
  it('reads the node tree of the current ActiveSync DDF despite its BOM and DOCTYPE', () => {
    assert.deepEqual(ddf.rootSegments, ['.', 'User', 'Vendor', 'MSFT', 'ActiveSync']);
    const found = resolveLocUri(ddf, `${account}/Options/Schedule`);
    assert.ok(typeof found !== 'string', String(found));
    assert.deepEqual(found.node.allowed, { kind: 'Range', min: -1, max: 4294967295 });
    assert.equal(found.node.format, 'chr');
    assert.equal(found.path.find((node) => node.atomicRequired)?.path, './User/Vendor/MSFT/ActiveSync/Accounts/{Account GUID}');
  });

  it('takes the content-type names from the DDF text', () => {
    const found = resolveLocUri(ddf, `${account}/Options/ContentTypes/${email}`);
    assert.ok(typeof found !== 'string', String(found));
    assert.equal(found.node.allowedNames?.length, 4);
  });

  it('reads the legacy ./Vendor/MSFT DDF too', () => {
    assert.deepEqual(loadDdf(ddfFiles.legacy).rootSegments, ['.', 'Vendor', 'MSFT', 'ActiveSync']);
  });

  it('agrees with the compiler on the device defaults it resets options to', () => {
    for (const [path, value] of Object.entries(leafDefaults)) {
      const found = resolveLocUri(ddf, `${account}/${path}`);
      assert.ok(typeof found !== 'string', String(found));
      assert.equal(found.node.defaultValue, value, path);
    }
  });
});

describe('validateSyncMlAgainstDdf', () => {
  it('accepts a conforming install message', () => {
    const ref = windowsAccountRef(activeSyncRoots.user, fixedGuids.account);
    const commands = installAccountCommands(ref, windowsAccountLeavesForUser(windows10Settings, jane));
    assert.deepEqual(validateSyncMlAgainstDdf(ddf, renderSyncMlMessage(fixedHeader, commands)), []);
  });

  it('rejects a node the DDF does not have', () => {
    assertOneViolation([atomic(add(2, 'Options/SyncInterval', '15'))], /no node 'SyncInterval'/);
  });

  it('rejects a LocURI outside the CSP root', () => {
    assertOneViolation([{ command: 'Delete', CmdID: 1, LocURI: './Device/Vendor/MSFT/ActiveSync/Accounts' }], /not under \.\/User\/Vendor\/MSFT\/ActiveSync/);
  });

  it('rejects literal braces in a LocURI', () => {
    assertOneViolation([{ command: 'Delete', CmdID: 1, LocURI: account.replace('%7B', '{').replace('%7D', '}') }], /literal braces/);
  });

  it('rejects an account node name that does not match the DDF RegEx', () => {
    const badGuid: ReadSyncMlCommand = { command: 'Delete', CmdID: 1, LocURI: './User/Vendor/MSFT/ActiveSync/Accounts/0F6B3E1D' };
    assertOneViolation([badGuid], /does not match the RegEx/);
  });

  it('rejects a content-type GUID the DDF does not list', () => {
    assertOneViolation([atomic(add(2, 'Options/ContentTypes/%7B00000000-0000-0000-0000-000000000000%7D/Enabled', '1'))], /not one of the names/);
  });

  it('rejects a value outside an ENUM', () => {
    assertOneViolation([atomic(add(2, 'Options/UseSSL', 'true'))], /not in .*UseSSL's ENUM/);
    assertOneViolation([atomic(add(2, 'Options/MailAgeFilter', '7'))], /ENUM/);
  });

  it('rejects a value outside a Range, and a non-number', () => {
    assertOneViolation([atomic(add(2, 'Options/Schedule', '-2'))], /outside .*Range/);
    assertOneViolation([atomic(add(2, 'Options/Schedule', '4294967296'))], /outside .*Range/);
    assertOneViolation([atomic(add(2, 'Options/Schedule', 'fifteen'))], /outside .*Range/);
  });

  it('rejects a Format other than the DDF DFFormat', () => {
    assertOneViolation([atomic(add(2, 'Options/UseSSL', '1', 'int'))], /Format is 'int', the DDF says DFFormat 'chr'/);
  });

  it('rejects a Format outside the syncml:metinf namespace', () => {
    const ref = windowsAccountRef(activeSyncRoots.user, fixedGuids.account);
    const xml = renderSyncBodyCommands(installAccountCommands(ref, [{ path: 'AccountType', value: 'Exchange' }]));
    const violations = validateSyncMlAgainstDdf(ddf, xml.replace(' xmlns="syncml:metinf"', ''));
    assert.deepEqual(violations, ['Add 2: Format is not in namespace syncml:metinf.']);
  });

  it('rejects an Add or Replace without Data', () => {
    const { Data: _omitted, ...noData } = add(2, 'AccountName', 'x');
    assertOneViolation([atomic(noData)], /no Data/);
  });

  it('rejects creating a node under an AtomicRequired node outside Atomic', () => {
    assertOneViolation([add(1, 'AccountType', 'Exchange')], /MSFT:AtomicRequired, so Add must be inside Atomic/);
  });

  it('rejects an operation the node does not allow', () => {
    assertOneViolation([{ command: 'Delete', CmdID: 1, LocURI: './User/Vendor/MSFT/ActiveSync/Accounts' }], /does not allow Delete/);
  });

  it('rejects duplicate and decreasing CmdIDs', () => {
    assertOneViolation([atomic(add(1, 'AccountType', 'Exchange'))], /CmdID 1 is used twice/);
    assertOneViolation([atomic(add(3, 'AccountType', 'Exchange'), add(2, 'AccountName', 'x'))], /CmdIDs must increase/);
  });

  it('rejects a nested Atomic and a node targeted twice in one Atomic', () => {
    assertOneViolation([atomic({ command: 'Atomic', CmdID: 2, commands: [] })], /nested/);
    const replace: ReadSyncMlCommand = { ...add(3, 'AccountName', 'y'), command: 'Replace' };
    assertOneViolation([atomic(add(2, 'AccountName', 'x'), replace)], /targeted twice/);
  });

  it('reports a command without a numeric CmdID', () => {
    const violations = validateSyncMlAgainstDdf(ddf, `<Delete><Item><Target><LocURI>${account}</LocURI></Target></Item></Delete>`);
    assert.ok(violations.some((violation) => /without a numeric CmdID/.test(violation)), violations.join('\n'));
  });
});
