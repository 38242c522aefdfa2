import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createTestApp, type TestApp } from '../helpers/test-app.ts';
import { uuidBytes } from '../../src/domain/name-based-uuid.ts';
import { envelopeUuidNamespace } from '../../src/services/rendering/render-inputs.ts';
import { DryRunService } from '../../src/services/safe-changes/dry-run-service.ts';
import { DryRunStore } from '../../src/store/postgres/dry-run-store.ts';
import { TargetingStore } from '../../src/store/postgres/targeting-store.ts';

const configs = '/graph/beta/deviceManagement/deviceConfigurations';
const devicesUrl = '/graph/beta/deviceManagement/managedDevices';
const group = (groupId: string) => ({ target: { '@odata.type': '#microsoft.graph.groupAssignmentTarget', groupId } });
const iosType = '#microsoft.graph.iosEasEmailProfileConfiguration';
const sources = { usernameSource: 'userPrincipalName', emailAddressSource: 'userPrincipalName', requireSsl: true, durationOfEmailToSync: 'oneWeek' };
const ios = (displayName: string, hostName: string) => ({ '@odata.type': iosType, displayName, accountName: displayName, hostName, ...sources });
const windows = (displayName: string, hostName: string) => ({
  '@odata.type': '#microsoft.graph.windows10EasEmailProfileConfiguration', displayName, accountName: displayName, hostName, ...sources, emailSyncSchedule: 'asMessagesArrive',
});
const knox = (displayName: string, hostName: string) => ({
  '@odata.type': '#microsoft.graph.androidEasEmailProfileConfiguration', displayName, accountName: displayName, hostName, ...sources,
  authenticationMethod: 'usernameAndPassword', requireSmime: false, emailSyncSchedule: 'asMessagesArrive', syncCalendar: true, syncContacts: true, syncTasks: true, syncNotes: false,
});
const gmail = (displayName: string, hostName: string) => ({
  '@odata.type': '#microsoft.graph.androidWorkProfileGmailEasConfiguration', displayName, hostName, authenticationMethod: 'usernameAndPassword', ...sources,
});

/** Every table's rows, digested: equal before and after means the dry runs wrote nothing. */
async function snapshot(t: TestApp): Promise<Record<string, string>> {
  const db = t.envelope.db;
  const tables = await db.query<{ table_name: string }>(
    `SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema() AND table_type = 'BASE TABLE' ORDER BY table_name`,
  );
  const digests: Record<string, string> = {};
  for (const { table_name: table } of tables) {
    // A token's last use is authentication's bookkeeping, not a change the dry run made.
    const row = "(to_jsonb(t) - 'last_used_at')::text";
    const rows = await db.query<{ digest: string | null; n: number }>(`SELECT md5(string_agg(${row}, '|' ORDER BY ${row})) AS digest, count(*)::int AS n FROM "${table}" t`);
    digests[table] = `${rows[0]!.n}:${rows[0]!.digest ?? ''}`;
  }
  return digests;
}

