import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import tls from 'node:tls';
import { BatchRequestContent, BatchResponseContent, Client, PageIterator } from '@microsoft/microsoft-graph-client';
import { createTestCa, issueServerCertificate } from '../../sim/apns/apns-test-pki.ts';
import { createEnvelope, type Envelope } from '../../src/main.ts';
import { openTestDb, type TestDb } from '../helpers/test-db.ts';

/**
 * Microsoft's Graph JS client (`@microsoft/microsoft-graph-client`), unchanged, against a real
 * Envelope over HTTPS — and the raw requests the Graph PowerShell SDK sends (its cmdlets are
 * generated clients: the same URL, query options and headers, replayed here with `fetch`).
 */
describe('Graph SDK clients against Envelope over HTTPS', () => {
  let db: TestDb;
  let envelope: Envelope;
  let origin: string;
  let adminToken: string;
  let client: Client;
  const defaultCas = tls.getCACertificates('default');

  before(async () => {
    const ca = await createTestCa('Graph SDK test CA');
    const server = await issueServerCertificate(ca);
    // The client uses Node's fetch; it trusts the test CA as a machine would trust its own.
    tls.setDefaultCACertificates([...defaultCas, ca.certificatePem]);
    db = await openTestDb();
    adminToken = `env_test_${randomBytes(24).toString('base64url')}`;
    envelope = await createEnvelope({
      db: db.db, secretKey: randomBytes(32), adminToken, logger: false, publicUrl: null,
      https: { cert: Buffer.from(server.certificatePem), key: Buffer.from(server.privateKeyPem) },
    });
    await envelope.app.listen({ port: 0, host: '127.0.0.1' });
    origin = `https://127.0.0.1:${(envelope.app.server.address() as { port: number }).port}`;
    client = Client.init({
      authProvider: (done) => done(null, adminToken),
      baseUrl: `${origin}/graph`,
      defaultVersion: 'beta',
      customHosts: new Set(['127.0.0.1']),
    });
  });
  after(async () => {
    await envelope?.app.close();
    await db?.dispose();
    tls.setDefaultCACertificates(defaultCas);
  });

  /** Every item of a paged list, through the SDK's PageIterator (it follows `@odata.nextLink`). */
  async function iterateAll(first: { value: unknown[] }, headers: Record<string, string> = {}): Promise<Record<string, unknown>[]> {
    const items: Record<string, unknown>[] = [];
    const iterator = new PageIterator(client, first as never, (item) => {
      items.push(item as Record<string, unknown>);
      return true;
    }, { headers });
    await iterator.iterate();
    return items;
  }

  it('users: create, get by id and by UPN, $count with ConsistencyLevel, startswith, $top paging, update, delete', async () => {
    const created = [];
    for (const n of [1, 2, 3, 4, 5]) {
      created.push(await client.api('/users').post({
        accountEnabled: true, displayName: `Pat Sdk ${n}`, mailNickname: `patsdk${n}`, userPrincipalName: `pat.sdk${n}@contoso.com`,
        passwordProfile: { forceChangePasswordNextSignIn: true, password: 'xWwvJ]6NMw+bWH-d' },
      }));
    }
    await client.api('/users').post({ displayName: 'Quinn Other', userPrincipalName: 'quinn@contoso.com', mailNickname: 'quinn', accountEnabled: true });
    const first = created[0];
    assert.equal(first.userPrincipalName, 'pat.sdk1@contoso.com');
    assert.equal((await client.api(`/users/${first.id}`).get()).displayName, 'Pat Sdk 1');
    assert.equal((await client.api('/users/pat.sdk2@contoso.com').get()).id, created[1].id);
    assert.equal((await client.api('/users/pat.sdk2@contoso.com').select(['id', 'displayName']).get()).userPrincipalName, undefined);

    const page = await client.api('/users').header('ConsistencyLevel', 'eventual').count(true).filter("startswith(displayName,'Pat Sdk')").top(2).get();
    assert.equal(page['@odata.count'], 5);
    assert.equal(page.value.length, 2);
    assert.ok(page['@odata.nextLink'].startsWith(`${origin}/graph/beta/users?`), page['@odata.nextLink']);
    const all = await iterateAll(page, { ConsistencyLevel: 'eventual' });
    assert.deepEqual(all.map((u) => u.displayName).sort(), ['Pat Sdk 1', 'Pat Sdk 2', 'Pat Sdk 3', 'Pat Sdk 4', 'Pat Sdk 5']);
    // /$count answers text/plain, which the SDK hands back as text (as from Graph).
    assert.equal(await client.api('/users/$count').header('ConsistencyLevel', 'eventual').filter("startswith(displayName,'Pat')").get(), '5');
    const ordered = await client.api('/users').orderby('displayName desc').top(1).get();
    assert.equal(ordered.value[0].displayName, 'Quinn Other');

    await client.api('/users/pat.sdk3@contoso.com').patch({ displayName: 'Pat Sdk Three', mail: 'pat3@contoso.com' });
    assert.equal((await client.api(`/users/${created[2].id}`).get()).mail, 'pat3@contoso.com');
    await client.api(`/users/${created[4].id}`).delete();
    await assert.rejects(client.api(`/users/${created[4].id}`).get(), (err: { statusCode?: number; code?: string }) => err.statusCode === 404);
  });

  it('groups: create with members@odata.bind, get, list with $count and startswith, paging, update, delete', async () => {
    const ann = await client.api('/users').post({ displayName: 'Ann Groups', userPrincipalName: 'ann.groups@contoso.com' });
    const names = ['Sales EMEA', 'Sales APAC', 'Sales US', 'Finance'];
    const groups = [];
    for (const displayName of names) {
      groups.push(await client.api('/groups').post({
        description: `${displayName} team`, displayName, groupTypes: [], mailEnabled: false, mailNickname: displayName.replace(/ /g, '').toLowerCase(), securityEnabled: true,
        'members@odata.bind': [`https://graph.microsoft.com/v1.0/users/${ann.id}`],
      }));
    }
    assert.equal((await client.api(`/groups/${groups[0].id}`).get()).displayName, 'Sales EMEA');
    const members = await client.api(`/groups/${groups[0].id}/members`).get();
    assert.deepEqual(members.value.map((m: { id: string }) => m.id), [ann.id]);
    const page = await client.api('/groups').header('ConsistencyLevel', 'eventual').count(true).filter("startswith(displayName,'Sales')").top(1).get();
    assert.equal(page['@odata.count'], 3);
    assert.equal((await iterateAll(page, { ConsistencyLevel: 'eventual' })).length, 3);
    await client.api(`/groups/${groups[3].id}`).patch({ description: 'Money' });
    assert.equal((await client.api(`/groups/${groups[3].id}`).get()).description, 'Money');
    await client.api(`/groups/${groups[3].id}`).delete();
    assert.equal(await client.api('/groups/$count').header('ConsistencyLevel', 'eventual').get(), '3');
  });

  it('managed devices: create, get, list with $count and startswith, paging, update, delete', async () => {
    const owner = await client.api('/users').post({ displayName: 'Device Owner', userPrincipalName: 'device.owner@contoso.com' });
    const devices = [];
    for (const n of [1, 2, 3]) {
      devices.push(await client.api('/deviceManagement/managedDevices').post({ deviceName: `SDK iPhone ${n}`, operatingSystem: 'iOS', osVersion: '18.1', userId: owner.id }));
    }
    assert.equal((await client.api(`/deviceManagement/managedDevices/${devices[0].id}`).get()).userPrincipalName, 'device.owner@contoso.com');
    const page = await client.api('/deviceManagement/managedDevices').count(true).filter("startswith(deviceName,'SDK')").top(2).get();
    assert.equal(page['@odata.count'], 3);
    assert.equal((await iterateAll(page)).length, 3);
    await client.api(`/deviceManagement/managedDevices/${devices[1].id}`).patch({ deviceName: 'Renamed iPhone' });
    assert.equal((await client.api(`/deviceManagement/managedDevices/${devices[1].id}`).get()).deviceName, 'Renamed iPhone');
    await client.api(`/deviceManagement/managedDevices/${devices[2].id}`).delete();
    assert.equal(await client.api('/deviceManagement/managedDevices/$count').get(), '2');
  });

  it('profiles and assignments: create, get, list with $count, startswith and paging, assign, $expand, update, delete', async () => {
    const group = await client.api('/groups').post({ displayName: 'Mail users', mailEnabled: false, mailNickname: 'mailusers', securityEnabled: true });
    const profiles = [];
    for (const n of [1, 2, 3]) {
      profiles.push(await client.api('/deviceManagement/deviceConfigurations').post({
        '@odata.type': '#microsoft.graph.iosEasEmailProfileConfiguration', displayName: `SDK mail ${n}`, accountName: 'Contoso',
        hostName: 'mail.contoso.com', usernameSource: 'userPrincipalName', emailAddressSource: 'primarySmtpAddress', requireSsl: true,
      }));
    }
    const profile = profiles[0];
    assert.equal((await client.api(`/deviceManagement/deviceConfigurations/${profile.id}`).get()).hostName, 'mail.contoso.com');
    const page = await client.api('/deviceManagement/deviceConfigurations').count(true).filter("startswith(displayName,'SDK mail')").top(2).get();
    assert.equal(page['@odata.count'], 3);
    assert.equal((await iterateAll(page)).length, 3);

    const assigned = await client.api(`/deviceManagement/deviceConfigurations/${profile.id}/assign`).post({
      assignments: [{ target: { '@odata.type': '#microsoft.graph.groupAssignmentTarget', groupId: group.id } }],
    });
    assert.equal(assigned.value.length, 1);
    const assignments = await client.api(`/deviceManagement/deviceConfigurations/${profile.id}/assignments`).get();
    assert.equal(assignments.value[0].target.groupId, group.id);
    const expanded = await client.api(`/deviceManagement/deviceConfigurations/${profile.id}`).expand('assignments').get();
    assert.equal(expanded.assignments[0].id, assignments.value[0].id);

    await client.api(`/deviceManagement/deviceConfigurations/${profile.id}`).patch({ '@odata.type': '#microsoft.graph.iosEasEmailProfileConfiguration', description: 'Edited by the SDK' });
    const edited = await client.api(`/deviceManagement/deviceConfigurations/${profile.id}`).get();
    assert.deepEqual([edited.description, edited.version], ['Edited by the SDK', 2]);
    // One assignment at a time, as Graph's deviceConfigurationAssignment collection takes them.
    const single = await client.api(`/deviceManagement/deviceConfigurations/${profile.id}/assignments`).post({
      target: { '@odata.type': '#microsoft.graph.allDevicesAssignmentTarget' },
    });
    assert.equal(single.target['@odata.type'], '#microsoft.graph.allDevicesAssignmentTarget');
    assert.equal((await client.api(`/deviceManagement/deviceConfigurations/${profile.id}/assignments/${single.id}`).get()).id, single.id);
    assert.equal((await client.api(`/deviceManagement/deviceConfigurations/${profile.id}/assignments`).get()).value.length, 2);
    await assert.rejects(
      client.api(`/deviceManagement/deviceConfigurations/${profile.id}/assignments`).post({ target: { '@odata.type': '#microsoft.graph.groupAssignmentTarget', groupId: randomUUID() } }),
      (err: { statusCode?: number; body?: string }) => err.statusCode === 400 && JSON.parse(err.body ?? '{}').target === 'target.groupId',
    );
    await assert.rejects(
      client.api(`/deviceManagement/deviceConfigurations/${profile.id}/assignments`).post({ target: { '@odata.type': '#microsoft.graph.allDevicesAssignmentTarget' } }),
      (err: { statusCode?: number }) => err.statusCode === 409,
    );
    await client.api(`/deviceManagement/deviceConfigurations/${profile.id}/assignments/${single.id}`).delete();
    await assert.rejects(client.api(`/deviceManagement/deviceConfigurations/${profile.id}/assignments/${single.id}`).get(), (err: { statusCode?: number }) => err.statusCode === 404);
    await client.api(`/deviceManagement/deviceConfigurations/${profile.id}/assign`).post({ assignments: [] });
    assert.deepEqual((await client.api(`/deviceManagement/deviceConfigurations/${profile.id}/assignments`).get()).value, []);
    await client.api(`/deviceManagement/deviceConfigurations/${profiles[2].id}`).delete();
    assert.equal(await client.api('/deviceManagement/deviceConfigurations/$count').get(), '2');
  });

  it('$batch built with BatchRequestContent, dependsOn included, and read with BatchResponseContent', async () => {
    const json = { 'Content-Type': 'application/json' };
    const steps = [
      { id: '1', request: new Request(`${origin}/graph/beta/users`, { method: 'POST', headers: json, body: JSON.stringify({ displayName: 'Batch One', userPrincipalName: 'batch.one@contoso.com' }) }) },
      { id: '2', request: new Request(`${origin}/graph/beta/groups`, { method: 'POST', headers: json, body: JSON.stringify({ displayName: 'Batch group', mailEnabled: false, mailNickname: 'batchgroup', securityEnabled: true }) }), dependsOn: ['1'] },
      { id: '3', request: new Request(`${origin}/graph/beta/users/batch.one@contoso.com`, { method: 'GET' }), dependsOn: ['2'] },
      // The SDK allows only serial, parallel or same-dependency chains: this one is serial.
      { id: '4', request: new Request(`${origin}/graph/beta/users?$filter=startswith(displayName,'Batch')&$count=true`, { method: 'GET', headers: { ConsistencyLevel: 'eventual' } }), dependsOn: ['3'] },
    ];
    const batch = new BatchRequestContent(steps);
    const answer = new BatchResponseContent(await client.api('/$batch').post(await batch.getContent()));
    assert.equal(answer.getResponseById('1').status, 201);
    assert.equal(answer.getResponseById('2').status, 201);
    const read = answer.getResponseById('3');
    assert.equal(read.status, 200);
    assert.equal(((await read.json()) as { displayName: string }).displayName, 'Batch One');
    const listed = (await answer.getResponseById('4').json()) as { '@odata.count': number };
    assert.equal(listed['@odata.count'], 1);

    // A step whose dependency failed is not run (424), as Graph answers.
    const failing = new BatchRequestContent([
      { id: 'a', request: new Request(`${origin}/graph/beta/users`, { method: 'POST', headers: json, body: JSON.stringify({ displayName: 'No UPN' }) }) },
      { id: 'b', request: new Request(`${origin}/graph/beta/users/${randomUUID()}`, { method: 'DELETE' }), dependsOn: ['a'] },
    ]);
    const failed = new BatchResponseContent(await client.api('/$batch').post(await failing.getContent()));
    assert.equal(failed.getResponseById('a').status, 400);
    assert.equal(failed.getResponseById('b').status, 424);
  });

  it('refuses the SDK without a token, a readOnly token writing, and another tenant\'s objects', async () => {
    const anonymous = Client.init({ authProvider: (done) => done(null, 'env_not_a_token'), baseUrl: `${origin}/graph`, defaultVersion: 'beta', customHosts: new Set(['127.0.0.1']) });
    await assert.rejects(anonymous.api('/users').get(), (err: { statusCode?: number }) => err.statusCode === 401);
    const readOnly = (await envelope.services.tenants.createToken('default', 'readOnly')).token;
    const reader = Client.init({ authProvider: (done) => done(null, readOnly), baseUrl: `${origin}/graph`, defaultVersion: 'beta', customHosts: new Set(['127.0.0.1']) });
    assert.ok((await reader.api('/users').get()).value.length > 0);
    await assert.rejects(reader.api('/users').post({ displayName: 'X', userPrincipalName: 'x@contoso.com' }), (err: { statusCode?: number }) => err.statusCode === 403);
    await envelope.services.tenants.createTenant('sdk-other');
    const other = (await envelope.services.tenants.createToken('sdk-other', 'admin')).token;
    const outsider = Client.init({ authProvider: (done) => done(null, other), baseUrl: `${origin}/graph`, defaultVersion: 'beta', customHosts: new Set(['127.0.0.1']) });
    await assert.rejects(outsider.api('/users/pat.sdk1@contoso.com').get(), (err: { statusCode?: number }) => err.statusCode === 404);
    // Single assignments: readOnly may read, not write; another tenant's profile is not there.
    const mine = await client.api('/deviceManagement/deviceConfigurations').post({
      '@odata.type': '#microsoft.graph.iosEasEmailProfileConfiguration', displayName: 'SDK denial mail', accountName: 'Contoso',
      hostName: 'mail.contoso.com', usernameSource: 'userPrincipalName', emailAddressSource: 'primarySmtpAddress',
    });
    const added = await client.api(`/deviceManagement/deviceConfigurations/${mine.id}/assignments`).post({ target: { '@odata.type': '#microsoft.graph.allLicensedUsersAssignmentTarget' } });
    assert.equal((await reader.api(`/deviceManagement/deviceConfigurations/${mine.id}/assignments/${added.id}`).get()).id, added.id);
    await assert.rejects(reader.api(`/deviceManagement/deviceConfigurations/${mine.id}/assignments`).post({ target: { '@odata.type': '#microsoft.graph.allDevicesAssignmentTarget' } }), (err: { statusCode?: number }) => err.statusCode === 403);
    await assert.rejects(reader.api(`/deviceManagement/deviceConfigurations/${mine.id}/assignments/${added.id}`).delete(), (err: { statusCode?: number }) => err.statusCode === 403);
    await assert.rejects(outsider.api(`/deviceManagement/deviceConfigurations/${mine.id}/assignments/${added.id}`).get(), (err: { statusCode?: number }) => err.statusCode === 404);
    await assert.rejects(outsider.api(`/deviceManagement/deviceConfigurations/${mine.id}/assignments/${added.id}`).delete(), (err: { statusCode?: number }) => err.statusCode === 404);
    await assert.rejects(outsider.api(`/deviceManagement/deviceConfigurations/${mine.id}/assignments`).post({ target: { '@odata.type': '#microsoft.graph.allDevicesAssignmentTarget' } }), (err: { statusCode?: number }) => err.statusCode === 404);
    assert.equal((await client.api(`/deviceManagement/deviceConfigurations/${mine.id}/assignments`).get()).value.length, 1);
  });

  describe('raw requests as the Graph PowerShell SDK sends them', () => {
    // Microsoft.Graph PowerShell 2.x: a client-request-id GUID, SdkVersion naming the module, a
    // User-Agent naming the cmdlet, query options with `$` percent-encoded, and for -All every
    // `@odata.nextLink` followed as given with the same headers (the SDK's documented behaviour).
    // The SdkVersion and User-Agent values are representative, not copied from a captured trace:
    // Envelope must accept them whatever they say, and does not read them.
    const headers = (cmdlet: string, extra: Record<string, string> = {}) => ({
      authorization: `Bearer ${adminToken}`,
      'client-request-id': randomUUID(),
      SdkVersion: 'graph-powershell/2.25.0',
      'User-Agent': `FileVersion/2.25.0 PowerShell/7.4.6 ${cmdlet}`,
      'Accept-Encoding': 'gzip',
      ...extra,
    });

    it('Get-MgUser -All -ConsistencyLevel eventual -CountVariable c -Filter "startswith(displayName,\'Pat\')" -PageSize 2', async () => {
      for (const n of [1, 2, 3]) {
        const made = await fetch(`${origin}/graph/v1.0/users`, { method: 'POST', headers: headers('New-MgUser_CreateExpanded', { 'Content-Type': 'application/json' }), body: JSON.stringify({ displayName: `Psh User ${n}`, userPrincipalName: `psh${n}@contoso.com`, accountEnabled: true, mailNickname: `psh${n}`, passwordProfile: { password: 'Pa55-w0rd-never-kept' } }) });
        assert.equal(made.status, 201, await made.text());
      }
      let url: string | undefined = `${origin}/graph/v1.0/users?%24filter=startswith%28displayName%2C%27Psh%20User%27%29&%24count=true&%24top=2`;
      const names: string[] = [];
      let count: number | undefined;
      let pages = 0;
      while (url) {
        const response = await fetch(url, { headers: headers('Get-MgUser_List', { ConsistencyLevel: 'eventual' }) });
        assert.equal(response.status, 200, await response.clone().text());
        const body = await response.json() as { value: { displayName: string }[]; '@odata.count'?: number; '@odata.nextLink'?: string };
        count ??= body['@odata.count'];
        names.push(...body.value.map((u) => u.displayName));
        url = body['@odata.nextLink'];
        pages += 1;
      }
      assert.equal(count, 3);
      assert.equal(pages, 2);
      assert.deepEqual(names.sort(), ['Psh User 1', 'Psh User 2', 'Psh User 3']);
    });

    it('New-MgGroup -DisplayName … -MailEnabled:$false -MailNickname … -SecurityEnabled', async () => {
      const sent = headers('New-MgGroup_CreateExpanded', { 'Content-Type': 'application/json' });
      const response = await fetch(`${origin}/graph/v1.0/groups`, {
        method: 'POST',
        headers: sent,
        body: JSON.stringify({ displayName: 'PowerShell group', mailEnabled: false, mailNickname: 'psgroup', securityEnabled: true }),
      });
      assert.equal(response.status, 201, await response.clone().text());
      const group = await response.json() as { id: string; displayName: string };
      assert.equal(group.displayName, 'PowerShell group');
      // The audit trail names the write by the client-request-id the SDK sent.
      const audit = await fetch(`${origin}/graph/beta/deviceManagement/auditEvents?$filter=correlationId eq '${sent['client-request-id']}'`, { headers: headers('Invoke-MgGraphRequest') });
      const events = (await audit.json() as { value: { activityType: string; resources: { resourceId: string }[] }[] }).value;
      assert.deepEqual(events.map((e) => [e.activityType, e.resources[0]!.resourceId]), [['Create Group', group.id]]);
    });

    it('Invoke-MgGraphRequest for deviceConfigurations and assign', async () => {
      const invoke = async (method: string, uri: string, body?: unknown) => {
        const response = await fetch(`${origin}/graph${uri}`, {
          method,
          headers: headers('Invoke-MgGraphRequest', body === undefined ? {} : { 'Content-Type': 'application/json' }),
          ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        });
        const text = await response.text();
        return { status: response.status, body: text ? JSON.parse(text) as Record<string, unknown> : null };
      };
      const created = await invoke('POST', '/beta/deviceManagement/deviceConfigurations', {
        '@odata.type': '#microsoft.graph.windows10EasEmailProfileConfiguration', displayName: 'PS Windows mail', accountName: 'Contoso',
        hostName: 'mail.contoso.com', usernameSource: 'userPrincipalName', emailAddressSource: 'primarySmtpAddress', requireSsl: true,
      });
      assert.equal(created.status, 201, JSON.stringify(created.body));
      const group = await invoke('POST', '/beta/groups', { displayName: 'PS mail users', mailEnabled: false, mailNickname: 'psmailusers', securityEnabled: true });
      const assign = await invoke('POST', `/beta/deviceManagement/deviceConfigurations/${String(created.body!.id)}/assign`, {
        assignments: [{ target: { '@odata.type': '#microsoft.graph.groupAssignmentTarget', groupId: group.body!.id } }],
      });
      assert.equal(assign.status, 200, JSON.stringify(assign.body));
      const listed = await invoke('GET', "/beta/deviceManagement/deviceConfigurations?$filter=displayName eq 'PS Windows mail'&$expand=assignments");
      assert.equal(listed.status, 200, JSON.stringify(listed.body));
      const [profile] = listed.body!.value as { assignments: { target: { groupId: string } }[] }[];
      assert.equal(profile!.assignments[0]!.target.groupId, group.body!.id);
    });
  });
});
