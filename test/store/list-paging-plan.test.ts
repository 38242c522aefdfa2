import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Queryable } from '../../src/store/db.ts';
import type { ListQuery, OrderBy, Page } from '../../src/store/list-query.ts';
import { DeviceStore } from '../../src/store/postgres/device-store.ts';
import { GroupStore } from '../../src/store/postgres/group-store.ts';
import { ProfileStore } from '../../src/store/postgres/profile-store.ts';
import { UserStore } from '../../src/store/postgres/user-store.ts';
import { seedListTenant } from '../helpers/list-seed.ts';
import { openTestDb, type TestDb } from '../helpers/test-db.ts';

interface PlanNode {
  'Node Type': string;
  'Relation Name'?: string;
  'Index Name'?: string;
  Plans?: PlanNode[];
}

function nodes(plan: PlanNode): PlanNode[] {
  return [plan, ...(plan.Plans ?? []).flatMap(nodes)];
}

const query = (orderBy: OrderBy | null, after: ListQuery['after'] = null): ListQuery => ({
  top: 100, after, select: null, filter: null, orderBy, search: null, count: false, expand: [],
});

/**
 * Every list and every $orderby the API offers reads a page through an index: the plan of the page
 * query (first page and a later one, each direction) has an index scan on the listed table and no
 * sequential scan of any table, on a tenant of 20,000 rows beside another tenant's.
 */
describe('list pages are index scans, at any depth and in every offered order', () => {
  let testDb: TestDb;
  let tenantId: string;
  before(async () => {
    testDb = await openTestDb();
    await seedListTenant(testDb.db, 5_000);
    tenantId = await seedListTenant(testDb.db, 20_000);
  });
  after(() => testDb.dispose());

  const lists: [string, string, (db: Queryable) => { list(tenantId: string, query: ListQuery): Promise<Page<unknown>> }, (string | null)[]][] = [
    ['users', 'users', (db) => new UserStore(db), [null, 'createdDateTime', 'displayName', 'userPrincipalName']],
    ['groups', 'groups', (db) => new GroupStore(db), [null, 'createdDateTime', 'displayName']],
    ['managed devices', 'managed_devices', (db) => new DeviceStore(db), [null, 'deviceName']],
    ['profiles', 'device_configurations', (db) => new ProfileStore(db), [null, 'createdDateTime', 'displayName']],
  ];

  for (const [name, table, storeOf, orders] of lists) {
    for (const property of orders) {
      for (const descending of property ? [false, true] : [false]) {
        it(`${name}${property ? ` by ${property} ${descending ? 'desc' : 'asc'}` : ' in the default order'}`, async () => {
          const statements: { sql: string; params: readonly unknown[] }[] = [];
          const recording: Queryable = {
            query: (sql, params = []) => {
              statements.push({ sql, params });
              return testDb.db.query(sql, params);
            },
            exec: (sql) => testDb.db.exec(sql),
          };
          const store = storeOf(recording);
          const orderBy = property ? { property, descending } : null;
          const first = await store.list(tenantId, query(orderBy));
          assert.equal(first.items.length, 100);
          assert.ok(first.next);
          const second = await store.list(tenantId, query(orderBy, first.next));
          assert.equal(second.items.length, 100);
          assert.equal(statements.length, 2);
          for (const statement of statements) {
            const rows = await testDb.db.query<{ 'QUERY PLAN': [{ Plan: PlanNode }] }>(`EXPLAIN (FORMAT JSON) ${statement.sql}`, [...statement.params]);
            const plan = rows[0]!['QUERY PLAN'][0].Plan;
            const all = nodes(plan);
            const seq = all.filter((n) => n['Node Type'] === 'Seq Scan').map((n) => n['Relation Name']);
            assert.deepEqual(seq, [], `no sequential scan: ${JSON.stringify(plan)}`);
            const index = all.find((n) => n['Relation Name'] === table && /Index/.test(n['Node Type']));
            assert.ok(index, `an index scan on ${table}: ${JSON.stringify(plan)}`);
            assert.doesNotMatch(all.map((n) => n['Node Type']).join(','), /\bSort\b/, `no sort: ${JSON.stringify(plan)}`);
          }
        });
      }
    }
  }
});
