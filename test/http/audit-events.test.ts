import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import type { InjectOptions } from 'fastify';
import { createTestCa, issuePushCertificate } from '../../sim/apns/apns-test-pki.ts';
import { appleDevicePaths, knoxDevicePaths, windowsDevicePaths } from '../../src/services/enrollment/enrollment-urls.ts';
import { createTestApp, type Reply, type TestApp } from '../helpers/test-app.ts';

const graph = '/graph/beta';
const audit = `${graph}/deviceManagement/auditEvents`;
const configs = `${graph}/deviceManagement/deviceConfigurations`;
const deviceWritePaths = new Set<string>([...Object.values(appleDevicePaths), ...Object.values(windowsDevicePaths), knoxDevicePaths.enroll]);
/** Device endpoints authenticate with device credentials and keep their own protocol log. */
const isDeviceWrite = (url: string) => deviceWritePaths.has(url) || url.startsWith(`${knoxDevicePaths.api}/`) || url.startsWith('/mdm/android/enterprise/');
/** The company portal's end-user actions (decision 0031): no API token, not admin writes. */
const isPortalWrite = (url: string) => url.startsWith('/portal/api/');
const writeMethods = ['POST', 'PUT', 'PATCH', 'DELETE'] as const;

/** Every (method, URL pattern) the app serves, read from Fastify's own route tree. */
function routesOf(tree: string): { method: string; url: string }[] {
  const stack: string[] = [];
  const out: { method: string; url: string }[] = [];
  for (const line of tree.split('\n')) {
    const match = /^((?:│ {3}| {4})*)(?:├── |└── )(.*) \(([A-Z, ]+)\)$/.exec(line);
    if (!match) continue;
    const depth = match[1]!.length / 4;
    const url = (depth > 0 ? stack[depth - 1]! : '') + match[2]!;
    stack[depth] = url;
    stack.length = depth + 1;
    for (const method of match[3]!.split(', ')) out.push({ method, url });
  }
  return out;
}

interface EventRow {
  id: string;
  tenant_id: string;
  activity: string;
  activity_type: string;
  activity_operation_type: string;
  activity_result: string;
  category: string;
  correlation_id: string;
  actor_token_id: string;
  actor_label: string;
  actor_role: string;
  status_code: number;
  resource_type: string;
  resource_id: string | null;
  resource_display_name: string | null;
  modified_properties: { displayName: string; oldValue: string | null; newValue: string | null }[];
}

