import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { RequestTransactionDb } from '../../src/store/postgres/request-transaction-db.ts';
import { openTestDb, type TestDb } from '../helpers/test-db.ts';

/** Decision 0032's mechanism: statements of a request's async context join its one transaction. */
describe('RequestTransactionDb', () => {
  let testDb: TestDb;
  let db: RequestTransactionDb;
  before(async () => {
    testDb = await openTestDb();
    db = new RequestTransactionDb(testDb.db);
    await db.exec('CREATE TABLE rtx (v text PRIMARY KEY)');
  });
  after(() => testDb.dispose());

  const values = async () => (await testDb.db.query<{ v: string }>('SELECT v FROM rtx ORDER BY v')).map((r) => r.v);
  const clear = () => testDb.db.query('DELETE FROM rtx');

  it('commits the statements and nested transactions of the context together, and rolls them back together', async () => {
    await clear();
    const committed = await db.begin();
    await committed.run(async () => {
      await db.query("INSERT INTO rtx VALUES ('a')");
      await db.transaction(async (tx) => {
        await tx.query("INSERT INTO rtx VALUES ('b')");
      });
    });
    // On a server another connection sees nothing yet (PGlite is one connection: it would wait for the COMMIT).
    if (testDb.db.kind === 'postgres') assert.deepEqual(await values(), [], 'nothing is visible before COMMIT');
    await committed.commit();
    assert.deepEqual(await values(), ['a', 'b']);

    const rolledBack = await db.begin();
    await rolledBack.run(async () => {
      await db.query("INSERT INTO rtx VALUES ('c')");
      await db.transaction(async (tx) => tx.query("INSERT INTO rtx VALUES ('d')"));
    });
    await rolledBack.rollback();
    assert.deepEqual(await values(), ['a', 'b']);
  });

  it('a failing statement or nested transaction the caller catches undoes only itself', async () => {
    await clear();
    const tx = await db.begin();
    await tx.run(async () => {
      await db.query("INSERT INTO rtx VALUES ('x')");
      await assert.rejects(db.query("INSERT INTO rtx VALUES ('x')"), /duplicate|unique/i);
      await assert.rejects(db.transaction(async (inner) => {
        await inner.query("INSERT INTO rtx VALUES ('y')");
        throw new Error('refused');
      }), /refused/);
      await db.query("INSERT INTO rtx VALUES ('z')");
    });
    await tx.commit();
    assert.deepEqual(await values(), ['x', 'z']);
  });

  it('outside a request, and after the request ends, statements use the database as before', async () => {
    await clear();
    await db.query("INSERT INTO rtx VALUES ('outside')");
    assert.deepEqual(await values(), ['outside']);
    const tx = await db.begin();
    let late: Promise<unknown> | undefined;
    await tx.run(async () => {
      await db.query("INSERT INTO rtx VALUES ('inside')");
      late = new Promise((resolve) => setTimeout(resolve, 20)).then(() => db.query("INSERT INTO rtx VALUES ('late')"));
    });
    await tx.rollback();
    await late;
    assert.deepEqual(await values(), ['late', 'outside'], 'the timer ran after the end: autocommit, not the rolled-back transaction');
  });

  it('afterCommit runs after COMMIT, outside the context, and never after a rollback', async () => {
    await clear();
    const seen: string[] = [];
    const committed = await db.begin();
    await committed.run(async () => {
      await db.query("INSERT INTO rtx VALUES ('c1')");
      db.afterCommit(() => {
        seen.push('after commit');
        void db.query('SELECT count(*) FROM rtx').then(() => seen.push('query outside'));
      });
      assert.deepEqual(seen, []);
    });
    await committed.commit();
    assert.deepEqual(seen, ['after commit']);
    const rolledBack = await db.begin();
    await rolledBack.run(async () => {
      db.afterCommit(() => seen.push('never'));
    });
    await rolledBack.rollback();
    await new Promise((resolve) => setTimeout(resolve, 10));
    assert.deepEqual(seen, ['after commit', 'query outside']);
    let ranAtOnce = false;
    db.afterCommit(() => {
      ranAtOnce = true;
    });
    assert.equal(ranAtOnce, true, 'without a request it runs at once');
  });
});
