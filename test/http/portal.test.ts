import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { createTestApp, type TestApp } from '../helpers/test-app.ts';

const dayMs = 24 * 3600 * 1000;
const secretOf = (url: string): string => url.slice(url.indexOf('#t=') + 3);

describe('company portal links and the portal API', () => {
  let t: TestApp;
  let ann: string;
  let bob: string;
  let annPhone: string;
  let bobPhone: string;
  let other: { admin: string; readOnly: string };
  let otherUser: string;
  let otherDevice: string;

  const device = async (userId: string, deviceName: string, token?: string): Promise<string> => {
    const reply = await t.request('POST', '/graph/beta/deviceManagement/managedDevices', { body: { deviceName, operatingSystem: 'iOS', osVersion: '18.1', userId }, ...(token ? { token } : {}) });
    assert.equal(reply.status, 201, JSON.stringify(reply.body));
    return reply.body.id;
  };
  const link = async (userId: string, body?: unknown, token?: string) =>
    t.request('POST', `/graph/beta/users/${userId}/envelope/portalLink`, { ...(body === undefined ? {} : { body }), ...(token ? { token } : {}) });
  const portal = (method: 'GET' | 'POST', url: string, token: string | null, body?: unknown) =>
    t.request(method, `/portal/api${url}`, { token, ...(body === undefined ? {} : { body }) });

  before(async () => {
    t = await createTestApp();
    ann = (await t.request('POST', '/graph/beta/users', { body: { displayName: 'Ann Lee', userPrincipalName: 'ann@contoso.com', mail: 'ann.lee@contoso.com' } })).body.id;
    bob = (await t.request('POST', '/graph/beta/users', { body: { displayName: 'Bob Roe', userPrincipalName: 'bob@contoso.com' } })).body.id;
    annPhone = await device(ann, 'Ann iPhone');
    bobPhone = await device(bob, 'Bob iPhone');
    other = await t.tenant('fabrikam');
    otherUser = (await t.request('POST', '/graph/beta/users', { body: { displayName: 'Eve', userPrincipalName: 'eve@fabrikam.com' }, token: other.admin })).body.id;
    otherDevice = await device(otherUser, 'Eve iPhone', other.admin);
  });
  after(() => t.close());

  it('issues a link once, as the URL with the secret in its fragment, stored only as SHA-256 and audited without it', async () => {
    const before = Date.now();
    const created = await link(ann);
    assert.equal(created.status, 201, JSON.stringify(created.body));
    assert.deepEqual(Object.keys(created.body).sort(), ['expirationDateTime', 'id', 'url', 'userId']);
    assert.match(created.body.url, /^https:\/\/envelope\.test\/portal#t=ptl_[A-Za-z0-9_-]{43}$/);
    const expiry = Date.parse(created.body.expirationDateTime);
    assert.ok(expiry >= before + 7 * dayMs && expiry <= Date.now() + 7 * dayMs, 'expires in 7 days by default');
    const secret = secretOf(created.body.url);
    const rows = await t.envelope.db.query<{ secret_hash: Uint8Array }>('SELECT secret_hash FROM portal_links WHERE id = $1', [created.body.id]);
    assert.deepEqual(Buffer.from(rows[0]!.secret_hash), createHash('sha256').update(secret).digest());
    const everything = JSON.stringify(await t.envelope.db.query('SELECT * FROM portal_links')) + JSON.stringify(await t.envelope.db.query('SELECT * FROM audit_events'));
    assert.equal(everything.includes(secret), false, 'the secret is stored nowhere, audit trail included');
    const audit = await t.request('GET', `/graph/beta/deviceManagement/auditEvents?$filter=resources/any(r:r/resourceId eq '${ann}')`);
    assert.equal(audit.status, 200);
    assert.ok(audit.body.value.some((e: { activityOperationType: string; activityResult: string }) => e.activityOperationType === 'Create' && e.activityResult === 'Success'), JSON.stringify(audit.body.value));
  });

  it('lists links without secrets (readOnly may), revokes one with DELETE, and a revoked link gets 401 at once', async () => {
    const created = await link(ann);
    const secret = secretOf(created.body.url);
    assert.equal((await portal('GET', '/me', secret)).status, 200);
    const list = await t.request('GET', `/graph/beta/users/${ann}/envelope/portalLinks`, { token: await t.readOnlyToken() });
    assert.equal(list.status, 200);
    const item = list.body.value.find((l: { id: string }) => l.id === created.body.id);
    assert.deepEqual(Object.keys(item).sort(), ['createdDateTime', 'expirationDateTime', 'id', 'lastUsedDateTime', 'revokedDateTime', 'userId']);
    assert.ok(item.lastUsedDateTime !== null, 'the use is recorded');
    assert.equal(JSON.stringify(list.body).includes(secret), false);

    assert.equal((await t.request('DELETE', `/graph/beta/users/${ann}/envelope/portalLinks/${created.body.id}`)).status, 204);
    const revoked = await portal('GET', '/me', secret);
    assert.equal(revoked.status, 401);
    assert.match(revoked.body.error.message, /revoked/);
    assert.equal((await t.request('DELETE', `/graph/beta/users/${ann}/envelope/portalLinks/${created.body.id}`)).status, 404, 'revoked already');
  });

  it('refuses readOnly writes, other tenants\' users and bad input, changing nothing', async () => {
    const readOnly = await t.readOnlyToken();
    const count = await t.count('portal_links');
    assert.equal((await link(ann, undefined, readOnly)).status, 403);
    assert.equal((await link(otherUser)).status, 404, "another tenant's user is not found");
    assert.equal((await t.request('GET', `/graph/beta/users/${otherUser}/envelope/portalLinks`)).status, 404);
    assert.equal((await link(ann, undefined, other.admin)).status, 404);
    const past = await link(ann, { expirationDateTime: new Date(Date.now() - 1000).toISOString() });
    assert.equal(past.status, 400);
    assert.equal(past.body.error.target, 'expirationDateTime');
    const far = await link(ann, { expirationDateTime: new Date(Date.now() + 31 * dayMs).toISOString() });
    assert.equal(far.status, 400);
    assert.equal(far.body.error.target, 'expirationDateTime');
    assert.equal((await link(ann, { expires: 3 })).status, 400);
    assert.equal((await link('not-a-uuid')).status, 400);
    assert.equal((await t.request('POST', `/graph/beta/users/${ann}/envelope/portalLink`, { token: null })).status, 401);
    assert.equal(await t.count('portal_links'), count, 'nothing was stored');
    const own = await link(ann);
    assert.equal((await t.request('DELETE', `/graph/beta/users/${ann}/envelope/portalLinks/${own.body.id}`, { token: readOnly })).status, 403);
    assert.equal((await t.request('DELETE', `/graph/beta/users/${bob}/envelope/portalLinks/${own.body.id}`)).status, 404, "another user's link");
    assert.equal((await t.request('DELETE', `/graph/beta/users/${ann}/envelope/portalLinks/${own.body.id}`, { token: other.admin })).status, 404);
  });

  it('takes a custom expiry, and an expired link gets 401 naming the expiry', async () => {
    const created = await link(ann, { expirationDateTime: new Date(Date.now() + 2 * dayMs).toISOString() });
    assert.equal(created.status, 201);
    assert.ok(Math.abs(Date.parse(created.body.expirationDateTime) - (Date.now() + 2 * dayMs)) < 60_000);
    await t.envelope.db.query("UPDATE portal_links SET created_at = now() - interval '3 days', expires_at = now() - interval '1 second' WHERE id = $1", [created.body.id]);
    const expired = await portal('GET', '/me', secretOf(created.body.url));
    assert.equal(expired.status, 401);
    assert.match(expired.body.error.message, /expired/);
  });

  it('answers only with a portal secret: none, unknown, or an admin API token get 401, and a portal secret gets 401 on /graph', async () => {
    const secret = secretOf((await link(ann)).body.url);
    assert.equal((await portal('GET', '/me', null)).status, 401);
    assert.equal((await portal('GET', '/me', 'ptl_not_a_real_secret_0000000000000000000000000')).status, 401);
    assert.equal((await portal('GET', '/me', t.adminToken)).status, 401, 'admin API tokens do not open the portal');
    assert.equal((await portal('POST', `/devices/${annPhone}/checkAgain`, t.adminToken)).status, 401);
    assert.equal((await t.request('GET', '/graph/beta/users', { token: secret })).status, 401, 'portal secrets do not open the admin API');
    assert.equal((await t.request('GET', '/graph/beta/envelope/currentToken', { token: secret })).status, 401);
  });

  it("shows the user's own devices only, and another user's or tenant's device is 404", async () => {
    const secret = secretOf((await link(ann)).body.url);
    const me = await portal('GET', '/me', secret);
    assert.equal(me.status, 200);
    assert.deepEqual(me.body.user, { displayName: 'Ann Lee', userPrincipalName: 'ann@contoso.com', mail: 'ann.lee@contoso.com' });
    assert.deepEqual(me.body.devices.map((d: { id: string }) => d.id), [annPhone]);
    assert.equal(me.body.devices[0].condition, 'none', 'no email profile targets it yet');
    assert.equal((await portal('GET', `/devices/${annPhone}`, secret)).status, 200);
    for (const id of [bobPhone, otherDevice, '00000000-0000-4000-8000-000000000000']) {
      assert.equal((await portal('GET', `/devices/${id}`, secret)).status, 404, id);
      assert.equal((await portal('POST', `/devices/${id}/checkAgain`, secret)).status, 404, id);
    }
    assert.equal((await portal('GET', '/devices/not-a-uuid', secret)).status, 400);
  });

  it('check again wakes the device and may be asked once a minute per device (429 with Retry-After)', async () => {
    const secret = secretOf((await link(ann)).body.url);
    await t.envelope.db.query('DELETE FROM wake_queue WHERE device_id = $1', [annPhone]);
    const first = await portal('POST', `/devices/${annPhone}/checkAgain`, secret);
    assert.equal(first.status, 202, JSON.stringify(first.body));
    assert.equal(first.body.retriedProfileCount, 0);
    const queued = await t.envelope.db.query<{ reason: string }>('SELECT reason FROM wake_queue WHERE device_id = $1', [annPhone]);
    assert.deepEqual(queued.map((r) => r.reason), ['portalCheckAgain']);
    const second = await portal('POST', `/devices/${annPhone}/checkAgain`, secretOf((await link(ann)).body.url));
    assert.equal(second.status, 429, 'the limit is per device, whichever link asks');
    assert.ok(Number(second.raw.headers['retry-after']) >= 1);
  });

  it('issues one-device enrollment links for the user, at most 3 unused at once', async () => {
    const secret = secretOf((await link(bob)).body.url);
    const bad = await portal('POST', '/enrollmentLinks', secret, { platform: 'Symbian' });
    assert.equal(bad.status, 400);
    assert.equal(await t.count('enrollment_tokens'), 0);
    for (const platform of ['iOS', 'Windows', 'Android']) {
      const issued = await portal('POST', '/enrollmentLinks', secret, { platform });
      assert.equal(issued.status, 201, JSON.stringify(issued.body));
      assert.equal(issued.body.maxDevices, 1);
      assert.match(issued.body.token, /^enr_/);
    }
    const tokens = await t.request('GET', `/graph/beta/envelope/enrollmentTokens?$filter=userId eq ${bob}`);
    assert.equal(tokens.body.value.length, 3, 'issued for the link\'s user');
    const fourth = await portal('POST', '/enrollmentLinks', secret, { platform: 'iOS' });
    assert.equal(fourth.status, 409);
    assert.equal(await t.count('enrollment_tokens'), 3);
    // A revoked token frees a place.
    assert.equal((await t.request('DELETE', `/graph/beta/envelope/enrollmentTokens/${tokens.body.value[0].id}`)).status, 204);
    assert.equal((await portal('POST', '/enrollmentLinks', secret, { platform: 'iOS' })).status, 201);
  });
});
