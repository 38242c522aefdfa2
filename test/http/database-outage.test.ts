import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { createTestApp, type Reply, type TestApp } from '../helpers/test-app.ts';
import { createServerDatabase, openTestDb } from '../helpers/test-db.ts';
import { startTcpProxy, type TcpProxy } from '../helpers/tcp-proxy.ts';
import { openPostgresDb } from '../../src/store/postgres/pg-db.ts';

const serverUrl = process.env.TEST_DATABASE_URL;

function assertUnavailable(reply: Reply): void {
  assert.equal(reply.status, 503, JSON.stringify(reply.body));
  assert.equal(reply.body.error.code, 'ServiceUnavailable');
  assert.equal(typeof reply.body.error.message, 'string');
  assert.match(String(reply.raw.headers['retry-after']), /^\d+$/);
}

async function until(condition: () => boolean, what: string): Promise<void> {
  for (let waited = 0; !condition(); waited += 20) {
    if (waited > 5000) assert.fail(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

describe('a database that goes away', { skip: serverUrl ? false : 'PostgreSQL only: set TEST_DATABASE_URL' }, () => {
  let t: TestApp;
  let proxy: TcpProxy;
  const poolErrors: Error[] = [];

  before(async () => {
    const server = new URL(serverUrl!);
    proxy = await startTcpProxy({ host: server.hostname, port: Number(server.port || 5432) });
    const database = await createServerDatabase(serverUrl!);
    const proxied = new URL(database.url);
    proxied.hostname = '127.0.0.1';
    proxied.port = String(proxy.port);
    const db = openPostgresDb(proxied.toString(), { max: 4, connectionTimeoutMillis: 2000, onConnectionError: (error) => poolErrors.push(error) });
    t = await createTestApp({
      db: {
        db,
        async dispose() {
          await db.close();
          await proxy.close();
          await database.drop();
        },
      },
    });
  });
  after(() => t.close());

  it('answers 503 in Graph shape while PostgreSQL is unreachable, without crashing, and recovers when it is back', async () => {
    // Several requests at once leave the pool holding several idle connections through the proxy.
    const warm = await Promise.all(Array.from({ length: 4 }, (_, i) => t.request('POST', '/graph/beta/users', { body: { displayName: `U${i}`, userPrincipalName: `u${i}@contoso.com` } })));
    assert.deepEqual(warm.map((r) => r.status), [201, 201, 201, 201]);
    assert.ok(proxy.openConnections >= 2, `pool holds ${proxy.openConnections} connection(s)`);

    await proxy.cut();
    // Idle connections fail with no request waiting: the pool reports them instead of crashing the process.
    await until(() => poolErrors.length > 0, 'the pool to notice the dropped connections');

    assertUnavailable(await t.request('GET', '/graph/beta/users'));
    assertUnavailable(await t.request('POST', '/graph/beta/users', { body: { displayName: 'Lost', userPrincipalName: 'lost@contoso.com' } }));
    const profile = await t.request('POST', '/graph/beta/deviceManagement/deviceConfigurations/00000000-0000-4000-8000-000000000000/assign', { body: { assignments: [] } });
    assertUnavailable(profile);
    assert.equal((await t.request('GET', '/healthz', { token: null })).status, 503);
    assert.equal((await t.request('GET', '/readyz', { token: null })).status, 503, 'not ready: a load balancer takes it out');
    assert.equal((await t.request('GET', '/livez', { token: null })).status, 200, 'still alive: nothing should restart it for a database outage');

    await proxy.restore();
    const listed = await t.request('GET', '/graph/beta/users');
    assert.equal(listed.status, 200, JSON.stringify(listed.body));
    assert.deepEqual(listed.body.value.map((u: { displayName: string }) => u.displayName).sort(), ['U0', 'U1', 'U2', 'U3']);
    const created = await t.request('POST', '/graph/beta/users', { body: { displayName: 'Back', userPrincipalName: 'back@contoso.com' } });
    assert.equal(created.status, 201, JSON.stringify(created.body));
  });

  it('answers an assign whose connection is cut mid-flight with 200 or 503, keeping all of it or none', async () => {
    const group = await t.request('POST', '/graph/beta/groups', { body: { displayName: 'Sales' } });
    const profile = await t.request('POST', '/graph/beta/deviceManagement/deviceConfigurations', {
      body: {
        '@odata.type': '#microsoft.graph.iosEasEmailProfileConfiguration', displayName: 'iOS mail', accountName: 'Contoso', hostName: 'mail.contoso.com',
        usernameSource: 'userPrincipalName', emailAddressSource: 'userPrincipalName', requireSsl: true, durationOfEmailToSync: 'oneWeek',
      },
    });
    const assign = () => t.request('POST', `/graph/beta/deviceManagement/deviceConfigurations/${profile.body.id}/assign`, {
      body: { assignments: [{ target: { '@odata.type': '#microsoft.graph.groupAssignmentTarget', groupId: group.body.id } }] },
    });
    const pending = assign();
    await proxy.cut();
    const reply = await pending;
    // The cut may land before, during or after the transaction: 200 if it committed first, else 503.
    assert.ok(reply.status === 200 || reply.status === 503, `status ${reply.status}: ${JSON.stringify(reply.body)}`);
    if (reply.status === 503) assertUnavailable(reply);
    await proxy.restore();
    const listed = await t.request('GET', `/graph/beta/deviceManagement/deviceConfigurations/${profile.body.id}/assignments`);
    assert.equal(listed.status, 200);
    assert.equal(listed.body.value.length, reply.status === 200 ? 1 : 0);
  });
});

describe('a closed database', () => {
  let t: TestApp;

  before(async () => {
    const testDb = await openTestDb();
    t = await createTestApp({ db: testDb });
    await testDb.db.close();
  });
  after(() => t.close());

  it('answers 503 ServiceUnavailable with Retry-After, not 500', async () => {
    assertUnavailable(await t.request('GET', '/graph/beta/users'));
    assertUnavailable(await t.request('POST', '/graph/beta/groups', { body: { displayName: 'Sales' } }));
  });
});
