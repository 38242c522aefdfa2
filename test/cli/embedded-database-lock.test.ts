import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import lockfile from 'proper-lockfile';
import { listMigrations } from '../../src/store/postgres/migrate.ts';
import { listeningUrl, startServeProcess, stopProcess } from '../helpers/serve-process.ts';

const cli = join(import.meta.dirname, '..', '..', 'src', 'cli', 'main.ts');

interface RunningServer {
  process: ChildProcess;
  url: string;
}

interface Finished {
  status: number | null;
  stdout: string;
  stderr: string;
  seconds: number;
}

/**
 * The embedded database belongs to one process at a time. While `envelope serve` runs on a PGlite
 * data directory, CLI commands reach the database through the server's control socket instead of
 * opening it a second time; a second server is refused; a server killed with SIGKILL does not block
 * the next start. Always on PGlite: PostgreSQL (DATABASE_URL) has no such lock.
 */
describe('the embedded database with a running server', () => {
  let dataDir: string;
  let env: NodeJS.ProcessEnv;
  let server: RunningServer | null = null;
  let fabrikamToken: string;

  before(() => {
    dataDir = mkdtempSync(join(tmpdir(), 'envelope-lock-'));
    env = { ...process.env, ENVELOPE_DATA_DIR: dataDir, PORT: '0', LOG_LEVEL: 'warn', LOG_FORMAT: 'json', ENVELOPE_ADMIN_TOKEN: '', DATABASE_URL: '' };
  });
  after(async () => {
    if (server) await stop(server);
    rmSync(dataDir, { recursive: true, force: true });
  });

  /** Runs the CLI to its end (asynchronously, so the test process's own lock keeps being refreshed). */
  function run(args: string[]): Promise<Finished> {
    const started = Date.now();
    const child = spawn(process.execPath, [cli, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    return new Promise((resolve) => child.on('close', (status) => resolve({ status, stdout, stderr, seconds: (Date.now() - started) / 1000 })));
  }

  async function serve(): Promise<RunningServer> {
    const started = await startServeProcess(cli, env, listeningUrl, { timeoutMs: 90_000, captureStderr: true });
    return { process: started.process, url: started.found };
  }

  function stop(running: RunningServer, signal: NodeJS.Signals = 'SIGTERM'): Promise<number | null> {
    server = null;
    return stopProcess(running.process, signal);
  }

  const usersWith = (url: string, token: string) => fetch(`${url}/graph/beta/users`, { headers: { authorization: `Bearer ${token}` } });

  it('creates a tenant and a token through the running server, and the server accepts the token at once', async () => {
    server = await serve();
    const tenant = await run(['tenant', 'create', 'fabrikam']);
    assert.equal(tenant.status, 0, tenant.stderr);
    assert.match(tenant.stdout, /Created tenant 'fabrikam'/);
    const token = await run(['token', 'create', '--tenant', 'fabrikam', '--role', 'admin', '--label', 'while running']);
    assert.equal(token.status, 0, token.stderr);
    fabrikamToken = token.stdout.trim();
    assert.match(fabrikamToken, /^env_[A-Za-z0-9_-]{43}$/);
    assert.equal((await usersWith(server.url, fabrikamToken)).status, 200);

    const duplicate = await run(['tenant', 'create', 'fabrikam']);
    assert.equal(duplicate.status, 2);
    assert.equal(duplicate.stderr, "envelope: A tenant named 'fabrikam' already exists.\n");
    const listed = await run(['token', 'list', '--tenant', 'fabrikam']);
    assert.match(listed.stdout, /\tadmin\tactive\t.*\twhile running$/m);
  });

  it('serves the control socket to its own user only, and migrate says the server applied the migrations', async () => {
    assert.ok(server);
    assert.equal(statSync(join(dataDir, 'control.sock')).mode & 0o777, 0o600);
    const migrated = await run(['migrate']);
    assert.equal(migrated.status, 0, migrated.stderr);
    const latest = listMigrations().at(-1)!.file.replaceAll('.', '\\.');
    assert.match(migrated.stdout, new RegExp(`^The Envelope server running on .* applied the migrations at its start \\(\\d+ migrations?, latest ${latest}\\)\\.$`, 'm'));
  });

  it('refuses a second server on the same data directory, and the first keeps serving', async () => {
    assert.ok(server);
    const second = await run(['serve']);
    assert.equal(second.status, 1);
    assert.equal(second.stderr.trim().split('\n').length, 1, second.stderr);
    assert.match(second.stderr, new RegExp(`^envelope: An Envelope server \\(process ${server.process.pid}\\) is already running on ${dataDir};`));
    assert.equal((await usersWith(server.url, fabrikamToken)).status, 200);
  });

  it('keeps the tenant and token across a restart, and leaves neither lock nor socket behind when stopped', async () => {
    assert.ok(server);
    assert.equal(await stop(server), 0);
    assert.equal(existsSync(join(dataDir, 'control.sock')), false);
    assert.equal(existsSync(join(dataDir, 'pglite.lock')), false);
    server = await serve();
    assert.equal((await usersWith(server.url, fabrikamToken)).status, 200);
    assert.match((await run(['tenant', 'list'])).stdout, /^fabrikam\t/m);
  });

  it('starts again after a server killed with SIGKILL, once its lock has gone stale', async () => {
    assert.ok(server);
    const killed = server;
    await stop(killed, 'SIGKILL');
    assert.ok(existsSync(join(dataDir, 'pglite.lock')), 'SIGKILL leaves the lock behind');
    server = await serve();
    assert.equal((await usersWith(server.url, fabrikamToken)).status, 200);
    await stop(server);
    const direct = await run(['token', 'list', '--tenant', 'fabrikam']);
    assert.equal(direct.status, 0, direct.stderr);
    assert.match(direct.stdout, /\twhile running$/m);
  });

  it('serialises CLI commands run at once on the embedded database, losing none', async () => {
    const names = ['north', 'south', 'east'];
    const results = await Promise.all(names.map((name) => run(['tenant', 'create', name])));
    for (const result of results) assert.equal(result.status, 0, result.stderr);
    const listed = await run(['tenant', 'list']);
    for (const name of names) assert.match(listed.stdout, new RegExp(`^${name}\t`, 'm'));
  });

  it('waits, then fails in one line naming the data directory, while a process that is no server holds the lock', async () => {
    const release = await lockfile.lock(join(dataDir, 'pglite'), { lockfilePath: join(dataDir, 'pglite.lock'), stale: 10_000, update: 2_000 });
    try {
      const result = await run(['tenant', 'list']);
      assert.equal(result.status, 1);
      const lines = result.stderr.trim().split('\n');
      assert.equal(lines.length, 2, result.stderr);
      assert.match(lines[0]!, /in use by another process; waiting up to 30 s/);
      assert.match(lines[1]!, new RegExp(`^envelope: The database in ${dataDir} is locked by another process, and no Envelope server answers on ${join(dataDir, 'control.sock')}\\.`));
      assert.equal(result.stdout, '');
    } finally {
      await release();
    }
  });
});
