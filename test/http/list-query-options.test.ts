import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createTestApp, type TestApp } from '../helpers/test-app.ts';

const users = '/graph/beta/users';
const groups = '/graph/beta/groups';
const devices = '/graph/beta/deviceManagement/managedDevices';
const configs = '/graph/beta/deviceManagement/deviceConfigurations';
const eventual = { consistencylevel: 'eventual' };

const iosProfile = (displayName: string) => ({
  '@odata.type': '#microsoft.graph.iosEasEmailProfileConfiguration', displayName, accountName: 'Contoso', hostName: 'mail.contoso.com',
  usernameSource: 'userPrincipalName', emailAddressSource: 'userPrincipalName', requireSsl: true, durationOfEmailToSync: 'oneWeek',
});

describe('Graph query options on lists: $filter, $orderby, $count, /$count, $search, $expand', () => {
  let t: TestApp;
  const names = ['Ann Lee', 'Same', 'Bob Stone', 'Same', 'annika Berg', 'Same', 'Carl', 'Same', "O'Neil", 'Same', 'Dee'];
  const ids: string[] = [];
  let profileA = '';
  let profileB = '';
  let sales = '';

  async function create(url: string, body: unknown): Promise<string> {
    const reply = await t.request('POST', url, { body });
    assert.equal(reply.status, 201, JSON.stringify(reply.body));
    return reply.body.id;
  }

  /** Every item of a list, following @odata.nextLink, with the number of pages. */
  async function all(url: string, headers?: Record<string, string>): Promise<{ items: { id: string; displayName: string }[]; pages: number }> {
    const items = [];
    let pages = 0;
    let next: string | undefined = url;
    while (next) {
      const reply = await t.request('GET', next.replace('https://envelope.test', ''), { headers });
      assert.equal(reply.status, 200, JSON.stringify(reply.body));
      items.push(...reply.body.value);
      next = reply.body['@odata.nextLink'];
      pages += 1;
      assert.ok(pages < 100, 'paging ends');
    }
    return { items, pages };
  }

  before(async () => {
    t = await createTestApp();
    for (const [i, name] of names.entries()) {
      ids.push(await create(users, { displayName: name, userPrincipalName: `user${i}@contoso.com`, mail: i % 2 === 0 ? `u${i}@contoso.com` : null }));
    }
    sales = await create(groups, { displayName: 'Sales', description: 'Sales team' });
    await create(groups, { displayName: 'Marketing', description: null });
    await create(devices, { deviceName: 'Ann iPhone', operatingSystem: 'iOS', osVersion: '18.1', userId: ids[0] });
    await create(devices, { deviceName: 'Kiosk', operatingSystem: 'Windows', osVersion: '10.0.22631' });
    profileA = await create(configs, iosProfile('Alpha mail'));
    profileB = await create(configs, iosProfile('Beta mail'));
    const assigned = await t.request('POST', `${configs}/${profileA}/assign`, {
      body: { assignments: [{ target: { '@odata.type': '#microsoft.graph.groupAssignmentTarget', groupId: sales } }] },
    });
    assert.equal(assigned.status, 200);
  });
  after(() => t.close());

  it('pages through every user exactly once in each order, also across ties in the sort key', async () => {
    const byName = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
    for (const order of ['', '&$orderby=displayName', '&$orderby=displayName desc', '&$orderby=userPrincipalName', '&$orderby=createdDateTime desc']) {
      const { items, pages } = await all(`${users}?$top=2${order}`);
      assert.equal(pages, 6, order);
      assert.deepEqual(items.map((u) => u.id).sort(), [...ids].sort(), order);
      if (order === '') assert.deepEqual(items.map((u) => u.id), ids);
      if (order === '&$orderby=createdDateTime desc') assert.deepEqual(items.map((u) => u.id), [...ids].reverse());
      if (order.includes('displayName')) {
        const seen = items.map((u) => u.displayName);
        const sorted = [...seen].sort(byName);
        // The database's collation decides the order; it is the same on every page, so the names come sorted by it.
        const first = await t.request('GET', `${users}?$top=999${order}`);
        assert.deepEqual(seen, first.body.value.map((u: { displayName: string }) => u.displayName), order);
        assert.equal(new Set(seen).size, sorted.length - 4, 'five users share one name');
      }
    }
  });

  it('translates each $filter operator, and treats values as values', async () => {
    const cases: [string, number][] = [
      ["displayName eq 'Same'", 5],
      ["displayName ne 'Same'", 6],
      ["displayName in ('Carl', 'Dee', 'Nobody')", 2],
      ["displayName eq 'Carl' or displayName eq 'Dee'", 2],
      ["displayName eq 'Same' and mail eq null", 5],
      ['mail eq null', 5],
      ['mail ne null', 6],
      ["not (displayName eq 'Same')", 6],
      ["not (mail eq 'u0@contoso.com')", 10],
      ["startswith(displayName,'ann')", 2],
      ["not startswith(displayName,'ann')", 9],
      ["displayName eq 'O''Neil'", 1],
      ["(startswith(displayName,'a') or displayName eq 'Carl') and mail ne null", 3],
      ["displayName eq '''; DROP TABLE users; --'", 0],
      ["userPrincipalName eq 'user0@contoso.com'' OR 1=1 --'", 0],
    ];
    for (const [filter, expected] of cases) {
      const reply = await t.request('GET', `${users}?$filter=${encodeURIComponent(filter)}&$top=999`);
      assert.equal(reply.status, 200, `${filter}: ${JSON.stringify(reply.body)}`);
      assert.equal(reply.body.value.length, expected, filter);
    }
    assert.equal(await t.count('users'), names.length);
  });

  it('refuses unsupported operators, functions and properties with a 400 naming them', async () => {
    const cases: [string, string, RegExp][] = [
      [users, "$filter=displayName gt 'A'", /'gt' is not supported/],
      [users, "$filter=contains(displayName,'A')", /'contains' is not supported/],
      [users, "$filter=passwordProfile eq 'x'", /'passwordProfile' cannot be used here/],
      [users, '$orderby=mail', /'mail' cannot be used here; sortable: createdDateTime, displayName, userPrincipalName/],
      [devices, '$orderby=osVersion', /'osVersion' cannot be used here/],
      [configs, '$expand=settings', /'settings' cannot be expanded/],
      [users, '$expand=manager', /'manager' cannot be expanded/],
      [devices, '$search="deviceName:ann"', /'\$search' is not supported/],
      [users, '$format=json', /'\$format' is not supported/],
    ];
    for (const [url, query, message] of cases) {
      const reply = await t.request('GET', `${url}?${query}`, { headers: eventual });
      assert.equal(reply.status, 400, query);
      assert.match(reply.body.error.message, message, query);
      assert.equal(reply.body.error.target, query.slice(0, query.indexOf('=')), query);
    }
  });

  it('adds @odata.count with $count=true on every page, counting the whole filtered set', async () => {
    const first = await t.request('GET', `${users}?$count=true&$top=2&$filter=displayName eq 'Same'`);
    assert.equal(first.body['@odata.count'], 5);
    assert.equal(first.body.value.length, 2);
    const second = await t.request('GET', first.body['@odata.nextLink'].replace('https://envelope.test', ''));
    assert.equal(second.body['@odata.count'], 5);
    assert.equal((await t.request('GET', `${users}?$top=2`)).body['@odata.count'], undefined);
  });

  it('answers /$count as text/plain on users, groups, managed devices and profiles, with $filter', async () => {
    for (const [url, expected] of [[users, names.length], [groups, 2], [devices, 2], [configs, 2]] as const) {
      const reply = await t.request('GET', `${url}/$count`);
      assert.equal(reply.status, 200, url);
      assert.match(String(reply.raw.headers['content-type']), /^text\/plain/);
      assert.equal(reply.body, String(expected), url);
    }
    assert.equal((await t.request('GET', `${users}/$count?$filter=mail eq null`)).body, '5');
    assert.equal((await t.request('GET', `${devices}/$count?$filter=operatingSystem eq 'iOS'`)).body, '1');
    assert.equal((await t.request('GET', `${users}/$count?$top=1`)).status, 400);
  });

  it('counts and lists only the caller tenant’s rows', async () => {
    const other = await t.tenant('other-count');
    assert.equal((await t.request('GET', `${users}/$count`, { token: other.admin })).body, '0');
    assert.equal((await t.request('GET', `${users}?$count=true`, { token: other.admin })).body['@odata.count'], 0);
    assert.equal((await t.request('GET', `${users}/$count`, { token: null })).status, 401);
  });

  it('searches users and groups with ConsistencyLevel: eventual, and refuses $search without it as Graph does', async () => {
    const found = await t.request('GET', `${users}?$search="displayName:ann"`, { headers: eventual });
    assert.equal(found.status, 200);
    assert.deepEqual(found.body.value.map((u: { displayName: string }) => u.displayName).sort(), ['Ann Lee', 'annika Berg']);
    const word = await t.request('GET', `${users}?$search="displayName:stone" OR "displayName:berg"&$count=true`, { headers: eventual });
    assert.equal(word.body['@odata.count'], 2);
    const wild = await t.request('GET', `${users}?$search="displayName:%25"`, { headers: eventual });
    assert.equal(wild.body.value.length, 0, 'a % in the search is a character, not a wildcard');
    const groupsFound = await t.request('GET', `${groups}?$search="description:team"`, { headers: eventual });
    assert.deepEqual(groupsFound.body.value.map((g: { id: string }) => g.id), [sales]);
    const refused = await t.request('GET', `${users}?$search="displayName:ann"`);
    assert.equal(refused.status, 400);
    assert.equal(refused.body.error.target, 'ConsistencyLevel');
  });

  it('expands assignments on profile lists and gets, and leaves them out without $expand', async () => {
    const listed = await t.request('GET', `${configs}?$expand=assignments&$orderby=displayName`);
    assert.equal(listed.status, 200);
    const [a, b] = listed.body.value;
    assert.equal(a.id, profileA);
    assert.deepEqual(a.assignments.map((x: { id: string }) => x.id), [`${profileA}_${sales}`]);
    assert.equal(a.assignments[0].target.groupId, sales);
    assert.deepEqual(b.assignments, []);
    const one = await t.request('GET', `${configs}/${profileA}?$expand=assignments`);
    assert.equal(one.status, 200);
    assert.deepEqual(one.body.assignments, a.assignments);
    assert.equal((await t.request('GET', `${configs}/${profileA}`)).body.assignments, undefined);
    assert.equal((await t.request('GET', `${configs}?$orderby=displayName desc`)).body.value[0].id, profileB);
    assert.equal((await t.request('GET', `${configs}/${profileA}?$filter=x`)).status, 400);
  });

  it('filters profiles by type with isof() and orders managed devices and groups by name', async () => {
    const ios = await t.request('GET', `${configs}?$filter=isof('microsoft.graph.iosEasEmailProfileConfiguration') and startswith(displayName,'Beta')`);
    assert.deepEqual(ios.body.value.map((p: { id: string }) => p.id), [profileB]);
    const named = await t.request('GET', `${devices}?$orderby=deviceName desc`);
    assert.deepEqual(named.body.value.map((d: { deviceName: string }) => d.deviceName), ['Kiosk', 'Ann iPhone']);
    const byName = await t.request('GET', `${groups}?$orderby=displayName`);
    assert.deepEqual(byName.body.value.map((g: { displayName: string }) => g.displayName), ['Marketing', 'Sales']);
  });
});
