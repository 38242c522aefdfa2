import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { decodeDeviceMessage, type DeviceAlert, type DeviceResults, type DeviceStatus } from './device-message.ts';
import { isSyncMlDecodeError, SyncMlDecodeError } from './syncml-decode-error.ts';

const testdata = (name: string) => readFileSync(new URL(`./testdata/${name}`, import.meta.url));

function decodeText(xml: string) {
  return decodeDeviceMessage(Buffer.from(xml, 'utf8'));
}

function rejects(xml: string | Uint8Array, code: SyncMlDecodeError['code'], field?: string): void {
  assert.throws(() => decodeDeviceMessage(typeof xml === 'string' ? Buffer.from(xml, 'utf8') : xml), (error: unknown) => {
    assert.ok(isSyncMlDecodeError(error), String(error));
    assert.equal(error.code, code, error.message);
    if (field !== undefined) assert.equal(error.field, field, error.message);
    return true;
  });
}

const header = (body = '', hdrExtra = '') => `<SyncML xmlns="SYNCML:SYNCML1.2"><SyncHdr><VerDTD>1.2</VerDTD><VerProto>DM/1.2</VerProto><SessionID>1A</SessionID><MsgID>3</MsgID>`
  + `<Target><LocURI>https://e/ManagementServer/MDM.svc</LocURI></Target><Source><LocURI>DEV-1</LocURI></Source>${hdrExtra}</SyncHdr><SyncBody>${body}<Final/></SyncBody></SyncML>`;

