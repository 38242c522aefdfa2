import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, it } from 'node:test';

const cli = join(import.meta.dirname, '..', '..', 'src', 'cli', 'main.ts');

describe('envelope simulate windows', () => {
  const run = (args: string[]) => spawnSync(process.execPath, [cli, 'simulate', 'windows', ...args], { encoding: 'utf8', timeout: 60_000, env: { ...process.env, DATABASE_URL: '' } });
  const required = ['--server', 'https://127.0.0.1:1', '--enroll-token', 'enr_x', '--upn', 'jane@contoso.com'];

  it('documents every option in --help', () => {
    const help = run(['--help']);
    assert.equal(help.status, 0, help.stderr);
    for (const option of ['--devices <n>', '--server <url>', '--enroll-token <token>', '--upn <upn>', '--user-accounts <percent>', '--account-host <host>', '--login-status <status>', '--request-version <version>', '--windows-csr', '--lenient', '--poll', '--server-ca <file>', '--wns-port <port>', '--concurrency <n>', '--exit-when-idle']) {
      assert.ok(help.stdout.includes(option), option);
    }
    assert.match(help.stdout, /Discovery\.svc/);
  });

  it('exits 2 with one line naming the option for each argument error', () => {
    for (const [args, named] of [
      [['--devices', 'many', ...required], '--devices'],
      [['--devices', '0', ...required], '--devices'],
      [['--devices', '2', '--server', 'ftp://x', '--enroll-token', 'e', '--upn', 'a@b'], '--server'],
      [['--devices', '2', '--server', 'https://127.0.0.1:1', '--upn', 'a@b'], '--enroll-token'],
      [['--devices', '2', '--server', 'https://127.0.0.1:1', '--enroll-token', 'e'], '--upn'],
      [['--devices', '2', '--server', 'https://127.0.0.1:1', '--enroll-token', 'e', '--upn', 'not-a-upn'], '--upn'],
      [['--devices', '2', '--user-accounts', '150', ...required], '--user-accounts'],
      [['--devices', '2', '--user-accounts', '10', ...required], '--account-host'],
      [['--devices', '2', '--login-status', 'maybe', ...required], '--login-status'],
      [['--devices', '2', '--request-version', 'nine', ...required], '--request-version'],
      [['--devices', '2', '--wns-port', '70000', ...required], '--wns-port'],
      [['--devices', '2', '--server-ca', '/nonexistent/ca.pem', ...required], '--server-ca'],
    ] as const) {
      const result = run([...args]);
      assert.equal(result.status, 2, `${args.join(' ')}: ${result.stderr}`);
      assert.equal(result.stderr.trimEnd().split('\n').length, 1, result.stderr);
      assert.ok(result.stderr.includes(named), `${named}: ${result.stderr}`);
    }
  });

  it('starts the WNS stand-in, prints progress, and exits 1 naming the cause when no PC could enroll', () => {
    const result = run(['--devices', '1', ...required, '--exit-when-idle']);
    assert.equal(result.status, 1, result.stderr);
    assert.match(result.stdout, /WNS stand-in listening on https:\/\/127\.0\.0\.1:\d+/);
    assert.match(result.stdout, /ENVELOPE_WNS_URL=https:\/\/127\.0\.0\.1:\d+ ENVELOPE_WNS_CA=\S+\.pem/);
    assert.match(result.stdout, /enrolled 0\/1 \(failed 1\)/);
    assert.match(result.stderr, /^envelope: No PC enrolled: enrollment failed: PcNetworkError: .*ECONNREFUSED/);
  });
});
