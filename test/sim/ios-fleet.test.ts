import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { AcceptedPush } from '../../sim/apns/apns-standin.ts';
import type { DeviceHttp, DeviceResponse } from '../../sim/ios/device-http.ts';
import { IosFleet, type FleetProgress, type PushSource } from '../../sim/ios/fleet.ts';
import { decodeCheckinMessage, decodeCommandResult, encodeCommand, type MdmCommand } from '../../src/protocols/apple-mdm/index.ts';
import { fakeEnrollment, signedMailProfile } from './ios-sim-fixtures.ts';

const empty: DeviceResponse = { status: 200, headers: {}, body: new Uint8Array() };

/**
 * A scripted MDM server keyed by UDID, with NanoMDM's NotNow rule: a command answered NotNow is
 * not sent again until the device's next Idle poll.
 */
function scriptedServer() {
  const tokens = new Map<string, { token: string; pushMagic: string }>();
  const queues = new Map<string, MdmCommand[]>();
  const skipped = new Map<string, MdmCommand[]>();
  const sent = new Map<string, MdmCommand>();
  const http: DeviceHttp = async (request) => {
    if (request.url.endsWith('/checkin')) {
      const message = decodeCheckinMessage(request.body!);
      if (message.MessageType === 'TokenUpdate') tokens.set(message.UDID!, { token: message.tokenHex, pushMagic: message.PushMagic });
      return empty;
    }
    const result = decodeCommandResult(request.body!);
    const udid = result.UDID!;
    const queue = queues.get(udid) ?? [];
    queues.set(udid, queue);
    if (result.Status === 'Idle') queue.unshift(...(skipped.get(udid) ?? []).splice(0));
    if (result.Status === 'NotNow') skipped.set(udid, [...(skipped.get(udid) ?? []), sent.get(udid)!]);
    const next = queue.shift();
    if (!next) return empty;
    sent.set(udid, next);
    return { status: 200, headers: {}, body: encodeCommand(next) };
  };
  const listeners = new Set<(push: AcceptedPush) => void>();
  const pushes: PushSource = { onPush: (listener) => (listeners.add(listener), () => listeners.delete(listener)) };
  const topic = 'com.apple.mgmt.External.5b0b6c9e-0f55-4a27-9c36-1d2c3b4a5f60';
  return {
    http,
    pushes,
    tokens,
    enqueue(udid: string, command: MdmCommand) {
      queues.set(udid, [...(queues.get(udid) ?? []), command]);
    },
    push(udid: string, pushMagic = tokens.get(udid)!.pushMagic) {
      for (const listener of listeners) listener({ token: tokens.get(udid)!.token, pushMagic, topic, apnsId: 'id' });
    },
  };
}

async function until(fleet: IosFleet, done: (progress: FleetProgress) => boolean): Promise<FleetProgress> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const progress = fleet.snapshot();
    if (done(progress)) return progress;
    if (Date.now() > deadline) assert.fail(`not reached: ${JSON.stringify(progress)}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe('IosFleet', () => {
  it('enrolls and checks in every device, wakes the device a push is for, and counts duplicate-account failures', async () => {
    const server = scriptedServer();
    const coin = [0.1, 0.9, 0.2, 0.8];
    let flips = 0;
    const fleet = new IosFleet({
      enrollmentUrl: 'https://mdm.test/mdm/apple/enroll?token=t',
      devices: 4,
      concurrency: 2,
      http: server.http,
      pushes: server.pushes,
      enroll: () => fakeEnrollment(),
      userAccountsPercent: 50,
      userAccount: { host: 'outlook.contoso.com', emailAddress: 'jane.doe@contoso.com' },
      random: () => coin[flips++ % coin.length]!,
    });
    try {
      await fleet.start();
      let progress = await until(fleet, (p) => p.idle);
      assert.deepEqual([progress.enrolled, progress.checkedIn, progress.enrollFailed, progress.checkinFailed], [4, 4, 0, 0]);
      assert.equal(server.tokens.size, 4);
      assert.equal(fleet.devices().filter((d) => d.accounts().some((a) => a.origin === 'user')).length, 2);

      const payload = await signedMailProfile();
      for (const device of fleet.devices()) {
        server.enqueue(device.udid, { CommandUUID: `install-${device.udid}`, Command: { RequestType: 'InstallProfile', Payload: payload } });
        server.push(device.udid);
      }
      server.push(fleet.devices()[0]!.udid, 'WRONG-MAGIC');
      progress = await until(fleet, (p) => p.idle && p.acknowledged + p.failed === 4);
      assert.equal(progress.profilesInstalled, 2);
      assert.equal(progress.failed, 2, 'the devices with a user-made account refuse the profile');
      assert.equal(progress.pushes, 5);
      assert.equal(progress.pushesIgnored, 1);
      assert.equal(progress.requestsFailed, 0);
    } finally {
      fleet.stop();
    }
  });

  it('polls again after NotNow on its shared retry timer, and the deferred command is then performed', async () => {
    const server = scriptedServer();
    const fleet = new IosFleet({
      enrollmentUrl: 'https://mdm.test/mdm/apple/enroll?token=t',
      devices: 1,
      http: server.http,
      pushes: server.pushes,
      enroll: () => fakeEnrollment(),
      notNowRetryMs: 50,
    });
    try {
      await fleet.start();
      await until(fleet, (p) => p.idle);
      const [device] = fleet.devices();
      device!.notNowNext(1);
      server.enqueue(device!.udid, { CommandUUID: 'install-1', Command: { RequestType: 'InstallProfile', Payload: await signedMailProfile() } });
      server.push(device!.udid);
      const progress = await until(fleet, (p) => p.idle && p.acknowledged === 1);
      assert.equal(progress.notNow, 1);
      assert.equal(device!.accounts().length, 1);
    } finally {
      fleet.stop();
    }
  });
});
