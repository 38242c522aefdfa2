import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTestCa, issuePushCertificate } from '../../sim/apns/apns-test-pki.ts';
import { listeningUrl, startServeProcess, stopProcess } from '../helpers/serve-process.ts';
import { createServerDatabase } from '../helpers/test-db.ts';

const cli = join(import.meta.dirname, '..', '..', 'src', 'cli', 'main.ts');
const dayMs = 24 * 3600 * 1000;

/**
 * `envelope enrollment-token create` and `envelope apple push-certificate set|show`: directly on the
 * database while no server runs, and (on the embedded database) through the running server's control
 * socket. On PostgreSQL (TEST_DATABASE_URL) every command opens the database itself.
 */
describe('envelope enrollment-token and apple push-certificate', () => {
  let dataDir: string;
  let env: NodeJS.ProcessEnv;
  let dropDatabase: (() => Promise<void>) | null = null;
  const adminToken = `env_cli_${'k'.repeat(24)}`;
  const topic = 'com.apple.mgmt.External.0c1d2e3f-4a5b-4c6d-8e7f-9a0b1c2d3e4f';

  before(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'envelope-enroll-cli-'));
    env = {
      ...process.env,
      ENVELOPE_DATA_DIR: dataDir,
      PORT: '0',
      LOG_LEVEL: 'warn',
      ENVELOPE_ADMIN_TOKEN: adminToken,
      ENVELOPE_PUBLIC_URL: 'https://envelope.test',
      DATABASE_URL: '',
    };
    if (process.env.TEST_DATABASE_URL) {
      const database = await createServerDatabase(process.env.TEST_DATABASE_URL);
      env.DATABASE_URL = database.url;
      dropDatabase = database.drop;
    }
    const push = await issuePushCertificate(await createTestCa('Apple test CA'), { topic });
    writeFileSync(join(dataDir, 'push.pem'), push.certificatePem);
    writeFileSync(join(dataDir, 'push.key'), push.privateKeyPem);
  });
  after(async () => {
    rmSync(dataDir, { recursive: true, force: true });
    await dropDatabase?.();
  });

  function run(args: string[]) {
    return spawnSync(process.execPath, [cli, ...args], { env, encoding: 'utf8', timeout: 60_000 });
  }

  /** Runs the server while `use` runs, with the API's base URL. */
  async function withServer(use: (api: (method: string, path: string, body?: unknown) => Promise<{ status: number; body: any }>, baseUrl: string) => Promise<void>): Promise<void> { // eslint-disable-line @typescript-eslint/no-explicit-any -- JSON bodies
    const server = await startServeProcess(cli, env, listeningUrl);
    const url = server.found;
    try {
      await use(async (method, path, body) => {
        const reply = await fetch(`${url}${path}`, {
          method,
          headers: { authorization: `Bearer ${adminToken}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
          ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        });
        const text = await reply.text();
        return { status: reply.status, body: text && (reply.headers.get('content-type') ?? '').includes('json') ? JSON.parse(text) : text };
      }, url);
    } finally {
      await stopProcess(server.process);
    }
  }

  it('creates a token and stores the push certificate while the server runs, which the API then shows', async () => {
    await withServer(async (api, baseUrl) => {
      assert.equal((await api('POST', '/graph/beta/users', { displayName: 'Jane', userPrincipalName: 'jane@contoso.com' })).status, 201);

      const created = run(['enrollment-token', 'create', '--tenant', 'default', '--user', 'JANE@contoso.com', '--platform', 'iOS', '--max-devices', '2', '--expires', '3']);
      assert.equal(created.status, 0, created.stderr);
      const [token, url, ...rest] = created.stdout.trimEnd().split('\n');
      assert.deepEqual(rest, []);
      assert.match(token!, /^enr_[A-Za-z0-9_-]{43}$/);
      assert.equal(url, `https://envelope.test/mdm/apple/enroll?token=${token}`);
      assert.match(created.stderr, /up to 2 devices/);
      const listed = await api('GET', '/graph/beta/envelope/enrollmentTokens');
      assert.equal(listed.body.value.length, 1);
      assert.equal(listed.body.value[0].maxDevices, 2);
      const expiresIn = Date.parse(listed.body.value[0].expirationDateTime) - Date.now();
      assert.ok(expiresIn > 2.9 * dayMs && expiresIn <= 3 * dayMs, String(expiresIn));

      const set = run(['apple', 'push-certificate', 'set', '--tenant', 'default', '--certificate', join(dataDir, 'push.pem'), '--key', join(dataDir, 'push.key')]);
      assert.equal(set.status, 0, set.stderr);
      assert.match(set.stdout, new RegExp(`^topic\\t${topic.replaceAll('.', '\\.')}$`, 'm'));
      assert.equal((await api('GET', '/graph/beta/envelope/applePushCertificate')).body.topic, topic);
      const enroll = await fetch(url!.replace('https://envelope.test', baseUrl));
      assert.equal(enroll.status, 200, 'the link serves a profile at once');
    });
  });

  it('works directly on the database when no server runs, and refuses bad input with exit code 2 and one line', () => {
    const created = run(['enrollment-token', 'create', '--tenant', 'default', '--user', 'jane@contoso.com', '--platform', 'Windows']);
    assert.equal(created.status, 0, created.stderr);
    assert.match(created.stdout, /^enr_\S+\nms-device-enrollment:\?mode=mdm&username=jane@contoso\.com&servername=https:\/\/envelope\.test\/EnrollmentServer\/Discovery\.svc\n$/);
    const shown = run(['apple', 'push-certificate', 'show', '--tenant', 'default']);
    assert.equal(shown.status, 0, shown.stderr);
    assert.match(shown.stdout, new RegExp(`^topic\\t${topic.replaceAll('.', '\\.')}\\nexpires\\t\\d{4}-`));
    assert.equal(shown.stdout.includes('PRIVATE KEY'), false);

    const refusals: Array<[string[], RegExp]> = [
      [['enrollment-token', 'create', '--tenant', 'default', '--user', 'nobody@contoso.com', '--platform', 'iOS'], /No user 'nobody@contoso\.com'/],
      [['enrollment-token', 'create', '--tenant', 'default', '--user', 'jane@contoso.com', '--platform', 'macOS'], /platform must be one of iOS, Windows, Android/],
      [['enrollment-token', 'create', '--tenant', 'default', '--user', 'jane@contoso.com', '--platform', 'iOS', '--expires', '31'], /--expires must be 1 to 30 days/],
      [['enrollment-token', 'create', '--tenant', 'nosuch', '--user', 'jane@contoso.com', '--platform', 'iOS'], /Tenant 'nosuch' was not found/],
      [['apple', 'push-certificate', 'set', '--tenant', 'default', '--certificate', join(dataDir, 'missing.pem'), '--key', join(dataDir, 'push.key')], /--certificate .*missing\.pem: no such file/],
      [['apple', 'push-certificate', 'set', '--tenant', 'default', '--certificate', join(dataDir, 'push.key'), '--key', join(dataDir, 'push.key')], /exactly one PEM 'CERTIFICATE' block/],
    ];
    for (const [args, message] of refusals) {
      const result = run(args);
      assert.equal(result.status, 2, `${args.join(' ')}: ${result.stderr}`);
      assert.match(result.stderr, message);
      assert.equal(result.stderr.trimEnd().split('\n').length, 1, result.stderr);
    }
  });
});
