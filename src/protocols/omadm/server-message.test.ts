import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { XMLParser } from 'fast-xml-parser';
import { readSyncMl } from '../../../test/conformance/windows-syncml-reader.ts';
import { encodeServerMessage, firstCommandCmdId, type ServerMessage } from './server-message.ts';

const parser = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '@_', parseTagValue: false, isArray: (name) => name === 'Status' });

const SyncHdr = { SessionID: '1A', MsgID: 2, Target: 'DEV<&>1', Source: 'https://envelope.example.com/ManagementServer/MDM.svc' };

describe('encodeServerMessage', () => {
  it('writes the header, the statuses first with CmdIDs from 1, then the commands and Final', () => {
    const first = firstCommandCmdId(2);
    const message: ServerMessage = {
      SyncHdr,
      statuses: [
        { MsgRef: 1, CmdRef: '0', Cmd: 'SyncHdr', Data: 200 },
        { MsgRef: 1, CmdRef: '4', Cmd: 'Replace', Data: 200 },
      ],
      commands: [
        { command: 'Get', CmdID: first, LocURI: './Vendor/MSFT/DMClient/Provider/Envelope/Push/ChannelURI' },
        { command: 'Atomic', CmdID: first + 1, commands: [{ command: 'Add', CmdID: first + 2, LocURI: './User/x', Format: 'chr', Data: 'a&b' }] },
      ],
    };
    const xml = encodeServerMessage(message);
    const parsed = parser.parse(xml).SyncML;
    assert.equal(parser.parse(xml).SyncML['@_xmlns'], 'SYNCML:SYNCML1.2');
    assert.deepEqual(parsed.SyncHdr, { VerDTD: '1.2', VerProto: 'DM/1.2', SessionID: '1A', MsgID: '2', Target: { LocURI: 'DEV<&>1' }, Source: { LocURI: SyncHdr.Source } });
    assert.deepEqual(parsed.SyncBody.Status, [
      { CmdID: '1', MsgRef: '1', CmdRef: '0', Cmd: 'SyncHdr', Data: '200' },
      { CmdID: '2', MsgRef: '1', CmdRef: '4', Cmd: 'Replace', Data: '200' },
    ]);
    assert.deepEqual(readSyncMl(xml), { commands: message.commands, problems: [] });
    assert.match(xml, /<\/Atomic><Final\/><\/SyncBody><\/SyncML>$/);
  });

  it('puts an MD5 challenge with its NextNonce in the SyncHdr status, before Data', () => {
    const xml = encodeServerMessage({ SyncHdr, statuses: [{ MsgRef: 1, CmdRef: '0', Cmd: 'SyncHdr', Data: 407, Chal: { NextNonce: 'AAECAw==' } }], commands: [] });
    assert.match(xml, /<Cmd>SyncHdr<\/Cmd><Chal><Meta><Type xmlns="syncml:metinf">syncml:auth-md5<\/Type><Format xmlns="syncml:metinf">b64<\/Format><NextNonce xmlns="syncml:metinf">AAECAw==<\/NextNonce><\/Meta><\/Chal><Data>407<\/Data>/);
  });

  it('refuses a CmdID that repeats or falls among the statuses', () => {
    const statuses = [{ MsgRef: 1, CmdRef: '0', Cmd: 'SyncHdr', Data: 200 }];
    assert.throws(() => encodeServerMessage({ SyncHdr, statuses, commands: [{ command: 'Get', CmdID: 1, LocURI: './a' }] }), TypeError);
    assert.throws(() => encodeServerMessage({ SyncHdr, statuses, commands: [{ command: 'Atomic', CmdID: 2, commands: [{ command: 'Delete', CmdID: 2, LocURI: './a' }] }] }), TypeError);
  });

  it('replaces a control character an echoed device value smuggled in', () => {
    const xml = encodeServerMessage({ SyncHdr: { ...SyncHdr, SessionID: 'a\u0001b' }, statuses: [], commands: [] });
    assert.match(xml, /<SessionID>a\uFFFDb<\/SessionID>/);
  });
});
