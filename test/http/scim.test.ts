import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createTestApp, type TestApp } from '../helpers/test-app.ts';
import { entraIdSequence, oktaSequence, type ScimStep } from '../fixtures/scim/provisioning-sequences.ts';

interface ScimReply {
  status: number;
  contentType: string;
  body: any; // eslint-disable-line @typescript-eslint/no-explicit-any -- test assertions read arbitrary JSON
}

const patchOp = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';

/** The value at a dotted path (`emails.0.value`, `members.length`); keys may contain colons (extension URNs). */
function at(value: unknown, path: string): unknown {
  const urn = /^(urn:.*:(?:User|Group))(?:\.(.*))?$/.exec(path);
  if (urn) return urn[2] === undefined ? (value as Record<string, unknown>)[urn[1]!] : at((value as Record<string, unknown>)[urn[1]!], urn[2]);
  return path.split('.').reduce<unknown>((v, key) => (v === undefined || v === null ? undefined : (v as Record<string, unknown>)[key]), value);
}

describe('SCIM 2.0 provisioning (/scim/v2)', () => {
  let t: TestApp;
  let scimToken: string;

  async function scim(method: string, url: string, options: { body?: unknown; token?: string | null; contentType?: string } = {}): Promise<ScimReply> {
    const token = options.token === undefined ? scimToken : options.token;
    const raw = await t.envelope.app.inject({
      method: method as 'GET',
      url: `/scim/v2${url}`.replace(/ /g, '%20').replace(/"/g, '%22'),
      headers: {
        ...(token === null ? {} : { authorization: `Bearer ${token}` }),
        ...(options.body === undefined ? {} : { 'content-type': options.contentType ?? 'application/scim+json' }),
      },
      ...(options.body === undefined ? {} : { payload: typeof options.body === 'string' ? options.body : JSON.stringify(options.body) }),
    });
    const contentType = String(raw.headers['content-type'] ?? '');
    return { status: raw.statusCode, contentType, body: raw.body ? JSON.parse(raw.body) : undefined };
  }

  async function replay(steps: ScimStep[]): Promise<Record<string, string>> {
    const saved: Record<string, string> = {};
    const fill = (text: string) => text.replace(/\{\{(\w+)\}\}/g, (_, name: string) => saved[name] ?? `{{${name}}}`);
    for (const step of steps) {
      const body = step.body === undefined ? undefined : JSON.parse(fill(JSON.stringify(step.body)));
      const reply = await scim(step.method, fill(step.url), { body });
      assert.equal(reply.status, step.status, `${step.what}: status (${JSON.stringify(reply.body)})`);
      if (reply.body !== undefined) assert.match(reply.contentType, /^application\/scim\+json/, `${step.what}: content type`);
      if (step.save) saved[step.save] = reply.body.id;
      for (const [path, expected] of Object.entries(step.expect ?? {})) {
        const wanted = typeof expected === 'string' ? fill(expected) : expected;
        assert.deepEqual(at(reply.body, path), wanted, `${step.what}: ${path}`);
      }
    }
    return saved;
  }

  before(async () => {
    t = await createTestApp();
    scimToken = (await t.envelope.services.tenants.createToken('default', 'scim', 'Entra ID provisioning')).token;
  });
  after(async () => t.close());

  it("replays Entra ID's documented provisioning sequence: create, find, patch, disable, groups and members, delete", async () => {
    await replay(entraIdSequence);
  });

  it("replays Okta's documented provisioning sequence: find, create, PUT, deactivate, groups and membership", async () => {
    const { user } = await replay(oktaSequence);
    const rows = await t.envelope.db.query<{ scim_attributes: unknown; account_enabled: boolean }>('SELECT scim_attributes, account_enabled FROM users WHERE id = $1', [user]);
    assert.equal(JSON.stringify(rows[0]!.scim_attributes).includes('1mz050nq'), false, 'the password is stored');
    assert.deepEqual(rows[0]!.scim_attributes, { locale: 'en-US' });
  });

  it('maps SCIM attributes onto the Graph user profiles read, and Graph shows the result', async () => {
    const created = await scim('POST', '/Users', {
      body: {
        schemas: ['urn:ietf:params:scim:schemas:core:2.0:User', 'urn:ietf:params:scim:schemas:extension:envelope:2.0:User'],
        userName: 'ada@contoso.com',
        name: { givenName: 'Ada', familyName: 'Lovelace' },
        emails: [{ value: 'ada.home@example.com', type: 'home' }, { value: 'ada.lovelace@contoso.com', type: 'work', primary: true }],
        'urn:ietf:params:scim:schemas:extension:envelope:2.0:User': { samAccountName: 'alovelace', domainName: 'corp.contoso.com', netBiosName: 'CONTOSO' },
      },
    });
    assert.equal(created.status, 201);
    const graph = await t.request('GET', `/graph/beta/users/${created.body.id}`);
    assert.deepEqual(
      { ...graph.body, id: undefined, createdDateTime: undefined },
      {
        id: undefined, createdDateTime: undefined, displayName: 'Ada Lovelace', userPrincipalName: 'ada@contoso.com', mail: 'ada.lovelace@contoso.com',
        onPremisesSamAccountName: 'alovelace', onPremisesDomainName: 'corp.contoso.com', onPremisesNetBiosName: 'CONTOSO',
        accountEnabled: true, givenName: 'Ada', surname: 'Lovelace', mailNickname: null,
      },
    );
    const patched = await scim('PATCH', `/Users/${created.body.id}`, {
      body: { schemas: [patchOp], Operations: [{ op: 'Replace', path: 'urn:ietf:params:scim:schemas:extension:envelope:2.0:User:samAccountName', value: 'ada' }] },
    });
    assert.equal(patched.status, 200);
    assert.equal((await t.request('GET', '/graph/beta/users/ada@contoso.com')).body.onPremisesSamAccountName, 'ada');
  });

  it('answers the discovery endpoints: ServiceProviderConfig, ResourceTypes and Schemas', async () => {
    const config = await scim('GET', '/ServiceProviderConfig');
    assert.equal(config.status, 200);
    assert.deepEqual(config.body.patch, { supported: true });
    assert.deepEqual(config.body.filter, { supported: true, maxResults: 200 });
    assert.equal(config.body.authenticationSchemes[0].type, 'oauthbearertoken');
    const types = await scim('GET', '/ResourceTypes');
    assert.deepEqual(types.body.Resources.map((r: { id: string }) => r.id), ['User', 'Group']);
    assert.deepEqual(types.body.Resources[0].schemaExtensions.map((e: { schema: string }) => e.schema), [
      'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User', 'urn:ietf:params:scim:schemas:extension:envelope:2.0:User',
    ]);
    assert.equal((await scim('GET', '/ResourceTypes/Group')).body.endpoint, '/Groups');
    const schemas = await scim('GET', '/Schemas');
    assert.equal(schemas.body.totalResults, 4);
    const user = await scim('GET', '/Schemas/urn:ietf:params:scim:schemas:core:2.0:User');
    assert.equal(user.body.attributes.find((a: { name: string }) => a.name === 'userName').uniqueness, 'server');
    assert.equal((await scim('GET', '/Schemas/urn:nope')).status, 404);
  });

  it('pages with startIndex and count, and reports the total', async () => {
    for (const n of [1, 2, 3]) await scim('POST', '/Users', { body: { userName: `page${n}@paging.test`, displayName: `Pager ${n}` } });
    const all = await scim('GET', '/Users?count=200');
    const pagers = all.body.Resources.filter((r: { userName: string }) => r.userName.endsWith('@paging.test'));
    assert.equal(pagers.length, 3);
    const second = await scim('GET', '/Users?startIndex=2&count=1');
    assert.equal(second.body.startIndex, 2);
    assert.equal(second.body.itemsPerPage, 1);
    assert.equal(second.body.totalResults, all.body.totalResults);
    assert.equal(second.body.Resources[0].id, all.body.Resources[1].id);
    const countOnly = await scim('GET', '/Users?count=0');
    assert.deepEqual([countOnly.body.totalResults, countOnly.body.Resources], [all.body.totalResults, []]);
    const byName = await scim('GET', '/Users?filter=displayName eq "PAGER 2"');
    assert.deepEqual(byName.body.Resources.map((r: { userName: string }) => r.userName), ['page2@paging.test']);
  });

  it("re-renders and re-delivers a profile when SCIM changes its user's mail or UPN, and sends nothing for an unchanged PATCH", async () => {
    const s = t.envelope.services;
    const tenantId = (await s.tenants.authenticate(`Bearer ${scimToken}`)).tenantId;
    const user = await scim('POST', '/Users', { body: { userName: 'rita@contoso.com', emails: [{ value: 'rita@contoso.com', type: 'work', primary: true }] } });
    const group = await scim('POST', '/Groups', { body: { displayName: 'Mail users', members: [{ value: user.body.id }] } });
    const phone = (await s.devices.create(tenantId, { deviceName: 'Rita iPhone', operatingSystem: 'iOS', osVersion: '17.4', userId: user.body.id })).id;
    const profile = await s.profiles.create(tenantId, {
      '@odata.type': '#microsoft.graph.iosEasEmailProfileConfiguration', displayName: 'Rita mail', accountName: 'Contoso', hostName: 'mail.contoso.com',
      usernameSource: 'userPrincipalName', emailAddressSource: 'primarySmtpAddress', requireSsl: true, durationOfEmailToSync: 'oneWeek',
    });
    await s.assignments.assign(tenantId, profile.id, { assignments: [{ target: { '@odata.type': '#microsoft.graph.groupAssignmentTarget', groupId: group.body.id } }] });
    let now = Date.UTC(2026, 10, 30, 9);
    const checkIn = async () => {
      const command = await s.delivery.checkIn(tenantId, phone, (now += 1000));
      if (command) await s.delivery.recordResult(tenantId, phone, command.commandId, { kind: 'acknowledged' }, (now += 1000));
      return command;
    };
    const install = await checkIn();
    assert.deepEqual([install?.kind, install?.profileId], ['install', profile.id]);
    assert.equal(await checkIn(), null);

    const newMail = await scim('PATCH', `/Users/${user.body.id}`, {
      body: { schemas: [patchOp], Operations: [{ op: 'Replace', path: 'emails[type eq "work"].value', value: 'rita.levi@contoso.com' }] },
    });
    assert.equal(newMail.status, 200);
    const afterMail = await checkIn();
    assert.deepEqual([afterMail?.kind, afterMail?.profileId, afterMail?.version], ['update', profile.id, 1], 'the new address reaches the device');
    const renderKeys = await t.envelope.db.query<{ key: string }>(
      "SELECT target->>'renderKey' AS key FROM delivery_commands WHERE tenant_id = $1 AND device_id = $2 ORDER BY seq", [tenantId, phone],
    );
    assert.equal(renderKeys.length, 2);
    assert.ok(renderKeys[1]!.key.includes('rita.levi@contoso.com'), renderKeys[1]!.key);

    const newUpn = await scim('PATCH', `/Users/${user.body.id}`, { body: { schemas: [patchOp], Operations: [{ op: 'Replace', path: 'userName', value: 'rita.levi@contoso.com' }] } });
    assert.equal(newUpn.status, 200);
    assert.equal((await checkIn())?.kind, 'update', 'the new username reaches the device');

    const unchanged = await scim('PATCH', `/Users/${user.body.id}`, { body: { schemas: [patchOp], Operations: [{ op: 'Replace', path: 'userName', value: 'rita.levi@contoso.com' }] } });
    assert.equal(unchanged.status, 200);
    const stale = await t.envelope.db.query<{ stale: boolean }>('SELECT stale FROM delivery_devices WHERE tenant_id = $1 AND device_id = $2', [tenantId, phone]);
    assert.equal(stale[0]!.stale, false, 'an unchanged PATCH marks nothing stale');
    assert.equal(await checkIn(), null);

    const disabled = await scim('PATCH', `/Users/${user.body.id}`, { body: { schemas: [patchOp], Operations: [{ op: 'Replace', path: 'active', value: 'False' }] } });
    assert.equal(disabled.body.active, false);
    assert.equal(await checkIn(), null, 'a disabled user keeps the installed profile (decision 0021)');
    assert.equal((await t.envelope.db.query<{ state: string }>('SELECT state FROM delivery_ledger WHERE tenant_id = $1 AND device_id = $2', [tenantId, phone]))[0]!.state, 'succeeded');
  });

  describe('denial', () => {
    it('refuses a request without a token (401), and admin and readOnly tokens (403), in SCIM error form', async () => {
      const none = await scim('GET', '/Users', { token: null });
      assert.equal(none.status, 401);
      assert.deepEqual(none.body.schemas, ['urn:ietf:params:scim:api:messages:2.0:Error']);
      assert.equal(none.body.status, '401');
      assert.match(none.contentType, /^application\/scim\+json/);
      const before = await t.count('users');
      for (const token of [t.adminToken, await t.readOnlyToken()]) {
        const reply = await scim('POST', '/Users', { token, body: { userName: 'denied@contoso.com' } });
        assert.equal(reply.status, 403);
        assert.match(reply.body.detail, /scim role/);
      }
      assert.equal(await t.count('users'), before);
    });

    it('refuses a scim token everywhere but /scim/v2 (Graph reads and writes, metrics)', async () => {
      for (const [method, url] of [['GET', '/graph/beta/users'], ['POST', '/graph/beta/users'], ['GET', '/graph/beta/deviceManagement/deviceConfigurations'], ['GET', '/metrics']] as const) {
        const reply = await t.request(method, url, { token: scimToken, ...(method === 'POST' ? { body: { displayName: 'X', userPrincipalName: 'x@contoso.com' } } : {}) });
        assert.equal(reply.status, 403, `${method} ${url}`);
      }
    });

    it("keeps tenants apart: another tenant's scim token neither finds nor changes this tenant's users and groups", async () => {
      const mine = await scim('POST', '/Users', { body: { userName: 'tenant.a@contoso.com' } });
      const group = await scim('POST', '/Groups', { body: { displayName: 'Tenant A group' } });
      await t.envelope.services.tenants.createTenant('other-scim');
      const other = (await t.envelope.services.tenants.createToken('other-scim', 'scim')).token;
      assert.equal((await scim('GET', `/Users/${mine.body.id}`, { token: other })).status, 404);
      assert.equal((await scim('GET', '/Users?filter=userName eq "tenant.a@contoso.com"', { token: other })).body.totalResults, 0);
      const patch = await scim('PATCH', `/Users/${mine.body.id}`, { token: other, body: { schemas: [patchOp], Operations: [{ op: 'replace', path: 'active', value: false }] } });
      assert.equal(patch.status, 404);
      assert.equal((await scim('DELETE', `/Users/${mine.body.id}`, { token: other })).status, 404);
      const add = await scim('PATCH', `/Groups/${group.body.id}`, { token: other, body: { schemas: [patchOp], Operations: [{ op: 'add', path: 'members', value: [{ value: mine.body.id }] }] } });
      assert.equal(add.status, 404);
      const theirGroup = await scim('POST', '/Groups', { token: other, body: { displayName: 'Tenant B group', members: [{ value: mine.body.id }] } });
      assert.equal(theirGroup.status, 400, 'a member from another tenant');
      assert.equal((await scim('GET', `/Users/${mine.body.id}`)).body.active, true);
      assert.deepEqual((await scim('GET', `/Groups/${group.body.id}`)).body.members, []);
    });

    it('answers 401 naming the expiry for an expired token, whatever its role', async () => {
      const issued = await t.envelope.services.tenants.createToken('default', 'scim', 'short-lived', '1');
      assert.ok(issued.expirationDateTime);
      assert.equal((await scim('GET', '/Users?count=0', { token: issued.token })).status, 200);
      await t.envelope.db.query("UPDATE api_tokens SET expires_at = now() - interval '1 second' WHERE id = $1", [issued.tokenId]);
      const expired = await scim('GET', '/Users?count=0', { token: issued.token });
      assert.equal(expired.status, 401);
      assert.match(expired.body.detail, /expired at/);
      const admin = await t.envelope.services.tenants.createToken('default', 'admin', 'short-lived admin', '30');
      await t.envelope.db.query("UPDATE api_tokens SET expires_at = now() - interval '1 second' WHERE id = $1", [admin.tokenId]);
      const graph = await t.request('GET', '/graph/beta/users', { token: admin.token });
      assert.equal(graph.status, 401);
      assert.match(graph.body.error.message, /expired at/);
    });
  });

  describe('bad input: a SCIM error naming the attribute, nothing changed', () => {
    let userId: string;
    let snapshot: unknown;
    before(async () => {
      userId = (await scim('POST', '/Users', { body: { userName: 'steady@contoso.com', emails: [{ value: 'steady@contoso.com', primary: true }] } })).body.id;
      snapshot = (await scim('GET', `/Users/${userId}`)).body;
    });

    const creates: Array<[string, unknown, string]> = [
      ['no userName', { displayName: 'Nameless' }, 'userName'],
      ['a userName that is not a UPN', { userName: 'Test_User_ab6490ee' }, 'userName'],
      ['an email that is not an address', { userName: 'e@contoso.com', emails: [{ value: 'not-an-address', primary: true }] }, 'emails[0].value'],
      ['an active that is not a boolean', { userName: 'f@contoso.com', active: 'maybe' }, 'active'],
      ['a givenName that is a number', { userName: 'g@contoso.com', name: { givenName: 7 } }, 'name.givenName'],
      ['a NetBIOS name longer than 15 characters', { userName: 'h@contoso.com', 'urn:ietf:params:scim:schemas:extension:envelope:2.0:User': { netBiosName: 'ABCDEFGHIJKLMNOP' } }, 'netBiosName'],
    ];
    for (const [what, body, attribute] of creates) {
      it(`refuses a user with ${what} (400 invalidValue naming ${attribute})`, async () => {
        const before = await t.count('users');
        const reply = await scim('POST', '/Users', { body });
        assert.equal(reply.status, 400);
        assert.equal(reply.body.scimType, 'invalidValue');
        assert.ok(reply.body.detail.includes(attribute), reply.body.detail);
        assert.equal(await t.count('users'), before);
      });
    }

    const patches: Array<[string, unknown, number, string, string]> = [
      ['an unknown op', { schemas: [patchOp], Operations: [{ op: 'Merge', path: 'active', value: false }] }, 400, 'invalidSyntax', 'Operations[0].op'],
      ['no Operations', { schemas: [patchOp] }, 400, 'invalidSyntax', 'Operations'],
      ['a remove without a path', { schemas: [patchOp], Operations: [{ op: 'remove' }] }, 400, 'noTarget', 'Operations[0].path'],
      ['a malformed path', { schemas: [patchOp], Operations: [{ op: 'replace', path: 'emails[type eq', value: 'x' }] }, 400, 'invalidPath', 'Operations[0].path'],
      ['an active that is not a boolean', { schemas: [patchOp], Operations: [{ op: 'replace', path: 'active', value: 'Maybe' }] }, 400, 'invalidValue', 'active'],
      ['a second, invalid, operation', {
        schemas: [patchOp],
        Operations: [{ op: 'replace', path: 'displayName', value: 'Changed' }, { op: 'replace', path: 'userName', value: 'no-domain' }],
      }, 400, 'invalidValue', 'userName'],
    ];
    for (const [what, body, status, scimType, attribute] of patches) {
      it(`refuses a PATCH with ${what} (${status} ${scimType} naming ${attribute})`, async () => {
        const reply = await scim('PATCH', `/Users/${userId}`, { body });
        assert.equal(reply.status, status);
        assert.equal(reply.body.scimType, scimType);
        assert.ok(reply.body.detail.includes(attribute), reply.body.detail);
        assert.deepEqual((await scim('GET', `/Users/${userId}`)).body, snapshot);
      });
    }

    it('refuses filters it does not support with 400 invalidFilter, saying what is', async () => {
      for (const filter of ['userName co "a"', 'title eq "x"', 'userName eq "a" or userName eq "b"', 'userName eq', 'active eq true']) {
        const reply = await scim('GET', `/Users?filter=${encodeURIComponent(filter)}`);
        assert.equal(reply.status, 400, filter);
        assert.equal(reply.body.scimType, 'invalidFilter');
        assert.match(reply.body.detail, /userName eq/);
      }
      assert.equal((await scim('GET', '/Users?startIndex=first')).body.scimType, 'invalidValue');
    });

    it('refuses a body that is not JSON with 400 invalidSyntax', async () => {
      const reply = await scim('POST', '/Users', { body: '{"userName": ' });
      assert.equal(reply.status, 400);
      assert.equal(reply.body.scimType, 'invalidSyntax');
    });

    it('refuses a group member that is no user of the tenant, adding no member', async () => {
      const group = await scim('POST', '/Groups', { body: { displayName: 'Strict group', members: [{ value: userId }] } });
      const unknown = '00000000-0000-4000-8000-000000000000';
      const reply = await scim('PATCH', `/Groups/${group.body.id}`, {
        body: { schemas: [patchOp], Operations: [{ op: 'Add', path: 'members', value: [{ value: unknown }] }, { op: 'Replace', path: 'displayName', value: 'Renamed' }] },
      });
      assert.equal(reply.status, 400);
      assert.ok(reply.body.detail.includes(unknown));
      const after = await scim('GET', `/Groups/${group.body.id}`);
      assert.deepEqual([after.body.displayName, after.body.members.map((m: { value: string }) => m.value)], ['Strict group', [userId]]);
      const before = await t.count('groups');
      const bad = await scim('POST', '/Groups', { body: { displayName: 'Never made', members: [{ value: unknown }] } });
      assert.equal(bad.status, 400);
      assert.equal(await t.count('groups'), before);
      const duplicate = await scim('POST', '/Groups', { body: { displayName: 'STRICT GROUP' } });
      assert.deepEqual([duplicate.status, duplicate.body.scimType], [409, 'uniqueness']);
    });

    it('answers 404 for an id that is no UUID or no resource', async () => {
      for (const url of ['/Users/not-a-uuid', '/Users/00000000-0000-4000-8000-000000000000', '/Groups/x', '/Nope']) {
        const reply = await scim('GET', url);
        assert.equal(reply.status, 404, url);
        assert.equal(reply.body.status, '404');
      }
    });
  });
});
