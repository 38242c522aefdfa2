import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { listeningUrl, startServeProcess, stopProcess } from '../helpers/serve-process.ts';
import { createServerDatabase } from '../helpers/test-db.ts';

const cli = join(import.meta.dirname, '..', '..', 'src', 'cli', 'main.ts');
const password = 'a long console password';

/** `envelope console-user add` and `list`, and signing in to a server with the account made. */
describe('envelope console-user', () => {
  let dataDir: string;
  let env: NodeJS.ProcessEnv;
  let dropDatabase: (() => Promise<void>) | null = null;

  before(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'envelope-console-user-'));
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

  const run = (args: string[], input: string) => spawnSync(process.execPath, [cli, ...args], { env, input, encoding: 'utf8', timeout: 60_000 });

  it('creates an account with the password from stdin, never printing it, and refuses a short one naming the password', () => {
    const added = run(['console-user', 'add', '--tenant', 'default', '--name', 'alice', '--role', 'admin'], `${password}\n`);
    assert.equal(added.status, 0, added.stderr);
    assert.match(added.stdout, /Created console account 'alice' \([0-9a-f-]{36}\), role admin, in tenant 'default'/);
    assert.ok(!added.stdout.includes(password) && !added.stderr.includes(password));
    const short = run(['console-user', 'add', '--tenant', 'default', '--name', 'bob', '--role', 'readOnly'], 'short\n');
    assert.notEqual(short.status, 0);
    assert.match(short.stderr, /password must be 12 to 256 characters/);
    const badRole = run(['console-user', 'add', '--tenant', 'default', '--name', 'bob', '--role', 'owner'], `${password}\n`);
    assert.notEqual(badRole.status, 0);
    assert.match(badRole.stderr, /role must be admin or readOnly/);
    const listed = run(['console-user', 'list', '--tenant', 'default'], '');
    assert.equal(listed.status, 0, listed.stderr);
    assert.match(listed.stdout, /^[0-9a-f-]{36}\talice\tadmin\tactive\tlast sign-in never\n$/);
  });

  it('lets the account sign in to the running server, and adds accounts through the server while it holds the database', async () => {
    const server = await startServeProcess(cli, env, (output) => listeningUrl(output));
    try {
      const url = server.found;
      const signIn = (userName: string) => fetch(`${url}/graph/beta/envelope/consoleSession`, {
        method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ userName, password }),
      });
      const session = await signIn('alice');
      assert.equal(session.status, 200);
      const { token, role } = await session.json() as { token: string; role: string };
      assert.equal(role, 'admin');
      assert.equal((await fetch(`${url}/graph/beta/users`, { headers: { authorization: `Bearer ${token}` } })).status, 200);
      const added = run(['console-user', 'add', '--tenant', 'default', '--name', 'carol', '--role', 'readOnly'], password);
      assert.equal(added.status, 0, added.stderr);
      const carol = await signIn('carol');
      assert.equal(carol.status, 200);
      assert.equal(((await carol.json()) as { role: string }).role, 'readOnly');
    } finally {
      await stopProcess(server.process);
    }
  });
});
