import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import https from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { listeningUrl, startServeProcess, stopProcess } from '../helpers/serve-process.ts';
import { createServerDatabase } from '../helpers/test-db.ts';

const cli = join(import.meta.dirname, '..', '..', 'src', 'cli', 'main.ts');

/**
 * The `envelope` command as an admin runs it: first start prints a one-time admin token that works
 * against the API; `tenant create` and `token create` issue tokens that are tenant-scoped. Runs on
 * the embedded database, or on a fresh PostgreSQL database when TEST_DATABASE_URL is set.
 */
describe('envelope CLI', () => {
  let dataDir: string;
  let env: NodeJS.ProcessEnv;
  let dropDatabase: (() => Promise<void>) | null = null;

  before(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'envelope-cli-'));
    env = { ...process.env, ENVELOPE_DATA_DIR: dataDir, PORT: '0', LOG_LEVEL: 'warn', ENVELOPE_ADMIN_TOKEN: '', DATABASE_URL: '' };
    if (process.env.TEST_DATABASE_URL) {
      const database = await createServerDatabase(process.env.TEST_DATABASE_URL);
      env.DATABASE_URL = database.url;
      dropDatabase = database.drop;
    }
  });
  after(async () => {
    rmSync(dataDir, { recursive: true, force: true });
    await dropDatabase?.();
  });

  function run(args: string[]) {
    return spawnSync(process.execPath, [cli, ...args], { env, encoding: 'utf8', timeout: 60_000 });
  }

  it('prints a one-time admin token on first start that the API accepts', async () => {
    const server = await startServeProcess(cli, env, (output) => {
      const url = listeningUrl(output);
      const token = /^\s+(env_\S+)$/m.exec(output)?.[1];
      return url && token ? { url, token } : undefined;
    });
    try {
      const { url, token } = server.found;
      const ok = await fetch(`${url}/graph/beta/users`, { headers: { authorization: `Bearer ${token}` } });
      assert.equal(ok.status, 200);
      const denied = await fetch(`${url}/graph/beta/users`);
      assert.equal(denied.status, 401);
    } finally {
      await stopProcess(server.process);
    }
  });

  it('serves HTTPS directly with ENVELOPE_TLS_CERT and ENVELOPE_TLS_KEY', { skip: spawnSync('openssl', ['version']).status !== 0 && 'openssl is not installed' }, async () => {
    const key = join(dataDir, 'tls.key');
    const cert = join(dataDir, 'tls.pem');
    const made = spawnSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-days', '2', '-subj', '/CN=localhost', '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1'], { encoding: 'utf8' });
    assert.equal(made.status, 0, made.stderr);
    const server = await startServeProcess(cli, { ...env, ENVELOPE_TLS_CERT: cert, ENVELOPE_TLS_KEY: key }, (output) => /listening on (https:\/\/\S+)/.exec(output)?.[1]);
    try {
      const url = server.found;
      const body = await new Promise<string>((resolve, reject) => {
        https.get(`${url}/healthz`, { ca: readFileSync(cert) }, (response) => {
          let text = '';
          response.on('data', (chunk: Buffer) => (text += chunk.toString()));
          response.on('end', () => resolve(text));
        }).on('error', reject);
      });
      assert.equal(JSON.parse(body).status, 'ok');
    } finally {
      await stopProcess(server.process);
    }
  });

  it('creates a tenant and issues tokens for it, refusing a bad role or a duplicate tenant', () => {
    const created = run(['tenant', 'create', 'fabrikam']);
    assert.equal(created.status, 0, created.stderr);
    assert.match(created.stdout, /Created tenant 'fabrikam'/);
    assert.equal(run(['tenant', 'create', 'fabrikam']).status, 2);
    const token = run(['token', 'create', '--tenant', 'fabrikam', '--role', 'readOnly']);
    assert.equal(token.status, 0, token.stderr);
    assert.match(token.stdout.trim(), /^env_[A-Za-z0-9_-]{43}$/);
    const badRole = run(['token', 'create', '--tenant', 'fabrikam', '--role', 'root']);
    assert.equal(badRole.status, 2);
    assert.match(badRole.stderr, /Role 'root' is invalid/);
    const list = run(['tenant', 'list']);
    assert.match(list.stdout, /^default\t.*\(default\)$/m);
    assert.match(list.stdout, /^fabrikam\t/m);
  });

  it('lists tokens without their values and revokes one so the API refuses it', async () => {
    const created = run(['token', 'create', '--tenant', 'default', '--role', 'admin', '--label', 'ci bot']);
    assert.equal(created.status, 0, created.stderr);
    const token = created.stdout.trim();
    const id = /Token ([0-9a-f-]{36})/.exec(created.stderr)?.[1];
    assert.ok(id, created.stderr);
    const listed = run(['token', 'list', '--tenant', 'default']);
    assert.match(listed.stdout, new RegExp(`^${id}\tadmin\tactive\t.*\tci bot$`, 'm'));
    assert.equal(listed.stdout.includes(token), false);
    assert.equal(run(['token', 'revoke', '--tenant', 'default', '--id', id]).status, 0);
    assert.match(run(['token', 'list', '--tenant', 'default']).stdout, new RegExp(`^${id}\tadmin\trevoked `, 'm'));
    const again = run(['token', 'revoke', '--tenant', 'default', '--id', id]);
    assert.equal(again.status, 2);
    assert.match(again.stderr, /not found/);
  });

  it('issues a scim token that expires, lists its expiry and last use, and refuses a bad lifetime', () => {
    const created = run(['token', 'create', '--tenant', 'default', '--role', 'scim', '--label', 'Entra ID', '--expires', '90']);
    assert.equal(created.status, 0, created.stderr);
    assert.match(created.stderr, /role scim, expires \d{4}-\d\d-\d\dT/);
    const id = /Token ([0-9a-f-]{36})/.exec(created.stderr)?.[1];
    const listed = run(['token', 'list', '--tenant', 'default']);
    assert.match(listed.stdout, new RegExp(`^${id}\tscim\texpires \\S+\t\\S+\tlast used never\tEntra ID$`, 'm'));
    const bad = run(['token', 'create', '--tenant', 'default', '--role', 'scim', '--expires', '0']);
    assert.equal(bad.status, 2);
    assert.match(bad.stderr, /--expires must be a whole number of days from 1 to 3650/);
  });

  it('refuses bad configuration naming the variable', () => {
    const result = spawnSync(process.execPath, [cli, 'migrate'], { env: { ...env, PORT: 'eighty' }, encoding: 'utf8' });
    assert.equal(result.status, 2);
    assert.match(result.stderr, /PORT: 'eighty' is not a TCP port/);
  });
});
