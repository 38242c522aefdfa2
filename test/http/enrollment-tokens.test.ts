import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { createTestApp, type TestApp } from '../helpers/test-app.ts';

const path = '/graph/beta/envelope/enrollmentTokens';
const dayMs = 24 * 3600 * 1000;

describe('enrollment tokens', () => {
  let t: TestApp;
  let userId: string;
  before(async () => {
    t = await createTestApp();
    userId = (await t.request('POST', '/graph/beta/users', { body: { displayName: 'Jane Doe', userPrincipalName: 'jane@contoso.com' } })).body.id;
  });
  after(() => t.close());

  it('creates a token with exactly id, token, enrollmentUrl, expirationDateTime and maxDevices, stored only as its SHA-256', async () => {
    const before = Date.now();
    const created = await t.request('POST', path, { body: { userId, platform: 'iOS' } });
    assert.equal(created.status, 201);
    assert.deepEqual(Object.keys(created.body).sort(), ['enrollmentUrl', 'expirationDateTime', 'id', 'maxDevices', 'token']);
    assert.equal(created.body.maxDevices, 1);
    assert.match(created.body.token, /^enr_[A-Za-z0-9_-]{43}$/);
    assert.equal(created.body.enrollmentUrl, `https://envelope.test/mdm/apple/enroll?token=${created.body.token}`);
    const expiry = Date.parse(created.body.expirationDateTime);
    assert.ok(expiry >= before + 7 * dayMs && expiry <= Date.now() + 7 * dayMs, 'expires in 7 days by default');

    const rows = await t.envelope.db.query<{ token_hash: Uint8Array; user_id: string; platform: string }>('SELECT token_hash, user_id, platform FROM enrollment_tokens WHERE id = $1', [created.body.id]);
    assert.equal(rows.length, 1);
    assert.deepEqual(Buffer.from(rows[0]!.token_hash), createHash('sha256').update(created.body.token).digest());
    assert.equal(rows[0]!.user_id, userId);
    const dump = JSON.stringify(await t.envelope.db.query('SELECT * FROM enrollment_tokens'));
    assert.equal(dump.includes(created.body.token), false, 'the token value is stored nowhere');
  });

  it('shows a token by id and in the list with usedCount and revokedDateTime, never the token value', async () => {
    const created = await t.request('POST', path, { body: { userId, platform: 'Windows', maxDevices: 3 } });
    // Microsoft's MDM-only enrollment deep link for the token's user and this server's discovery service;
    // the token itself is the password the PC asks for, never in the link.
    assert.equal(created.body.enrollmentUrl, 'ms-device-enrollment:?mode=mdm&username=jane@contoso.com&servername=https://envelope.test/EnrollmentServer/Discovery.svc');
    const one = await t.request('GET', `${path}/${created.body.id}`, { token: await t.readOnlyToken() });
    assert.equal(one.status, 200);
    assert.deepEqual(one.body, {
      id: created.body.id,
      userId,
      platform: 'Windows',
      maxDevices: 3,
      usedCount: 0,
      expirationDateTime: created.body.expirationDateTime,
      revokedDateTime: null,
      createdDateTime: one.body.createdDateTime,
    });
    assert.ok(!Number.isNaN(Date.parse(one.body.createdDateTime)));
    const list = await t.request('GET', path);
    assert.equal(list.status, 200);
    assert.ok(list.body.value.some((item: { id: string }) => item.id === created.body.id));
    assert.equal(JSON.stringify(list.body).includes(created.body.token), false);
    for (const item of list.body.value) assert.equal('token' in item || 'enrollmentUrl' in item, false);
  });

  it("gives Windows a deep link whose discovery URL the server answers, with the user's UPN encoded", async () => {
    const odd = (await t.request('POST', '/graph/beta/users', { body: { displayName: 'Odd', userPrincipalName: "o'brien+mdm@contoso.com" } })).body.id;
    const created = await t.request('POST', path, { body: { userId: odd, platform: 'Windows' } });
    assert.equal(created.status, 201);
    const link = new URL(created.body.enrollmentUrl);
    assert.equal(link.protocol, 'ms-device-enrollment:');
    assert.deepEqual([...link.searchParams], [['mode', 'mdm'], ['username', "o'brien+mdm@contoso.com"], ['servername', 'https://envelope.test/EnrollmentServer/Discovery.svc']]);
    const server = new URL(link.searchParams.get('servername')!);
    // Windows first GETs the discovery URL (it must answer 200), then POSTs Discover to it.
    const discovery = await t.envelope.app.inject({ method: 'GET', url: server.pathname });
    assert.equal(discovery.statusCode, 200, discovery.body);
    // iOS and Android links stay Envelope pages carrying the token.
    const android = await t.request('POST', path, { body: { userId: odd, platform: 'Android' } });
    assert.equal(android.body.enrollmentUrl, `https://envelope.test/mdm/android/enroll?token=${android.body.token}`);
  });

  it('takes maxDevices and an expirationDateTime within 30 days', async () => {
    const expirationDateTime = new Date(Date.now() + 2 * dayMs).toISOString();
    const created = await t.request('POST', path, { body: { userId, platform: 'Android', maxDevices: 5, expirationDateTime } });
    assert.equal(created.status, 201);
    assert.equal(created.body.maxDevices, 5);
    assert.equal(created.body.expirationDateTime, expirationDateTime);
  });

  it('revokes a token with 204, after which it shows revokedDateTime and cannot be revoked again', async () => {
    const created = await t.request('POST', path, { body: { userId, platform: 'iOS' } });
    const revoked = await t.request('DELETE', `${path}/${created.body.id}`);
    assert.equal(revoked.status, 204);
    const shown = await t.request('GET', `${path}/${created.body.id}`);
    assert.ok(Date.parse(shown.body.revokedDateTime) <= Date.now());
    assert.equal((await t.request('DELETE', `${path}/${created.body.id}`)).status, 404);
  });

  it('refuses bad bodies with 400 naming the field, and writes nothing', async () => {
    const count = await t.count('enrollment_tokens');
    const cases: Array<[unknown, string]> = [
      [{ platform: 'iOS' }, 'userId'],
      [{ userId: 'not-a-uuid', platform: 'iOS' }, 'userId'],
      [{ userId: '00000000-0000-4000-8000-000000000000', platform: 'iOS' }, 'userId'],
      [{ userId, platform: 'macOS' }, 'platform'],
      [{ userId }, 'platform'],
      [{ userId, platform: 'iOS', maxDevices: 0 }, 'maxDevices'],
      [{ userId, platform: 'iOS', maxDevices: 101 }, 'maxDevices'],
      [{ userId, platform: 'iOS', maxDevices: 1.5 }, 'maxDevices'],
      [{ userId, platform: 'iOS', expirationDateTime: 'tomorrow' }, 'expirationDateTime'],
      [{ userId, platform: 'iOS', expirationDateTime: new Date(Date.now() - 1000).toISOString() }, 'expirationDateTime'],
      [{ userId, platform: 'iOS', expirationDateTime: new Date(Date.now() + 31 * dayMs).toISOString() }, 'expirationDateTime'],
      [{ userId, platform: 'iOS', token: 'mine' }, 'token'],
    ];
    for (const [body, field] of cases) {
      const reply = await t.request('POST', path, { body });
      assert.equal(reply.status, 400, JSON.stringify(body));
      assert.equal(reply.body.error.target, field, JSON.stringify(body));
    }
    assert.equal(await t.count('enrollment_tokens'), count);
  });

  it('needs a token (401), the admin role to create and revoke (403), and keeps tenants apart (404)', async () => {
    const created = await t.request('POST', path, { body: { userId, platform: 'iOS' } });
    const count = await t.count('enrollment_tokens');
    assert.equal((await t.request('POST', path, { body: { userId, platform: 'iOS' }, token: null })).status, 401);
    assert.equal((await t.request('GET', path, { token: null })).status, 401);
    const readOnly = await t.readOnlyToken();
    assert.equal((await t.request('POST', path, { body: { userId, platform: 'iOS' }, token: readOnly })).status, 403);
    assert.equal((await t.request('DELETE', `${path}/${created.body.id}`, { token: readOnly })).status, 403);
    assert.equal(await t.count('enrollment_tokens'), count);

    const other = await t.tenant('fabrikam');
    assert.equal((await t.request('GET', `${path}/${created.body.id}`, { token: other.admin })).status, 404);
    assert.equal((await t.request('DELETE', `${path}/${created.body.id}`, { token: other.admin })).status, 404);
    const theirs = await t.request('GET', path, { token: other.admin });
    assert.deepEqual(theirs.body.value, []);
    const foreignUser = await t.request('POST', path, { body: { userId, platform: 'iOS' }, token: other.admin });
    assert.equal(foreignUser.status, 400);
    assert.equal(foreignUser.body.error.target, 'userId');
    assert.equal((await t.request('GET', `${path}/${created.body.id}`)).body.revokedDateTime, null);
  });
});
