import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SessionHttpError, SyncMlAuthenticationError, SyncMlProtocolError } from '../../sim/windows/oma-dm-session.ts';
import { pollDelayMinutes } from '../../sim/windows/poll-schedule.ts';
import { syncMlMd5Credential, decodeNonce } from '../../sim/windows/syncml-digest.ts';
import { child, childrenNamed, path, type XmlElement } from '../../sim/windows/xml.ts';
import { deviceHeader, enrolledPc, fill, fixture, syncMlHeaders } from './windows-sim-fixtures.ts';

const text = (element: XmlElement | undefined, ...names: string[]) => path(element, ...names)?.text;
const body = (root: XmlElement) => path(root, 'SyncBody')!;

function statusesOf(root: XmlElement) {
  return childrenNamed(body(root), 'Status').map((status) => ({ msgRef: text(status, 'MsgRef'), cmdRef: text(status, 'CmdRef'), cmd: text(status, 'Cmd'), code: text(status, 'Data') }));
}

describe('OMA DM client of the simulated PC ([MS-MDM])', () => {
  it('opens a session with package 1 as [MS-MDM] §4 shows: SyncHdr, Alert 1201, Alert 1224 LoginStatus, Replace of ./DevInfo, Final', async () => {
    const { pc, script, values, enrollment } = await enrolledPc();
    script.queue.push((request) => fill(fixture('syncml-server-message-2.xml'), values(deviceHeader(request.body).sessionId)).replace('<MsgID>2</MsgID>', '<MsgID>1</MsgID>').replace('<MsgRef>2</MsgRef>', '<MsgRef>1</MsgRef>')
      .replace('<Final/>', '<Status><CmdID>2</CmdID><MsgRef>1</MsgRef><CmdRef>1</CmdRef><Cmd>Alert</Cmd><Data>200</Data></Status><Status><CmdID>3</CmdID><MsgRef>1</MsgRef><CmdRef>2</CmdRef><Cmd>Alert</Cmd><Data>200</Data></Status><Status><CmdID>4</CmdID><MsgRef>1</MsgRef><CmdRef>3</CmdRef><Cmd>Replace</Cmd><Data>200</Data></Status><Final/>'));
    const report = await pc.runSession();
    assert.equal(report.messages, 1);
    const [request] = script.sent;
    assert.equal(request!.method, 'POST');
    assert.equal(request!.url, enrollment.managementUrl);
    assert.equal(request!.headers['content-type'], 'application/vnd.syncml.dm+xml');
    assert.equal(request!.identity?.certificatePem, enrollment.identity.certificatePem, 'the enrolled certificate is presented in TLS');
    const { root, header } = deviceHeader(request!.body);
    assert.equal(root.ns, 'SYNCML:SYNCML1.2');
    assert.equal(text(header, 'VerDTD'), '1.2');
    assert.equal(text(header, 'VerProto'), 'DM/1.2');
    assert.equal(text(header, 'MsgID'), '1');
    assert.equal(text(header, 'Target', 'LocURI'), enrollment.managementUrl);
    assert.equal(text(header, 'Source', 'LocURI'), pc.deviceId);
    assert.equal(child(header, 'Cred'), undefined, 'no Cred until the server challenges');
    const commands = body(root).children;
    assert.deepEqual(commands.map((command) => `${command.name}:${text(command, 'CmdID') ?? ''}`), ['Alert:1', 'Alert:2', 'Replace:3', 'Final:']);
    assert.equal(text(commands[0], 'Data'), '1201');
    assert.equal(text(commands[1], 'Data'), '1224');
    assert.equal(text(commands[1], 'Item', 'Meta', 'Type'), 'com.microsoft/MDM/LoginStatus');
    assert.equal(path(commands[1], 'Item', 'Meta', 'Type')?.ns, 'syncml:metinf');
    assert.equal(text(commands[1], 'Item', 'Data'), 'user');
    assert.deepEqual(childrenNamed(commands[2], 'Item').map((item) => [text(item, 'Source', 'LocURI'), text(item, 'Data')]), [
      ['./DevInfo/DevId', pc.deviceId], ['./DevInfo/Man', 'Microsoft Corporation'], ['./DevInfo/Mod', 'Envelope simulated PC'], ['./DevInfo/DmV', '1.3'], ['./DevInfo/Lang', 'en-US'],
    ]);
  });

  it('answers a server message with a Status for the SyncHdr and each command (nested ones too) and Results for each Get, until the server stops', async () => {
    const { pc, script, values } = await enrolledPc();
    pc.tree.setPushPfn('TestMDMServer', 'Contoso.MDM_8wekyb3d8bbwe');
    let sessionId = '';
    script.queue.push((request) => fill(fixture('syncml-server-message-1.xml'), values((sessionId = deviceHeader(request.body).sessionId))));
    script.queue.push(() => fill(fixture('syncml-server-message-2.xml'), values(sessionId)));
    const report = await pc.runSession('push');
    assert.equal(report.messages, 2);
    assert.equal(text(body(deviceHeader(script.sent[0]!.body).root).children[0], 'Data'), '1200', 'a push opens with Alert 1200');
    const { root, msgId, sessionId: second } = deviceHeader(script.sent[1]!.body);
    assert.equal(msgId, '2');
    assert.equal(second, sessionId);
    assert.deepEqual(statusesOf(root), [
      { msgRef: '1', cmdRef: '0', cmd: 'SyncHdr', code: '200' },
      { msgRef: '1', cmdRef: '5', cmd: 'Get', code: '200' },
      { msgRef: '1', cmdRef: '6', cmd: 'Get', code: '200' },
      { msgRef: '1', cmdRef: '7', cmd: 'Atomic', code: '200' },
      ...['8', '9', '10', '11', '12'].map((cmdRef) => ({ msgRef: '1', cmdRef, cmd: 'Add', code: '200' })),
    ]);
    const results = childrenNamed(body(root), 'Results');
    assert.deepEqual(results.map((result) => [text(result, 'CmdRef'), text(result, 'Item', 'Source', 'LocURI'), text(result, 'Item', 'Data')]), [
      ['5', './DevDetail/SwV', pc.enrollment.hardware.osVersion],
      ['6', './Vendor/MSFT/DMClient/Provider/TestMDMServer/Push/ChannelURI', pc.channelUri],
    ]);
    const ids = body(root).children.filter((item) => item.name !== 'Final').map((item) => text(item, 'CmdID'));
    assert.equal(new Set(ids).size, ids.length, 'the device\'s CmdIDs are unique in the message');
    assert.deepEqual(pc.accounts().map((account) => [account.guid, account.values.EmailAddress, account.committed]), [['{0F6B3E1D-2C4A-4B7E-9D8F-1A2B3C4D5E6F}', 'jane@contoso.com', true]]);
    assert.equal(pc.counters.statuses[200], 8);
    assert.equal(pc.lastSessionMessages.length, 4);
  });

  describe('fails loudly when the server breaks the protocol, and changes nothing', () => {
    const message1 = fixture('syncml-server-message-1.xml');
    const cases: [string, (xml: string) => string, RegExp][] = [
      ['a command without CmdID', (xml) => xml.replace('<Get><CmdID>5</CmdID>', '<Get>'), /Get has no CmdID/],
      ['a nested command without CmdID', (xml) => xml.replace('<Add><CmdID>9</CmdID>', '<Add>'), /Add inside Atomic 7 has no CmdID/],
      ['a CmdID used twice', (xml) => xml.replace('<CmdID>6</CmdID>', '<CmdID>5</CmdID>'), /CmdID 5 is used twice/],
      ['another SessionID', (xml) => xml.replace(/<SessionID>\d+<\/SessionID>/, '<SessionID>999</SessionID>'), /SessionID is "999"/],
      ['a Status for another message', (xml) => xml.replace('<MsgRef>1</MsgRef><CmdRef>1</CmdRef>', '<MsgRef>7</MsgRef><CmdRef>1</CmdRef>'), /MsgRef 7, not our message 1/],
      ['no Status for our Replace', (xml) => xml.replace(/<Status><CmdID>4<\/CmdID>.*?<\/Status>/, ''), /no Status for our Replace \(CmdID 3\)/],
      ['another device\'s id as Target', (xml) => xml.replace(/<Target><LocURI>[0-9A-F]{32}<\/LocURI><\/Target>/, '<Target><LocURI>SOMEONE-ELSE</LocURI></Target>'), /Target LocURI is "SOMEONE-ELSE"/],
      ['a LocURI starting with /', (xml) => xml.replace('<LocURI>./DevDetail/SwV</LocURI>', '<LocURI>/DevDetail/SwV</LocURI>'), /starts with \//],
      ['a nested Atomic', (xml) => xml.replace('<Add><CmdID>12</CmdID>', '<Atomic><CmdID>13</CmdID></Atomic><Add><CmdID>12</CmdID>'), /Atomic cannot be nested/],
      ['a Get inside Atomic', (xml) => xml.replace('<Add><CmdID>12</CmdID>', '<Get><CmdID>13</CmdID><Item><Target><LocURI>./DevDetail/SwV</LocURI></Target></Item></Get><Add><CmdID>12</CmdID>'), /Get is not allowed in Atomic/],
      ['CDATA', (xml) => xml.replace('<Data>jane</Data>', '<Data><![CDATA[jane]]></Data>'), /uses CDATA/],
      ['an element that is not a command', (xml) => xml.replace('<Final/>', '<Frobnicate><CmdID>20</CmdID></Frobnicate><Final/>'), /<Frobnicate> is not an OMA DM command/],
      ['no Status for our SyncHdr', (xml) => xml.replace(/<Status><CmdID>1<\/CmdID>.*?<\/Status>/, ''), /no Status for our SyncHdr/],
    ];
    for (const [name, mutate, message] of cases) {
      it(name, async () => {
        const { pc, script, values } = await enrolledPc();
        script.queue.push((request) => mutate(fill(message1, values(deviceHeader(request.body).sessionId))));
        await assert.rejects(pc.runSession(), (error: unknown) => {
          assert.ok(error instanceof SyncMlProtocolError, String(error));
          assert.match(error.message, message);
          return true;
        });
        assert.equal(script.sent.length, 1, 'nothing more is sent');
        assert.deepEqual(pc.accounts(), []);
        assert.ok(pc.log.some((entry) => entry.kind === 'violation' && message.test(entry.detail)), JSON.stringify(pc.log));
        assert.ok(pc.log.some((entry) => entry.kind === 'error' && /SyncMlProtocolError/.test(entry.detail)));
        assert.equal(pc.counters.sessionsFailed, 1);
      });
    }

    it('an answer that is not SyncML, or not application/vnd.syncml.dm+xml, or not HTTP 200', async () => {
      for (const [answer, type] of [
        [{ status: 200, headers: syncMlHeaders, body: '<html>oops</html>' }, SyncMlProtocolError],
        [{ status: 200, headers: { 'content-type': 'text/xml' }, body: '<SyncML xmlns="SYNCML:SYNCML1.2"/>' }, SyncMlProtocolError],
        [{ status: 500, headers: {}, body: 'boom' }, SessionHttpError],
      ] as const) {
        const { pc, script } = await enrolledPc();
        script.queue.push(() => answer);
        await assert.rejects(pc.runSession(), type);
      }
    });
  });

  it('in lenient mode answers rule breaks with the documented codes: 400 and a blank CmdRef without CmdID, 500 for a nested Atomic and 507 for its parent', async () => {
    const { pc, script, values } = await enrolledPc({ strict: false });
    let sessionId = '';
    script.queue.push((request) => fill(fixture('syncml-server-message-1.xml'), values((sessionId = deviceHeader(request.body).sessionId)))
      .replace('<Get><CmdID>5</CmdID>', '<Get>').replace('<Add><CmdID>12</CmdID>', '<Atomic><CmdID>13</CmdID></Atomic><Add><CmdID>12</CmdID>'));
    script.queue.push(() => fill(fixture('syncml-server-message-2.xml'), values(sessionId)));
    const report = await pc.runSession();
    assert.deepEqual(report.violations.map((violation) => violation.rule), ['missing-cmdid', 'nested-atomic']);
    const statuses = statusesOf(deviceHeader(script.sent[1]!.body).root);
    assert.deepEqual(statuses[1], { msgRef: '1', cmdRef: '', cmd: 'Get', code: '400' });
    assert.deepEqual(statuses.find((status) => status.cmdRef === '13'), { msgRef: '1', cmdRef: '13', cmd: 'Atomic', code: '500' });
    assert.deepEqual(statuses.find((status) => status.cmdRef === '7'), { msgRef: '1', cmdRef: '7', cmd: 'Atomic', code: '507' });
    assert.ok(statuses.filter((status) => status.cmd === 'Add').every((status) => status.code === '216'));
    assert.deepEqual(pc.accounts(), []);
  });

  describe('SyncML DIGEST (syncml:auth-md5)', () => {
    it('computes B64(MD5(B64(MD5(name:secret)):nonce)) over the nonce bytes (vectors computed independently with Python hashlib)', () => {
      assert.equal(syncMlMd5Credential('dm-user', 's3cret', decodeNonce('AAECA/7/ECA=')), 'KpYrK3I6b/5HeCJxvRmXhg==');
      assert.equal(syncMlMd5Credential('Bruce2', 'OhBehave', decodeNonce('RLLe7tWM313qHMq9ooUZUPJX0RqU9mEZuyoVF+jXhqQ=')), 'g6uIfX/VQxlwLWSf7J9Hag==');
    });

    it('answers a 401 Chal by sending package 1 again with a Cred made from NextNonce, and stops sending it after 212', async () => {
      const { pc, script, values } = await enrolledPc({ tlsClientCertificate: false });
      let sessionId = '';
      const challenge = '<Chal><Meta><Type xmlns="syncml:metinf">syncml:auth-md5</Type><Format xmlns="syncml:metinf">b64</Format><NextNonce xmlns="syncml:metinf">RLLe7tWM313qHMq9ooUZUPJX0RqU9mEZuyoVF+jXhqQ=</NextNonce></Meta></Chal>';
      script.queue.push((request) => fill(fixture('syncml-server-message-2.xml'), values((sessionId = deviceHeader(request.body).sessionId))).replace('<MsgID>2</MsgID>', '<MsgID>1</MsgID>').replace('<MsgRef>2</MsgRef>', '<MsgRef>1</MsgRef>').replace('<Data>200</Data>', `<Data>401</Data>${challenge}`));
      script.queue.push(() => fill(fixture('syncml-server-message-1.xml'), values(sessionId)).replace('<MsgID>1</MsgID>', '<MsgID>2</MsgID>').replaceAll('<MsgRef>1</MsgRef>', '<MsgRef>2</MsgRef>').replace('<Data>200</Data>', '<Data>212</Data>'));
      script.queue.push(() => fill(fixture('syncml-server-message-2.xml'), values(sessionId)).replace('<MsgID>2</MsgID>', '<MsgID>3</MsgID>').replace('<MsgRef>2</MsgRef>', '<MsgRef>3</MsgRef>'));
      const report = await pc.runSession();
      assert.equal(report.authenticatedBy, 'digest');
      assert.equal(script.sent[0]!.identity, undefined);
      const retry = deviceHeader(script.sent[1]!.body);
      assert.equal(retry.msgId, '2');
      const cred = child(retry.header, 'Cred')!;
      assert.equal(text(cred, 'Meta', 'Type'), 'syncml:auth-md5');
      assert.equal(text(cred, 'Meta', 'Format'), 'b64');
      assert.equal(text(cred, 'Data'), syncMlMd5Credential('dm-user', 's3cret', decodeNonce('RLLe7tWM313qHMq9ooUZUPJX0RqU9mEZuyoVF+jXhqQ=')));
      assert.deepEqual(body(retry.root).children.map((command) => command.name), ['Alert', 'Alert', 'Replace', 'Final'], 'package 1 again');
      assert.equal(child(deviceHeader(script.sent[2]!.body).header, 'Cred'), undefined, 'no Cred once the server said 212');
      assert.equal(pc.accounts().length, 1);
    });

    it('sends a Cred from the provisioned AAUTHDATA nonce in package 1 when told to, and gives up with a typed error when refused again', async () => {
      const { pc, script, values } = await enrolledPc({ sendCredential: 'always' });
      const refuse = (request: { body?: string }) => {
        const { sessionId, msgId } = deviceHeader(request.body);
        return fill(fixture('syncml-server-message-2.xml'), values(sessionId)).replace('<MsgID>2</MsgID>', `<MsgID>${msgId}</MsgID>`).replace('<MsgRef>2</MsgRef>', `<MsgRef>${msgId}</MsgRef>`)
          .replace('<Data>200</Data>', '<Data>401</Data><Chal><Meta><Type xmlns="syncml:metinf">syncml:auth-md5</Type><Format xmlns="syncml:metinf">b64</Format><NextNonce xmlns="syncml:metinf">AAECA/7/ECA=</NextNonce></Meta></Chal>');
      };
      script.queue.push(refuse, refuse, refuse);
      await assert.rejects(pc.runSession(), (error: unknown) => error instanceof SyncMlAuthenticationError && error.code === 401);
      assert.equal(text(child(deviceHeader(script.sent[0]!.body).header, 'Cred'), 'Data'), 'KpYrK3I6b/5HeCJxvRmXhg==');
    });
  });

  it('leaves management on DMClient Unenroll, removing the accounts it provisioned; a user unenrollment sends Alert 1226', async () => {
    const { pc, script, values } = await enrolledPc();
    let sessionId = '';
    script.queue.push((request) => fill(fixture('syncml-server-message-1.xml'), values((sessionId = deviceHeader(request.body).sessionId)))
      .replace('<Final/>', '<Exec><CmdID>20</CmdID><Item><Target><LocURI>./Vendor/MSFT/DMClient/Provider/TestMDMServer/Unenroll</LocURI></Target><Meta><Format xmlns="syncml:metinf">chr</Format></Meta><Data>TestMDMServer</Data></Item></Exec><Final/>'));
    script.queue.push(() => fill(fixture('syncml-server-message-2.xml'), values(sessionId)));
    await pc.runSession();
    assert.equal(pc.enrolled, false);
    assert.deepEqual(pc.accounts(), []);

    const other = await enrolledPc();
    other.script.queue.push(() => ({ status: 500, headers: {}, body: '' }));
    await other.pc.unenrollByUser();
    const alerts = childrenNamed(body(deviceHeader(other.script.sent[0]!.body).root), 'Alert');
    assert.deepEqual(alerts.map((alert) => [text(alert, 'Data'), text(alert, 'Item', 'Meta', 'Type')]).at(-1), ['1226', 'com.microsoft:mdm.unenrollment.userrequest']);
    assert.equal(other.pc.enrolled, false);
  });

  it('follows the DMClient poll schedule of the provisioning document, and coalesces wakes during a session', async () => {
    const poll = new Map(Object.entries({ NumberOfFirstRetries: '8', IntervalForFirstSetOfRetries: '15', NumberOfSecondRetries: '5', IntervalForSecondSetOfRetries: '3', NumberOfRemainingScheduledRetries: '0', IntervalForRemainingScheduledRetries: '1560' }));
    assert.deepEqual([0, 7, 8, 12, 13, 500].map((index) => pollDelayMinutes(poll, index)), [15, 15, 3, 3, 1560, 1560]);
    assert.equal(pollDelayMinutes(new Map([['NumberOfFirstRetries', '2'], ['IntervalForFirstSetOfRetries', '1']]), 2), undefined);
    assert.equal(pollDelayMinutes(new Map([['NumberOfFirstRetries', '0'], ['IntervalForFirstSetOfRetries', '1']]), 10_000), 1, 'a count of 0 repeats forever');

    const { pc, script, values } = await enrolledPc();
    assert.equal(pc.nextPollDelayMs(1000), 15_000);
    let sessions = 0;
    const end = (request: { body?: string }) => {
      const { sessionId } = deviceHeader(request.body);
      sessions++;
      return fill(fixture('syncml-server-message-2.xml'), values(sessionId)).replace('<MsgID>2</MsgID>', '<MsgID>1</MsgID>').replace('<MsgRef>2</MsgRef>', '<MsgRef>1</MsgRef>')
        .replace('<Final/>', '<Status><CmdID>2</CmdID><MsgRef>1</MsgRef><CmdRef>1</CmdRef><Cmd>Alert</Cmd><Data>200</Data></Status><Status><CmdID>3</CmdID><MsgRef>1</MsgRef><CmdRef>2</CmdRef><Cmd>Alert</Cmd><Data>200</Data></Status><Status><CmdID>4</CmdID><MsgRef>1</MsgRef><CmdRef>3</CmdRef><Cmd>Replace</Cmd><Data>200</Data></Status><Final/>');
    };
    script.queue.push(end, end);
    const first = pc.wake('push');
    const second = pc.wake('push');
    const third = pc.wake('push');
    await Promise.all([first, second, third]);
    assert.equal(sessions, 2, 'three pushes during one session make one more session');
    assert.equal(pc.counters.pushes, 3);
    assert.equal(pc.counters.sessions, 2);
  });
});
