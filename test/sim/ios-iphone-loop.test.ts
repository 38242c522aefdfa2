import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  checkinContentType,
  decodeCheckinMessage,
  decodeCommandResult,
  encodeCommand,
  unrecognizedDeviceBody,
  verifyMdmSignature,
  type CommandResult,
  type MdmCommand,
} from '../../src/protocols/apple-mdm/index.ts';
import { DeviceNetworkError, type DeviceHttp, type DeviceRequest, type DeviceResponse } from '../../sim/ios/device-http.ts';
import { commandContentType, SimulatedIphone } from '../../sim/ios/simulated-iphone.ts';
import { fakeEnrollment, signedMailProfile } from './ios-sim-fixtures.ts';

const empty = (status = 200): DeviceResponse => ({ status, headers: {}, body: new Uint8Array() });

/** A scripted MDM server: answers each command poll with the next queued command, then empty 200s; records what it got. */
function scriptedServer(commands: MdmCommand[], options: { delayMs?: number } = {}) {
  const checkins: DeviceRequest[] = [];
  const results: CommandResult[] = [];
  const requests: DeviceRequest[] = [];
  const http: DeviceHttp = async (request) => {
    requests.push(request);
    if (options.delayMs) await new Promise((resolve) => setTimeout(resolve, options.delayMs));
    if (request.url.endsWith('/checkin')) {
      checkins.push(request);
      return empty();
    }
    results.push(decodeCommandResult(request.body!));
    const next = commands.shift();
    return next ? { status: 200, headers: {}, body: encodeCommand(next) } : empty();
  };
  return { http, checkins, results, requests };
}

