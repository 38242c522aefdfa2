import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { listMigrations } from '../../src/store/postgres/migrate.ts';
import { listeningUrl, startServeProcess, stopProcess } from '../helpers/serve-process.ts';

const cli = join(import.meta.dirname, '..', '..', 'src', 'cli', 'main.ts');

interface Finished {
  status: number | null;
  stdout: string;
  stderr: string;
}

/**
 * `envelope backup` and `envelope restore` on the embedded database: a backup taken from a running
 * server over its control socket, restored after the server stopped, brings back exactly what the
 * database held then. Always on PGlite (PostgreSQL has pg_dump).
 */
describe('backup and restore of the embedded database', () => {
  let work: string;
  let dataDir: string;
  let env: NodeJS.ProcessEnv;
  let server: ChildProcess | null = null;

  before(() => {
    work = mkdtempSync(join(tmpdir(), 'envelope-backup-'));
    dataDir = join(work, 'data');
    env = { ...process.env, ENVELOPE_DATA_DIR: dataDir, PORT: '0', LOG_LEVEL: 'warn', LOG_FORMAT: 'json', ENVELOPE_ADMIN_TOKEN: '', DATABASE_URL: '' };
  });
  after(async () => {
    if (server) await stopProcess(server);
    rmSync(work, { recursive: true, force: true });
  });

  function run(args: string[], extraEnv: NodeJS.ProcessEnv = {}): Promise<Finished> {
    const child = spawn(process.execPath, [cli, ...args], { env: { ...env, ...extraEnv }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    return new Promise((resolve) => child.on('close', (status) => resolve({ status, stdout, stderr })));
  }

  const tenants = async () => (await run(['tenant', 'list'])).stdout.split('\n').filter(Boolean).map((line) => line.split('\t')[0]).sort();

  it('backs up a running server, refuses to overwrite the file, and names the secret key to keep apart', async () => {
    assert.equal((await run(['tenant', 'create', 'fabrikam'])).status, 0);
    server = (await startServeProcess(cli, env, listeningUrl, { timeoutMs: 90_000, captureStderr: true })).process;
    const backup = await run(['backup', join(work, 'monday.tar.gz')]);
    assert.equal(backup.status, 0, backup.stderr);
    const latest = listMigrations().at(-1)!.file;
    assert.match(backup.stdout, new RegExp(`^Wrote ${join(work, 'monday.tar.gz')} \\(\\d+ bytes, ${listMigrations().length} migrations, latest ${latest.replaceAll('.', '\\.')}\\)\\.\\n$`));
    assert.match(backup.stderr, new RegExp(`open only with ${join(dataDir, 'secret.key')}`));
    assert.equal(statSync(join(work, 'monday.tar.gz')).mode & 0o777, 0o600, 'the backup holds sealed secrets and hashes: owner only');

    const again = await run(['backup', join(work, 'monday.tar.gz')]);
    assert.equal(again.status, 2);
    assert.match(again.stderr, /monday\.tar\.gz exists; a backup never replaces a file/);

    assert.equal((await run(['tenant', 'create', 'after-backup'])).status, 0);
    const refused = await run(['restore', join(work, 'monday.tar.gz')]);
    assert.equal(refused.status, 1);
    assert.match(refused.stderr, /server is running on .*; stop it, then restore/);
    assert.equal(await stopProcess(server), 0);
    server = null;
  });

  it('restores only with --replace over an existing database, keeping the old one aside', async () => {
    assert.deepEqual(await tenants(), ['after-backup', 'default', 'fabrikam']);
    const refused = await run(['restore', join(work, 'monday.tar.gz')]);
    assert.equal(refused.status, 2);
    assert.match(refused.stderr, /already holds a database\. Run again with --replace/);

    const restored = await run(['restore', join(work, 'monday.tar.gz'), '--replace']);
    assert.equal(restored.status, 0, restored.stderr);
    assert.match(restored.stdout, /^Restored .*monday\.tar\.gz into .*pglite/);
    assert.deepEqual(await tenants(), ['default', 'fabrikam'], 'the database as it was at the backup');
    assert.equal(readdirSync(dataDir).filter((name) => name.startsWith('pglite.before-restore-')).length, 1);
  });

  it('leaves the database as it was when the file is not a backup', async () => {
    writeFileSync(join(work, 'not-a-backup.tar.gz'), 'hello');
    const failed = await run(['restore', join(work, 'not-a-backup.tar.gz'), '--replace']);
    assert.equal(failed.status, 2);
    assert.match(failed.stderr, /is not an Envelope backup that could be opened/);
    assert.deepEqual(await tenants(), ['default', 'fabrikam']);
    const missing = await run(['restore', join(work, 'nowhere.tar.gz')]);
    assert.equal(missing.status, 2);
    assert.match(missing.stderr, /nowhere\.tar\.gz: no such file\./);
  });

  it('backs up without a server, and restores into an empty data directory', async () => {
    const offline = await run(['backup', join(work, 'offline.tar.gz')]);
    assert.equal(offline.status, 0, offline.stderr);
    const fresh = join(work, 'fresh');
    const restored = await run(['restore', join(work, 'offline.tar.gz')], { ENVELOPE_DATA_DIR: fresh });
    assert.equal(restored.status, 0, restored.stderr);
    assert.ok(existsSync(join(fresh, 'pglite')));
    const listed = await run(['tenant', 'list'], { ENVELOPE_DATA_DIR: fresh });
    assert.match(listed.stdout, /^fabrikam\t/m);
  });

  it('points PostgreSQL users to pg_dump', async () => {
    const result = await run(['backup', join(work, 'pg.tar.gz')], { DATABASE_URL: 'postgres://postgres@127.0.0.1:5432/postgres' });
    assert.equal(result.status, 2);
    assert.match(result.stderr, /back it up with pg_dump/);
    assert.equal(existsSync(join(work, 'pg.tar.gz')), false);
  });
});
