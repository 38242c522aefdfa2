import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { XMLParser } from 'fast-xml-parser';
import { fixedGuids, fixedHeader } from '../../../test/conformance/windows-fixtures.ts';
import { readSyncMl } from '../../../test/conformance/windows-syncml-reader.ts';
import { activeSyncRoots, windowsAccountRef } from './activesync-account.ts';
import { recreateAccountCommands } from './activesync-commands.ts';
import { renderSyncBodyCommands, renderSyncMlMessage } from './render-syncml.ts';
import type { CspLeaf } from './windows-account-leaves.ts';

const account = windowsAccountRef(activeSyncRoots.user, fixedGuids.account);
const next = windowsAccountRef(activeSyncRoots.user, fixedGuids.replacement);
const leaves: CspLeaf[] = [
  { path: 'AccountName', value: `R&D <"Ops"> 'mail' · Ünïcode` },
  { path: 'AccountType', value: 'Exchange' },
];
const commands = recreateAccountCommands(account, next, leaves, 3);

describe('renderSyncMlMessage', () => {
  it('writes a SyncML 1.2 header with the given session, message and addresses, and ends the body with Final', () => {
    const xml = renderSyncMlMessage(fixedHeader, commands);
    const parsed = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '@_', parseTagValue: false }).parse(xml);
    assert.equal(parsed.SyncML['@_xmlns'], 'SYNCML:SYNCML1.2');
    assert.deepEqual(parsed.SyncML.SyncHdr, {
      VerDTD: '1.2',
      VerProto: 'DM/1.2',
      SessionID: '1A',
      MsgID: '2',
      Target: { LocURI: fixedHeader.Target },
      Source: { LocURI: fixedHeader.Source },
    });
    assert.equal(parsed.SyncML.SyncBody.Final, '');
    assert.match(xml, /<\/Atomic><Final\/><\/SyncBody><\/SyncML>$/);
  });

  it('re-parses to exactly the commands it was given, in order, in compact and pretty form', () => {
    for (const pretty of [false, true]) {
      assert.deepEqual(readSyncMl(renderSyncMlMessage(fixedHeader, commands, { pretty })), { commands, problems: [] });
    }
  });

  it('escapes XML metacharacters in values and keeps other text as is', () => {
    const xml = renderSyncMlMessage(fixedHeader, commands);
    assert.match(xml, /<Data>R&amp;D &lt;"Ops"&gt; 'mail' · Ünïcode<\/Data>/);
  });

  it('refuses text that XML cannot carry instead of sending a broken message', () => {
    for (const value of ['bell\u0007', 'lone \uD800 surrogate']) {
      const broken = recreateAccountCommands(account, next, [{ path: 'AccountName', value }], 1);
      assert.throws(() => renderSyncMlMessage(fixedHeader, broken), TypeError);
    }
  });

  it('marks every value Format chr in the syncml:metinf namespace', () => {
    const xml = renderSyncMlMessage(fixedHeader, commands);
    assert.equal(xml.split('<Format xmlns="syncml:metinf">chr</Format>').length - 1, leaves.length);
  });
});

describe('renderSyncBodyCommands', () => {
  it('writes only the commands, for the OMA-DM layer to place after its Status elements', () => {
    const xml = renderSyncBodyCommands(commands);
    assert.match(xml, /^<Delete><CmdID>3<\/CmdID>/);
    assert.doesNotMatch(xml, /SyncBody|Final|SyncHdr/);
    assert.deepEqual(readSyncMl(xml).commands, commands);
  });

  it('writes nothing for no commands', () => {
    assert.equal(renderSyncBodyCommands([]), '');
  });
});
