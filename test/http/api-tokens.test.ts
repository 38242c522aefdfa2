import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createTestApp, type TestApp } from '../helpers/test-app.ts';

const path = '/graph/beta/envelope/apiTokens';

/** `/envelope/apiTokens`: what `envelope token create|list|revoke` does, for the tenant's admins over the API. */
describe('API tokens (Envelope extension)', () => {
  let t: TestApp;

  before(async () => {
    t = await createTestApp();
  });
  after(async () => t.close());

  it('issues a token shown once, lists it without its value, and the token works at once', async () => {
    const created = await t.request('POST', path, { body: { role: 'readOnly', displayName: 'Reporting job', expirationDays: 30 } });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    assert.match(created.body.token, /\S{20,}/);
    assert.equal(created.body.role, 'readOnly');
    assert.equal(created.body.displayName, 'Reporting job');
    const expires = Date.parse(created.body.expirationDateTime) - Date.now();
    assert.ok(expires > 29.9 * 86_400_000 && expires <= 30 * 86_400_000, created.body.expirationDateTime);

    const used = await t.request('GET', '/graph/beta/users', { token: created.body.token });
    assert.equal(used.status, 200);
    assert.equal((await t.request('POST', '/graph/beta/users', { token: created.body.token, body: { displayName: 'X', userPrincipalName: 'x@contoso.com' } })).status, 403, 'a readOnly token cannot write');

    const list = await t.request('GET', path);
    assert.equal(list.status, 200);
    const listed = list.body.value.find((token: { id: string }) => token.id === created.body.id);
    assert.equal(listed.displayName, 'Reporting job');
    assert.equal(listed.role, 'readOnly');
    assert.equal(listed.revokedDateTime, null);
    assert.ok(!list.raw.body.includes(created.body.token), 'a listed token never shows its value');

    const audit = await t.envelope.db.query<{ n: number; found: number }>(
      "SELECT count(*)::int AS n, count(*) FILTER (WHERE position($1 IN a::text) > 0)::int AS found FROM audit_events a WHERE category = 'ApiTokens' AND resource_id = $2",
      [created.body.token, created.body.id],
    );
    assert.deepEqual(audit[0], { n: 1, found: 0 }, 'the issue is audited, and its value is not in the audit trail');
  });

  it('revokes a token at once, and a revoked or unknown token is 404 the second time', async () => {
    const created = await t.request('POST', path, { body: { role: 'admin' } });
    assert.equal(created.status, 201);
    assert.equal(created.body.expirationDateTime, null, 'no expirationDays: it never expires');
    assert.equal((await t.request('DELETE', `${path}/${created.body.id}`)).status, 204);
    assert.equal((await t.request('GET', '/graph/beta/users', { token: created.body.token })).status, 401);
    assert.equal((await t.request('DELETE', `${path}/${created.body.id}`)).status, 404);
    const listed = (await t.request('GET', path)).body.value.find((token: { id: string }) => token.id === created.body.id);
    assert.ok(listed.revokedDateTime, 'listed as revoked');
  });

  it('refuses bad input naming the field, and issues nothing', async () => {
    const before = (await t.request('GET', path)).body.value.length;
    for (const [body, target] of [
      [{ role: 'owner' }, 'role'],
      [{ role: 'admin', expirationDays: 0 }, 'expirationDays'],
      [{ role: 'admin', expirationDays: 100_000 }, 'expirationDays'],
      [{ role: 'admin', expirationDays: 'soon' }, 'expirationDays'],
      [{ role: 'admin', token: 'chosen-by-me' }, 'token'],
      [{}, 'role'],
    ] as const) {
      const reply = await t.request('POST', path, { body });
      assert.equal(reply.status, 400, JSON.stringify(body));
      assert.match(`${reply.body.error.target} ${reply.body.error.message}`, new RegExp(target), JSON.stringify(reply.body));
    }
    assert.equal((await t.request('DELETE', `${path}/not-a-uuid`)).status, 400);
    assert.equal((await t.request('GET', path)).body.value.length, before);
  });

  it('is for admins of the tenant only: 401 without a token, 403 for readOnly, another tenant cannot see or revoke', async () => {
    assert.equal((await t.request('GET', path, { token: null })).status, 401);
    assert.equal((await t.request('POST', path, { token: null, body: { role: 'admin' } })).status, 401);
    const readOnly = await t.readOnlyToken();
    assert.equal((await t.request('GET', path, { token: readOnly })).status, 403);
    assert.equal((await t.request('POST', path, { token: readOnly, body: { role: 'admin' } })).status, 403);

    const mine = await t.request('POST', path, { body: { role: 'readOnly', displayName: 'mine' } });
    const other = await t.tenant('fabrikam');
    const theirs = await t.request('GET', path, { token: other.admin });
    assert.equal(theirs.status, 200);
    assert.ok(!theirs.body.value.some((token: { id: string }) => token.id === mine.body.id), 'another tenant does not list it');
    assert.equal((await t.request('DELETE', `${path}/${mine.body.id}`, { token: other.admin })).status, 404);
    assert.equal((await t.request('GET', '/graph/beta/users', { token: mine.body.token })).status, 200, 'still valid');
  });
});
