import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createE2ePki, type E2ePki } from '../helpers/https-envelope.ts';
import { enrollTestPc, flatCommands, httpsTransport, readServerMessage, startWindowsEnvelope, type WindowsTestEnvelope } from '../helpers/windows-pc.ts';

describe('Windows OMA-DM endpoint over HTTPS with the enrollment client certificate', () => {
  let pki: E2ePki;
  let env: WindowsTestEnvelope;
  let userId: string;
  let profileId: string;

  before(async () => {
    pki = await createE2ePki();
    env = await startWindowsEnvelope({ pki });
    const user = await env.request('POST', '/graph/beta/users', { displayName: 'Radia', userPrincipalName: 'radia@contoso.com', mail: 'radia@contoso.com' });
    userId = user.body.id;
    const group = await env.request('POST', '/graph/beta/groups', { displayName: 'Windows users', 'members@odata.bind': [`https://graph.microsoft.com/beta/users/${userId}`] });
    const profile = await env.request('POST', '/graph/beta/deviceManagement/deviceConfigurations', {
      '@odata.type': '#microsoft.graph.windows10EasEmailProfileConfiguration', displayName: 'TLS mail', accountName: 'TLS mail', hostName: 'tls.contoso.com',
      usernameSource: 'userPrincipalName', emailAddressSource: 'userPrincipalName', requireSsl: true, durationOfEmailToSync: 'oneWeek', emailSyncSchedule: 'asMessagesArrive',
    });
    assert.equal(profile.status, 201, JSON.stringify(profile.body));
    profileId = profile.body.id;
    const assigned = await env.request('POST', `/graph/beta/deviceManagement/deviceConfigurations/${profileId}/assign`, {
      assignments: [{ target: { '@odata.type': '#microsoft.graph.groupAssignmentTarget', groupId: group.body.id } }],
    });
    assert.equal(assigned.status, 200);
  });
  after(() => env.close());

  const transport = (certificate: Parameters<typeof httpsTransport>[2]) => httpsTransport(env.origin, pki.tlsCa.certificatePem, certificate);

  it('authenticates each message by the TLS client certificate alone and installs the profile', async () => {
    const { pc } = await enrollTestPc(env, { userId, transport });
    pc.sendCredentials = false;
    const messages = await pc.sync();
    assert.equal(messages[0]!.statuses[0]!.Data, '200', 'no challenge: the certificate authenticated the first message');
    assert.ok(messages.flatMap((m) => flatCommands(m.commands)).some((c) => c.command === 'Add'));
    assert.equal(pc.accountGuids().length, 1);
    const statuses = await env.request('GET', `/graph/beta/deviceManagement/deviceConfigurations/${profileId}/deviceStatuses`);
    const row = (statuses.body.value as Record<string, unknown>[]).find((r) => String(r.id).includes(pc.deviceId));
    assert.equal(row?.status, 'compliant', JSON.stringify(statuses.body));
    const [session] = await env.query<{ auth: string }>('SELECT auth FROM windows_mdm_sessions WHERE device_id = $1', [pc.deviceId]);
    assert.equal(session!.auth, 'certificate');
  });

  it('answers a credential sent alongside the certificate with 212: authenticated for the session', async () => {
    const { pc } = await enrollTestPc(env, { userId, transport });
    const reply = await pc.send('<Alert><CmdID>1</CmdID><Data>1201</Data></Alert>', { sessionId: 'A1', msgId: 1 });
    assert.equal(reply.status, 200, reply.body);
    assert.equal(readServerMessage(reply.body).statuses[0]!.Data, '212');
  });

  it('ignores a certificate bound to another PC and asks for DIGEST; without a certificate DIGEST applies too', async () => {
    const { certificate: foreign } = await enrollTestPc(env, { userId: null, transport });
    const { pc } = await enrollTestPc(env, { userId, transport: () => transport(foreign) });
    pc.sendCredentials = false;
    const reply = await pc.send('<Alert><CmdID>1</CmdID><Data>1201</Data></Alert>', { sessionId: 'B1', msgId: 1 });
    assert.equal(reply.status, 200);
    assert.equal(readServerMessage(reply.body).statuses[0]!.Data, '407');

    const { pc: bare } = await enrollTestPc(env, { userId, transport: () => transport(null) });
    const messages = await bare.sync();
    assert.equal(messages[0]!.statuses[0]!.Data, '200');
    const [session] = await env.query<{ auth: string }>('SELECT auth FROM windows_mdm_sessions WHERE device_id = $1', [bare.deviceId]);
    assert.equal(session!.auth, 'digest');
  });
});
