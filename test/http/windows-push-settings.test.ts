import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { SecretBox } from '../../src/services/secrets/secret-box.ts';
import { createTestApp, type TestApp } from '../helpers/test-app.ts';

const path = '/graph/beta/envelope/windowsPushSettings';
const sid = 'S-1-15-2-2972962901-2322836549-3722629029-1345238579-3987825745-2155616079-650196962';
const secret = 'Vex8L9WOFZuj95euaLrvSH7XyoDhLJc7';

describe('the Windows push settings (WNS Package SID and client secret)', () => {
  let t: TestApp;
  before(async () => {
    t = await createTestApp();
  });
  after(() => t.close());

  const rows = () => t.envelope.db.query<{ tenant_id: string; package_sid: string; sealed_client_secret: Uint8Array; version: number }>('SELECT tenant_id, package_sid, sealed_client_secret, version FROM windows_push_settings');

  it('are 404 before they are set', async () => {
    const reply = await t.request('GET', path);
    assert.equal(reply.status, 404);
    assert.equal(reply.body.error.code, 'ResourceNotFound');
  });

  it('are stored with the SID in its ms-app:// form and the secret sealed for the tenant, and shown without the secret', async () => {
    const reply = await t.request('PUT', path, { body: { packageSid: sid, clientSecret: secret } });
    assert.equal(reply.status, 200, JSON.stringify(reply.body));
    assert.deepEqual(Object.keys(reply.body).sort(), ['packageFamilyName', 'packageSid', 'updatedDateTime']);
    assert.equal(reply.body.packageSid, `ms-app://${sid}`);
    assert.equal(reply.body.packageFamilyName, null);
    assert.ok(Math.abs(Date.parse(reply.body.updatedDateTime) - Date.now()) < 60_000);
    const shown = await t.request('GET', path, { token: await t.readOnlyToken() });
    assert.equal(shown.status, 200);
    assert.deepEqual(shown.body, reply.body);
    assert.equal(shown.raw.body.includes(secret), false);

    const [row] = await rows();
    assert.equal(row!.package_sid, `ms-app://${sid}`);
    const sealed = Buffer.from(row!.sealed_client_secret);
    assert.equal(sealed.includes(Buffer.from(secret)), false, 'no secret in clear');
    const dump = JSON.stringify(await t.envelope.db.query('SELECT * FROM windows_push_settings'));
    assert.equal(dump.includes(secret), false);
    assert.equal(new SecretBox(t.secretKey).open(sealed, `tenant:${row!.tenant_id}:windowsPushClientSecret`).toString('utf8'), secret);
    assert.throws(() => new SecretBox(t.secretKey).open(sealed, 'tenant:other:windowsPushClientSecret'));
  });

  it('accept the SID with its ms-app:// prefix, keep one form, and change version on every PUT', async () => {
    const [before] = await rows();
    const reply = await t.request('PUT', path, { body: { packageSid: `ms-app://${sid}`, clientSecret: 'a-new-secret' } });
    assert.equal(reply.status, 200);
    assert.equal(reply.body.packageSid, `ms-app://${sid}`);
    const [after] = await rows();
    const withPfn = await t.request('PUT', path, { body: { packageSid: sid, clientSecret: 'a-new-secret', packageFamilyName: 'Contoso.EnvelopePush_8wekyb3d8bbwe' } });
    assert.equal(withPfn.status, 200, JSON.stringify(withPfn.body));
    assert.equal(withPfn.body.packageFamilyName, 'Contoso.EnvelopePush_8wekyb3d8bbwe');
    assert.equal((await t.request('GET', path)).body.packageFamilyName, 'Contoso.EnvelopePush_8wekyb3d8bbwe');
    assert.notEqual(after!.version, before!.version);
    assert.equal(await t.count('windows_push_settings'), 1);
  });

  it('refuse what is not a Package SID or a secret with 400 naming the field, changing nothing', async () => {
    const before = await rows();
    const cases: Array<[unknown, string]> = [
      [{ packageSid: 'S-1-5-21-1004336348-1177238915-682003330-512', clientSecret: secret }, 'packageSid'],
      [{ packageSid: 'ms-app://', clientSecret: secret }, 'packageSid'],
      [{ packageSid: 'https://db5p.notify.windows.com/', clientSecret: secret }, 'packageSid'],
      [{ packageSid: '', clientSecret: secret }, 'packageSid'],
      [{ packageSid: 42, clientSecret: secret }, 'packageSid'],
      [{ clientSecret: secret }, 'packageSid'],
      [{ packageSid: sid }, 'clientSecret'],
      [{ packageSid: sid, clientSecret: '' }, 'clientSecret'],
      [{ packageSid: sid, clientSecret: '   ' }, 'clientSecret'],
      [{ packageSid: sid, clientSecret: 'line\nbreak' }, 'clientSecret'],
      [{ packageSid: sid, clientSecret: 'x'.repeat(1025) }, 'clientSecret'],
      [{ packageSid: sid, clientSecret: secret, accessToken: 'EgAcAQMAAAAALYAAY' }, 'accessToken'],
      [{ packageSid: sid, clientSecret: secret, packageFamilyName: 'Contoso.EnvelopePush' }, 'packageFamilyName'],
      [{ packageSid: sid, clientSecret: secret, packageFamilyName: 'a_b' }, 'packageFamilyName'],
      [{ packageSid: sid, clientSecret: secret, packageFamilyName: 7 }, 'packageFamilyName'],
    ];
    for (const [body, field] of cases) {
      const reply = await t.request('PUT', path, { body });
      assert.equal(reply.status, 400, JSON.stringify(body));
      assert.equal(reply.body.error.target, field, JSON.stringify(reply.body));
      assert.equal(JSON.stringify(reply.body).includes(secret), false);
    }
    assert.deepEqual(await rows(), before);
  });

  it('need a token (401), the admin role to change (403), and belong to one tenant', async () => {
    const body = { packageSid: sid, clientSecret: secret };
    assert.equal((await t.request('PUT', path, { body, token: null })).status, 401);
    assert.equal((await t.request('GET', path, { token: null })).status, 401);
    assert.equal((await t.request('DELETE', path, { token: null })).status, 401);
    const readOnly = await t.readOnlyToken();
    assert.equal((await t.request('PUT', path, { body, token: readOnly })).status, 403);
    assert.equal((await t.request('DELETE', path, { token: readOnly })).status, 403);

    const other = await t.tenant('fabrikam');
    assert.equal((await t.request('GET', path, { token: other.admin })).status, 404, "another tenant does not see this tenant's settings");
    assert.equal((await t.request('DELETE', path, { token: other.admin })).status, 204);
    assert.equal(await t.count('windows_push_settings'), 1, "another tenant's DELETE removed nothing here");
    const theirs = await t.request('PUT', path, { body: { packageSid: 'S-1-15-2-1-2-3-4-5-6-7', clientSecret: 'theirs' }, token: other.admin });
    assert.equal(theirs.status, 200);
    assert.equal((await t.request('GET', path)).body.packageSid, `ms-app://${sid}`, 'each tenant keeps its own');
    assert.equal(await t.count('windows_push_settings'), 2);
  });

  it('are removed by DELETE (204, again 204), then 404, and can be set again with a new version', async () => {
    const [first] = await rows();
    assert.equal((await t.request('DELETE', path)).status, 204);
    assert.equal((await t.request('DELETE', path)).status, 204);
    assert.equal((await t.request('GET', path)).status, 404);
    assert.equal((await t.request('PUT', path, { body: { packageSid: sid, clientSecret: secret } })).status, 200);
    const again = (await rows()).find((row) => row.tenant_id === first!.tenant_id);
    assert.ok(again!.version > first!.version, 'a re-created row never reuses a version a server process may have cached');
  });
});
