import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createTestApp, type TestApp } from '../helpers/test-app.ts';

const jane = {
  displayName: 'Jane Doe',
  userPrincipalName: 'jane@contoso.com',
  mail: 'jane.doe@contoso.com',
  onPremisesSamAccountName: 'jdoe',
  onPremisesDomainName: 'contoso.com',
  onPremisesNetBiosName: 'CONTOSO',
};

describe('/graph/beta/users', () => {
  let t: TestApp;
  before(async () => {
    t = await createTestApp();
  });
  after(() => t.close());

  it('creates a user with 201 and reads it back with every directory attribute', async () => {
    const created = await t.request('POST', '/graph/beta/users', { body: jane });
    assert.equal(created.status, 201);
    assert.match(created.body.id, /^[0-9a-f-]{36}$/);
    assert.deepEqual(
      { ...created.body, id: undefined, createdDateTime: undefined },
      { ...jane, accountEnabled: true, givenName: null, surname: null, mailNickname: null, id: undefined, createdDateTime: undefined },
    );
    const read = await t.request('GET', `/graph/beta/users/${created.body.id}`);
    assert.equal(read.status, 200);
    assert.deepEqual(read.body, created.body);
  });

  it('updates with PATCH (204), clearing an attribute with null', async () => {
    const { body: user } = await t.request('POST', '/graph/beta/users', { body: { displayName: 'Pat', userPrincipalName: 'pat@contoso.com', mail: 'pat@contoso.com' } });
    const patched = await t.request('PATCH', `/graph/beta/users/${user.id}`, { body: { displayName: 'Pat Smith', mail: null } });
    assert.equal(patched.status, 204);
    const read = await t.request('GET', `/graph/beta/users/${user.id}`);
    assert.equal(read.body.displayName, 'Pat Smith');
    assert.equal(read.body.mail, null);
    assert.equal(read.body.userPrincipalName, 'pat@contoso.com');
  });

  it('refuses a second user with the same userPrincipalName, case-insensitively, with 409', async () => {
    await t.request('POST', '/graph/beta/users', { body: { displayName: 'A', userPrincipalName: 'dup@contoso.com' } });
    const before = await t.count('users');
    const second = await t.request('POST', '/graph/beta/users', { body: { displayName: 'B', userPrincipalName: 'DUP@contoso.com' } });
    assert.equal(second.status, 409);
    assert.equal(second.body.error.target, 'userPrincipalName');
    assert.equal(await t.count('users'), before);
  });

  const invalid: Array<[string, Record<string, unknown>, string]> = [
    ['an unknown property', { ...jane, userPrincipalName: 'u1@contoso.com', faxNumber: '+1 555 0100' }, 'faxNumber'],
    ['an unknown passwordProfile property', { ...jane, userPrincipalName: 'u6@contoso.com', passwordProfile: { pin: '1234' } }, 'passwordProfile.pin'],
    ['an accountEnabled that is a string', { ...jane, userPrincipalName: 'u7@contoso.com', accountEnabled: 'false' }, 'accountEnabled'],
    ['a missing displayName', { userPrincipalName: 'u2@contoso.com' }, 'displayName'],
    ['a userPrincipalName without a domain', { displayName: 'X', userPrincipalName: 'nodomain' }, 'userPrincipalName'],
    ['a mail that is not an address', { displayName: 'X', userPrincipalName: 'u3@contoso.com', mail: 'not-an-address' }, 'mail'],
    ['a displayName that is a number', { displayName: 42, userPrincipalName: 'u4@contoso.com' }, 'displayName'],
    ['a NetBIOS name longer than 15 characters', { displayName: 'X', userPrincipalName: 'u5@contoso.com', onPremisesNetBiosName: 'ABCDEFGHIJKLMNOP' }, 'onPremisesNetBiosName'],
  ];
  for (const [what, body, field] of invalid) {
    it(`rejects ${what} with 400 naming ${field}, writing nothing`, async () => {
      const before = await t.count('users');
      const reply = await t.request('POST', '/graph/beta/users', { body });
      assert.equal(reply.status, 400);
      assert.equal(reply.body.error.code, 'BadRequest');
      assert.equal(reply.body.error.target, field);
      assert.match(reply.body.error.message, new RegExp(field));
      assert.equal(await t.count('users'), before);
    });
  }

  it('pages with $top and @odata.nextLink until every user was seen exactly once', async () => {
    for (let i = 0; i < 7; i++) {
      await t.request('POST', '/graph/beta/users', { body: { displayName: `Pager ${i}`, userPrincipalName: `pager${i}@fabrikam.com` } });
    }
    const seen: string[] = [];
    let url: string | undefined = '/graph/beta/users?$top=3';
    let pages = 0;
    while (url) {
      const page = await t.request('GET', url);
      assert.equal(page.status, 200);
      assert.ok(page.body.value.length <= 3);
      seen.push(...page.body.value.map((u: { id: string }) => u.id));
      const next: string | undefined = page.body['@odata.nextLink'];
      url = next ? next.replace('https://envelope.test', '') : undefined;
      pages++;
    }
    const total = await t.count('users');
    assert.equal(seen.length, total);
    assert.equal(new Set(seen).size, total);
    assert.equal(pages, Math.ceil(total / 3));
  });

  it('filters with eq and returns only the selected properties with $select', async () => {
    const reply = await t.request('GET', `/graph/beta/users?$filter=userPrincipalName eq 'jane@contoso.com'&$select=displayName,mail`);
    assert.equal(reply.status, 200);
    assert.deepEqual(reply.body.value.map((u: Record<string, unknown>) => Object.keys(u).sort()), [['displayName', 'id', 'mail']]);
    assert.equal(reply.body.value[0].mail, 'jane.doe@contoso.com');
  });

  it('rejects unsupported query options, filters and selections with 400 naming them', async () => {
    for (const [query, target] of [['$orderby=mail', '$orderby'], ['$filter=contains(displayName,\'J\')', '$filter'], ['$apply=x', '$apply'], ['$select=password', '$select'], ['$top=0', '$top'], ['$skiptoken=garbage', '$skiptoken']]) {
      const reply = await t.request('GET', `/graph/beta/users?${query}`);
      assert.equal(reply.status, 400, query);
      assert.equal(reply.body.error.target, target, query);
    }
  });

  it('refuses to delete a user who is a device primary user (409), and deletes once the device is gone', async () => {
    const { body: user } = await t.request('POST', '/graph/beta/users', { body: { displayName: 'Owner', userPrincipalName: 'owner@contoso.com' } });
    const { body: device } = await t.request('POST', '/graph/beta/deviceManagement/managedDevices', {
      body: { deviceName: 'Owner iPhone', operatingSystem: 'iOS', osVersion: '18.1', userId: user.id },
    });
    const refused = await t.request('DELETE', `/graph/beta/users/${user.id}`);
    assert.equal(refused.status, 409);
    assert.match(refused.body.error.message, /Owner iPhone/);
    assert.equal((await t.request('GET', `/graph/beta/users/${user.id}`)).status, 200);
    assert.equal((await t.request('DELETE', `/graph/beta/deviceManagement/managedDevices/${device.id}`)).status, 204);
    assert.equal((await t.request('DELETE', `/graph/beta/users/${user.id}`)).status, 204);
    assert.equal((await t.request('GET', `/graph/beta/users/${user.id}`)).status, 404);
  });

  it('answers 404 in Graph error shape for an unknown id', async () => {
    const reply = await t.request('GET', '/graph/beta/users/00000000-0000-4000-8000-000000000000');
    assert.equal(reply.status, 404);
    assert.equal(reply.body.error.code, 'ResourceNotFound');
  });

  it("accepts Microsoft's documented create body (accountEnabled, mailNickname, passwordProfile) and never stores the password", async () => {
    const password = 'xWwvJ]6NMw+bWH-d';
    const reply = await t.request('POST', '/graph/beta/users', {
      body: {
        accountEnabled: true,
        displayName: 'Adele Vance',
        mailNickname: 'AdeleV',
        userPrincipalName: 'AdeleV@contoso.com',
        passwordProfile: { forceChangePasswordNextSignIn: true, password },
      },
    });
    assert.equal(reply.status, 201);
    assert.deepEqual([reply.body.accountEnabled, reply.body.mailNickname, reply.body.passwordProfile], [true, 'AdeleV', undefined]);
    const rows = await t.envelope.db.query<Record<string, unknown>>('SELECT * FROM users WHERE id = $1', [reply.body.id]);
    assert.equal(JSON.stringify(rows[0]).includes(password), false, 'the password is stored');
    const patched = await t.request('PATCH', `/graph/beta/users/${reply.body.id}`, { body: { accountEnabled: false, passwordProfile: { password: `${password}2` } } });
    assert.equal(patched.status, 204);
    assert.equal((await t.request('GET', `/graph/beta/users/${reply.body.id}`)).body.accountEnabled, false);
    assert.equal(JSON.stringify(await t.envelope.db.query('SELECT * FROM users WHERE id = $1', [reply.body.id])).includes(password), false);
  });

  it('addresses a user by userPrincipalName (case-insensitively) for GET, PATCH and DELETE', async () => {
    const { body: user } = await t.request('POST', '/graph/beta/users', { body: { displayName: 'Megan', userPrincipalName: 'MeganB@contoso.com' } });
    const read = await t.request('GET', '/graph/beta/users/meganb@contoso.com');
    assert.deepEqual([read.status, read.body.id], [200, user.id]);
    assert.equal((await t.request('PATCH', '/graph/beta/users/MEGANB@contoso.com', { body: { givenName: 'Megan', surname: 'Bowen' } })).status, 204);
    assert.equal((await t.request('GET', `/graph/beta/users/${user.id}`)).body.surname, 'Bowen');
    assert.equal((await t.request('GET', '/graph/beta/users/nobody@contoso.com')).status, 404);
    assert.equal((await t.request('DELETE', '/graph/beta/users/meganb@contoso.com')).status, 204);
    assert.equal((await t.request('GET', `/graph/beta/users/${user.id}`)).status, 404);
  });
});
