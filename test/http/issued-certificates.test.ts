import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createTestApp, type TestApp } from '../helpers/test-app.ts';
import { IssuedIdentityStore } from '../../src/store/postgres/issued-identity-store.ts';

const path = '/graph/beta/envelope/issuedCertificates';

/** `/envelope/issuedCertificates`: what the tenant CA issued to devices, paged and tenant-scoped, never a key. */
describe('issued certificates (Envelope extension)', () => {
  let t: TestApp;
  let tenantId: string;
  let userId: string;
  let profileId: string;
  const deviceIds: string[] = [];

  before(async () => {
    t = await createTestApp();
    tenantId = (await t.envelope.db.query<{ id: string }>('SELECT id FROM tenants WHERE is_default'))[0]!.id;
    userId = (await t.request('POST', '/graph/beta/users', { body: { displayName: 'Bo', userPrincipalName: 'bo@contoso.com' } })).body.id;
    const profile = await t.request('POST', '/graph/beta/deviceManagement/deviceConfigurations', {
      body: { '@odata.type': '#microsoft.graph.iosPkcsCertificateProfile', displayName: 'Mail identity', subjectAlternativeNameType: 'userPrincipalName' },
    });
    assert.equal(profile.status, 201, JSON.stringify(profile.body));
    profileId = profile.body.id;
    const store = new IssuedIdentityStore(t.envelope.db);
    for (const [i, name] of ['Bo iPhone', 'Bo iPad', 'Bo Mac'].entries()) {
      const device = await t.request('POST', '/graph/beta/deviceManagement/managedDevices', { body: { deviceName: name, operatingSystem: 'iOS', osVersion: '18.1', userId } });
      assert.equal(device.status, 201, JSON.stringify(device.body));
      deviceIds.push(device.body.id);
      await store.put({ tenantId, deviceId: device.body.id, profileId, profileVersion: 1, userId }, {
        sealedPkcs12: Buffer.from('sealed file'), sealedPassword: Buffer.from('sealed password'), certificateDer: Buffer.from([0x30, i]),
        serialNumber: `0a0${i}`, notBefore: new Date('2026-11-01T00:00:00Z'), notAfter: new Date('2027-11-01T00:00:00Z'),
      }, null);
    }
  });
  after(async () => t.close());

  it('lists each issued certificate with its device, user, profile and validity, and nothing secret', async () => {
    const reply = await t.request('GET', path);
    assert.equal(reply.status, 200, JSON.stringify(reply.body));
    assert.equal(reply.body.value.length, 3);
    const first = reply.body.value.find((c: { deviceId: string }) => c.deviceId === deviceIds[0]);
    assert.deepEqual({ ...first, id: undefined, issuedDateTime: undefined }, {
      id: undefined, issuedDateTime: undefined, deviceId: deviceIds[0], deviceName: 'Bo iPhone', userId, userPrincipalName: 'bo@contoso.com',
      profileId, profileDisplayName: 'Mail identity', profileVersion: 1, serialNumber: '0a00',
      notBefore: '2026-11-01T00:00:00.000Z', notAfter: '2027-11-01T00:00:00.000Z',
    });
    assert.ok(!/sealed/.test(reply.raw.body));
  });

  it('pages with $top and @odata.nextLink, each certificate once, and filters by device', async () => {
    const seen: string[] = [];
    let url: string | undefined = `${path}?$top=2`;
    while (url) {
      const page = await t.request('GET', url);
      assert.equal(page.status, 200);
      assert.ok(page.body.value.length <= 2);
      seen.push(...page.body.value.map((c: { serialNumber: string }) => c.serialNumber));
      const next: string | undefined = page.body['@odata.nextLink'];
      url = next?.replace('https://envelope.test', '');
    }
    assert.deepEqual(seen.sort(), ['0a00', '0a01', '0a02']);
    const one = await t.request('GET', `${path}?$filter=deviceId eq '${deviceIds[1]}'`);
    assert.deepEqual(one.body.value.map((c: { deviceName: string }) => c.deviceName), ['Bo iPad']);
    assert.equal((await t.request('GET', `${path}?$filter=privateKey eq 'x'`)).status, 400);
  });

  it('is readable by readOnly tokens, not without a token, and shows another tenant nothing', async () => {
    assert.equal((await t.request('GET', path, { token: await t.readOnlyToken() })).body.value.length, 3);
    assert.equal((await t.request('GET', path, { token: null })).status, 401);
    const other = await t.tenant('fabrikam');
    const theirs = await t.request('GET', path, { token: other.admin });
    assert.equal(theirs.status, 200);
    assert.deepEqual(theirs.body.value, []);
    assert.deepEqual((await t.request('GET', `${path}?$filter=deviceId eq '${deviceIds[0]}'`, { token: other.readOnly })).body.value, []);
  });
});