describe('Dry run of assignment changes and profile edits (envelope/dryRunAssign, envelope/dryRunUpdate)', () => {
  let t: TestApp;
  let tables: Record<string, string>;
  let readOnly: string;
  let other: { admin: string; readOnly: string };
  let otherGroup: string;
  const ids = {} as Record<string, string>;
  let now = Date.UTC(2026, 10, 30, 10);

  async function create(url: string, body: unknown): Promise<string> {
    const reply = await t.request('POST', url, { body });
    assert.equal(reply.status, 201, JSON.stringify(reply.body));
    return reply.body.id;
  }
  const dryRunAssign = (profile: string, assignments: unknown[], query = '', token?: string) =>
    t.request('POST', `${configs}/${ids[profile]}/envelope/dryRunAssign${query}`, { body: { assignments }, token });
  const dryRunUpdate = (profile: string, body: unknown, token?: string) => t.request('POST', `${configs}/${ids[profile]}/envelope/dryRunUpdate`, { body, token });
  const names = (list: { items: { deviceName: string }[] }) => list.items.map((i) => i.deviceName).sort();

  before(async () => {
    t = await createTestApp();
    const user = (name: string, extra: Record<string, unknown> = {}) => create('/graph/beta/users', { displayName: name, userPrincipalName: `${name.toLowerCase()}@contoso.com`, ...extra });
    ids.ann = await user('Ann', { mail: 'ann@contoso.com', onPremisesSamAccountName: 'ann' });
    ids.bob = await user('Bob');
    ids.cat = await user('Cat');
    ids.dan = await user('Dan');
    const device = (deviceName: string, operatingSystem: string, osVersion: string, userId: string | null, androidManagementMode?: string) =>
      create(devicesUrl, { deviceName, operatingSystem, osVersion, userId, ...(androidManagementMode ? { androidManagementMode } : {}) });
    ids.annIphone = await device('Ann iPhone', 'iOS', '17.4', ids.ann);
    ids.bobIphone = await device('Bob iPhone', 'iOS', '17.4', ids.bob);
    ids.kiosk = await device('Lobby iPad', 'iPadOS', '17.4', null);
    ids.annPc = await device('Ann PC', 'Windows', '10.0.22631', ids.ann);
    ids.catKnox = await device('Cat Galaxy', 'Android', '14', ids.cat, 'knox');
    ids.danPixel = await device('Dan Pixel', 'Android', '14', ids.dan, 'workProfile');
    const bind = (kind: string, list: string[]) => list.map((id) => `https://graph.microsoft.com/beta/${kind}/${id}`);
    ids.everyone = await create('/graph/beta/groups', { displayName: 'Everyone', 'members@odata.bind': [...bind('users', [ids.ann!, ids.bob!, ids.cat!, ids.dan!]), ...bind('devices', [ids.kiosk!])] });
    ids.bobOnly = await create('/graph/beta/groups', { displayName: 'Bob only', 'members@odata.bind': bind('users', [ids.bob!]) });

    ids.iosMail = await create(configs, ios('iOS mail', 'mail.contoso.com'));
    ids.iosBob = await create(configs, ios('iOS Bob', 'bob.contoso.com'));
    ids.winMail = await create(configs, windows('Windows mail', 'mail.contoso.com'));
    ids.knoxA = await create(configs, knox('Knox A', 'a.contoso.com'));
    ids.gmailA = await create(configs, gmail('Gmail A', 'mail.contoso.com'));
    // Two Windows profiles already in conflict on Ann's PC.
    ids.winClash = await create(configs, windows('Windows clash', 'clash.contoso.com'));
    ids.winClash2 = await create(configs, windows('Windows clash 2', 'clash.contoso.com'));
    for (const [profile, groupId] of [
      ['iosMail', ids.everyone], ['iosBob', ids.bobOnly], ['winMail', ids.everyone], ['knoxA', ids.everyone], ['gmailA', ids.everyone],
      ['winClash', ids.everyone], ['winClash2', ids.everyone],
    ] as const) {
      const reply = await t.request('POST', `${configs}/${ids[profile]}/assign`, { body: { assignments: [group(groupId!)] } });
      assert.equal(reply.status, 200, JSON.stringify(reply.body));
    }
    // Unassigned profiles the dry runs propose.
    ids.iosOther = await create(configs, ios('iOS other', 'other.contoso.com'));
    ids.iosDup = await create(configs, ios('iOS dup', 'MAIL.contoso.com'));
    ids.winDup = await create(configs, windows('Windows dup', 'mail.contoso.com'));
    ids.knoxB = await create(configs, knox('Knox B', 'b.contoso.com'));
    ids.gmailB = await create(configs, gmail('Gmail B', 'other.contoso.com'));

    // The iPhones check in and install everything they are given.
    const delivery = t.envelope.services.delivery;
    const tenantId = (await t.envelope.services.tenants.authenticate(`Bearer ${t.adminToken}`)).tenantId;
    for (const deviceId of [ids.annIphone!, ids.bobIphone!]) {
      for (let command = await delivery.checkIn(tenantId, deviceId, (now += 1000)); command !== null; command = await delivery.checkIn(tenantId, deviceId, (now += 1000))) {
        await delivery.recordResult(tenantId, deviceId, command.commandId, { kind: 'acknowledged' }, (now += 1000));
      }
    }
    readOnly = await t.readOnlyToken();
    other = await t.tenant('fabrikam');
    otherGroup = await (async () => {
      const reply = await t.request('POST', '/graph/beta/groups', { body: { displayName: 'Fabrikam staff' }, token: other.admin });
      assert.equal(reply.status, 201);
      return reply.body.id as string;
    })();
    tables = await snapshot(t);
  });
  after(() => t.close());

  it('lists the devices and users that gain a newly assigned profile, those without a primary user, and counts other platforms', async () => {
    const reply = await dryRunAssign('iosOther', [group(ids.everyone!)]);
    assert.equal(reply.status, 200, JSON.stringify(reply.body));
    const r = reply.body;
    assert.deepEqual([r.action, r.profileId, r.currentVersion, r.proposedVersion], ['assign', ids.iosOther, 1, 1]);
    assert.deepEqual(names(r.gain), ['Ann iPhone', 'Bob iPhone']);
    assert.equal(r.gain.userCount, 2);
    assert.deepEqual(r.gain.items.find((i: { deviceName: string }) => i.deviceName === 'Ann iPhone'), {
      deviceId: ids.annIphone, deviceName: 'Ann iPhone', userId: ids.ann, userPrincipalName: 'ann@contoso.com', userDisplayName: 'Ann',
    });
    assert.deepEqual(names(r.devicesWithoutPrimaryUser), ['Lobby iPad']);
    assert.equal(r.notApplicableCount, 3, 'the PC, the Knox phone and the work-profile phone');
    assert.equal(r.devicesEvaluated, 6);
    for (const list of ['keep', 'update', 'lose', 'kept', 'conflicts', 'usersMissingAttribute']) assert.equal(r[list].count, 0, list);
  });

  it('gives complete counts and the first $top items of each list', async () => {
    const reply = await dryRunAssign('iosOther', [group(ids.everyone!)], '?$top=1');
    assert.equal(reply.status, 200);
    assert.equal(reply.body.gain.count, 2);
    assert.equal(reply.body.gain.items.length, 1);
  });

  it('tells which devices keep the profile and which gain it when a group is added', async () => {
    const reply = await dryRunAssign('iosBob', [group(ids.bobOnly!), group(ids.everyone!)]);
    assert.equal(reply.status, 200);
    assert.deepEqual(names(reply.body.keep), ['Bob iPhone']);
    assert.deepEqual(names(reply.body.gain), ['Ann iPhone']);
  });

  it('reports the conflicts an assignment creates on iOS and Windows (same host and address), Knox (same address) and Android Enterprise (two Gmail profiles)', async () => {
    const cases = [
      { profile: 'iosDup', kind: 'ios', devices: ['Ann iPhone', 'Bob iPhone'], names: ['iOS dup', 'iOS mail'] },
      { profile: 'winDup', kind: 'windows', devices: ['Ann PC'], names: ['Windows dup', 'Windows mail'] },
      { profile: 'knoxB', kind: 'knox', devices: ['Cat Galaxy'], names: ['Knox A', 'Knox B'] },
      { profile: 'gmailB', kind: 'androidEnterprise', devices: ['Dan Pixel'], names: ['Gmail A', 'Gmail B'] },
    ];
    for (const c of cases) {
      const reply = await dryRunAssign(c.profile, [group(ids.everyone!)]);
      assert.equal(reply.status, 200, JSON.stringify(reply.body));
      const conflicts = reply.body.conflicts;
      assert.deepEqual(names(conflicts), c.devices, c.profile);
      for (const item of conflicts.items) {
        assert.equal(item.kind, c.kind);
        assert.deepEqual(item.profiles.map((p: { displayName: string }) => p.displayName).sort(), c.names);
        assert.match(item.message, /would create the same email account/);
      }
      assert.equal(reply.body.gain.count, 0, `${c.profile}: a conflicting profile is sent nowhere`);
    }
  });

  it('keeps the only email profile on a device when it is unassigned, and removes it where another stays', async () => {
    const reply = await dryRunAssign('iosMail', []);
    assert.equal(reply.status, 200);
    const r = reply.body;
    assert.deepEqual(names(r.kept), ['Ann iPhone']);
    assert.equal(r.kept.items[0].reasonCode, 'onlyEmailProfile');
    assert.match(r.kept.items[0].message, /only email profile on the device/);
    assert.deepEqual(names(r.lose), ['Bob iPhone'], 'iOS Bob stays on Bob’s iPhone');
    assert.equal(r.lose.userCount, 1);
    assert.equal(r.gain.count + r.keep.count + r.update.count, 0);
  });

  it('shows the conflicts an unassignment resolves', async () => {
    const reply = await dryRunAssign('winClash', []);
    assert.equal(reply.status, 200);
    assert.deepEqual(names(reply.body.conflictsResolved), ['Ann PC']);
    assert.equal(reply.body.conflicts.count, 0);
  });

  it('lists devices updated by an edit and users lacking the attribute the edited profile needs', async () => {
    const reply = await dryRunUpdate('iosMail', { '@odata.type': iosType, usernameAADSource: 'samAccountName', customDomainName: 'contoso.com' });
    assert.equal(reply.status, 200, JSON.stringify(reply.body));
    const r = reply.body;
    assert.deepEqual([r.action, r.currentVersion, r.proposedVersion], ['update', 1, 2]);
    assert.deepEqual(names(r.update), ['Ann iPhone']);
    assert.deepEqual(r.usersMissingAttribute.items.map((u: { userPrincipalName: string }) => u.userPrincipalName), ['bob@contoso.com'], 'only iPhone users count');
    assert.match(r.usersMissingAttribute.items[0].message, /onPremisesSamAccountName/);
    assert.equal(r.lose.count, 0);
  });

  it('is open to readOnly tokens, and scoped to the tenant', async () => {
    assert.equal((await dryRunAssign('iosOther', [group(ids.everyone!)], '', readOnly)).status, 200);
    assert.equal((await dryRunUpdate('iosMail', { '@odata.type': iosType, displayName: 'Renamed' }, readOnly)).status, 200);
    assert.equal((await dryRunAssign('iosOther', [], '', null as unknown as string)).status, 401);
    assert.equal((await dryRunAssign('iosOther', [], '', other.admin)).status, 404);
    assert.equal((await dryRunUpdate('iosMail', { '@odata.type': iosType, displayName: 'x' }, other.readOnly)).status, 404);
    const foreign = await dryRunAssign('iosOther', [group(otherGroup)]);
    assert.equal(foreign.status, 400);
    assert.equal(foreign.body.error.target, 'assignments[0].target.groupId');
  });

  it('refuses bad input with 400 naming the field, and an identity change of an assigned profile with 409', async () => {
    const cases: Array<[Promise<{ status: number; body: { error: { target?: string } } }>, number, string]> = [
      [t.request('POST', `${configs}/${ids.iosOther}/envelope/dryRunAssign`, { body: { value: [] } }), 400, 'value'],
      [t.request('POST', `${configs}/${ids.iosOther}/envelope/dryRunAssign`, { body: { assignments: [{ target: { '@odata.type': '#microsoft.graph.groupAssignmentTarget', groupId: 'nope' } }] } }), 400, 'assignments[0].target.groupId'],
      [dryRunAssign('iosOther', [], '?$top=0'), 400, '$top'],
      [dryRunUpdate('iosMail', { '@odata.type': iosType, durationOfEmailToSync: 'forever' }), 400, 'durationOfEmailToSync'],
      [dryRunUpdate('iosMail', { '@odata.type': iosType, hostName: 'new.contoso.com' }), 409, 'hostName'],
    ];
    for (const [pending, status, target] of cases) {
      const reply = await pending;
      assert.equal(reply.status, status, JSON.stringify(reply.body));
      assert.equal(reply.body.error.target, target);
    }
    assert.equal((await t.request('POST', `${configs}/00000000-0000-4000-8000-000000000000/envelope/dryRunAssign`, { body: { assignments: [] } })).status, 404);
  });

  it('gives the same answer however small its device pages (the union of both scopes is paged by device id)', async () => {
    const tenantId = (await t.envelope.services.tenants.authenticate(`Bearer ${t.adminToken}`)).tenantId;
    const { db, services } = t.envelope;
    const service = (pageSize: number) => new DryRunService({
      assignments: services.assignments, profiles: services.profiles, targeting: new TargetingStore(db), store: new DryRunStore(db),
      uuidNamespace: uuidBytes(envelopeUuidNamespace), keepOnlyEmailProfile: true, now: () => now, pageSize,
    });
    const bodies = [
      { profile: 'iosMail', assignments: [] },
      { profile: 'iosBob', assignments: [group(ids.everyone!)] },
      { profile: 'iosDup', assignments: [group(ids.everyone!), group(ids.bobOnly!)] },
      { profile: 'winClash', assignments: [group(ids.bobOnly!)] },
    ];
    for (const { profile, assignments } of bodies) {
      const whole = await service(1000).assign(tenantId, ids[profile]!, { assignments }, { top: 100 });
      for (const pageSize of [1, 2, 3]) {
        assert.deepEqual(await service(pageSize).assign(tenantId, ids[profile]!, { assignments }, { top: 100 }), whole, `${profile}, pages of ${pageSize}`);
      }
    }
  });

  it('changed nothing: every table is as it was before the dry runs', async () => {
    assert.deepEqual(await snapshot(t), tables);
  });
});
