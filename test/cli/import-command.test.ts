import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServerDatabase } from '../helpers/test-db.ts';
import { openPgliteDb } from '../../src/store/postgres/pglite-db.ts';
import { openPostgresDb } from '../../src/store/postgres/pg-db.ts';
import type { Db } from '../../src/store/db.ts';

const cli = join(import.meta.dirname, '..', '..', 'src', 'cli', 'main.ts');

/** `envelope import users.csv`: a quick start for the directory, refused lines named, safe to re-run. */
describe('envelope import', () => {
  let dataDir: string;
  let env: NodeJS.ProcessEnv;
  let dropDatabase: (() => Promise<void>) | null = null;

  before(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'envelope-import-'));
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
    return spawnSync(process.execPath, [cli, ...args], { env, encoding: 'utf8', timeout: 120_000 });
  }

  function csv(name: string, text: string): string {
    const file = join(dataDir, name);
    writeFileSync(file, text);
    return file;
  }

  /** Reads the database the CLI wrote (after it exited, so the embedded one is free). */
  async function query<T>(sql: string): Promise<T[]> {
    const db: Db = env.DATABASE_URL ? openPostgresDb(env.DATABASE_URL) : await openPgliteDb({ dataDir: join(dataDir, 'pglite') });
    try {
      return await db.query<T>(sql);
    } finally {
      await db.close();
    }
  }

  const header = 'UserPrincipalName,displayName,mail,onPremisesSamAccountName,groups\n';
  const good = [
    'ann@contoso.com,"Ann, the first",ann.a@contoso.com,ann,Sales;All staff',
    'bob@contoso.com,Bob,,bob,All staff',
    'cy@contoso.com,,,,',
  ];

  it('imports the good lines, names each refused line and its column, and exits 2', () => {
    const file = csv('users.csv', `${header}${good.join('\n')}\ndee@contoso.com,Dee,not-an-address,,\nno-domain,X,,,\n`);
    const result = run(['import', file]);
    assert.equal(result.status, 2, result.stderr);
    assert.match(result.stdout, /3 created, 0 updated, 0 unchanged, 2 refused/);
    assert.match(result.stderr, /^line 5: mail: 'not-an-address' is not an email address\.$/m);
    assert.match(result.stderr, /^line 6: userPrincipalName: 'no-domain' is not a user principal name/m);
  });

  it('changes nothing when run again with the same file', () => {
    const result = run(['import', join(dataDir, 'users.csv')]);
    assert.match(result.stdout, /0 created, 0 updated, 3 unchanged, 2 refused/);
  });

  it('updates what changed, and the users and memberships are as the file says', async () => {
    const file = csv('fixed.csv', `${header}${good.join('\n').replace('ann.a@contoso.com', 'ann@contoso.com')}\ndee@contoso.com,Dee,dee@contoso.com,,Sales\n`);
    const result = run(['import', file]);
    assert.equal(result.status, 0, result.stderr);
    assert.match(result.stdout, /1 created, 1 updated, 2 unchanged, 0 refused/);
    const users = await query<{ user_principal_name: string; display_name: string; mail: string | null; groups: string }>(
      `SELECT u.user_principal_name, u.display_name, u.mail,
              coalesce(string_agg(g.display_name, ';' ORDER BY g.display_name), '') AS groups
         FROM users u LEFT JOIN group_members m ON m.tenant_id = u.tenant_id AND m.user_id = u.id
         LEFT JOIN groups g ON g.tenant_id = m.tenant_id AND g.id = m.group_id
        GROUP BY u.user_principal_name, u.display_name, u.mail ORDER BY u.user_principal_name`,
    );
    assert.deepEqual(users, [
      { user_principal_name: 'ann@contoso.com', display_name: 'Ann, the first', mail: 'ann@contoso.com', groups: 'All staff;Sales' },
      { user_principal_name: 'bob@contoso.com', display_name: 'Bob', mail: null, groups: 'All staff' },
      { user_principal_name: 'cy@contoso.com', display_name: 'cy@contoso.com', mail: null, groups: '' },
      { user_principal_name: 'dee@contoso.com', display_name: 'Dee', mail: 'dee@contoso.com', groups: 'Sales' },
    ]);
  });

  it('refuses an unknown column, a file without userPrincipalName, or a file that is not CSV, importing nothing', async () => {
    const unknown = run(['import', csv('unknown.csv', 'userPrincipalName,title\nzed@contoso.com,CEO\n')]);
    assert.equal(unknown.status, 2);
    assert.match(unknown.stderr, /Unknown column 'title'/);
    const noUpn = run(['import', csv('noupn.csv', 'mail\nzed@contoso.com\n')]);
    assert.equal(noUpn.status, 2);
    assert.match(noUpn.stderr, /userPrincipalName column/);
    const broken = run(['import', csv('broken.csv', 'userPrincipalName,mail\n"zed@contoso.com,zed@contoso.com\n')]);
    assert.equal(broken.status, 2);
    assert.match(broken.stderr, /not valid CSV/);
    const missing = run(['import', join(dataDir, 'nope.csv')]);
    assert.equal(missing.status, 2);
    assert.match(missing.stderr, /Cannot read/);
    assert.deepEqual(await query<{ n: number }>('SELECT count(*)::int AS n FROM users'), [{ n: 4 }]);
  });
});
