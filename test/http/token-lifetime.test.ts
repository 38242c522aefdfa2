import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createTestApp, type TestApp } from '../helpers/test-app.ts';
import { TenantService } from '../../src/services/auth/tenant-service.ts';
import { TenantStore } from '../../src/store/postgres/tenant-store.ts';

/** Token expiry and last-used times (all roles), through the API and a service on a controlled clock. */
describe('token expiry and last use', () => {
  let t: TestApp;
  let now: Date;
  let tenants: TenantService;

  before(async () => {
    t = await createTestApp();
    now = new Date('2026-11-30T10:00:00.000Z');
    tenants = new TenantService(new TenantStore(t.envelope.db), () => now);
  });
  after(async () => t.close());

  const lastUsed = async (id: string) => (await tenants.listTokens('default')).find((token) => token.id === id)!.lastUsedDateTime;

  it('records the first use, writes again only a minute later, and shows both when listing tokens', async () => {
    const issued = await tenants.createToken('default', 'readOnly', 'helpdesk');
    assert.equal(await lastUsed(issued.tokenId), null);
    await tenants.authenticate(`Bearer ${issued.token}`);
    assert.equal(await lastUsed(issued.tokenId), '2026-11-30T10:00:00.000Z');
    now = new Date('2026-11-30T10:00:59.000Z');
    await tenants.authenticate(`Bearer ${issued.token}`);
    assert.equal(await lastUsed(issued.tokenId), '2026-11-30T10:00:00.000Z', 'no write within the minute');
    now = new Date('2026-11-30T10:01:00.000Z');
    await tenants.authenticate(`Bearer ${issued.token}`);
    assert.equal(await lastUsed(issued.tokenId), '2026-11-30T10:01:00.000Z');
  });

  it('marks a token used by an API request', async () => {
    const issued = await t.envelope.services.tenants.createToken('default', 'admin', 'api');
    assert.equal((await t.request('GET', '/graph/beta/users', { token: issued.token })).status, 200);
    assert.notEqual(await lastUsed(issued.tokenId), null);
  });

  it('refuses a token from the moment it expires with 401 naming the expiry', async () => {
    now = new Date('2026-11-30T12:00:00.000Z');
    const issued = await tenants.createToken('default', 'admin', 'one day', '1');
    assert.equal(issued.expirationDateTime, '2026-12-01T12:00:00.000Z');
    assert.equal((await tenants.listTokens('default')).find((token) => token.id === issued.tokenId)!.expirationDateTime, '2026-12-01T12:00:00.000Z');
    now = new Date('2026-12-01T11:59:59.999Z');
    assert.equal((await tenants.authenticate(`Bearer ${issued.token}`)).tokenId, issued.tokenId);
    now = new Date('2026-12-01T12:00:00.000Z');
    await assert.rejects(tenants.authenticate(`Bearer ${issued.token}`), (error: Error & { status?: number }) => {
      assert.equal(error.status, 401);
      assert.match(error.message, /expired at 2026-12-01T12:00:00.000Z/);
      return true;
    });
  });

  it('refuses a lifetime that is not 1 to 3650 whole days, and an unknown role, issuing nothing', async () => {
    const before = (await tenants.listTokens('default')).length;
    for (const days of ['0', '3651', '1.5', 'ten', '-1']) {
      await assert.rejects(tenants.createToken('default', 'admin', '', days), (error: Error & { target?: string }) => error.target === 'expires');
    }
    await assert.rejects(tenants.createToken('default', 'owner'), /use admin, readOnly or scim/);
    assert.equal((await tenants.listTokens('default')).length, before);
  });
});
