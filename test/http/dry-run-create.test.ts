import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createTestApp, type TestApp } from '../helpers/test-app.ts';

const configs = '/graph/beta/deviceManagement/deviceConfigurations';
const dryRunCreateUrl = `${configs}/envelope/dryRunCreate`;
const group = (groupId: string) => ({ target: { '@odata.type': '#microsoft.graph.groupAssignmentTarget', groupId } });
const ios = (displayName: string, hostName: string, extra: Record<string, unknown> = {}) => ({
  '@odata.type': '#microsoft.graph.iosEasEmailProfileConfiguration', displayName, accountName: displayName, hostName, ...extra,
});

/** Row counts of the tables a create or an assign would write. */
async function counts(t: TestApp): Promise<Record<string, number>> {
  const result: Record<string, number> = {};
  for (const table of ['profiles', 'assignments', 'audit_events']) {
    const exists = await t.envelope.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM information_schema.tables WHERE table_schema = current_schema() AND table_name = $1`, [table]);
    if (exists[0]!.n === 0) continue;
    result[table] = (await t.envelope.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM "${table}"`))[0]!.n;
  }
  return result;
}

describe('Dry run of creating and assigning a profile (envelope/dryRunCreate)', () => {
  let t: TestApp;
  let readOnly: string;
  let other: { admin: string; readOnly: string };
  const ids = {} as Record<string, string>;

  async function create(url: string, body: unknown, token?: string): Promise<string> {
    const reply = await t.request('POST', url, { body, ...(token ? { token } : {}) });
    assert.equal(reply.status, 201, JSON.stringify(reply.body));
    return reply.body.id;
  }
  const dryRunCreate = (body: unknown, token?: string) => t.request('POST', dryRunCreateUrl, { body, ...(token === undefined ? {} : { token }) });

  before(async () => {
    t = await createTestApp();
    ids.ann = await create('/graph/beta/users', { displayName: 'Ann', userPrincipalName: 'ann@contoso.com' });
    ids.bob = await create('/graph/beta/users', { displayName: 'Bob', userPrincipalName: 'bob@contoso.com' });
    const device = (deviceName: string, operatingSystem: string, osVersion: string, userId: string | null) =>
      create('/graph/beta/deviceManagement/managedDevices', { deviceName, operatingSystem, osVersion, userId });
    ids.annIphone = await device('Ann iPhone', 'iOS', '17.4', ids.ann);
    ids.bobIphone = await device('Bob iPhone', 'iOS', '17.4', ids.bob);
    ids.annPc = await device('Ann PC', 'Windows', '10.0.22631', ids.ann);
    ids.kiosk = await device('Lobby iPad', 'iPadOS', '17.4', null);
    const bind = (kind: string, list: string[]) => list.map((id) => `https://graph.microsoft.com/beta/${kind}/${id}`);
    ids.sales = await create('/graph/beta/groups', { displayName: 'Sales', 'members@odata.bind': [...bind('users', [ids.ann!]), ...bind('devices', [ids.kiosk!])] });
    ids.everyone = await create('/graph/beta/groups', { displayName: 'Everyone', 'members@odata.bind': bind('users', [ids.ann!, ids.bob!]) });
    // An assigned profile on Bob's iPhone: a new profile with its host and address conflicts there.
    ids.bobMail = await create(configs, ios('Bob mail', 'mail.contoso.com'));
    const assigned = await t.request('POST', `${configs}/${ids.bobMail}/assign`, { body: { assignments: [group(ids.everyone!)] } });
    assert.equal(assigned.status, 200);
    readOnly = await t.readOnlyToken();
    other = await t.tenant('fabrikam');
    ids.otherGroup = await create('/graph/beta/groups', { displayName: 'Fabrikam staff' }, other.admin);
    ids.otherPkcs = await create(configs, { '@odata.type': '#microsoft.graph.iosPkcsCertificateProfile', displayName: 'Fabrikam identity', subjectAlternativeNameType: 'emailAddress' }, other.admin);
  });
  after(() => t.close());

  it('lists who would gain a profile not yet created, and saves nothing', async () => {
    const before = await counts(t);
    const reply = await dryRunCreate({ profile: ios('New mail', 'new.contoso.com'), assignments: [group(ids.sales!)] });
    assert.equal(reply.status, 200, JSON.stringify(reply.body));
    const r = reply.body;
    assert.deepEqual([r.action, r.displayName, r.currentVersion, r.proposedVersion], ['create', 'New mail', 0, 1]);
    assert.ok(!Object.values(ids).includes(r.profileId), 'a provisional id');
    assert.deepEqual(r.gain.items.map((i: { deviceName: string }) => i.deviceName), ['Ann iPhone']);
    assert.equal(r.gain.userCount, 1);
    assert.deepEqual(r.devicesWithoutPrimaryUser.items.map((i: { deviceName: string }) => i.deviceName), ['Lobby iPad']);
    assert.equal(r.notApplicableCount, 1, "Ann's PC");
    for (const list of ['keep', 'update', 'lose', 'kept', 'conflicts']) assert.equal(r[list].count, 0, list);
    assert.deepEqual(await counts(t), before, 'nothing written, not even an audit event');
    const listed = (await t.request('GET', configs)).body.value as { displayName: string }[];
    assert.ok(!listed.some((p) => p.displayName === 'New mail'));
  });

  it('without assignments it only validates: nothing gains the profile', async () => {
    const reply = await dryRunCreate({ profile: ios('New mail', 'new.contoso.com') });
    assert.equal(reply.status, 200, JSON.stringify(reply.body));
    assert.equal(reply.body.devicesEvaluated, 0);
    assert.equal(reply.body.gain.count, 0);
  });

  it('names the conflict a new profile would create with an assigned one', async () => {
    const reply = await dryRunCreate({ profile: ios('Second mail', 'MAIL.contoso.com'), assignments: [group(ids.everyone!)] });
    assert.equal(reply.status, 200, JSON.stringify(reply.body));
    const conflicts = reply.body.conflicts.items as { deviceName: string; profiles: { displayName: string }[] }[];
    assert.deepEqual(conflicts.map((c) => c.deviceName).sort(), ['Ann iPhone', 'Bob iPhone']);
    assert.deepEqual(conflicts[0]!.profiles.map((p) => p.displayName).sort(), ['Bob mail', 'Second mail']);
  });

  it('refuses a bad profile with the message POST gives, naming the field under profile.', async () => {
    const body = ios('Bad', 'https://mail.contoso.com');
    const post = await t.request('POST', configs, { body });
    assert.equal(post.status, 400);
    const reply = await dryRunCreate({ profile: body, assignments: [] });
    assert.equal(reply.status, 400);
    assert.deepEqual(reply.body.error, { ...post.body.error, target: 'profile.hostName' });
    const certificate = await dryRunCreate({ profile: ios('Cert', 'c.contoso.com', { authenticationMethod: 'certificate' }) });
    assert.equal(certificate.status, 400);
    assert.equal(certificate.body.error.target, 'profile.identityCertificate@odata.bind');
    // Another tenant's certificate profile does not exist here.
    const foreign = await dryRunCreate({ profile: ios('Cert', 'c.contoso.com', { authenticationMethod: 'certificate', 'identityCertificate@odata.bind': `deviceConfigurations('${ids.otherPkcs}')` }) });
    assert.equal(foreign.status, 400);
    assert.equal(foreign.body.error.target, 'profile.identityCertificate@odata.bind');
    assert.match(foreign.body.error.message, /does not exist/);
  });

  it('refuses bad assignments and malformed bodies, naming the field', async () => {
    const foreignGroup = await dryRunCreate({ profile: ios('New', 'n.contoso.com'), assignments: [group(ids.otherGroup!)] });
    assert.equal(foreignGroup.status, 400);
    assert.equal(foreignGroup.body.error.target, 'assignments[0].target.groupId');
    const badTarget = await dryRunCreate({ profile: ios('New', 'n.contoso.com'), assignments: [{ target: { '@odata.type': '#microsoft.graph.nothing' } }] });
    assert.equal(badTarget.status, 400);
    assert.match(badTarget.body.error.target, /^assignments\[0\]/);
    for (const [body, target] of [[{ assignments: [] }, 'profile'], [{ profile: ios('x', 'x.contoso.com'), extra: 1 }, 'extra'], [[], undefined], [{ profile: 'text' }, 'profile']] as const) {
      const reply = await dryRunCreate(body);
      assert.equal(reply.status, 400, JSON.stringify(body));
      assert.equal(reply.body.error.target, target, JSON.stringify(body));
    }
  });

  it('is open to readOnly tokens, needs a token, and sees only its own tenant', async () => {
    assert.equal((await dryRunCreate({ profile: ios('New', 'n.contoso.com'), assignments: [group(ids.sales!)] }, readOnly)).status, 200);
    assert.equal((await dryRunCreate({ profile: ios('New', 'n.contoso.com') }, null as unknown as string)).status, 401);
    const otherTenant = await dryRunCreate({ profile: ios('New', 'n.contoso.com'), assignments: [group(ids.sales!)] }, other.readOnly);
    assert.equal(otherTenant.status, 400, 'this tenant\'s group does not exist for the other tenant');
    const ownGroup = await dryRunCreate({ profile: ios('New', 'n.contoso.com'), assignments: [group(ids.otherGroup!)] }, other.readOnly);
    assert.equal(ownGroup.status, 200);
    assert.equal(ownGroup.body.devicesEvaluated, 0, "none of this tenant's devices");
  });
});