describe('SimulatedIphone check-ins and command loop', () => {
  it('sends Authenticate and TokenUpdate to the CheckInURL as Apple check-ins, each signed with the enrollment identity over the exact body', async () => {
    const enrollment = await fakeEnrollment();
    const server = scriptedServer([]);
    const iphone = new SimulatedIphone({ enrollment, http: server.http });
    await iphone.authenticate();
    await iphone.tokenUpdate();
    assert.equal(server.checkins.length, 2);
    for (const request of server.checkins) {
      assert.equal(request.method, 'PUT');
      assert.equal(request.url, 'https://mdm.test/mdm/apple/checkin');
      assert.equal(request.headers['content-type'], checkinContentType);
      const verified = await verifyMdmSignature(request.headers['mdm-signature'], request.body!);
      assert.equal(verified.certificateSha256, enrollment.identity.certificateSha256);
    }
    const authenticate = decodeCheckinMessage(server.checkins[0]!.body!);
    assert.equal(authenticate.MessageType, 'Authenticate');
    assert.match(iphone.udid, /^00008110-[0-9A-F]{16}$/);
    assert.deepEqual(authenticate, { MessageType: 'Authenticate', Topic: enrollment.mdm.Topic, ...iphone.hardware });
    const tokenUpdate = decodeCheckinMessage(server.checkins[1]!.body!);
    assert.ok(tokenUpdate.MessageType === 'TokenUpdate');
    assert.equal(tokenUpdate.tokenHex, iphone.pushTokenHex);
    assert.equal(tokenUpdate.Token.byteLength, 32);
    assert.equal(tokenUpdate.PushMagic, iphone.pushMagic);
    assert.equal(tokenUpdate.UDID, iphone.udid);
  });

  it('sends no Mdm-Signature when the profile does not ask for it', async () => {
    const server = scriptedServer([]);
    const iphone = new SimulatedIphone({ enrollment: await fakeEnrollment({ SignMessage: false }), http: server.http });
    await iphone.authenticate();
    assert.equal(server.checkins[0]!.headers['mdm-signature'], undefined);
  });

  it('polls Idle, answers each command with its CommandUUID, and stops at the empty 200', async () => {
    const server = scriptedServer([
      { CommandUUID: 'install-1', Command: { RequestType: 'InstallProfile', Payload: await signedMailProfile() } },
      { CommandUUID: 'list-1', Command: { RequestType: 'ProfileList' } },
    ]);
    const enrollment = await fakeEnrollment();
    const iphone = new SimulatedIphone({ enrollment, http: server.http });
    const report = await iphone.runCommandLoop();
    assert.deepEqual(report, { ended: 'idle', commands: 2, acknowledged: 2, errors: 0, formatErrors: 0, notNow: 0 });
    assert.deepEqual(server.results.map((r) => [r.Status, r.CommandUUID]), [['Idle', undefined], ['Acknowledged', 'install-1'], ['Acknowledged', 'list-1']]);
    assert.equal(server.results[2]!.ProfileList!.length, 2);
    for (const request of server.requests) {
      assert.equal(request.url, 'https://mdm.test/mdm/apple/server');
      assert.equal(request.headers['content-type'], commandContentType);
      assert.equal((await verifyMdmSignature(request.headers['mdm-signature'], request.body!)).certificateSha256, enrollment.identity.certificateSha256);
    }
  });

  it('unenrolls on a 403 com.apple.unrecognized.device, and sends nothing afterwards', async () => {
    const requests: DeviceRequest[] = [];
    const iphone = new SimulatedIphone({
      enrollment: await fakeEnrollment(),
      http: async (request) => {
        requests.push(request);
        return { status: 403, headers: { 'content-type': 'application/json' }, body: new TextEncoder().encode(unrecognizedDeviceBody()) };
      },
    });
    const report = await iphone.runCommandLoop();
    assert.equal(report.ended, 'unenrolled');
    assert.equal(report.status, 403);
    assert.equal(iphone.enrolled, false);
    assert.deepEqual(iphone.profiles(), []);
    assert.equal((await iphone.runCommandLoop()).ended, 'not-enrolled');
    assert.equal(requests.length, 1);
  });

  it('records another non-200 or a network failure and stays enrolled', async () => {
    const plain403 = new SimulatedIphone({ enrollment: await fakeEnrollment(), http: async () => ({ status: 403, headers: {}, body: new TextEncoder().encode('{"error":{}}') }) });
    assert.deepEqual([(await plain403.runCommandLoop()).ended, plain403.enrolled], ['http-status', true]);
    const broken = new SimulatedIphone({ enrollment: await fakeEnrollment(), http: () => Promise.reject(new DeviceNetworkError('ECONNREFUSED')) });
    assert.deepEqual([(await broken.runCommandLoop()).ended, broken.enrolled], ['network-error', true]);
  });

  it('stops after maxCommandsPerLoop commands when the server never runs dry', async () => {
    let polls = 0;
    const iphone = new SimulatedIphone({
      enrollment: await fakeEnrollment(),
      maxCommandsPerLoop: 5,
      http: async () => {
        polls++;
        return { status: 200, headers: {}, body: encodeCommand({ CommandUUID: `list-${polls}`, Command: { RequestType: 'ProfileList' } }) };
      },
    });
    const report = await iphone.runCommandLoop();
    assert.equal(report.ended, 'command-cap');
    assert.equal(report.commands, 5);
    assert.equal(polls, 6);
  });

  it('coalesces wakes: pushes arriving during a loop cause one more loop, not one each', async () => {
    const server = scriptedServer([], { delayMs: 30 });
    const iphone = new SimulatedIphone({ enrollment: await fakeEnrollment(), http: server.http });
    await Promise.all([iphone.wake(), iphone.wake(), iphone.wake(), iphone.wake()]);
    assert.equal(server.results.filter((r) => r.Status === 'Idle').length, 2);
    await iphone.wake();
    assert.equal(server.results.length, 3);
  });

  it('answers NotNow at the configured rate and owes the server a poll until a loop ends without one', async () => {
    const profile = await signedMailProfile();
    const server = scriptedServer([{ CommandUUID: 'i-1', Command: { RequestType: 'InstallProfile', Payload: profile } }]);
    const iphone = new SimulatedIphone({ enrollment: await fakeEnrollment(), http: server.http, notNowRate: 1 });
    assert.equal((await iphone.runCommandLoop()).notNow, 1);
    assert.equal(iphone.deferredCommands, true);
    assert.equal(iphone.accounts().length, 0);
    await iphone.runCommandLoop();
    assert.equal(iphone.deferredCommands, false);
  });
});
