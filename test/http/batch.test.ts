import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createTestApp, type TestApp } from '../helpers/test-app.ts';

/** JSON batching (`POST /$batch`) as the Graph SDKs send it for bulk work. */
describe('JSON $batch', () => {
  let t: TestApp;
  before(async () => {
    t = await createTestApp();
  });
  after(() => t.close());

  const batch = (requests: unknown[], token?: string | null) => t.request('POST', '/graph/beta/$batch', { body: { requests }, token });

  it('runs requests in order, after those they depend on, and answers each with its own status, headers and body', async () => {
    const reply = await batch([
      { id: 'list', method: 'GET', url: '/users?$select=userPrincipalName', dependsOn: ['bob'] },
      { id: 'ann', method: 'POST', url: '/users', headers: { 'Content-Type': 'application/json' }, body: { displayName: 'Ann Batch', userPrincipalName: 'ann.batch@contoso.com' } },
      { id: 'bob', method: 'POST', url: 'users', body: { displayName: 'Bob Batch', userPrincipalName: 'bob.batch@contoso.com' }, dependsOn: ['ann'] },
    ]);
    assert.equal(reply.status, 200, JSON.stringify(reply.body));
    assert.deepEqual(reply.body.responses.map((r: { id: string; status: number }) => [r.id, r.status]), [['list', 200], ['ann', 201], ['bob', 201]]);
    const [list, ann] = reply.body.responses;
    assert.match(ann.headers['Content-Type'], /^application\/json/);
    assert.equal(ann.body.userPrincipalName, 'ann.batch@contoso.com');
    assert.deepEqual(list.body.value.map((u: { userPrincipalName: string }) => u.userPrincipalName).sort(), ['ann.batch@contoso.com', 'bob.batch@contoso.com'], 'the list ran after both creates');
    assert.equal((await t.request('GET', `/graph/beta/users/${ann.body.id}`)).status, 200);
  });

  it('answers 424 for a request whose dependency failed, without running it', async () => {
    const users = await t.count('users');
    const reply = await batch([
      { id: '1', method: 'POST', url: '/users', body: { displayName: 'No UPN' } },
      { id: '2', method: 'POST', url: '/users', body: { displayName: 'Dep', userPrincipalName: 'dep@contoso.com' }, dependsOn: ['1'] },
      { id: '3', method: 'GET', url: '/users/00000000-0000-4000-8000-000000000000' },
    ]);
    assert.equal(reply.status, 200);
    const [first, second, third] = reply.body.responses;
    assert.equal(first.status, 400);
    assert.match(first.body.error.message, /userPrincipalName/);
    assert.equal(second.status, 424);
    assert.match(second.body.error.message, /request '1'.*failed with 400/);
    assert.equal(third.status, 404, 'independent requests still run');
    assert.equal(await t.count('users'), users, 'nothing was created');
  });

  it('runs every request with the caller\'s own token: a readOnly caller cannot write through a batch, and another tenant sees only its own', async () => {
    const readOnly = await t.readOnlyToken();
    const reply = await batch([
      { id: 'read', method: 'GET', url: '/users?$top=1' },
      { id: 'write', method: 'POST', url: '/users', body: { displayName: 'Sneaky', userPrincipalName: 'sneaky@contoso.com' }, headers: { Authorization: `Bearer ${t.adminToken}` } },
    ], readOnly);
    assert.deepEqual(reply.body.responses.map((r: { status: number }) => r.status), [200, 403], 'an Authorization header inside the batch is ignored');
    const other = await t.tenant('batch-other');
    const theirs = await batch([{ id: 'a', method: 'GET', url: '/users' }], other.admin);
    assert.deepEqual(theirs.body.responses[0].body.value, []);
    assert.equal((await batch([{ id: 'a', method: 'GET', url: '/users' }], null)).status, 401);
  });

  it('refuses a malformed batch as a whole, naming what is wrong, and runs none of it', async () => {
    const users = await t.count('users');
    const create = (id: string, extra: object = {}) => ({ id, method: 'POST', url: '/users', body: { displayName: id, userPrincipalName: `${id}@contoso.com` }, ...extra });
    const cases: [unknown[], RegExp][] = [
      [Array.from({ length: 21 }, (_, i) => create(`u${i}`)), /requests/],
      [[create('same'), create('same')], /'same' is used twice/],
      [[create('x', { dependsOn: ['nope'] })], /depends on 'nope', which is not in the batch/],
      [[create('a', { dependsOn: ['b'] }), create('b', { dependsOn: ['a'] })], /depends on itself/],
      [[{ id: 'm', method: 'TRACE', url: '/users' }], /method/],
      [[], /requests/],
    ];
    for (const [requests, message] of cases) {
      const reply = await batch(requests);
      assert.equal(reply.status, 400, JSON.stringify(reply.body));
      assert.match(JSON.stringify(reply.body.error), message);
    }
    assert.equal(await t.count('users'), users);
  });

  it('answers 400 for an absolute URL or a nested batch inside the batch', async () => {
    const reply = await batch([
      { id: 'abs', method: 'GET', url: 'https://graph.microsoft.com/beta/users' },
      { id: 'nested', method: 'POST', url: '/$batch', body: { requests: [] } },
    ]);
    assert.deepEqual(reply.body.responses.map((r: { status: number }) => r.status), [400, 400]);
    assert.match(reply.body.responses[1].body.error.message, /cannot contain another \$batch/);
  });

  it('drops a leading path of the batch\'s own version, as the SDKs\' batch builders send it', async () => {
    const reply = await batch([
      { id: 'graph', method: 'GET', url: '/graph/beta/users?$top=1' },
      { id: 'bare', method: 'GET', url: '/beta/users/ann.batch@contoso.com' },
      { id: 'other', method: 'GET', url: '/graph/v1.0/users' },
    ]);
    assert.deepEqual(reply.body.responses.map((r: { status: number }) => r.status), [200, 200, 404]);
    assert.equal(reply.body.responses[1].body.userPrincipalName, 'ann.batch@contoso.com');
    const v1 = await t.request('POST', '/graph/v1.0/$batch', { body: { requests: [{ id: '1', method: 'GET', url: '/v1.0/users?$top=1' }] } });
    assert.deepEqual(v1.body.responses.map((r: { status: number }) => r.status), [200]);
  });
});
