import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { PcNetworkError } from '../../sim/windows/pc-http.ts';
import { deviceHeader, enrolledPc, fill, fixture } from './windows-sim-fixtures.ts';

/** The simulated PC's hooks for end-to-end tests (sim/windows/README.md, "API for end-to-end tests"). */
describe('test hooks of the simulated PC', () => {
  it('loses the answer to the server\'s commands before it reaches the server, after running them', async () => {
    const { pc, script, values } = await enrolledPc();
    script.queue.push((request) => fill(fixture('syncml-server-message-1.xml'), values(deviceHeader(request.body).sessionId)));
    pc.loseNextMessage();
    await assert.rejects(pc.runSession(), PcNetworkError);
    assert.equal(script.sent.length, 1, 'only package 1 reached the server');
    assert.equal(pc.accounts().length, 1, 'the commands ran');
    assert.match(pc.log.map((entry) => entry.detail).join('\n'), /test hook: the message to the server is lost/);

    // Once only: the next session talks normally.
    let sessionId = '';
    script.queue.push((request) => fill(fixture('syncml-server-message-2.xml'), values((sessionId = deviceHeader(request.body).sessionId))).replace('<MsgID>2</MsgID>', '<MsgID>1</MsgID>').replace('<MsgRef>2</MsgRef>', '<MsgRef>1</MsgRef>')
      .replace('<Final/>', '<Status><CmdID>2</CmdID><MsgRef>1</MsgRef><CmdRef>1</CmdRef><Cmd>Alert</Cmd><Data>200</Data></Status><Status><CmdID>3</CmdID><MsgRef>1</MsgRef><CmdRef>2</CmdRef><Cmd>Alert</Cmd><Data>200</Data></Status><Status><CmdID>4</CmdID><MsgRef>1</MsgRef><CmdRef>3</CmdRef><Cmd>Replace</Cmd><Data>200</Data></Status><Final/>'));
    const report = await pc.runSession();
    assert.equal(report.messages, 1);
    assert.ok(sessionId);
  });

  it('loses the server\'s answer to a message the server received', async () => {
    const { pc, script, values } = await enrolledPc();
    let sessionId = '';
    script.queue.push((request) => fill(fixture('syncml-server-message-1.xml'), values((sessionId = deviceHeader(request.body).sessionId))));
    script.queue.push(() => fill(fixture('syncml-server-message-2.xml'), values(sessionId)));
    pc.loseNextMessage({ direction: 'response' });
    await assert.rejects(pc.runSession(), (error: Error) => error instanceof PcNetworkError && /server's answer was lost/.test(error.message));
    assert.equal(script.sent.length, 2, 'the answer reached the server');
  });

  it('takes its WNS channel URI from channelUriFor once a PFN is set', async () => {
    const { pc } = await enrolledPc({ channelUriFor: (pfn, deviceId) => `https://127.0.0.1:9/w/?token=${deviceId}.${pfn}` });
    assert.equal(pc.channelUri, undefined);
    pc.tree.setPushPfn(pc.enrollment.providerId, 'Contoso.MDM_8wekyb3d8bbwe');
    assert.equal(pc.channelUri, `https://127.0.0.1:9/w/?token=${pc.deviceId}.Contoso.MDM_8wekyb3d8bbwe`);
  });
});
