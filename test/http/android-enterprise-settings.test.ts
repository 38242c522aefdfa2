import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { serviceAccountKeyFile } from '../helpers/amapi-e2e.ts';
import { createTestApp, type TestApp } from '../helpers/test-app.ts';

const path = '/graph/beta/envelope/androidEnterpriseSettings';

describe('PUT/GET/DELETE /envelope/androidEnterpriseSettings', () => {
  let t: TestApp;
  const key = serviceAccountKeyFile();
  before(async () => {
    t = await createTestApp();
  });
  after(async () => {
    await t?.close();
  });

  it('stores the enterprise and key sealed, shows the Pub/Sub push token once, and never returns the key', async () => {
    const put = await t.request('PUT', path, { body: { enterpriseName: 'enterprises/LC01abc', serviceAccountKey: key.json } });
    assert.equal(put.status, 200, JSON.stringify(put.body));
    assert.equal(put.body.clientEmail, key.clientEmail);
    assert.equal(put.body.projectId, 'contoso-emm');
    assert.equal(put.body.mailAppInstallType, 'AVAILABLE');
    assert.match(put.body.pubsubPushToken, /^aeps_/);
    assert.equal(put.body.pubsubPushUrl, `https://envelope.test/mdm/android/enterprise/pubsub?token=${put.body.pubsubPushToken}`);
    // 1,000 patches per 104 s (the window plus the two slots of the shared count, decision 0033): 10,400 s.
    assert.deepEqual(put.body.quota, { queriesPer100Seconds: 1000, hoursToPatch100000Devices: 2.9 });
    const stored = await t.envelope.db.query<{ sealed_service_account_key: Uint8Array }>('SELECT sealed_service_account_key FROM android_enterprise_settings');
    assert.ok(!Buffer.from(stored[0]!.sealed_service_account_key).toString('latin1').includes('PRIVATE KEY'), 'sealed at rest');

    const again = await t.request('PUT', path, { body: { enterpriseName: 'enterprises/LC01abc', serviceAccountKey: key.json, mailAppInstallType: 'FORCE_INSTALLED' } });
    assert.equal(again.status, 200);
    assert.equal(again.body.pubsubPushToken, null, 'the token is kept, not shown again');
    assert.equal(again.body.mailAppInstallType, 'FORCE_INSTALLED');
    const got = await t.request('GET', path);
    assert.equal(got.status, 200);
    for (const body of [put.body, again.body, got.body]) assert.ok(!JSON.stringify(body).includes('PRIVATE KEY'));
  });

  it('names the field of what is wrong and changes nothing', async () => {
    const before = JSON.stringify((await t.request('GET', path)).body);
    const cases: [Record<string, unknown>, string][] = [
      [{ enterpriseName: 'LC01abc', serviceAccountKey: key.json }, 'enterpriseName'],
      [{ enterpriseName: 'enterprises/LC01abc', serviceAccountKey: 'not json' }, 'serviceAccountKey'],
      [{ enterpriseName: 'enterprises/LC01abc', serviceAccountKey: JSON.stringify({ ...JSON.parse(key.json), type: 'authorized_user' }) }, 'serviceAccountKey'],
      [{ enterpriseName: 'enterprises/LC01abc', serviceAccountKey: JSON.stringify({ ...JSON.parse(key.json), private_key: 'nope' }) }, 'serviceAccountKey'],
      [{ enterpriseName: 'enterprises/LC01abc', serviceAccountKey: key.json, mailAppInstallType: 'BLOCKED' }, 'mailAppInstallType'],
    ];
    for (const [body, field] of cases) {
      const reply = await t.request('PUT', path, { body });
      assert.equal(reply.status, 400, JSON.stringify(reply.body));
      assert.match(JSON.stringify(reply.body), new RegExp(field));
      assert.ok(!JSON.stringify(reply.body).includes('PRIVATE KEY'), 'the key is not echoed');
    }
    assert.equal(JSON.stringify((await t.request('GET', path)).body), before);
  });

  it('is admin-only to change and tenant-scoped', async () => {
    const readOnly = await t.readOnlyToken();
    assert.equal((await t.request('PUT', path, { body: { enterpriseName: 'enterprises/LC01abc', serviceAccountKey: key.json }, token: readOnly })).status, 403);
    assert.equal((await t.request('DELETE', path, { token: readOnly })).status, 403);
    const other = await t.tenant('other');
    assert.equal((await t.request('GET', path, { token: other.admin })).status, 404);
    assert.equal((await t.request('GET', path, { token: null })).status, 401);
  });

  it('deletes the settings', async () => {
    assert.equal((await t.request('DELETE', path)).status, 204);
    assert.equal((await t.request('GET', path)).status, 404);
  });
});
