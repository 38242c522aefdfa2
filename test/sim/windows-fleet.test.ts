import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { WindowsFleet } from '../../sim/windows/fleet.ts';
import type { PcHttp } from '../../sim/windows/pc-http.ts';
import { WnsStandIn } from '../../sim/windows/wns-standin.ts';
import { deviceHeader, fill, fixture, scriptedEnrollment, syncMlHeaders } from './windows-sim-fixtures.ts';

const addr = 'https://mdm.contoso.com/ManagementServer/MDM.svc';
const endAtOnce = '<Status><CmdID>2</CmdID><MsgRef>1</MsgRef><CmdRef>1</CmdRef><Cmd>Alert</Cmd><Data>200</Data></Status><Status><CmdID>3</CmdID><MsgRef>1</MsgRef><CmdRef>2</CmdRef><Cmd>Alert</Cmd><Data>200</Data></Status><Status><CmdID>4</CmdID><MsgRef>1</MsgRef><CmdRef>3</CmdRef><Cmd>Replace</Cmd><Data>200</Data></Status><Final/>';
const setPfn = '<Replace><CmdID>20</CmdID><Item><Target><LocURI>./Vendor/MSFT/DMClient/Provider/TestMDMServer/Push/PFN</LocURI></Target><Meta><Format xmlns="syncml:metinf">chr</Format></Meta><Data>Contoso.MDM_8wekyb3d8bbwe</Data></Item></Replace>';

/** Documented enrollment answers, and per PC: a first session that provisions an account and sets the PFN, later sessions that end at once. */
function scriptedServer(): { http: PcHttp; channels: Map<string, string>; alerts: string[] } {
  const enrollment = scriptedEnrollment({ addr });
  const sessionsByDevice = new Map<string, number>();
  const channels = new Map<string, string>();
  const alerts: string[] = [];
  const http: PcHttp = async (request) => {
    if (request.url !== addr) return enrollment.http(request);
    const { root, sessionId, msgId } = deviceHeader(request.body);
    const deviceId = root.children[0]!.children.find((item) => item.name === 'Source')!.children[0]!.text;
    const values = { SESSION_ID: sessionId, DEVICE_ID: deviceId, SERVER_URL: addr };
    const results = root.children[1]!.children.filter((item) => item.name === 'Results');
    for (const result of results) channels.set(deviceId, result.children.find((item) => item.name === 'Item')!.children.find((item) => item.name === 'Data')?.text ?? '');
    if (msgId === '1') {
      alerts.push(root.children[1]!.children[0]!.children.find((item) => item.name === 'Data')!.text);
      const session = (sessionsByDevice.get(deviceId) ?? 0) + 1;
      sessionsByDevice.set(deviceId, session);
      const first = fill(fixture('syncml-server-message-1.xml'), values);
      return { status: 200, headers: syncMlHeaders, body: session === 1 ? first.replace('<Get><CmdID>6</CmdID>', `${setPfn}<Get><CmdID>6</CmdID>`) : fill(fixture('syncml-server-message-2.xml'), values).replace('<MsgID>2</MsgID>', '<MsgID>1</MsgID>').replace('<MsgRef>2</MsgRef>', '<MsgRef>1</MsgRef>').replace('<Final/>', endAtOnce) };
    }
    return { status: 200, headers: syncMlHeaders, body: fill(fixture('syncml-server-message-2.xml'), values) };
  };
  return { http, channels, alerts };
}

describe('WindowsFleet', () => {
  it('enrolls N PCs, runs their first session, replaces user-made accounts, and wakes a PC when WNS delivers a push to its channel', async () => {
    const wns = await WnsStandIn.start();
    const server = scriptedServer();
    const events: string[] = [];
    const fleet = new WindowsFleet({
      server: 'https://enterpriseenrollment.contoso.com', upn: 'user{n}@contoso.com', enrollmentToken: 'enr_x', devices: 3, concurrency: 2, http: server.http,
      pushes: wns, channelUriBase: wns.url, userAccountsPercent: 100, userAccount: { host: 'mail.contoso.com', emailAddress: 'jane@contoso.com' }, onEvent: (line) => events.push(line),
    });
    try {
      await fleet.start();
      let progress = fleet.snapshot();
      assert.deepEqual(events, []);
      assert.equal(progress.enrolled, 3);
      assert.equal(progress.sessions, 3);
      assert.equal(progress.sessionsFailed, 0);
      assert.equal(progress.managedAccounts, 3);
      assert.equal(progress.userAccountsReplaced, 3);
      assert.equal(progress.violations, 0);
      assert.ok(progress.idle);
      assert.equal(server.channels.size, 3);

      // The server's two WNS calls, against the stand-in.
      const [deviceId, channel] = [...server.channels][0]!;
      const token = await (await fetch(`${wns.url}/accesstoken.srf`, { method: 'POST', body: new URLSearchParams({ grant_type: 'client_credentials', client_id: 'ms-app://s-1-15-2-1', client_secret: 'x', scope: 'notify.windows.com' }) })).json() as { access_token: string };
      assert.equal((await fetch(channel, { method: 'POST', headers: { authorization: 'Bearer wrong', 'x-wns-type': 'wns/raw' }, body: '' })).status, 401);
      const push = await fetch(channel, { method: 'POST', headers: { authorization: `Bearer ${token.access_token}`, 'x-wns-type': 'wns/raw', 'content-type': 'application/octet-stream' }, body: '' });
      assert.equal(push.status, 200);
      assert.equal(push.headers.get('x-wns-status'), 'received');
      for (let i = 0; i < 50 && fleet.snapshot().sessions < 4; i++) await new Promise((resolve) => setTimeout(resolve, 20));
      progress = fleet.snapshot();
      assert.equal(progress.pushes, 1);
      assert.equal(progress.sessions, 4);
      assert.deepEqual(server.alerts, ['1201', '1201', '1201', '1200'], 'a push opens the session with Alert 1200');
      assert.equal(fleet.pcs().find((pc) => pc.deviceId === deviceId)!.counters.pushes, 1);
      assert.equal(progress.managedAccounts, 3, 'the push session changed nothing');
    } finally {
      fleet.stop();
      await wns.close();
    }
  });

  it('counts an enrollment the server refuses, with the reason', async () => {
    const events: string[] = [];
    const fleet = new WindowsFleet({
      server: 'https://enterpriseenrollment.contoso.com', upn: 'u@contoso.com', enrollmentToken: 'enr_x', devices: 1,
      http: scriptedEnrollment({ answer: { RST: () => ({ status: 500, headers: { 'content-type': 'application/soap+xml' }, body: fixture('fault-authorization.xml') }) } }).http,
      onEvent: (line) => events.push(line),
    });
    await fleet.start();
    fleet.stop();
    assert.equal(fleet.snapshot().enrollFailed, 1);
    assert.match(events[0]!, /^enrollment failed: EnrollmentFaultError: RequestSecurityToken answered a SOAP fault s:Authorization: This User is not authorized to enroll$/);
  });
});
