import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { enrollTestPc, flatCommands, startWindowsEnvelope, type ServerMessageView, type TestWindowsPc, type WindowsTestEnvelope } from '../helpers/windows-pc.ts';

const pfnNode = './Vendor/MSFT/DMClient/Provider/Envelope/Push/PFN';
const channelNode = './Vendor/MSFT/DMClient/Provider/Envelope/Push/ChannelURI';
const sid = 'S-1-15-2-2972962901-2322836549-3722629029-1345238579-3987825745-2155616079-650196962';
const pfn = 'Contoso.EnvelopePush_8wekyb3d8bbwe';

/** The commands of a session on the PFN node, as [verb, data]. */
const pfnCommands = (messages: readonly ServerMessageView[]) =>
  messages.flatMap((m) => flatCommands(m.commands)).filter((c) => c.LocURI === pfnNode).map((c) => [c.command, c.Data ?? null]);

/**
 * The WNS Package Family Name of the tenant's push settings, given to each PC over OMA-DM: a PC
 * reports no ChannelURI until `DMClient/Provider/<id>/Push/PFN` is set (dmclient-csp).
 */
describe('Windows OMA-DM sessions give the PC the tenant\'s WNS Package Family Name', () => {
  let env: WindowsTestEnvelope;

  before(async () => {
    env = await startWindowsEnvelope();
  });
  after(() => env.close());

  async function pc(): Promise<TestWindowsPc> {
    return (await enrollTestPc(env, { userId: null })).pc;
  }

  async function putSettings(packageFamilyName?: string): Promise<void> {
    const reply = await env.request('PUT', '/graph/beta/envelope/windowsPushSettings', { packageSid: sid, clientSecret: `secret-${randomBytes(4).toString('hex')}`, ...(packageFamilyName ? { packageFamilyName } : {}) });
    assert.equal(reply.status, 200, JSON.stringify(reply.body));
  }

  const storedChannel = async (deviceId: string) =>
    (await env.query<{ push_channel_uri: string | null }>('SELECT push_channel_uri FROM windows_enrollments WHERE device_id = $1', [deviceId]))[0]!.push_channel_uri;

  it('neither reads nor writes a PFN while the tenant has none (no settings, or settings without a PFN)', async () => {
    const first = await pc();
    assert.deepEqual(pfnCommands(await first.sync()), []);
    await putSettings();
    assert.deepEqual(pfnCommands(await first.sync()), []);
    assert.equal(first.tree.has(pfnNode), false);
  });

  it('adds the PFN a PC lacks, reads the ChannelURI again after it, and then only reads the PFN', async () => {
    await putSettings(pfn);
    const s = await pc();
    s.channelUri = '';
    const messages = await s.sync();
    assert.deepEqual(pfnCommands(messages), [['Get', null], ['Add', pfn]]);
    assert.equal(s.tree.get(pfnNode), pfn);
    const write = messages.findIndex((m) => m.commands.some((c) => c.LocURI === pfnNode && c.command === 'Add'));
    const writeMessage = messages[write]!.commands;
    assert.deepEqual(writeMessage.slice(writeMessage.findIndex((c) => c.command === 'Add')).slice(0, 2).map((c) => [c.command, c.LocURI]), [['Add', pfnNode], ['Get', channelNode]], 'the ChannelURI is read right after the write');
    assert.equal(await storedChannel(s.deviceId), null, 'no channel yet: nothing stored');

    // The channel comes later: each session reads it again, and stores it once it is there.
    assert.deepEqual(pfnCommands(await s.sync()), [['Get', null]], 'the same PFN is not written again');
    assert.equal(await storedChannel(s.deviceId), null);
    s.channelUri = 'https://wns2-by3p.notify.windows.com/w/?token=AwYAAABqLater';
    await s.sync();
    assert.equal(await storedChannel(s.deviceId), s.channelUri);
  });

  it('replaces another PFN, after the admin changes it or when the PC holds one of its own', async () => {
    await putSettings(pfn);
    const s = await pc();
    s.tree.set(pfnNode, 'Someone.Else_8wekyb3d8bbwe');
    assert.deepEqual(pfnCommands(await s.sync()), [['Get', null], ['Replace', pfn]]);
    assert.equal(s.tree.get(pfnNode), pfn);

    const renamed = 'Contoso.EnvelopeWake_1a2b3c4d5e6f7';
    await putSettings(renamed);
    assert.deepEqual(pfnCommands(await s.sync()), [['Get', null], ['Replace', renamed]]);
    assert.equal(s.tree.get(pfnNode), renamed);
    await putSettings(pfn);
  });

  it('tries again in the next session when the PC refuses the write', async () => {
    await putSettings(pfn);
    const s = await pc();
    s.statusFor = (command) => (command.LocURI === pfnNode && command.command === 'Add' ? 500 : undefined);
    assert.deepEqual(pfnCommands(await s.sync()), [['Get', null], ['Add', pfn]]);
    assert.equal(s.tree.has(pfnNode), false);
    s.statusFor = () => undefined;
    assert.deepEqual(pfnCommands(await s.sync()), [['Get', null], ['Add', pfn]]);
    assert.equal(s.tree.get(pfnNode), pfn);
  });

  it('writes the PFN while no user is logged in (it is a device setting)', async () => {
    await putSettings(pfn);
    const s = await pc();
    s.loginStatus = 'none';
    assert.deepEqual(pfnCommands(await s.sync()), [['Get', null], ['Add', pfn]]);
  });
});
