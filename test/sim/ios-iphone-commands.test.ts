import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as plist from 'plist';
import { appleErrorCodes, classifyCommandError, decodeCommandResult, encodeCommand, type CommandResult, type MdmCommandRequest } from '../../src/protocols/apple-mdm/index.ts';
import type { DeviceHttp } from '../../sim/ios/device-http.ts';
import { SimulatedIphone } from '../../sim/ios/simulated-iphone.ts';
import { fakeEnrollment, mailProfileXml, signedMailProfile } from './ios-sim-fixtures.ts';

const unusedHttp: DeviceHttp = () => Promise.reject(new Error('no server in this test'));
let uuid = 0;

async function newIphone(): Promise<SimulatedIphone> {
  return new SimulatedIphone({ enrollment: await fakeEnrollment(), http: unusedHttp });
}

/** Sends one command as the server encodes it and decodes the device's answer as the server does. */
async function send(iphone: SimulatedIphone, request: MdmCommandRequest): Promise<CommandResult> {
  const CommandUUID = `cmd-${++uuid}`;
  const result = decodeCommandResult(await iphone.handleCommand(encodeCommand({ CommandUUID, Command: request })));
  assert.equal(result.CommandUUID, CommandUUID);
  assert.equal(result.UDID, iphone.udid);
  return result;
}

const install = (Payload: Uint8Array): MdmCommandRequest => ({ RequestType: 'InstallProfile', Payload });

