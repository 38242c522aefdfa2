import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ApnsStandIn } from '../../sim/apns/apns-standin.ts';
import { loadOrCreateStandInPki } from '../../sim/ios/apns-standin-files.ts';
import type { DeviceHttp } from '../../sim/ios/device-http.ts';
import { IosFleet } from '../../sim/ios/fleet.ts';
import { ApnsProvider } from '../../src/protocols/apns/apns-provider.ts';
import { decodeCommandResult } from '../../src/protocols/apple-mdm/index.ts';
import { fakeEnrollment } from './ios-sim-fixtures.ts';

/**
 * The push path the CLI sets up: the stand-in's files in a directory (kept across runs), the
 * server's own APNs provider with the push certificate from it, and the fleet waking the device.
 */
describe('pushes through the APNs stand-in wake simulated iPhones', () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'envelope-sim-ios-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('keeps the CA and push certificate in the directory, so a second start reuses the topic', async () => {
    const first = await loadOrCreateStandInPki(dir);
    const second = await loadOrCreateStandInPki(dir);
    assert.equal(first.created, true);
    assert.equal(second.created, false);
    assert.equal(second.push.topic, first.push.topic);
    assert.match(first.push.topic, /^com\.apple\.mgmt\.External\./);
    assert.equal(second.ca.certificatePem, first.ca.certificatePem);
  });

  it('delivers a push the server’s ApnsProvider sends with the stored push certificate to the device with that token', async () => {
    const pki = await loadOrCreateStandInPki(dir);
    const standIn = await ApnsStandIn.start({ certificatePem: pki.server.certificatePem, privateKeyPem: pki.server.privateKeyPem, clientCa: pki.ca.certificatePem });
    const polls: string[] = [];
    const http: DeviceHttp = async (request) => {
      if (request.url.endsWith('/server')) polls.push(decodeCommandResult(request.body!).UDID!);
      return { status: 200, headers: {}, body: new Uint8Array() };
    };
    const fleet = new IosFleet({
      enrollmentUrl: 'https://mdm.test/mdm/apple/enroll?token=t',
      devices: 2,
      http,
      pushes: standIn,
      enroll: () => fakeEnrollment({ Topic: pki.push.topic }),
      pollAfterEnrollment: false,
    });
    const provider = new ApnsProvider({ certificate: pki.push, url: standIn.url, ca: pki.ca.certificatePem });
    try {
      await fleet.start();
      const [device, other] = fleet.devices();
      const [result] = await provider.push([{ token: device!.pushTokenHex, pushMagic: device!.pushMagic }]);
      assert.equal(result!.ok, true, JSON.stringify(result));
      const deadline = Date.now() + 10_000;
      while (polls.length === 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10));
      assert.deepEqual(polls, [device!.udid]);
      assert.ok(!polls.includes(other!.udid));
    } finally {
      await provider.close();
      fleet.stop();
      await standIn.close();
    }
  });
});
