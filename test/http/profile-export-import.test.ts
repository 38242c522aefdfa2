import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { createTestApp, type TestApp } from '../helpers/test-app.ts';

const base = '/graph/beta/deviceManagement/deviceConfigurations';

/** A profile exported with `$expand=assignments` re-imports with its assignments, in one transaction. */
describe('profile export with $expand=assignments, re-imported', () => {
  let t: TestApp;
  let groupId: string;
  let excludedId: string;
  before(async () => {
    t = await createTestApp();
    groupId = (await t.request('POST', '/graph/beta/groups', { body: { displayName: 'Mail users' } })).body.id;
    excludedId = (await t.request('POST', '/graph/beta/groups', { body: { displayName: 'Kiosks' } })).body.id;
  });
  after(() => t.close());

  /** Creates, assigns and exports a profile as Graph tools do (GET with $expand, plus Graph's context annotations). */
  async function exported(displayName: string): Promise<Record<string, unknown>> {
    const created = await t.request('POST', base, {
      body: {
        '@odata.type': '#microsoft.graph.iosEasEmailProfileConfiguration', displayName, accountName: 'Contoso', hostName: 'mail.contoso.com',
        usernameSource: 'userPrincipalName', emailAddressSource: 'primarySmtpAddress', requireSsl: true,
      },
    });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const assign = await t.request('POST', `${base}/${created.body.id}/assign`, {
      body: {
        assignments: [
          { target: { '@odata.type': '#microsoft.graph.groupAssignmentTarget', groupId } },
          { target: { '@odata.type': '#microsoft.graph.exclusionGroupAssignmentTarget', groupId: excludedId } },
          { target: { '@odata.type': '#microsoft.graph.allDevicesAssignmentTarget' } },
        ],
      },
    });
    assert.equal(assign.status, 200, JSON.stringify(assign.body));
    const got = await t.request('GET', `${base}/${created.body.id}?$expand=assignments`);
    assert.equal(got.status, 200);
    assert.equal(got.body.assignments.length, 3);
    return {
      '@odata.context': `https://graph.microsoft.com/beta/$metadata#deviceManagement/deviceConfigurations(assignments())/$entity`,
      'assignments@odata.context': `https://graph.microsoft.com/beta/$metadata#deviceManagement/deviceConfigurations('${created.body.id}')/assignments`,
      ...got.body,
    };
  }

  const targets = (assignments: { target: Record<string, unknown> }[]) => assignments.map((a) => [a.target['@odata.type'], a.target.groupId ?? null]);

  it('POSTs the exported JSON back: a new profile with the same settings and assignments; read-only properties ignored; one audit event', async () => {
    const profile = await exported('Export round trip');
    await t.request('PATCH', `${base}/${String(profile.id)}`, { body: { '@odata.type': profile['@odata.type'], description: 'v2' } });
    assert.equal((await t.request('DELETE', `${base}/${String(profile.id)}`)).status, 204);
    const auditBefore = await t.count('audit_events');
    const correlation = randomUUID();
    const reimported = await t.request('POST', base, { body: profile, headers: { 'client-request-id': correlation } });
    assert.equal(reimported.status, 201, JSON.stringify(reimported.body));
    assert.notEqual(reimported.body.id, profile.id);
    assert.equal(reimported.body.version, 1);
    assert.equal(reimported.body.hostName, 'mail.contoso.com');
    assert.deepEqual(targets(reimported.body.assignments), targets(profile.assignments as never));
    const listed = await t.request('GET', `${base}/${reimported.body.id}/assignments`);
    assert.deepEqual(targets(listed.body.value), targets(profile.assignments as never));
    assert.deepEqual(reimported.body.assignments.map((a: { id: string }) => a.id), listed.body.value.map((a: { id: string }) => a.id));

    assert.equal(await t.count('audit_events'), auditBefore + 1, 'one event for the import');
    const events = await t.request('GET', `/graph/beta/deviceManagement/auditEvents?$filter=correlationId eq '${correlation}'`);
    assert.deepEqual(events.body.value.map((e: { activityType: string; activityResult: string }) => [e.activityType, e.activityResult]), [['Create DeviceConfiguration', 'Success']]);
    assert.equal(events.body.value[0].resources[0].resourceId, reimported.body.id);
  });

  it('a bad assignment is a 400 naming assignments[i].target…, and nothing is created', async () => {
    const profile = await exported('Export bad target');
    await t.request('DELETE', `${base}/${String(profile.id)}`);
    const profiles = await t.count('device_configurations');
    const assignments = await t.count('device_configuration_assignments');
    const cases: [unknown[], string][] = [
      [[...(profile.assignments as unknown[]), { target: { '@odata.type': '#microsoft.graph.groupAssignmentTarget', groupId: randomUUID() } }], 'assignments[3].target.groupId'],
      [[{ target: { '@odata.type': '#microsoft.graph.somethingElse' } }], 'assignments[0].target.@odata.type'],
      [[{ target: { '@odata.type': '#microsoft.graph.groupAssignmentTarget', groupId: 'not-a-guid' } }], 'assignments[0].target.groupId'],
      [[{ target: { '@odata.type': '#microsoft.graph.groupAssignmentTarget', groupId }, extra: true }], 'assignments[0].extra'],
    ];
    for (const [bad, field] of cases) {
      const reply = await t.request('POST', base, { body: { ...profile, assignments: bad } });
      assert.equal(reply.status, 400, JSON.stringify(reply.body));
      assert.equal(reply.body.error.target, field, JSON.stringify(reply.body));
    }
    const notArray = await t.request('POST', base, { body: { ...profile, assignments: {} } });
    assert.equal(notArray.status, 400);
    assert.equal(notArray.body.error.target, 'assignments');
    // A group of another tenant is not a group of this one.
    const other = await t.tenant('export-other');
    const foreignGroup = (await t.request('POST', '/graph/beta/groups', { body: { displayName: 'Theirs' }, token: other.admin })).body.id;
    const foreign = await t.request('POST', base, { body: { ...profile, assignments: [{ target: { '@odata.type': '#microsoft.graph.groupAssignmentTarget', groupId: foreignGroup } }] } });
    assert.equal(foreign.status, 400);
    assert.equal(foreign.body.error.target, 'assignments[0].target.groupId');
    assert.equal(await t.count('device_configurations'), profiles);
    assert.equal(await t.count('device_configuration_assignments'), assignments);
  });

  it('an unknown property is still refused; a plain create answers without assignments; readOnly and anonymous callers are refused', async () => {
    const profile = await exported('Export refusals');
    await t.request('DELETE', `${base}/${String(profile.id)}`);
    const unknown = await t.request('POST', base, { body: { ...profile, hostname: 'typo.contoso.com' } });
    assert.equal(unknown.status, 400);
    assert.equal(unknown.body.error.target, 'hostname');
    const { assignments: _dropped, ...plain } = profile;
    const created = await t.request('POST', base, { body: plain });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    assert.equal(created.body.assignments, undefined);
    assert.equal((await t.request('GET', `${base}/${created.body.id}/assignments`)).body.value.length, 0);
    await t.request('DELETE', `${base}/${created.body.id}`);
    const readOnly = await t.readOnlyToken();
    assert.equal((await t.request('POST', base, { body: profile, token: readOnly })).status, 403);
    assert.equal((await t.request('POST', base, { body: profile, token: null })).status, 401);
  });
});