describe('the audit trail (deviceManagement/auditEvents)', () => {
  let t: TestApp;
  let adminTokenId: string;

  const rows = () => t.envelope.db.query<EventRow>('SELECT * FROM audit_events ORDER BY created_at, id');
  const rawTable = async () => JSON.stringify(await t.envelope.db.query('SELECT * FROM audit_events'));

  /** Runs `act` and returns the events it recorded. */
  async function recorded(act: () => Promise<unknown>): Promise<EventRow[]> {
    const before = new Set((await rows()).map((r) => r.id));
    await act();
    return (await rows()).filter((r) => !before.has(r.id));
  }

  /** One write that must succeed and record exactly one event, which is returned. */
  async function write(method: InjectOptions['method'], url: string, body?: unknown, status?: number): Promise<{ reply: Reply; event: EventRow }> {
    let reply: Reply | undefined;
    const events = await recorded(async () => {
      reply = await t.request(method, url, body === undefined ? {} : { body });
    });
    assert.ok(reply!.status < 300, `${method} ${url}: ${reply!.status} ${JSON.stringify(reply!.body)}`);
    if (status !== undefined) assert.equal(reply!.status, status);
    assert.equal(events.length, 1, `${method} ${url} recorded ${events.length} events`);
    const event = events[0]!;
    assert.equal(event.activity_result, 'Success');
    assert.equal(event.actor_token_id, adminTokenId);
    assert.equal(event.actor_label, 'first admin token');
    assert.equal(event.actor_role, 'admin');
    return { reply: reply!, event };
  }

  const prop = (event: EventRow, name: string) => event.modified_properties.find((p) => p.displayName === name);

  before(async () => {
    t = await createTestApp();
    adminTokenId = t.envelope.firstToken!.tokenId;
  });
  after(() => t.close());

  it('records every admin write route of the app as exactly one event, with the route, actor and correlation id, whatever the outcome', async () => {
    const routes = routesOf(t.envelope.app.printRoutes({ commonPrefix: false })).filter((r) => (writeMethods as readonly string[]).includes(r.method));
    const adminWrites = routes.filter((r) => r.url.startsWith('/graph/') || r.url.startsWith('/scim/'));
    // Every other write route is a device protocol endpoint, which keeps its own protocol log.
    assert.deepEqual(routes.filter((r) => !adminWrites.includes(r) && !isDeviceWrite(r.url) && !isPortalWrite(r.url)), [], 'a write route outside /graph and /scim that is not a device or company portal endpoint');
    assert.ok(adminWrites.length >= 17, `only ${adminWrites.length} admin write routes found`);
    for (const route of adminWrites) {
      const url = route.url.replace(/:[A-Za-z]+/g, () => randomUUID());
      const correlationId = randomUUID();
      let status = 0;
      const events = await recorded(async () => {
        const reply = await t.envelope.app.inject({
          method: route.method as InjectOptions['method'],
          url,
          headers: { authorization: `Bearer ${t.adminToken}`, 'client-request-id': correlationId },
          ...(route.method === 'DELETE' ? {} : { payload: {} }),
        });
        status = reply.statusCode;
      });
      const pattern = route.url.replace(/:([A-Za-z]+)/g, '{$1}');
      if (/\/(getTargetedUsersAndDevices|\$batch|configuration\/plan|dryRunAssign|dryRunUpdate|dryRunCreate)$/.test(route.url)) {
        // POSTs that only read; a $batch's own requests are recorded one by one.
        assert.equal(events.length, 0, 'a POST that only reads is not a write');
        continue;
      }
      if (route.url.endsWith('/envelope/consoleSession')) {
        // Sign-in takes no bearer token; only a successful one (a session created) is recorded.
        assert.equal(events.length, 0, 'a refused sign-in is no token\'s write');
        continue;
      }
      assert.equal(events.length, 1, `${route.method} ${route.url} (${status}) recorded ${events.length} events`);
      const [event] = events as [EventRow];
      assert.equal(event.activity, `${route.method} ${pattern}`);
      assert.equal(event.status_code, status);
      assert.equal(event.activity_result, status < 400 ? 'Success' : status < 500 ? 'ClientError' : 'Failure');
      assert.equal(event.correlation_id, correlationId);
      assert.equal(event.actor_token_id, adminTokenId);
    }
  });

  it('records a readOnly token refused a write (403) as a ClientError by that token, and nothing for a request without a token', async () => {
    const readOnly = await t.readOnlyToken();
    const events = await recorded(async () => {
      assert.equal((await t.request('POST', `${graph}/users`, { body: { displayName: 'X', userPrincipalName: 'x@contoso.com' }, token: readOnly })).status, 403);
      assert.equal((await t.request('DELETE', `${graph}/users/${randomUUID()}`, { token: readOnly })).status, 403);
      assert.equal((await t.request('POST', `${graph}/users`, { body: { displayName: 'X', userPrincipalName: 'x@contoso.com' }, token: null })).status, 401);
      assert.equal((await t.request('POST', `${graph}/users`, { body: { displayName: 'X', userPrincipalName: 'x@contoso.com' }, token: 'env_unknown' })).status, 401);
    });
    assert.deepEqual(events.map((e) => [e.activity_type, e.activity_result, e.status_code, e.actor_role]), [
      ['Create User', 'ClientError', 403, 'readOnly'],
      ['Delete User', 'ClientError', 403, 'readOnly'],
    ]);
  });

  it('records no event for device protocol requests', async () => {
    const events = await recorded(async () => {
      await t.envelope.app.inject({ method: 'PUT', url: appleDevicePaths.checkIn, payload: 'not a plist', headers: { 'content-type': 'application/x-apple-aspen-mdm-checkin' } });
      await t.envelope.app.inject({ method: 'POST', url: windowsDevicePaths.management, payload: '<SyncML/>', headers: { 'content-type': 'application/vnd.syncml.dm+xml' } });
    });
    assert.deepEqual(events, []);
  });

  it('records what each directory, profile and assignment write changed: created properties, old and new values, deleted names', async () => {
    const user = await write('POST', `${graph}/users`, { displayName: 'Ada Lovelace', userPrincipalName: 'ada@contoso.com', mail: 'ada@contoso.com' }, 201);
    const userId = user.reply.body.id as string;
    assert.equal(user.event.activity_type, 'Create User');
    assert.equal(user.event.activity_operation_type, 'Create');
    assert.equal(user.event.category, 'Directory');
    assert.equal(user.event.resource_type, 'User');
    assert.equal(user.event.resource_id, userId);
    assert.equal(user.event.resource_display_name, 'Ada Lovelace');
    assert.deepEqual(prop(user.event, 'mail'), { displayName: 'mail', oldValue: null, newValue: 'ada@contoso.com' });
    assert.deepEqual(prop(user.event, 'id'), { displayName: 'id', oldValue: null, newValue: userId });

    const patched = await write('PATCH', `${graph}/users/${userId}`, { mail: 'ada.lovelace@contoso.com' }, 204);
    assert.equal(patched.event.activity_type, 'Patch User');
    assert.deepEqual(patched.event.modified_properties, [{ displayName: 'mail', oldValue: 'ada@contoso.com', newValue: 'ada.lovelace@contoso.com' }]);
    assert.equal(patched.event.resource_display_name, 'Ada Lovelace');

    const device = await write('POST', `${graph}/deviceManagement/managedDevices`, { deviceName: 'Ada iPhone', operatingSystem: 'iOS', osVersion: '17.4', userId }, 201);
    const deviceId = device.reply.body.id as string;
    assert.equal(device.event.activity_type, 'Create ManagedDevice');
    const devicePatch = await write('PATCH', `${graph}/deviceManagement/managedDevices/${deviceId}`, { osVersion: '17.5' }, 200);
    assert.deepEqual(prop(devicePatch.event, 'osVersion'), { displayName: 'osVersion', oldValue: '17.4', newValue: '17.5' });

    const group = await write('POST', `${graph}/groups`, { displayName: 'Sales', 'members@odata.bind': [`https://graph.microsoft.com/beta/users/${userId}`] }, 201);
    const groupId = group.reply.body.id as string;
    assert.equal(group.event.resource_display_name, 'Sales');
    const groupPatch = await write('PATCH', `${graph}/groups/${groupId}`, { description: 'Field sales' }, 204);
    assert.deepEqual(groupPatch.event.modified_properties, [{ displayName: 'description', oldValue: null, newValue: 'Field sales' }]);
    const memberAdd = await write('POST', `${graph}/groups/${groupId}/members/$ref`, { '@odata.id': `https://graph.microsoft.com/beta/devices/${deviceId}` }, 204);
    assert.equal(memberAdd.event.activity_type, 'Create Group members/$ref');
    assert.equal(memberAdd.event.resource_id, groupId);
    assert.equal(prop(memberAdd.event, '@odata.id')?.newValue, `https://graph.microsoft.com/beta/devices/${deviceId}`);
    const memberRemove = await write('DELETE', `${graph}/groups/${groupId}/members/${deviceId}/$ref`, undefined, 204);
    assert.equal(memberRemove.event.activity_type, 'Delete Group members/{memberId}/$ref');
    assert.equal(memberRemove.event.resource_id, groupId);

    const profile = await write('POST', configs, {
      '@odata.type': '#microsoft.graph.iosEasEmailProfileConfiguration', displayName: 'iOS mail', accountName: 'Contoso', hostName: 'mail.contoso.com',
      usernameSource: 'userPrincipalName', emailAddressSource: 'userPrincipalName', requireSsl: true, durationOfEmailToSync: 'oneWeek',
    }, 201);
    const profileId = profile.reply.body.id as string;
    assert.equal(profile.event.activity_type, 'Create DeviceConfiguration');
    assert.equal(profile.event.category, 'DeviceConfiguration');
    assert.equal(prop(profile.event, 'hostName')?.newValue, 'mail.contoso.com');
    const profilePatch = await write('PATCH', `${configs}/${profileId}`, { hostName: 'eas.contoso.com' }, 200);
    assert.deepEqual(prop(profilePatch.event, 'hostName'), { displayName: 'hostName', oldValue: 'mail.contoso.com', newValue: 'eas.contoso.com' });
    assert.ok(prop(profilePatch.event, 'version'), 'the version change is recorded too');
    const assign = await write('POST', `${configs}/${profileId}/assign`, { assignments: [{ target: { '@odata.type': '#microsoft.graph.groupAssignmentTarget', groupId } }] }, 200);
    assert.equal(assign.event.activity_type, 'assign DeviceConfiguration');
    assert.equal(assign.event.activity_operation_type, 'Action');
    assert.match(prop(assign.event, 'assignments')!.newValue!, new RegExp(groupId));
    const resend = await write('POST', `${configs}/${profileId}/resend`, { statuses: ['error'] }, 202);
    assert.equal(resend.event.activity_type, 'resend DeviceConfiguration');
    assert.equal(resend.event.category, 'Delivery');

    const deletedProfile = await write('DELETE', `${configs}/${profileId}`, undefined, 204);
    assert.equal(deletedProfile.event.activity_type, 'Delete DeviceConfiguration');
    assert.equal(deletedProfile.event.resource_id, profileId);
    assert.equal(deletedProfile.event.resource_display_name, 'iOS mail');
    assert.deepEqual(deletedProfile.event.modified_properties, []);
    assert.equal((await write('DELETE', `${graph}/deviceManagement/managedDevices/${deviceId}`, undefined, 204)).event.resource_display_name, 'Ada iPhone');
    assert.equal((await write('DELETE', `${graph}/groups/${groupId}`, undefined, 204)).event.resource_display_name, 'Sales');
    assert.equal((await write('DELETE', `${graph}/users/${userId}`, undefined, 204)).event.resource_display_name, 'Ada Lovelace');
  });

  it('never stores a secret: push certificate key, WNS client secret, enrollment tokens, API tokens (raw table scanned)', async () => {
    const ca = await createTestCa('Apple Application Integration 2 Certification Authority (test)');
    const push = await issuePushCertificate(ca, { topic: 'com.apple.mgmt.External.2f4c8a10-5b3d-4e6f-9a7b-8c9d0e1f2a3b' });
    const upload = await write('PUT', `${graph}/envelope/applePushCertificate`, { certificate: push.certificatePem, privateKey: push.privateKeyPem }, 200);
    assert.equal(upload.event.activity_type, 'Put ApplePushCertificate');
    assert.equal(upload.event.category, 'Enrollment');
    assert.equal(prop(upload.event, 'privateKey')?.newValue, '[redacted]');
    assert.equal(prop(upload.event, 'topic')?.newValue, 'com.apple.mgmt.External.2f4c8a10-5b3d-4e6f-9a7b-8c9d0e1f2a3b');

    const clientSecret = 'Vex8L9WOFZuj95euaLrvSH7XyoDhLJc7';
    const sid = 'S-1-15-2-2972962901-2322836549-3722629029-1345238579-3987825745-2155616079-650196962';
    const wns = await write('PUT', `${graph}/envelope/windowsPushSettings`, { packageSid: sid, clientSecret }, 200);
    assert.deepEqual(prop(wns.event, 'clientSecret'), { displayName: 'clientSecret', oldValue: null, newValue: '[redacted]' });
    const wnsAgain = await write('PUT', `${graph}/envelope/windowsPushSettings`, { packageSid: sid, clientSecret: `${clientSecret}-2` }, 200);
    assert.equal(prop(wnsAgain.event, 'clientSecret')?.newValue, '[redacted]');
    assert.equal(prop(wnsAgain.event, 'packageSid')?.oldValue, `ms-app://${sid}`);
    await write('DELETE', `${graph}/envelope/windowsPushSettings`, undefined, 204);

    const user = await t.request('POST', `${graph}/users`, { body: { displayName: 'Tok', userPrincipalName: 'tok@contoso.com' } });
    const issued = await write('POST', `${graph}/envelope/enrollmentTokens`, { userId: user.body.id, platform: 'iOS' }, 201);
    assert.equal(prop(issued.event, 'token')?.newValue, '[redacted]');
    assert.equal(prop(issued.event, 'enrollmentUrl')?.newValue, '[redacted]', 'the URL carries the token');
    await write('DELETE', `${graph}/envelope/enrollmentTokens/${issued.reply.body.id}`, undefined, 204);

    // The tenant CA is created by a GET and records nothing; its key never reaches the trail.
    assert.deepEqual(await recorded(() => t.request('GET', `${graph}/envelope/certificateAuthority`)), []);
    // A refused write with secrets in it records the attempt, redacted.
    const refused = await recorded(() => t.request('PUT', `${graph}/envelope/windowsPushSettings`, { body: { packageSid: 'nope', clientSecret, password: 'hunter2-Password!', passwordProfile: { password: 'P@ss' } } }));
    assert.equal(refused.length, 1);
    assert.equal(refused[0]!.activity_result, 'ClientError');

    const raw = await rawTable();
    for (const secret of [clientSecret, 'hunter2-Password!', 'P@ss', issued.reply.body.token as string, t.adminToken, 'PRIVATE KEY', push.privateKeyPem.split('\n')[1]!]) {
      assert.equal(raw.includes(secret), false, `the audit table holds a secret (${secret.slice(0, 12)}…)`);
    }
    assert.equal(raw.includes(String(issued.reply.body.token).slice(4, 24)), false);
  });

  it('lists events as Graph auditEvents, pages them with $top and @odata.nextLink, in either order, and gets one by id', async () => {
    const all = await rows();
    assert.ok(all.length > 10);
    const seen: string[] = [];
    let url: string | undefined = `${audit}?$top=4`;
    while (url) {
      const reply = await t.request('GET', url.replace('https://envelope.test', ''));
      assert.equal(reply.status, 200, JSON.stringify(reply.body));
      assert.ok(reply.body.value.length <= 4);
      seen.push(...reply.body.value.map((e: { id: string }) => e.id));
      url = reply.body['@odata.nextLink'];
    }
    assert.deepEqual(seen, all.map((r) => r.id));
    const newest = await t.request('GET', `${audit}?$top=3&$orderby=activityDateTime desc`);
    assert.deepEqual(newest.body.value.map((e: { id: string }) => e.id), all.slice(-3).reverse().map((r) => r.id));
    const second = await t.request('GET', newest.body['@odata.nextLink'].replace('https://envelope.test', ''));
    assert.deepEqual(second.body.value.map((e: { id: string }) => e.id), all.slice(-6, -3).reverse().map((r) => r.id));

    const patch = all.find((r) => r.activity_type === 'Patch User' && r.activity_result === 'Success')!;
    const one = await t.request('GET', `${audit}/${patch.id}`);
    assert.equal(one.status, 200);
    assert.deepEqual(one.body, {
      '@odata.type': '#microsoft.graph.auditEvent',
      id: patch.id,
      displayName: 'Patch User',
      componentName: 'Graph',
      actor: {
        type: 'Application', auditActorType: 'ItPro', userPermissions: ['admin'], applicationId: adminTokenId, applicationDisplayName: 'first admin token',
        userPrincipalName: null, servicePrincipalName: null, ipAddress: '127.0.0.1', userId: null,
      },
      activity: 'PATCH /graph/beta/users/{id}',
      activityDateTime: one.body.activityDateTime,
      activityType: 'Patch User',
      activityOperationType: 'Patch',
      activityResult: 'Success',
      correlationId: patch.correlation_id,
      resources: [{
        displayName: 'Ada Lovelace', type: 'User', auditResourceType: 'User', resourceId: patch.resource_id,
        modifiedProperties: [{ displayName: 'mail', oldValue: 'ada@contoso.com', newValue: 'ada.lovelace@contoso.com' }],
      }],
      category: 'Directory',
    });
    const selected = await t.request('GET', `${audit}?$top=1&$select=activityType,actor`);
    assert.deepEqual(Object.keys(selected.body.value[0]).sort(), ['@odata.type', 'activityType', 'actor', 'id']);
  });

  it('filters on activityDateTime, category, activityType, result, actor and resource id', async () => {
    const all = await rows();
    const ids = async (filter: string) => {
      const reply = await t.request('GET', `${audit}?$top=999&$filter=${encodeURIComponent(filter)}`);
      assert.equal(reply.status, 200, `${filter}: ${JSON.stringify(reply.body)}`);
      return reply.body.value.map((e: { id: string }) => e.id);
    };
    const idsWhere = (test: (r: EventRow) => boolean) => all.filter(test).map((r) => r.id);
    assert.deepEqual(await ids("category eq 'Enrollment'"), idsWhere((r) => r.category === 'Enrollment'));
    assert.deepEqual(await ids("activityType eq 'Create User' and activityResult eq 'Success'"), idsWhere((r) => r.activity_type === 'Create User' && r.activity_result === 'Success'));
    assert.deepEqual(await ids("activityResult eq 'ClientError'"), idsWhere((r) => r.activity_result === 'ClientError'));
    assert.deepEqual(await ids(`actor/applicationId eq '${adminTokenId}'`), idsWhere((r) => r.actor_token_id === adminTokenId));
    const userId = all.find((r) => r.activity_type === 'Patch User' && r.activity_result === 'Success')!.resource_id!;
    assert.deepEqual(await ids(`resources/any(r:r/resourceId eq '${userId}')`), idsWhere((r) => r.resource_id === userId));
    assert.equal((await ids(`resources/any(r:r/resourceId eq '${userId}')`)).length, 3, 'create, patch, delete');
    assert.deepEqual(await ids('activityDateTime ge 2000-01-01T00:00:00Z and activityDateTime le 2999-01-01T00:00:00Z'), all.map((r) => r.id));
    assert.deepEqual(await ids(`activityDateTime gt ${new Date(Date.now() + 60_000).toISOString()}`), []);

    for (const [filter, message] of [
      ["displayName eq 'x'", /cannot be filtered on/],
      ["category ge 'x'", /eq only/],
      ["actor/applicationId eq 'not-a-guid'", /GUID/],
      ['activityDateTime ge yesterday', /ISO 8601/],
      ["category eq 'x' or category eq 'y'", /not supported/],
    ] as const) {
      const reply = await t.request('GET', `${audit}?$filter=${encodeURIComponent(filter)}`);
      assert.equal(reply.status, 400, filter);
      assert.equal(reply.body.error.target, '$filter');
      assert.match(reply.body.error.message, message);
    }
    assert.equal((await t.request('GET', `${audit}?$orderby=category`)).status, 400);
    assert.equal((await t.request('GET', `${audit}?$skiptoken=bogus`)).status, 400);
  });

  it('lists the categories and activity types of the audited routes (getAuditCategories, getAuditActivityTypes)', async () => {
    const categories = await t.request('GET', `${audit}/getAuditCategories()`);
    assert.equal(categories.status, 200);
    assert.deepEqual(categories.body.value, ['ConsoleAccounts', 'Delivery', 'DeviceConfiguration', 'Directory', 'Enrollment']);
    const types = await t.request('GET', `${audit}/getAuditActivityTypes(category='Directory')`);
    assert.equal(types.status, 200);
    for (const type of ['Create User', 'Patch User', 'Delete User', 'Create Group members/$ref', 'Create ManagedDevice']) assert.ok(types.body.value.includes(type), type);
    assert.deepEqual((await t.request('GET', `${audit}/getAuditActivityTypes(category='Nothing')`)).body.value, []);
    assert.equal((await t.request('GET', `${audit}/getAuditActivityTypes(category=Directory)`)).status, 400);
  });

  it('is readable by admin and readOnly tokens of the tenant only: 401 without a token, 404 for another tenant\'s event, 405-free (no writes)', async () => {
    const one = (await rows())[0]!;
    const readOnly = await t.readOnlyToken();
    assert.equal((await t.request('GET', audit, { token: readOnly })).status, 200);
    assert.equal((await t.request('GET', `${audit}/${one.id}`, { token: readOnly })).status, 200);
    assert.equal((await t.request('GET', audit, { token: null })).status, 401);
    assert.equal((await t.request('GET', `${audit}/${one.id}`, { token: null })).status, 401);

    const other = await t.tenant('fabrikam');
    const otherList = await t.request('GET', audit, { token: other.admin });
    assert.deepEqual(otherList.body.value, []);
    assert.equal((await t.request('GET', `${audit}/${one.id}`, { token: other.admin })).status, 404);
    const created = await t.request('POST', `${graph}/users`, { body: { displayName: 'Fab', userPrincipalName: 'fab@fabrikam.com' }, token: other.admin });
    assert.equal(created.status, 201);
    const fab = await t.request('GET', audit, { token: other.readOnly });
    assert.deepEqual(fab.body.value.map((e: { activityType: string }) => e.activityType), ['Create User']);
    assert.notEqual(fab.body.value[0].actor.applicationId, adminTokenId);
    assert.equal((await t.request('GET', `${audit}/${fab.body.value[0].id}`)).status, 404);
    assert.equal((await t.request('GET', `${audit}/not-a-guid`)).status, 400);
    // The trail itself cannot be written through the API.
    assert.equal((await t.request('POST', audit, { body: {} })).status, 404);
    assert.equal((await t.request('DELETE', `${audit}/${one.id}`)).status, 404);
  });

  it('is append-only in the database: UPDATE, DELETE and TRUNCATE are refused', async () => {
    const one = (await rows())[0]!;
    await assert.rejects(t.envelope.db.query("UPDATE audit_events SET activity_type = 'x' WHERE id = $1", [one.id]), /append-only/);
    await assert.rejects(t.envelope.db.query('DELETE FROM audit_events WHERE id = $1', [one.id]), /append-only/);
    await assert.rejects(t.envelope.db.exec('TRUNCATE audit_events'), /append-only/);
    assert.equal((await rows())[0]!.activity_type, one.activity_type);
  });

  it('rolls a write back when its audit event cannot be inserted (decision 0032): no change without its event', async () => {
    await t.envelope.db.exec(`CREATE FUNCTION test_refuse_audit() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'audit disk full'; END; $$;
      CREATE TRIGGER test_refuse_audit BEFORE INSERT ON audit_events FOR EACH ROW EXECUTE FUNCTION test_refuse_audit();`);
    try {
      const before = await t.count('audit_events');
      const users = await t.count('users');
      const reply = await t.request('POST', `${graph}/users`, { body: { displayName: 'Unaudited', userPrincipalName: 'unaudited@contoso.com' } });
      assert.equal(reply.status, 503, JSON.stringify(reply.body));
      assert.equal(reply.body.error.code, 'ServiceUnavailable');
      assert.equal((await t.request('GET', `${graph}/users/unaudited@contoso.com`)).status, 404);
      assert.equal(await t.count('users'), users);
      assert.equal(await t.count('audit_events'), before);
    } finally {
      await t.envelope.db.exec('DROP TRIGGER test_refuse_audit ON audit_events; DROP FUNCTION test_refuse_audit();');
    }
  });

  it('deletes a tenant\'s events with the tenant (the one delete the trail allows)', async () => {
    const other = await t.tenant('northwind');
    await t.request('POST', `${graph}/users`, { body: { displayName: 'N', userPrincipalName: 'n@northwind.com' }, token: other.admin });
    const [tenant] = await t.envelope.db.query<{ id: string }>("SELECT id FROM tenants WHERE name = 'northwind'");
    assert.equal((await t.envelope.db.query('SELECT 1 FROM audit_events WHERE tenant_id = $1', [tenant!.id])).length, 1);
    await t.envelope.db.query('DELETE FROM tenants WHERE id = $1', [tenant!.id]);
    assert.equal((await t.envelope.db.query('SELECT 1 FROM audit_events WHERE tenant_id = $1', [tenant!.id])).length, 0);
  });
});
