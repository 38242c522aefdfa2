import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { Writable } from 'node:stream';
import { createEnvelope, loggerOptions, type Envelope } from '../../src/main.ts';
import { openTestDb, type TestDb } from '../helpers/test-db.ts';

/** Structured request logs, and the promise that they never carry credentials. */
describe('server logs', () => {
  const lines: string[] = [];
  let envelope: Envelope;
  let testDb: TestDb;
  const token = `env_log_test_${randomBytes(24).toString('base64url')}`;

  before(async () => {
    testDb = await openTestDb();
    const sink = new Writable({
      write(chunk: Buffer, _encoding, done) {
        lines.push(...chunk.toString().split('\n').filter(Boolean));
        done();
      },
    });
    const options = loggerOptions('debug') as Record<string, unknown>;
    envelope = await createEnvelope({ db: testDb.db, secretKey: randomBytes(32), adminToken: token, logger: { ...options, stream: sink }, publicUrl: null });
  });
  after(async () => {
    await envelope.app.close();
    await testDb.dispose();
  });

  it('logs each request as JSON with method, URL and status, and never the bearer token', async () => {
    const headers = { authorization: `Bearer ${token}`, cookie: `session=${token}` };
    await envelope.app.inject({ method: 'GET', url: '/graph/beta/users', headers });
    await envelope.app.inject({ method: 'POST', url: '/graph/beta/users', headers, payload: { displayName: 'L', userPrincipalName: 'l@contoso.com' } });
    await envelope.app.inject({ method: 'GET', url: '/graph/beta/users', headers: { authorization: 'Bearer env_wrong-token-value' } });
    const entries = lines.map((line) => JSON.parse(line) as Record<string, unknown>);
    assert.ok(entries.some((e) => (e.req as { method?: string } | undefined)?.method === 'POST'));
    assert.ok(entries.some((e) => (e.res as { statusCode?: number } | undefined)?.statusCode === 201));
    assert.ok(entries.some((e) => (e.res as { statusCode?: number } | undefined)?.statusCode === 401));
    const all = lines.join('\n');
    assert.equal(all.includes(token), false, 'the admin token appears in the logs');
    assert.equal(all.includes('env_wrong-token-value'), false, 'a rejected token appears in the logs');
  });

  it('never logs a password sent in a Graph passwordProfile or a SCIM user, even at debug level', async () => {
    const password = 'Pa55-never-logged-7f3c';
    const headers = { authorization: `Bearer ${token}` };
    await envelope.app.inject({
      method: 'POST', url: '/graph/beta/users', headers,
      payload: { accountEnabled: true, displayName: 'P', mailNickname: 'p', userPrincipalName: 'p@contoso.com', passwordProfile: { password } },
    });
    const scim = (await envelope.services.tenants.createToken('default', 'scim')).token;
    const reply = await envelope.app.inject({
      method: 'POST', url: '/scim/v2/Users', headers: { authorization: `Bearer ${scim}`, 'content-type': 'application/scim+json' },
      payload: JSON.stringify({ userName: 'okta.p@contoso.com', password, active: true }),
    });
    assert.equal(reply.statusCode, 201);
    assert.equal(lines.join('\n').includes(password), false, 'a password appears in the logs');
  });
});
