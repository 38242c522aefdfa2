import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createTestApp, type TestApp } from '../helpers/test-app.ts';

const enterprise = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User';
const coreUser = 'urn:ietf:params:scim:schemas:core:2.0:User';

/** SCIM `attributes` and `excludedAttributes` (RFC 7644 §3.4.2.5, §3.9) on GET and list responses. */
describe('SCIM attributes and excludedAttributes', () => {
  let t: TestApp;
  let token: string;
  let userId: string;
  let groupId: string;

  async function scim(method: 'GET' | 'POST', url: string, body?: unknown, bearer: string | null = token) {
    const raw = await t.envelope.app.inject({
      method,
      url: `/scim/v2${url}`.replace(/ /g, '%20').replace(/"/g, '%22'),
      headers: { ...(bearer === null ? {} : { authorization: `Bearer ${bearer}` }), ...(body === undefined ? {} : { 'content-type': 'application/scim+json' }) },
      ...(body === undefined ? {} : { payload: JSON.stringify(body) }),
    });
    return { status: raw.statusCode, body: raw.body ? JSON.parse(raw.body) : undefined };
  }

  before(async () => {
    t = await createTestApp();
    token = (await t.envelope.services.tenants.createToken('default', 'scim', 'IdP')).token;
    const user = await scim('POST', '/Users', {
      schemas: [coreUser, enterprise], userName: 'ann@contoso.com', externalId: 'ann-ext', active: true,
      name: { givenName: 'Ann', familyName: 'Lee' }, displayName: 'Ann Lee',
      emails: [{ primary: true, type: 'work', value: 'ann@contoso.com' }],
      [enterprise]: { employeeNumber: '701', department: 'Sales' },
    });
    assert.equal(user.status, 201, JSON.stringify(user.body));
    userId = user.body.id;
    const group = await scim('POST', '/Groups', { schemas: ['urn:ietf:params:scim:schemas:core:2.0:Group'], displayName: 'Sales', members: [{ value: userId }] });
    assert.equal(group.status, 201, JSON.stringify(group.body));
    groupId = group.body.id;
  });
  after(() => t.close());

  it('attributes returns only those named, plus id and schemas, on GET and in lists', async () => {
    const one = await scim('GET', `/Users/${userId}?attributes=userName,name.givenName`);
    assert.equal(one.status, 200);
    assert.deepEqual(Object.keys(one.body).sort(), ['id', 'name', 'schemas', 'userName']);
    assert.deepEqual(one.body.name, { givenName: 'Ann' });
    const listed = await scim('GET', '/Users?filter=userName eq "ann@contoso.com"&attributes=userName');
    assert.equal(listed.body.totalResults, 1);
    assert.deepEqual(listed.body.Resources.map((r: object) => Object.keys(r).sort()), [['id', 'schemas', 'userName']]);
    assert.ok(listed.body.schemas, 'the list response itself keeps its own attributes');
  });

  it('takes schema-qualified names, sub-attributes of multi-valued attributes, and extension attributes; names are case-insensitive', async () => {
    const qualified = await scim('GET', `/Users/${userId}?attributes=${coreUser}:userName,EMAILS.value,${enterprise}:employeeNumber`);
    assert.deepEqual(Object.keys(qualified.body).sort(), ['emails', 'id', 'schemas', 'userName', enterprise].sort());
    assert.deepEqual(qualified.body.emails, [{ value: 'ann@contoso.com' }]);
    assert.deepEqual(qualified.body[enterprise], { employeeNumber: '701' });
    const wholeExtension = await scim('GET', `/Users/${userId}?attributes=${enterprise}`);
    assert.equal(wholeExtension.body[enterprise].department, 'Sales');
    assert.equal(wholeExtension.body.userName, undefined);
  });

  it('excludedAttributes removes those named, never id or schemas; members are left out of groups', async () => {
    const user = await scim('GET', `/Users/${userId}?excludedAttributes=emails,name.familyName,meta,id,schemas`);
    assert.equal(user.body.emails, undefined);
    assert.equal(user.body.meta, undefined);
    assert.deepEqual(user.body.name.familyName, undefined);
    assert.equal(user.body.name.givenName, 'Ann');
    assert.equal(user.body.id, userId);
    assert.ok(Array.isArray(user.body.schemas));
    assert.equal(user.body.userName, 'ann@contoso.com');
    const group = await scim('GET', `/Groups/${groupId}?excludedAttributes=members`);
    assert.equal(group.body.members, undefined);
    assert.equal(group.body.displayName, 'Sales');
    const groups = await scim('GET', '/Groups?excludedAttributes=members');
    assert.ok(groups.body.Resources.every((g: { members?: unknown }) => g.members === undefined));
    const withMembers = await scim('GET', `/Groups/${groupId}?attributes=members`);
    assert.deepEqual(withMembers.body.members.map((m: { value: string }) => m.value), [userId]);
    assert.equal(withMembers.body.displayName, undefined);
  });

  it('ignores names the resource does not have (an unknown attribute selects or removes nothing)', async () => {
    const unknown = await scim('GET', `/Users/${userId}?attributes=userName,favouriteColour,urn:example:nothing:here`);
    assert.equal(unknown.status, 200);
    assert.deepEqual(Object.keys(unknown.body).sort(), ['id', 'schemas', 'userName']);
    const excluded = await scim('GET', `/Users/${userId}?excludedAttributes=favouriteColour`);
    assert.equal(excluded.status, 200);
    assert.equal(excluded.body.userName, 'ann@contoso.com');
    assert.ok(excluded.body.emails);
  });

  it('is denied without a SCIM token and scoped to the tenant', async () => {
    assert.equal((await scim('GET', `/Users/${userId}?attributes=userName`, undefined, null)).status, 401);
    assert.equal((await scim('GET', `/Users/${userId}?attributes=userName`, undefined, t.adminToken)).status, 403);
    await t.tenant('scim-attr-other');
    const other = (await t.envelope.services.tenants.createToken('scim-attr-other', 'scim', 'IdP')).token;
    assert.equal((await scim('GET', `/Users/${userId}?attributes=userName`, undefined, other)).status, 404);
  });
});
