import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, it } from 'node:test';

const cli = join(import.meta.dirname, '..', '..', 'src', 'cli', 'main.ts');

describe('envelope simulate knox', () => {
  const run = (args: string[]) => spawnSync(process.execPath, [cli, 'simulate', 'knox', ...args], { encoding: 'utf8', timeout: 60_000, env: { ...process.env, DATABASE_URL: '' } });
  const required = ['--server', 'https://127.0.0.1:1', '--enroll-token', 'enr_x'];

  it('documents every option in --help', () => {
    const help = run(['--help']);
    assert.equal(help.status, 0, help.stderr);
    for (const option of ['--devices <n>', '--server <url>', '--enroll-token <token>', '--user-accounts <percent>', '--account-host <host>', '--account-email <address>', '--poll-seconds <n>', '--server-ca <file>', '--fcm-port <port>', '--concurrency <n>', '--exit-when-idle']) {
      assert.ok(help.stdout.includes(option), option);
    }
    assert.match(help.stdout, /agent-protocol\.md/);
  });

  it('exits 2 with one line naming the option for each argument error', () => {
    for (const [args, named] of [
      [['--devices', 'many', ...required], '--devices'],
      [['--devices', '2', '--server', 'ftp://x', '--enroll-token', 'e'], '--server'],
      [['--devices', '2', '--server', 'https://127.0.0.1:1'], '--enroll-token'],
      [['--devices', '2', '--user-accounts', '150', ...required], '--user-accounts'],
      [['--devices', '2', '--user-accounts', '10', ...required], '--account-host'],
      [['--devices', '2', '--fcm-port', '70000', ...required], '--fcm-port'],
      [['--devices', '2', '--poll-seconds', '-1', ...required], '--poll-seconds'],
      [['--devices', '2', '--server-ca', '/nonexistent/ca.pem', ...required], '--server-ca'],
    ] as const) {
      const result = run([...args]);
      assert.equal(result.status, 2, `${args.join(' ')}: ${result.stderr}`);
      assert.equal(result.stderr.trimEnd().split('\n').length, 1, result.stderr);
      assert.ok(result.stderr.includes(named), `${named}: ${result.stderr}`);
    }
  });

  it('starts the FCM stand-in, prints what the server needs and the progress, and exits 1 naming the cause when no device could enroll', () => {
    const result = run(['--devices', '1', ...required, '--exit-when-idle']);
    assert.equal(result.status, 1, result.stderr);
    assert.match(result.stdout, /FCM stand-in listening on https:\/\/127\.0\.0\.1:\d+/);
    assert.match(result.stdout, /ENVELOPE_FCM_URL=https:\/\/127\.0\.0\.1:\d+ ENVELOPE_FCM_CA=\S+\.pem/);
    assert.match(result.stdout, /firebase-service-account\.json/);
    assert.match(result.stdout, /enrolled 0\/1 \(failed 1\)/);
    assert.match(result.stderr, /^envelope: No device enrolled: enrollment failed: .*ECONNREFUSED/);
  });
});

describe('envelope simulate mix --knox', () => {
  const run = (args: string[]) => spawnSync(process.execPath, [cli, 'simulate', 'mix', ...args], { encoding: 'utf8', timeout: 60_000, env: { ...process.env, DATABASE_URL: '' } });

  it('documents --knox, --knox-enroll-token and --fcm-port, and needs the token for Knox devices', () => {
    const help = run(['--help']);
    for (const option of ['--knox <n>', '--knox-enroll-token <token>', '--fcm-port <port>']) assert.ok(help.stdout.includes(option), option);
    const missing = run(['--ios', '0', '--windows', '0', '--knox', '2', '--server', 'https://127.0.0.1:1']);
    assert.equal(missing.status, 2, missing.stderr);
    assert.match(missing.stderr, /--knox-enroll-token/);
  });

  it('runs Knox agents alone with the FCM stand-in, and exits 1 naming the cause when none could enroll', () => {
    const result = run(['--ios', '0', '--windows', '0', '--knox', '1', '--knox-enroll-token', 'enr_k', '--server', 'https://127.0.0.1:1', '--exit-when-idle']);
    assert.equal(result.status, 1, result.stderr);
    assert.match(result.stdout, /FCM stand-in listening on https:\/\/127\.0\.0\.1:\d+/);
    assert.match(result.stdout, /Knox enrolled 0\/1 \(failed 1\)/);
    assert.match(result.stderr, /^envelope: No device enrolled: Knox: enrollment failed: .*ECONNREFUSED/);
  });
});