describe('SimulatedIphone command handling', () => {
  it('installs a signed profile: Acknowledged, the profile is listed as managed and its Exchange account exists', async () => {
    const iphone = await newIphone();
    const result = await send(iphone, install(await signedMailProfile()));
    assert.equal(result.Status, 'Acknowledged');
    const profile = iphone.profiles().find((p) => p.PayloadIdentifier === 'com.envelope.email.p1')!;
    assert.equal(profile.managed, true);
    assert.equal(profile.signerCertificates.length, 2);
    assert.deepEqual(iphone.accounts().map(({ host, emailAddress, origin }) => ({ host, emailAddress, origin })), [
      { host: 'outlook.contoso.com', emailAddress: 'jane.doe@contoso.com', origin: 'profile:com.envelope.email.p1' },
    ]);
  });

  it('accepts an unsigned XML profile too', async () => {
    const iphone = await newIphone();
    assert.equal((await send(iphone, install(mailProfileXml()))).Status, 'Acknowledged');
    assert.equal(iphone.profiles().find((p) => p.PayloadIdentifier === 'com.envelope.email.p1')!.signerCertificates.length, 0);
  });

  it('replaces a profile with the same identifier and updates its account in place when the payload keeps its identifier and UUID', async () => {
    const iphone = await newIphone();
    await send(iphone, install(await signedMailProfile()));
    const [before] = iphone.accounts();
    const firstSha = iphone.profiles().find((p) => p.PayloadIdentifier === 'com.envelope.email.p1')!.contentSha256;
    assert.equal((await send(iphone, install(await signedMailProfile({ userName: 'CONTOSO\\jane', displayName: 'Contoso Mail v2' })))).Status, 'Acknowledged');
    const [after] = iphone.accounts();
    assert.equal(iphone.accounts().length, 1);
    assert.equal(after!.id, before!.id, 'the same account, updated');
    assert.equal(after!.userName, 'CONTOSO\\jane');
    const profile = iphone.profiles().find((p) => p.PayloadIdentifier === 'com.envelope.email.p1')!;
    assert.equal(profile.installCount, 2);
    assert.equal(profile.PayloadDisplayName, 'Contoso Mail v2');
    assert.notEqual(profile.contentSha256, firstSha);
  });

  it('removes the old account and creates a new one when the account payload changes its UUID', async () => {
    const iphone = await newIphone();
    await send(iphone, install(await signedMailProfile()));
    const [before] = iphone.accounts();
    await send(iphone, install(await signedMailProfile({ easUuid: '9C1A9E2B-3D4F-5A6B-8C7D-9E0F1A2B3C4D', host: 'mail.contoso.com' })));
    const accounts = iphone.accounts();
    assert.equal(accounts.length, 1);
    assert.notEqual(accounts[0]!.id, before!.id);
    assert.equal(accounts[0]!.host, 'mail.contoso.com');
  });

  it('refuses a profile whose account equals a user-made one (host and address case-insensitive) with 4001 / 21005, changing nothing', async () => {
    const iphone = await newIphone();
    iphone.addUserAccount('OUTLOOK.contoso.com', 'Jane.Doe@Contoso.com');
    const profilesBefore = iphone.profiles();
    const accountsBefore = iphone.accounts();
    const result = await send(iphone, install(await signedMailProfile()));
    assert.equal(result.Status, 'Error');
    assert.deepEqual(result.ErrorChain!.map(({ ErrorDomain, ErrorCode }) => ({ ErrorDomain, ErrorCode })), [appleErrorCodes.installationFailed, appleErrorCodes.accountNotUnique]);
    assert.equal(result.ErrorChain![0]!.USEnglishDescription, 'Profile Installation Failed');
    assert.equal(classifyCommandError('Error', result.ErrorChain).kind, 'duplicate-account');
    assert.deepEqual(iphone.profiles(), profilesBefore);
    assert.deepEqual(iphone.accounts(), accountsBefore);

    assert.equal(iphone.removeUserAccount('outlook.contoso.com', 'jane.doe@contoso.com'), true);
    assert.equal((await send(iphone, install(await signedMailProfile()))).Status, 'Acknowledged', 'installs once the user removed their account');
  });

  it('refuses a profile reusing a PayloadUUID of another installed profile with 4002', async () => {
    const iphone = await newIphone();
    await send(iphone, install(await signedMailProfile()));
    const result = await send(iphone, install(await signedMailProfile({ identifier: 'com.envelope.email.p2', uuid: 'C0C0C0C0-0D67-5F06-823F-1AD5EBDC804C', host: 'other.contoso.com' })));
    assert.equal(result.Status, 'Error');
    assert.equal(classifyCommandError('Error', result.ErrorChain).kind, 'duplicate-profile-uuid');
    assert.equal(iphone.profiles().length, 2, 'the enrollment profile and the first mail profile only');
  });

  it('removes a managed profile with its accounts, and answers 12075 for one that is not installed or that the user installed', async () => {
    const iphone = await newIphone();
    iphone.addUserAccount('imap.example.com', 'jane@example.com');
    await send(iphone, install(await signedMailProfile()));
    assert.equal((await send(iphone, { RequestType: 'RemoveProfile', Identifier: 'com.envelope.email.p1' })).Status, 'Acknowledged');
    assert.deepEqual(iphone.accounts().map((a) => a.origin), ['user']);
    for (const Identifier of ['com.envelope.email.p1', 'com.envelope.mdm.tenant']) {
      const again = await send(iphone, { RequestType: 'RemoveProfile', Identifier });
      assert.equal(again.Status, 'Error');
      assert.deepEqual(again.ErrorChain!.map(({ ErrorDomain, ErrorCode }) => ({ ErrorDomain, ErrorCode })), [appleErrorCodes.profileNotInstalled]);
      assert.equal(classifyCommandError('Error', again.ErrorChain).kind, 'profile-not-installed');
    }
  });

  it('lists profiles in Apple’s ProfileList shape: the enrollment profile unmanaged, mail profiles managed with signer and payload summaries', async () => {
    const iphone = await newIphone();
    await send(iphone, install(await signedMailProfile()));
    const result = await send(iphone, { RequestType: 'ProfileList' });
    assert.equal(result.Status, 'Acknowledged');
    const [enrollment, mail] = result.ProfileList!;
    assert.equal(enrollment!.PayloadIdentifier, 'com.envelope.mdm.tenant');
    assert.equal(enrollment!.IsManaged, false);
    assert.deepEqual({ ...mail, SignerCertificates: mail!.SignerCertificates!.length }, {
      PayloadUUID: 'A50EFB34-0D67-5F06-823F-1AD5EBDC804C',
      PayloadIdentifier: 'com.envelope.email.p1',
      PayloadVersion: 1,
      PayloadDisplayName: 'Contoso Mail',
      PayloadOrganization: 'Contoso Ltd.',
      PayloadRemovalDisallowed: false,
      HasRemovalPasscode: false,
      IsEncrypted: false,
      SignerCertificates: 2,
      IsManaged: true,
      PayloadContent: [{ PayloadType: 'com.apple.eas.account', PayloadVersion: 1, PayloadIdentifier: 'com.envelope.email.p1.eas', PayloadUUID: '51771536-A389-5609-A0B5-D9BFA1018B50', PayloadDisplayName: 'Contoso Mail' }],
    });
    const managedOnly = await send(iphone, { RequestType: 'ProfileList', ManagedOnly: true });
    assert.deepEqual(managedOnly.ProfileList!.map((p) => p.PayloadIdentifier), ['com.envelope.email.p1']);
  });

  it('answers NotNow without performing the command, then performs the next one', async () => {
    const iphone = await newIphone();
    iphone.notNowNext(1);
    assert.equal((await send(iphone, install(await signedMailProfile()))).Status, 'NotNow');
    assert.equal(iphone.accounts().length, 0);
    assert.equal(iphone.deferredCommands, true);
    assert.equal((await send(iphone, install(await signedMailProfile()))).Status, 'Acknowledged');
  });

  it('answers an unreadable or tampered profile with Error (MCProfileErrorDomain 1000 / 1004) and a profile without Host with 2002', async () => {
    const iphone = await newIphone();
    const garbage = await send(iphone, install(new Uint8Array([0x30, 0x03, 0x02, 0x01])));
    assert.deepEqual(garbage.ErrorChain!.map((i) => `${i.ErrorDomain} ${i.ErrorCode}`), ['MCInstallationErrorDomain 4001', 'MCProfileErrorDomain 1000']);
    const notAPlist = await send(iphone, install(new TextEncoder().encode('<html>not a profile</html>')));
    assert.deepEqual(notAPlist.ErrorChain!.map((i) => `${i.ErrorDomain} ${i.ErrorCode}`), ['MCInstallationErrorDomain 4001', 'MCProfileErrorDomain 1000']);
    const signed = await signedMailProfile();
    const tampered = Buffer.from(signed);
    const at = tampered.indexOf('jane.doe@contoso.com');
    tampered[at] = 'J'.charCodeAt(0);
    const badSignature = await send(iphone, install(new Uint8Array(tampered)));
    assert.deepEqual(badSignature.ErrorChain!.map((i) => `${i.ErrorDomain} ${i.ErrorCode}`), ['MCInstallationErrorDomain 4001', 'MCProfileErrorDomain 1004']);
    const noHost = new TextDecoder().decode(mailProfileXml()).replace(/<key>Host<\/key>\s*<string>[^<]*<\/string>/, '');
    const missing = await send(iphone, install(new TextEncoder().encode(noHost)));
    assert.deepEqual(missing.ErrorChain!.map((i) => `${i.ErrorDomain} ${i.ErrorCode}`), ['MCInstallationErrorDomain 4001', 'MCPayloadErrorDomain 2002']);
    assert.equal(iphone.accounts().length, 0);
  });

  it('answers a command missing a required key with CommandFormatError and an unknown RequestType with Error', async () => {
    const iphone = await newIphone();
    const body = (command: object) => new TextEncoder().encode(plist.build(command as plist.PlistValue));
    const noPayload = decodeCommandResult(await iphone.handleCommand(body({ CommandUUID: 'c-1', Command: { RequestType: 'InstallProfile' } })));
    assert.deepEqual({ Status: noPayload.Status, CommandUUID: noPayload.CommandUUID }, { Status: 'CommandFormatError', CommandUUID: 'c-1' });
    const unknown = decodeCommandResult(await iphone.handleCommand(body({ CommandUUID: 'c-2', Command: { RequestType: 'EraseDevice' } })));
    assert.equal(unknown.Status, 'Error');
    assert.equal(unknown.ErrorChain![0]!.ErrorDomain, 'MCMDMErrorDomain');
  });

  it('deleting a mail profile on the phone removes its account; deleting the enrollment profile unenrolls and removes every managed profile', async () => {
    const iphone = await newIphone();
    await send(iphone, install(await signedMailProfile()));
    assert.equal(await iphone.removeProfileLocally('com.envelope.email.p1'), true);
    assert.equal(iphone.accounts().length, 0);
    await send(iphone, install(await signedMailProfile()));
    const checkOuts: string[] = [];
    const recording = new SimulatedIphone({
      enrollment: await fakeEnrollment(),
      http: async (request) => {
        checkOuts.push(new TextDecoder().decode(request.body));
        return { status: 200, headers: {}, body: new Uint8Array() };
      },
    });
    await recording.handleCommand(encodeCommand({ CommandUUID: 'x', Command: install(await signedMailProfile()) }));
    assert.equal(await recording.removeProfileLocally('com.envelope.mdm.tenant'), true);
    assert.equal(recording.enrolled, false);
    assert.deepEqual(recording.profiles(), []);
    assert.deepEqual(recording.accounts(), []);
    assert.match(checkOuts[0]!, /<string>CheckOut<\/string>/);
  });
});
