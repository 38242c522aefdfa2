import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';

const cli = join(import.meta.dirname, '..', '..', 'src', 'cli', 'main.ts');

describe('envelope simulate ios', () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'envelope-simulate-cli-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  const run = (args: string[]) => spawnSync(process.execPath, [cli, 'simulate', 'ios', ...args], { encoding: 'utf8', timeout: 60_000, env: { ...process.env, DATABASE_URL: '' } });
  const required = ['--server', 'https://127.0.0.1:1', '--enroll-token', 'enr_x'];

  it('documents every option in --help', () => {
    const help = run(['--help']);
    assert.equal(help.status, 0, help.stderr);
    for (const option of ['--devices <n>', '--server <url>', '--enroll-token <token>', '--user-accounts <percent>', '--not-now <percent>', '--server-ca <file>', '--apns-port <port>', '--concurrency <n>', '--out <dir>', '--exit-when-idle']) {
      assert.ok(help.stdout.includes(option), option);
    }
    assert.match(help.stdout, /60 downloads a minute/);
  });

  it('exits 2 with one line naming the option for a bad --devices, --not-now or a missing --enroll-token', () => {
    for (const [args, named] of [
      [['--devices', 'many', ...required], '--devices'],
      [['--devices', '0', ...required], '--devices'],
      [['--devices', '2', '--not-now', '150', ...required], '--not-now'],
      [['--devices', '2', '--server', 'https://127.0.0.1:1'], '--enroll-token'],
      [['--devices', '2', '--user-accounts', '10', ...required], '--account-host'],
    ] as const) {
      const result = run([...args]);
      assert.equal(result.status, 2, `${args.join(' ')}: ${result.stderr}`);
      assert.equal(result.stderr.trimEnd().split('\n').length, 1, result.stderr);
      assert.ok(result.stderr.includes(named), result.stderr);
    }
  });

  it('writes the stand-in files, says what the server needs, and exits 1 when no device could enroll', () => {
    const result = run(['--devices', '1', ...required, '--out', dir, '--apns-port', '0', '--exit-when-idle']);
    assert.equal(result.status, 1, result.stderr);
    assert.match(result.stdout, /APNs stand-in listening on https:\/\/127\.0\.0\.1:\d+, topic com\.apple\.mgmt\.External\./);
    assert.match(result.stdout, /envelope apple push-certificate set --tenant <tenant> --certificate .*push\.pem --key .*push\.key/);
    assert.match(result.stdout, /ENVELOPE_APNS_URL=https:\/\/127\.0\.0\.1:\d+ NODE_EXTRA_CA_CERTS=.*apns-ca\.pem/);
    assert.match(result.stdout, /enrolled 0\/1 \(429s 0, failed 1\)/);
    assert.match(result.stderr, /^envelope: No device enrolled: enrollment failed: .*ECONNREFUSED/);
    for (const file of ['apns-ca.pem', 'apns-ca.key', 'push.pem', 'push.key']) assert.ok(existsSync(join(dir, file)), file);
  });
});
