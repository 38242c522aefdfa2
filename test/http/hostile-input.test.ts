import { after, before, beforeEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { request as httpRequest } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createTestApp, type TestApp } from '../helpers/test-app.ts';
import { assertGraphError, sendJsonText, snapshotTables } from '../helpers/hostile-requests.ts';

const configs = '/graph/beta/deviceManagement/deviceConfigurations';
const iosProfile = {
  '@odata.type': '#microsoft.graph.iosEasEmailProfileConfiguration', displayName: 'iOS mail', accountName: 'Contoso', hostName: 'mail.contoso.com',
  usernameSource: 'userPrincipalName', emailAddressSource: 'userPrincipalName', requireSsl: true, durationOfEmailToSync: 'oneWeek',
};
// Android PKCS profiles carry extendedKeyUsages: an array of objects, the deepest settings there are.
const pkcsProfile = { '@odata.type': '#microsoft.graph.androidPkcsCertificateProfile', displayName: 'PKCS' };
const cursor = (value: unknown) => Buffer.from(JSON.stringify(value), 'utf8').toString('base64url');

/** The Graph error of a raw HTTP exchange with a listening server (for errors Node raises before Fastify). */
function rawHttp(port: number, options: { path: string; headers?: Record<string, string> }): Promise<{ status: number; contentType: string; body: string }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port, method: 'GET', path: options.path, headers: options.headers }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, contentType: String(res.headers['content-type']), body }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('hostile input never becomes a 500', () => {
  let t: TestApp;
  const ids = {} as Record<'profile' | 'group' | 'user' | 'pkcs', string>;
  let rows: Record<string, string>;

  before(async () => {
    t = await createTestApp();
    const create = async (url: string, body: unknown) => {
      const reply = await t.request('POST', url, { body });
      assert.equal(reply.status, 201, JSON.stringify(reply.body));
      return reply.body.id as string;
    };
    ids.profile = await create(configs, iosProfile);
    ids.pkcs = await create(configs, pkcsProfile);
    ids.group = await create('/graph/beta/groups', { displayName: 'Sales' });
    ids.user = await create('/graph/beta/users', { displayName: 'Ann', userPrincipalName: 'ann@contoso.com' });
  });
  after(() => t.close());
  beforeEach(async () => {
    rows = await snapshotTables(t.envelope.db);
  });
  const assertNothingWritten = async () => assert.deepEqual(await snapshotTables(t.envelope.db), rows);

  it('refuses a NUL character in any body text field with 400 naming the field', async () => {
    assertGraphError(await t.request('POST', '/graph/beta/users', { body: { displayName: 'A\u0000B', userPrincipalName: 'nul@contoso.com' } }), { status: 400, code: 'BadRequest', target: 'displayName' });
    assertGraphError(await t.request('PATCH', `/graph/beta/groups/${ids.group}`, { body: { description: 'x\u0000' } }), { status: 400, target: 'description' });
    assertGraphError(await t.request('POST', configs, { body: { ...iosProfile, displayName: 'Other', accountName: 'Con\u0000toso' } }), { status: 400, target: 'accountName' });
    assertGraphError(await t.request('PATCH', `${configs}/${ids.pkcs}`, { body: { extendedKeyUsages: [{ name: 'a\u0000', objectIdentifier: '1.2.3' }] } }), { status: 400, target: 'extendedKeyUsages[0].name' });
    assertGraphError(await sendJsonText(t, 'POST', '/graph/beta/users', '{"displayName":"A","userPrincipalName":"k@contoso.com","x\\u0000":1}'), { status: 400, target: 'body' });
    await assertNothingWritten();
  });

  it('refuses a NUL character in a $filter literal, a query value or a path id with 400 naming it', async () => {
    assertGraphError(await t.request('GET', "/graph/beta/users?$filter=displayName eq 'a%00b'"), { status: 400, target: '$filter' });
    assertGraphError(await t.request('GET', `${configs}?$filter=displayName eq '%00'`), { status: 400, target: '$filter' });
    assertGraphError(await t.request('DELETE', `/graph/beta/users/${ids.user.slice(0, -1)}%00`), { status: 400, target: 'id' });
    await assertNothingWritten();
  });

  it('refuses a lone UTF-16 surrogate in profile settings and names with 400 naming the field, accepting well-formed pairs', async () => {
    const body = JSON.stringify({ ...iosProfile, displayName: 'Surrogate' }).replace('"Contoso"', '"Contoso\\ud800"');
    assertGraphError(await sendJsonText(t, 'POST', configs, body), { status: 400, code: 'BadRequest', target: 'accountName' });
    assertGraphError(await sendJsonText(t, 'PATCH', `${configs}/${ids.profile}`, '{"customDomainName":"\\udc00contoso.com"}'), { status: 400, target: 'customDomainName' });
    assertGraphError(await sendJsonText(t, 'POST', '/graph/beta/groups', '{"displayName":"\\ud83d"}'), { status: 400, target: 'displayName' });
    // A well-formed pair is fine.
    const pair = await sendJsonText(t, 'PATCH', `/graph/beta/groups/${ids.group}`, '{"description":"\\ud83d\\udce7 mail"}');
    assert.equal(pair.status, 204);
    assert.equal((await t.request('GET', `/graph/beta/groups/${ids.group}`)).body.description, '\u{1F4E7} mail');
  });

  it('refuses ids that are not UUIDs wherever the database keeps a uuid, with 400 naming the field', async () => {
    const assign = (groupId: string) => t.request('POST', `${configs}/${ids.profile}/assign`, { body: { assignments: [{ target: { '@odata.type': '#microsoft.graph.groupAssignmentTarget', groupId } }] } });
    assertGraphError(await assign('not-a-group'), { status: 400, target: 'assignments[0].target.groupId' });
    assertGraphError(await assign('------------------------------------'), { status: 400, target: 'assignments[0].target.groupId' });
    assertGraphError(await t.request('POST', `/graph/beta/groups/${ids.group}/members/$ref`, { body: { '@odata.id': 'https://graph.microsoft.com/beta/users/------------------------------------' } }), { status: 400, target: '@odata.id' });
    assertGraphError(await t.request('POST', '/graph/beta/groups', { body: { displayName: 'Bind', 'members@odata.bind': ['https://graph.microsoft.com/beta/users/zzzzzzzz-zzzz-zzzz-zzzz-zzzzzzzzzzzz'] } }), { status: 400, target: 'members@odata.bind[0]' });
    const linked = { ...iosProfile, displayName: 'Linked', authenticationMethod: 'certificate', 'identityCertificate@odata.bind': "deviceConfigurations('abc')" };
    assertGraphError(await t.request('POST', configs, { body: linked }), { status: 400, target: 'identityCertificate@odata.bind' });
    // Ajv's uuid format alone would let `urn:uuid:` through to PostgreSQL.
    assertGraphError(await t.request('GET', `${configs}/urn:uuid:${ids.profile}`), { status: 400, code: 'BadRequest', target: 'id' });
    assertGraphError(await t.request('DELETE', `/graph/beta/groups/urn:uuid:${ids.group}`), { status: 400, target: 'id' });
    assertGraphError(await t.request('POST', '/graph/beta/deviceManagement/managedDevices', { body: { deviceName: 'D', operatingSystem: 'iOS', osVersion: '1', userId: `urn:uuid:${ids.user}` } }), { status: 400, target: 'userId' });
    await assertNothingWritten();
  });

  it('refuses a $skiptoken that is not a cursor Envelope wrote, even one JavaScript reads as a date, with 400 naming it', async () => {
    for (const token of [
      cursor(['', '+010000-01-01T00:00:00.000Z', ids.user]),
      cursor(['', '0000-01-01T00:00:00.000Z', ids.user]),
      cursor(['', '2024-02-30T00:00:00.000Z', ids.user]),
      cursor(['', 'Tue, 01 Jan 2030 00:00:00 GMT', ids.user]),
      cursor(['', '2024-01-01T00:00:00.000Z', 'x\u0000']),
      cursor(['', '2024-01-01T00:00:00.000Z', ids.user, 'extra']),
      cursor(['displayName asc', '2024-01-01T00:00:00.000Z', ids.user]),
      cursor(['2024-01-01T00:00:00.000Z', ids.user]),
    ]) {
      assertGraphError(await t.request('GET', `/graph/beta/users?$skiptoken=${token}`), { status: 400, code: 'BadRequest', target: '$skiptoken' });
    }
    const page = await t.request('GET', `/graph/beta/users?$skiptoken=${cursor(['', '2000-01-01T00:00:00.000Z', '00000000-0000-4000-8000-000000000000'])}`);
    assert.equal(page.status, 200);
  });

  it('treats body keys named like Object.prototype members as unknown properties (400 naming them), never as lookups', async () => {
    for (const key of ['toString', 'constructor', 'hasOwnProperty', 'valueOf', '__defineGetter__']) {
      for (const value of ['"x"', '1', 'null', '{}']) {
        const create = JSON.stringify({ ...iosProfile, displayName: `P ${key}` }).replace('{', `{"${key}":${value},`);
        assertGraphError(await sendJsonText(t, 'POST', configs, create), { status: 400, code: 'BadRequest', target: key });
        assertGraphError(await sendJsonText(t, 'PATCH', `${configs}/${ids.profile}`, `{"${key}":${value}}`), { status: 400, target: key });
        assertGraphError(await sendJsonText(t, 'PATCH', `${configs}/${ids.pkcs}`, `{"extendedKeyUsages":[{"name":"n","objectIdentifier":"1.2","${key}":${value}}]}`), { status: 400, target: /^extendedKeyUsages\[0\]/ });
        assertGraphError(await sendJsonText(t, 'POST', `${configs}/${ids.profile}/assign`, `{"${key}":${value}}`), { status: 400, target: key });
        assertGraphError(await sendJsonText(t, 'POST', '/graph/beta/users', `{"displayName":"K","userPrincipalName":"k@contoso.com","${key}":${value}}`), { status: 400, target: key });
      }
    }
    const selected = await t.request('GET', `${configs}?$select=constructor,toString`);
    assert.equal(selected.status, 200);
    assert.deepEqual(Object.keys(selected.body.value[0]).sort(), ['@odata.type', 'id']);
    await assertNothingWritten();
  });

  it('refuses bodies nested thousands of levels deep with 400 naming where, on profile, assign and user routes', async () => {
    const deep = `${'{"a":'.repeat(10_000)}1${'}'.repeat(10_000)}`;
    const deepArray = `${'['.repeat(100_000)}${']'.repeat(100_000)}`;
    assertGraphError(await sendJsonText(t, 'POST', configs, JSON.stringify({ ...iosProfile, displayName: 'Deep' }).replace('"Contoso"', deep)), { status: 400, target: /^accountName\.a\.a/ });
    assertGraphError(await sendJsonText(t, 'PATCH', `${configs}/${ids.profile}`, `{"accountName":${deep}}`), { status: 400, target: /^accountName/ });
    assertGraphError(await sendJsonText(t, 'POST', `${configs}/${ids.profile}/assign`, `{"assignments":${deepArray}}`), { status: 400, target: /^assignments\[0\]/ });
    assertGraphError(await sendJsonText(t, 'POST', '/graph/beta/users', deepArray), { status: 400, target: /^\[0\]/ });
    await assertNothingWritten();
  });

  it('answers unroutable URLs (too-long id, bad percent-encoding) with a Graph-shaped 400, with or without a token', async () => {
    for (const token of [t.adminToken, null]) {
      assertGraphError(await t.request('GET', `${configs}/${'a'.repeat(150)}`, { token }), { status: 400, code: 'BadRequest' });
      assertGraphError(await t.request('DELETE', `/graph/beta/users/${'b'.repeat(101)}`, { token }), { status: 400, code: 'BadRequest' });
      assertGraphError(await t.request('GET', `${configs}/%E0%A4%A`, { token }), { status: 400, code: 'BadRequest' });
      assertGraphError(await t.request('PATCH', '/graph/beta/groups/%zz', { token, body: { displayName: 'x' } }), { status: 400, code: 'BadRequest' });
    }
    await assertNothingWritten();
  });

  it('answers headers or a request line over 16 KB with a Graph-shaped 431 before Fastify sees the request', async () => {
    await t.envelope.app.listen({ port: 0, host: '127.0.0.1' });
    const { port } = t.envelope.app.server.address() as AddressInfo;
    for (const exchange of [
      await rawHttp(port, { path: '/graph/beta/users', headers: { authorization: `Bearer ${t.adminToken}`, 'x-padding': 'p'.repeat(17 * 1024) } }),
      await rawHttp(port, { path: `/graph/beta/users?$filter=${'q'.repeat(17 * 1024)}` }),
    ]) {
      assert.equal(exchange.status, 431, exchange.body);
      assert.match(exchange.contentType, /^application\/json/);
      const body = JSON.parse(exchange.body);
      assert.equal(body.error.code, 'RequestHeaderFieldsTooLarge');
      assert.equal(typeof body.error.message, 'string');
    }
    // The server still serves normal requests.
    const normal = await rawHttp(port, { path: '/healthz' });
    assert.equal(normal.status, 200);
    await assertNothingWritten();
  });
});
