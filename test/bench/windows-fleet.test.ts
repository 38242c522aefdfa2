import assert from 'node:assert/strict';
import { createPrivateKey, X509Certificate } from 'node:crypto';
import { before, describe, it, mock } from 'node:test';
import { benchFleet } from '../../bench/fleet.ts';
import { createWindowsBenchPki, makeSeededPcs, startPolling, type SeededPc, type WindowsBenchPki } from '../../bench/windows-fleet.ts';
import type { PcHttp } from '../../sim/windows/pc-http.ts';
import { windowsPollSchedule } from '../../src/protocols/windows-enrollment/provisioning-document.ts';

describe('the Windows side of the fleet benchmark', () => {
  let pki: WindowsBenchPki;
  let pcs: SeededPc[];
  const unreachable: PcHttp = async () => {
    throw new Error('no network in this test');
  };

  before(async () => {
    pki = await createWindowsBenchPki();
    pcs = await makeSeededPcs({
      count: 3, pki, publicUrl: 'https://127.0.0.1:8443', upnOf: (i) => `pc${i}@contoso.com`, httpFor: () => unreachable, observer: {},
      channelUriBase: 'https://127.0.0.1:9443', pushPfn: 'Envelope.FleetBench_8wekyb3d8bbwe',
    });
  });

  it('gives each PC what enrollment gives it: its own certificate (CN = DeviceID) on the shared key, the management URL, DIGEST credentials and the poll schedule', () => {
    const sha = new Set<string>();
    for (const { pc, hardware, certificateSha256, digestUsername } of pcs) {
      const certificate = new X509Certificate(pc.enrollment.identity.certificatePem);
      assert.equal(certificate.subject, `CN=${hardware.deviceId}`);
      assert.ok(certificate.checkPrivateKey(createPrivateKey(pc.enrollment.identity.privateKeyPem)));
      assert.equal(pc.enrollment.managementUrl, 'https://127.0.0.1:8443/ManagementServer/MDM.svc');
      assert.equal(pc.enrollment.digest?.name, digestUsername);
      const poll = Object.fromEntries(pc.tree.poll(pc.enrollment.providerId));
      assert.equal(Number(poll.IntervalForRemainingScheduledRetries), windowsPollSchedule.IntervalForRemainingScheduledRetries);
      assert.equal(Number(poll.NumberOfFirstRetries), windowsPollSchedule.NumberOfFirstRetries);
      assert.match(pc.channelUri ?? '', /^https:\/\/127\.0\.0\.1:9443\/\?token=/, 'the PFN is set, so the PC has a channel URI');
      sha.add(certificateSha256.toString('hex'));
    }
    assert.equal(sha.size, pcs.length, 'one certificate per PC');
  });

  it('runs the poll schedule scaled: a settled fleet polls at a random point of its hourly interval, then every hour', () => {
    mock.timers.enable({ apis: ['setTimeout'] });
    try {
      const polls: [number, number][] = [];
      let now = 0;
      const fractions = [0.25, 0.5, 0.75];
      let next = 0;
      // ×60: one real hour lasts one minute here.
      const polling = startPolling(pcs.map((s) => s.pc), { scale: 60, stage: 'remaining', poll: (index) => polls.push([index, now]), random: () => fractions[next++]! });
      assert.equal(polling.intervalMinutes, 60);
      while (now < 120_000) {
        now += 1000;
        mock.timers.tick(1000);
      }
      polling.stop();
      assert.deepEqual(polls.map(([index]) => index), [0, 1, 2, 0, 1, 2]);
      assert.deepEqual(polls.map(([, at]) => at), [15_000, 30_000, 45_000, 75_000, 90_000, 105_000]);
    } finally {
      mock.timers.reset();
    }
  });

  it('runs the first set for PCs that just enrolled: every minute', () => {
    mock.timers.enable({ apis: ['setTimeout'] });
    try {
      let polls = 0;
      const polling = startPolling(pcs.slice(0, 1).map((s) => s.pc), { scale: 60, stage: 'first', poll: () => polls++, random: () => 0 });
      assert.equal(polling.intervalMinutes, 1);
      for (let ms = 0; ms <= 3000; ms += 100) mock.timers.tick(100);
      polling.stop();
      assert.equal(polls, 4, 'one at once, then one a (scaled) minute: at 0, 1, 2 and 3 s');
    } finally {
      mock.timers.reset();
    }
  });
});

describe('the fleet benchmark with PCs', () => {
  it('mix: iPhones through APNs and PCs through WNS converge on PGlite through a real envelope serve', { timeout: 90_000 }, async () => {
    const result = await benchFleet({ devices: 12, platform: 'mix', backend: 'pglite', processes: 1, sockets: 8, addresses: 2, ceilingMs: 300, timeoutMs: 60_000 });
    assert.equal(result.converged, true, JSON.stringify(result));
    const [ios, windows] = result.platforms;
    assert.equal(ios!.platform, 'iOS');
    assert.equal(ios!.successCount, 6);
    assert.equal(ios!.profilesInstalled, 6);
    assert.equal(windows!.platform, 'Windows');
    assert.equal(windows!.successCount, 6);
    assert.equal(windows!.profilesInstalled, 6, 'one ActiveSync account per PC');
    assert.equal(windows!.pushes, 6, 'the server pushed each PC through the WNS stand-in');
    assert.ok(windows!.sessions >= 6 && windows!.sessionsFailed === 0, JSON.stringify(windows));
    assert.ok(windows!.requests >= 12 && windows!.requestsFailed === 0, JSON.stringify(windows));
    assert.equal(windows!.commandErrors, 0);
    assert.equal(result.windowsWake, 'wns');
  });

  it('windows without push: PCs converge on their poll schedule, scaled', { timeout: 90_000 }, async () => {
    const result = await benchFleet({ devices: 4, platform: 'windows', windowsWake: 'poll', pollScale: 1800, backend: 'pglite', processes: 1, sockets: 8, addresses: 2, ceilingMs: 300, timeoutMs: 60_000 });
    assert.equal(result.converged, true, JSON.stringify(result));
    const [windows] = result.platforms;
    assert.equal(windows!.successCount, 4);
    assert.equal(windows!.pushes, 0, 'no push settings, no pushes');
    assert.ok(windows!.wakes >= 4, 'each PC polled');
    assert.equal(result.pollScale, 1800);
    assert.equal(result.pollIntervalMinutes, 60);
    assert.ok(windows!.convergenceSeconds <= 2 + 5, `an hour at ×1800 is 2 s (${windows!.convergenceSeconds} s)`);
  });
});
