import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createTestApp, type Reply, type TestApp } from '../helpers/test-app.ts';
import { ConsoleAccountService, hashPassword, verifyPassword } from '../../src/services/auth/console-accounts.ts';
import { ConsoleAccountStore } from '../../src/store/postgres/console-account-store.ts';
import { TenantService } from '../../src/services/auth/tenant-service.ts';
import { TenantStore } from '../../src/store/postgres/tenant-store.ts';

const accountsPath = '/graph/beta/envelope/consoleAccounts';
const sessionPath = '/graph/beta/envelope/consoleSession';
const password = 'correct horse battery staple';

describe('console accounts and console sign-in', () => {
  let t: TestApp;

  before(async () => {
    t = await createTestApp();
  });
  after(async () => t.close());

  /** POST consoleSession from `address` (no bearer token). */
  async function signIn(body: Record<string, unknown>, address = '192.0.2.1'): Promise<Reply> {
    const raw = await t.envelope.app.inject({ method: 'POST', url: sessionPath, payload: body, remoteAddress: address });
    return { status: raw.statusCode, body: raw.body ? JSON.parse(raw.body) : undefined, raw };
  }

  async function create(userName: string, role: string, token?: string): Promise<Reply> {
    return t.request('POST', accountsPath, { body: { userName, role, password }, ...(token === undefined ? {} : { token }) });
  }

  it('creates an account whose password is stored only as a salted scrypt hash and never returned or audited', async () => {
    const created = await create('Alice', 'admin');
    assert.equal(created.status, 201, JSON.stringify(created.body));
    assert.deepEqual(Object.keys(created.body).sort(), ['createdDateTime', 'id', 'lastSignInDateTime', 'lockedUntilDateTime', 'role', 'userName']);
    assert.equal(created.body.userName, 'Alice');
    const [row] = await t.envelope.db.query<{ password_hash: string }>('SELECT password_hash FROM console_accounts WHERE id = $1', [created.body.id]);
    assert.match(row!.password_hash, /^scrypt\$32768\$8\$1\$[A-Za-z0-9+/=]{24}\$[A-Za-z0-9+/=]{44}$/);
    assert.ok(!row!.password_hash.includes(password));
    assert.equal(await verifyPassword(password, row!.password_hash), true);
    assert.equal(await verifyPassword(`${password}!`, row!.password_hash), false);
    assert.notEqual(await hashPassword(password), await hashPassword(password), 'a fresh salt per hash');
    const listed = await t.request('GET', accountsPath);
    assert.ok(!JSON.stringify(listed.body).includes('scrypt'));
    const audit = JSON.stringify(await t.envelope.db.query("SELECT * FROM audit_events WHERE activity LIKE '%consoleAccounts%'"));
    assert.match(audit, /consoleAccounts/);
    assert.ok(!audit.includes(password), 'the audit trail never holds the password');
  });

  it('refuses a bad name, role or password with 400 naming the field, and a taken name in any case with 409, creating nothing', async () => {
    const before = await t.count('console_accounts');
    const cases: [Record<string, unknown>, string][] = [
      [{ userName: 'has space', role: 'admin', password }, 'userName'],
      [{ userName: 'bob', role: 'owner', password }, 'role'],
      [{ userName: 'bob', role: 'admin', password: 'short' }, 'password'],
    ];
    for (const [body, field] of cases) {
      const reply = await t.request('POST', accountsPath, { body });
      assert.equal(reply.status, 400, JSON.stringify(reply.body));
      assert.equal(reply.body.error.target, field);
    }
    assert.equal((await t.request('POST', accountsPath, { body: { userName: 'bob', role: 'admin' } })).status, 400);
    const taken = await create('ALICE', 'readOnly');
    assert.equal(taken.status, 409);
    assert.equal(await t.count('console_accounts'), before);
  });

  it('lets only admins create and delete accounts, and keeps every tenant to its own accounts', async () => {
    const readOnly = await t.readOnlyToken();
    assert.equal((await create('carol', 'admin', readOnly)).status, 403);
    assert.equal((await t.request('GET', accountsPath, { token: null })).status, 401);
    assert.equal((await t.request('POST', accountsPath, { body: { userName: 'carol', role: 'admin', password }, token: null })).status, 401);
    const other = await t.tenant('contoso');
    const theirs = await create('dave', 'admin', other.admin);
    assert.equal(theirs.status, 201);
    assert.equal((await t.request('GET', `${accountsPath}/${theirs.body.id}`)).status, 404);
    assert.equal((await t.request('DELETE', `${accountsPath}/${theirs.body.id}`)).status, 404);
    assert.ok(!(await t.request('GET', accountsPath)).body.value.some((a: { userName: string }) => a.userName === 'dave'));
    assert.equal((await t.request('GET', accountsPath, { token: readOnly })).status, 200);
    assert.equal((await t.request('GET', `${accountsPath}/${theirs.body.id}`, { token: other.readOnly })).body.userName, 'dave');
    assert.equal((await t.request('DELETE', `${accountsPath}/${theirs.body.id}`, { token: other.readOnly })).status, 403);
    // Sign-in is per tenant too: dave is not an account of the default tenant.
    assert.equal((await signIn({ userName: 'dave', password }, '192.0.2.50')).status, 401);
    const there = await signIn({ tenant: 'contoso', userName: 'dave', password }, '192.0.2.50');
    assert.equal(there.status, 200);
    assert.equal((await t.request('GET', '/graph/beta/users', { token: there.body.token })).status, 200);
  });

  it('exchanges the user name (any case) and password for a session token with the account\'s role, used like any token', async () => {
    const reply = await signIn({ userName: 'alice', password });
    assert.equal(reply.status, 200, JSON.stringify(reply.body));
    assert.deepEqual(Object.keys(reply.body).sort(), ['expirationDateTime', 'role', 'token', 'tokenId', 'userName']);
    assert.equal(reply.body.role, 'admin');
    assert.equal(reply.raw.headers['cache-control'], 'no-store');
    const hours = (Date.parse(reply.body.expirationDateTime) - Date.now()) / 3_600_000;
    assert.ok(hours > 7.9 && hours <= 8, `session lasts 8 hours, not ${hours}`);
    const me = await t.request('GET', '/graph/beta/envelope/currentToken', { token: reply.body.token });
    assert.deepEqual(me.body, { id: reply.body.tokenId, role: 'admin' });
    const [event] = await t.envelope.db.query<{ actor_token_id: string; activity_type: string; category: string; modified_properties: unknown }>(
      "SELECT actor_token_id, activity_type, category, modified_properties FROM audit_events WHERE activity LIKE 'POST %consoleSession' AND status_code = 200 ORDER BY created_at DESC LIMIT 1",
    );
    assert.equal(event!.actor_token_id, reply.body.tokenId, 'the sign-in is audited as the session it created');
    assert.deepEqual([event!.activity_type, event!.category], ['Create ConsoleSession', 'ConsoleAccounts']);
    assert.ok(!JSON.stringify(event).includes(reply.body.token) && !JSON.stringify(event).includes(password));
  });

  it('gives a readOnly account a readOnly session that may read but not write', async () => {
    assert.equal((await create('helpdesk', 'readOnly')).status, 201);
    const session = await signIn({ userName: 'helpdesk', password });
    assert.equal(session.body.role, 'readOnly');
    assert.equal((await t.request('GET', '/graph/beta/users', { token: session.body.token })).status, 200);
    const write = await t.request('POST', '/graph/beta/users', { body: { displayName: 'X', userPrincipalName: 'x@contoso.com' }, token: session.body.token });
    assert.equal(write.status, 403);
    assert.equal((await create('eve', 'admin', session.body.token)).status, 403);
  });

  it('answers a wrong password, an unknown name and an unknown tenant with the same 401, naming neither part', async () => {
    const replies = [
      await signIn({ userName: 'alice', password: 'wrong password here' }, '192.0.2.2'),
      await signIn({ userName: 'nobody', password }, '192.0.2.2'),
      await signIn({ tenant: 'nowhere', userName: 'alice', password }, '192.0.2.2'),
    ];
    for (const reply of replies) {
      assert.equal(reply.status, 401);
      assert.deepEqual(reply.body, { error: { code: 'InvalidAuthenticationToken', message: 'The user name or password is not correct.' } });
    }
    const missing = await signIn({ userName: 'alice' }, '192.0.2.2');
    assert.equal(missing.status, 400);
  });

  it('locks an account after five failed sign-ins (429 with Retry-After, even with the right password) and ends its sessions when it is deleted', async () => {
    const created = await create('frank', 'admin');
    const session = await signIn({ userName: 'frank', password }, '192.0.2.3');
    assert.equal(session.status, 200);
    for (let i = 0; i < 5; i++) assert.equal((await signIn({ userName: 'frank', password: `wrong ${i} password` }, '192.0.2.3')).status, 401);
    const locked = await signIn({ userName: 'frank', password }, '192.0.2.4');
    assert.equal(locked.status, 429);
    assert.match(locked.body.error.message, /Too many failed sign-ins/);
    const retryAfter = Number(locked.raw.headers['retry-after']);
    assert.ok(retryAfter > 800 && retryAfter <= 900, `Retry-After ${retryAfter}`);
    assert.ok((await t.request('GET', `${accountsPath}/${created.body.id}`)).body.lockedUntilDateTime);
    // Another account is not affected.
    assert.equal((await signIn({ userName: 'alice', password }, '192.0.2.4')).status, 200);
    assert.equal((await t.request('GET', '/graph/beta/users', { token: session.body.token })).status, 200);
    assert.equal((await t.request('DELETE', `${accountsPath}/${created.body.id}`)).status, 204);
    assert.equal((await t.request('GET', '/graph/beta/users', { token: session.body.token })).status, 401);
  });

  it('refuses an address after twenty failed sign-ins in fifteen minutes, whichever names it tries', async () => {
    for (let i = 0; i < 20; i++) assert.equal((await signIn({ userName: `guess${i}`, password }, '198.51.100.7')).status, 401);
    const refused = await signIn({ userName: 'alice', password }, '198.51.100.7');
    assert.equal(refused.status, 429);
    assert.equal((await signIn({ userName: 'alice', password }, '198.51.100.8')).status, 200, 'other addresses still sign in');
  });

  it('unlocks an account when its lock ends and expires a session after eight hours (controlled clock)', async () => {
    let now = new Date('2026-11-30T10:00:00.000Z');
    const store = new TenantStore(t.envelope.db);
    const accounts = new ConsoleAccountService({ store: new ConsoleAccountStore(t.envelope.db), tenants: store, now: () => now });
    const tenants = new TenantService(store, () => now);
    const tenantId = (await store.findDefault())!.id;
    await accounts.create(tenantId, { userName: 'grace', role: 'readOnly', password });
    const address = `203.0.113.${Math.floor(Math.random() * 200) + 1}`;
    for (let i = 0; i < 5; i++) await assert.rejects(accounts.signIn({ userName: 'grace', password: 'not the password', address }), { status: 401 });
    await assert.rejects(accounts.signIn({ userName: 'grace', password, address }), { status: 429 });
    now = new Date('2026-11-30T10:14:59.999Z');
    await assert.rejects(accounts.signIn({ userName: 'grace', password, address }), { status: 429 });
    now = new Date('2026-11-30T10:15:00.000Z');
    const session = await accounts.signIn({ userName: 'grace', password, address });
    assert.equal(session.expirationDateTime, '2026-11-30T18:15:00.000Z');
    now = new Date('2026-11-30T18:14:59.999Z');
    assert.equal((await tenants.authenticate(`Bearer ${session.token}`)).role, 'readOnly');
    now = new Date('2026-11-30T18:15:00.000Z');
    await assert.rejects(tenants.authenticate(`Bearer ${session.token}`), { status: 401 });
    // A success starts the count over: four more failures do not lock.
    for (let i = 0; i < 4; i++) await assert.rejects(accounts.signIn({ userName: 'grace', password: 'not the password', address }), { status: 401 });
    assert.equal((await accounts.signIn({ userName: 'grace', password, address })).role, 'readOnly');
  });

  it('counts concurrent failures of two server processes exactly and locks the account once the limit is passed', async () => {
    const store = new TenantStore(t.envelope.db);
    const tenantId = (await store.findDefault())!.id;
    // Two services on one database, as two Envelope processes share one PostgreSQL.
    const processes = [0, 1].map(() => new ConsoleAccountService({ store: new ConsoleAccountStore(t.envelope.db), tenants: store }));
    await processes[0]!.create(tenantId, { userName: 'henry', role: 'admin', password });
    const address = '203.0.113.250';
    const attempts = Array.from({ length: 8 }, (_, i) => processes[i % 2]!.signIn({ userName: 'henry', password: `wrong guess ${i}`, address }));
    const outcomes = await Promise.allSettled(attempts);
    assert.ok(outcomes.every((o) => o.status === 'rejected' && [401, 429].includes((o.reason as { status: number }).status)));
    const [row] = await t.envelope.db.query<{ failed_attempts: number; locked_until: Date | null }>("SELECT failed_attempts, locked_until FROM console_accounts WHERE user_name = 'henry'");
    const failed = outcomes.filter((o) => o.status === 'rejected' && (o.reason as { status: number }).status === 401).length;
    assert.equal(row!.failed_attempts, failed, 'every refused password counted once');
    assert.ok(row!.locked_until, 'locked');
    const [byAddress] = await t.envelope.db.query<{ failures: number }>('SELECT failures FROM console_sign_in_failures WHERE address = $1', [address]);
    assert.equal(byAddress!.failures, failed);
    await assert.rejects(processes[1]!.signIn({ userName: 'henry', password, address: '203.0.113.251' }), { status: 429 });
  });
});