describe('decodeDeviceMessage', () => {
  it('reads the first message of a session: header, credential, alerts with LoginStatus and the DevInfo Replace', () => {
    const message = decodeDeviceMessage(testdata('session-start.xml'));
    assert.deepEqual(message.SyncHdr, {
      VerDTD: '1.2',
      VerProto: 'DM/1.2',
      SessionID: '1A',
      MsgID: 1,
      Target: 'https://envelope.example.com/ManagementServer/MDM.svc',
      Source: '5E1F6C1A7D2B4F3E9A0B1C2D3E4F5A6B',
      SourceLocName: null,
      Cred: { Type: 'syncml:auth-md5', Format: 'b64', Data: 'Zz6EivR3yeaaENcRN6lpAQ==' },
    });
    assert.equal(message.Final, true);
    assert.deepEqual(message.commands.map((c) => [c.verb, c.CmdID]), [['Alert', '2'], ['Alert', '3'], ['Replace', '4']]);
    const login = message.commands[1] as DeviceAlert;
    assert.equal(login.Data, '1224');
    assert.deepEqual(login.Items, [{ Source: null, Target: null, Type: 'com.microsoft/MDM/LoginStatus', Format: 'chr', Data: 'user' }]);
    const devInfo = message.commands[2]!;
    assert.deepEqual(devInfo.Items.map((item) => [item.Source, item.Data]), [
      ['./DevInfo/DevId', '5E1F6C1A7D2B4F3E9A0B1C2D3E4F5A6B'],
      ['./DevInfo/Man', 'Contoso & Sons'],
      ['./DevInfo/Mod', 'Surface Laptop 5'],
      ['./DevInfo/DmV', '1.3'],
      ['./DevInfo/Lang', 'en-US'],
    ]);
  });

  it('reads statuses (header, Atomic, nested commands) and Results with CDATA', () => {
    const message = decodeDeviceMessage(testdata('statuses-and-results.xml'));
    const statuses = message.commands.filter((c): c is DeviceStatus => c.verb === 'Status');
    assert.deepEqual(statuses.map((s) => [s.MsgRef, s.CmdRef, s.Cmd, s.Data]), [
      [1, 0, 'SyncHdr', 200], [1, 5, 'Atomic', 507], [1, 6, 'Add', 418], [1, 7, 'Add', 216], [1, 8, 'Get', 200], [1, 9, 'Get', 404],
    ]);
    const results = message.commands.find((c): c is DeviceResults => c.verb === 'Results')!;
    assert.equal(results.CmdRef, 8);
    assert.equal(results.Items[0]!.Source, './Vendor/MSFT/DMClient/Provider/Envelope/Push/ChannelURI');
    assert.equal(results.Items[0]!.Data, 'https://wns2-by3p.notify.windows.com/w/?token=AwYAAAB&a=1');
  });

  it('reads the unenrollment alert with its Meta Type', () => {
    const alert = decodeDeviceMessage(testdata('unenrollment.xml')).commands[1] as DeviceAlert;
    assert.equal(alert.Data, '1226');
    assert.equal(alert.Items[0]!.Type, 'com.microsoft:mdm.unenrollment.userrequest');
  });

  it('keeps a blank CmdRef (Windows answers a command without CmdID so) and a Results without MsgRef', () => {
    const message = decodeText(header('<Status><CmdID>1</CmdID><MsgRef>2</MsgRef><CmdRef></CmdRef><Cmd>Add</Cmd><Data>400</Data></Status>'
      + '<Results><CmdID>2</CmdID><CmdRef>4</CmdRef><Item><Source><LocURI>./x</LocURI></Source><Data>v</Data></Item></Results>'));
    assert.equal((message.commands[0] as DeviceStatus).CmdRef, null);
    assert.equal((message.commands[1] as DeviceResults).MsgRef, null);
  });

  it('reads the user name a device sends in Source/LocName and tolerates namespace prefixes', () => {
    const message = decodeText(header('<msft:Alert xmlns:msft="x"><CmdID>1</CmdID><Data>1201</Data></msft:Alert>', '').replace('<LocURI>DEV-1</LocURI>', '<LocURI>DEV-1</LocURI><LocName>digest-user</LocName>'));
    assert.equal(message.SyncHdr.SourceLocName, 'digest-user');
    assert.equal(message.commands[0]!.verb, 'Alert');
  });

  it('names the field of an incomplete or invalid message', () => {
    rejects(header().replace('<MsgID>3</MsgID>', ''), 'missing-field', 'SyncHdr/MsgID');
    rejects(header().replace('<MsgID>3</MsgID>', '<MsgID>0</MsgID>'), 'invalid-field', 'SyncHdr/MsgID');
    rejects(header().replace('<SessionID>1A</SessionID>', '<SessionID> </SessionID>'), 'missing-field', 'SyncHdr/SessionID');
    rejects(header().replace('<Source><LocURI>DEV-1</LocURI></Source>', ''), 'missing-field', 'SyncHdr/Source');
    rejects(header().replace('DEV-1', 'D'.repeat(129)), 'invalid-field', 'SyncHdr/Source/LocURI');
    rejects(header('<Alert><Data>1201</Data></Alert>'), 'missing-field', 'SyncBody/Alert[1]/CmdID');
    rejects(header('<Alert><CmdID>1</CmdID><Data>1201</Data></Alert><Alert><CmdID>2</CmdID></Alert>'), 'missing-field', 'SyncBody/Alert[2]/Data');
    rejects(header('<Status><CmdID>1</CmdID><MsgRef>1</MsgRef><CmdRef>3</CmdRef><Cmd>Add</Cmd><Data>OK</Data></Status>'), 'invalid-field', 'SyncBody/Status[1]/Data');
    rejects(header('<Status><CmdID>1</CmdID><MsgRef>1</MsgRef><CmdRef>x-3</CmdRef><Cmd>Add</Cmd><Data>200</Data></Status>'), 'invalid-field', 'SyncBody/Status[1]/CmdRef');
    rejects(header('<Status><CmdID>1</CmdID><CmdRef>3</CmdRef><Cmd>Add</Cmd><Data>200</Data></Status>'), 'missing-field', 'SyncBody/Status[1]/MsgRef');
    rejects(header('<Results><CmdID>1</CmdID><MsgRef>1</MsgRef></Results>'), 'missing-field', 'SyncBody/Results[1]/CmdRef');
    rejects(header().replace('<VerProto>DM/1.2</VerProto>', '<VerProto>DM/1.1</VerProto>'), 'unsupported-version', 'SyncHdr');
    rejects(header().replace('<SyncBody>', '<Body>').replace('</SyncBody>', '</Body>'), 'not-syncml', 'SyncBody');
    rejects('<Envelope/>', 'not-syncml');
  });

  it('refuses hostile and broken bodies with a decode error, never another exception', () => {
    rejects(new Uint8Array(0), 'empty-body');
    rejects(new Uint8Array(600 * 1024).fill(0x20), 'body-too-large');
    rejects(Buffer.from([0x3c, 0xff, 0xfe, 0x3e]), 'malformed-xml');
    rejects('<SyncML><SyncHdr></SyncML>', 'malformed-xml');
    rejects(`<!DOCTYPE SyncML [<!ENTITY a "${'x'.repeat(100)}">]>${header('<Alert><CmdID>1</CmdID><Data>&a;</Data></Alert>')}`, 'malformed-xml');
    rejects(header(`${'<Alert>'.repeat(40)}${'</Alert>'.repeat(40)}`), 'malformed-xml');
    rejects(header(Array.from({ length: 1001 }, (_, i) => `<Alert><CmdID>${i}</CmdID><Data>1201</Data></Alert>`).join('')), 'too-many', 'SyncBody');
  });

  it('turns any damage to a real message into a decode error or a message, nothing else', () => {
    const original = testdata('statuses-and-results.xml');
    fc.assert(fc.property(fc.integer({ min: 0, max: original.length - 1 }), fc.integer({ min: 0, max: 255 }), (at, byte) => {
      const damaged = Buffer.from(original);
      damaged[at] = byte;
      try {
        decodeDeviceMessage(damaged);
      } catch (error) {
        assert.ok(isSyncMlDecodeError(error), String(error));
      }
    }), { numRuns: 400 });
  });
});
