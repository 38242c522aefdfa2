import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { openTestDb, type TestDb } from '../helpers/test-db.ts';
import { createDeliveryFixture, recordingDb, type DeliveryFixture } from './delivery-fixture.ts';
import type { DeliveryService } from '../../src/services/delivery/delivery-service.ts';

const t0 = Date.UTC(2026, 10, 30, 8);

describe('delivery service: a scripted device checking in and answering', () => {
  let testDb: TestDb;
  let f: DeliveryFixture;
  let delivery: DeliveryService;
  let now = t0;
  const tick = (ms = 1000) => (now += ms);

  /** Checks in and acknowledges every command until the device has none; returns what it was given. */
  async function drain(deviceId: string): Promise<{ kind: string; profileId: string; version: number; commandId: string }[]> {
    const given = [];
    for (let i = 0; i < 20; i++) {
      const command = await delivery.checkIn(f.tenantId, deviceId, tick());
      if (command === null) return given;
      given.push(command);
      assert.equal(await delivery.recordResult(f.tenantId, deviceId, command.commandId, { kind: 'acknowledged' }, tick()), true);
    }
    throw new Error('the device never ran out of commands');
  }

  before(async () => {
    testDb = await openTestDb();
    f = await createDeliveryFixture(testDb.db);
    delivery = f.envelope.services.delivery;
  });
  after(async () => {
    await f.envelope.app.close();
    await testDb.dispose();
  });

  it('installs a newly assigned profile, then updates it in place after an edit, then removes it once another email profile is on the device', async () => {
    const ann = await f.user('Ann');
    const phone = await f.device('Ann iPhone', ann);
    const sales = await f.group('Sales', { users: [ann] });
    const mail = await f.iosProfile('Mail', 'mail.contoso.com');
    assert.equal(await delivery.checkIn(f.tenantId, phone, tick()), null, 'nothing assigned yet');

    await f.assign(mail, [sales]);
    const install = await delivery.checkIn(f.tenantId, phone, tick());
    assert.ok(install);
    assert.deepEqual({ kind: install.kind, profileId: install.profileId, version: install.version, userId: install.userId }, { kind: 'install', profileId: mail, version: 1, userId: ann });
    assert.equal((await f.ledger(phone))[mail]!.state, 'sent');
    assert.deepEqual((await f.activeCommands(phone)).map((c) => c.status), ['sent']);
    await delivery.recordResult(f.tenantId, phone, install.commandId, { kind: 'acknowledged' }, tick());
    assert.deepEqual({ ...(await f.ledger(phone))[mail], updated_at: null }, { profile_id: mail, state: 'succeeded', reason_code: 'installed', operation: 'install', command_id: install.commandId, installed_version: 1, updated_at: null });
    assert.deepEqual(await f.activeCommands(phone), [], 'the acknowledged command left the active queue');
    assert.equal(await delivery.checkIn(f.tenantId, phone, tick()), null);

    await f.envelope.services.profiles.update(f.tenantId, mail, { accountName: 'Contoso mail' });
    const update = await drain(phone);
    assert.deepEqual(update.map((c) => `${c.kind} v${c.version}`), ['update v2']);
    assert.equal((await f.ledger(phone))[mail]!.installed_version, 2);

    const other = await f.iosProfile('Other mail', 'other.contoso.com');
    await f.assign(other, [sales]);
    assert.deepEqual((await drain(phone)).map((c) => `${c.kind} ${c.profileId === other ? 'other' : 'mail'}`), ['install other']);
    await f.assign(mail, []);
    assert.deepEqual((await drain(phone)).map((c) => `${c.kind} ${c.profileId === other ? 'other' : 'mail'}`), ['remove mail']);
    const rows = await f.ledger(phone);
    assert.equal(rows[mail]!.state, 'removed');
    assert.equal(rows[mail]!.installed_version, null);
    assert.equal(rows[other]!.state, 'succeeded');
  });

  it('keeps the only email profile on the device when it is unassigned, sending nothing', async () => {
    const bea = await f.user('Bea');
    const phone = await f.device('Bea iPhone', bea);
    const team = await f.group('Bea team', { users: [bea] });
    const mail = await f.iosProfile('Bea mail', 'bea.contoso.com');
    await f.assign(mail, [team]);
    assert.deepEqual((await drain(phone)).map((c) => c.kind), ['install']);
    await f.assign(mail, []);
    assert.equal(await delivery.checkIn(f.tenantId, phone, tick()), null);
    const row = (await f.ledger(phone))[mail]!;
    assert.equal(row.state, 'kept');
    assert.equal(row.reason_code, 'onlyEmailProfile');
    assert.equal(row.installed_version, 1);
  });

  it('marks two profiles that would create the same account as a conflict on both and sends neither', async () => {
    const cy = await f.user('Cy');
    const phone = await f.device('Cy iPhone', cy);
    const team = await f.group('Cy team', { users: [cy] });
    const first = await f.iosProfile('Cy mail A', 'cy.contoso.com');
    const second = await f.iosProfile('Cy mail B', 'cy.contoso.com', { accountName: 'B' });
    await f.assign(first, [team]);
    await f.assign(second, [team]);
    assert.equal(await delivery.checkIn(f.tenantId, phone, tick()), null);
    const rows = await f.ledger(phone);
    assert.deepEqual([rows[first]!.state, rows[second]!.state, rows[first]!.reason_code], ['conflict', 'conflict', 'accountConflict']);
    assert.equal(await testDb.db.query('SELECT 1 FROM delivery_commands WHERE device_id = $1', [phone]).then((r) => r.length), 0);
  });

  it('skips a NotNow command on the same check-in in favour of another, and offers it again at the next', async () => {
    const dee = await f.user('Dee');
    const phone = await f.device('Dee iPhone', dee);
    const team = await f.group('Dee team', { users: [dee] });
    const a = await f.iosProfile('Dee A', 'a.dee.contoso.com');
    const b = await f.iosProfile('Dee B', 'b.dee.contoso.com');
    await f.assign(a, [team]);
    await f.assign(b, [team]);
    const first = await delivery.checkIn(f.tenantId, phone, tick());
    assert.ok(first);
    await delivery.recordResult(f.tenantId, phone, first.commandId, { kind: 'notNow' }, tick());
    const second = await delivery.checkIn(f.tenantId, phone, tick(), { skipNotNow: true });
    assert.ok(second);
    assert.notEqual(second.commandId, first.commandId);
    await delivery.recordResult(f.tenantId, phone, second.commandId, { kind: 'notNow' }, tick());
    assert.equal(await delivery.checkIn(f.tenantId, phone, tick(), { skipNotNow: true }), null, 'both deferred: nothing else on this check-in');
    const again = await delivery.checkIn(f.tenantId, phone, tick());
    assert.equal(again?.commandId, first.commandId, 'an idle check-in offers the NotNow command again');
    const counts = await testDb.db.query<{ command_id: string; not_now_count: number }>('SELECT command_id, not_now_count FROM delivery_commands WHERE device_id = $1', [phone]);
    assert.deepEqual(counts.map((c) => c.not_now_count).sort(), [1, 1]);
    await delivery.recordResult(f.tenantId, phone, first.commandId, { kind: 'acknowledged' }, tick());
    assert.deepEqual((await drain(phone)).map((c) => c.commandId), [second.commandId]);
  });

  it('offers a command fetched but never answered again under the same id once its send is old enough, and not to a concurrent check-in', async () => {
    const eve = await f.user('Eve');
    const phone = await f.device('Eve iPhone', eve);
    const team = await f.group('Eve team', { users: [eve] });
    const mail = await f.iosProfile('Eve mail', 'eve.contoso.com');
    await f.assign(mail, [team]);
    const fetched = await delivery.checkIn(f.tenantId, phone, tick());
    assert.ok(fetched);
    // The device crashed before answering. A check-in a second later (e.g. a duplicate request) gets nothing…
    assert.equal(await delivery.checkIn(f.tenantId, phone, tick()), null);
    // …one after the re-offer delay gets the same command.
    const again = await delivery.checkIn(f.tenantId, phone, tick(61_000));
    assert.equal(again?.commandId, fetched.commandId);
    assert.equal((await f.ledger(phone))[mail]!.state, 'sent');
    await delivery.recordResult(f.tenantId, phone, fetched.commandId, { kind: 'acknowledged' }, tick());
    assert.equal((await f.ledger(phone))[mail]!.state, 'succeeded');
  });

  it('ignores a repeated acknowledgement, and results for unknown or other devices’ commands, without an error', async () => {
    const fay = await f.user('Fay');
    const phone = await f.device('Fay iPhone', fay);
    const otherPhone = await f.device('Fay old iPhone', fay);
    const team = await f.group('Fay team', { users: [fay] });
    const mail = await f.iosProfile('Fay mail', 'fay.contoso.com');
    await f.assign(mail, [team]);
    const command = await delivery.checkIn(f.tenantId, phone, tick());
    assert.ok(command);
    assert.equal(await delivery.recordResult(f.tenantId, phone, command.commandId, { kind: 'acknowledged' }, tick()), true);
    const once = await f.ledger(phone);
    const overview = await testDb.db.query('SELECT * FROM delivery_overview WHERE profile_id = $1 ORDER BY kind, shard', [mail]);
    assert.equal(await delivery.recordResult(f.tenantId, phone, command.commandId, { kind: 'acknowledged' }, tick()), true);
    assert.deepEqual(await f.ledger(phone), once, 'the repeat changed no ledger column, not even updated_at');
    assert.deepEqual(await testDb.db.query('SELECT * FROM delivery_overview WHERE profile_id = $1 ORDER BY kind, shard', [mail]), overview);

    assert.equal(await delivery.recordResult(f.tenantId, phone, randomUUID(), { kind: 'acknowledged' }, tick()), false);
    const otherCommand = await delivery.checkIn(f.tenantId, otherPhone, tick());
    assert.ok(otherCommand);
    assert.equal(await delivery.recordResult(f.tenantId, phone, otherCommand.commandId, { kind: 'failed', error: { errorClass: 'terminal', code: 'X', message: 'forged' } }, tick()), false);
    assert.equal(await delivery.recordResult(randomUUID(), otherPhone, otherCommand.commandId, { kind: 'acknowledged' }, tick()), false);
    assert.equal((await f.ledger(otherPhone))[mail]!.state, 'sent', 'the other device’s row is untouched');
  });

  it('retries a failed install with a new command id once its retry time has come, and at once after an admin resend of errors', async () => {
    const gus = await f.user('Gus');
    const phone = await f.device('Gus iPhone', gus);
    const team = await f.group('Gus team', { users: [gus] });
    const mail = await f.iosProfile('Gus mail', 'gus.contoso.com');
    await f.assign(mail, [team]);
    const first = await delivery.checkIn(f.tenantId, phone, tick());
    assert.ok(first);
    await delivery.recordResult(f.tenantId, phone, first.commandId, { kind: 'failed', error: { errorClass: 'transient', code: 'MCInstallationErrorDomain (4001)', message: 'failed' } }, tick());
    assert.equal((await f.ledger(phone))[mail]!.state, 'error');
    assert.equal(await delivery.checkIn(f.tenantId, phone, tick()), null, 'not before the retry time');
    const retry = await delivery.checkIn(f.tenantId, phone, tick(2 * 60_000));
    assert.ok(retry);
    assert.notEqual(retry.commandId, first.commandId);
    await delivery.recordResult(f.tenantId, phone, retry.commandId, { kind: 'failed', error: { errorClass: 'terminal', code: 'CommandFormatError', message: 'bad' } }, tick());
    assert.equal(await delivery.checkIn(f.tenantId, phone, tick(24 * 3600_000)), null, 'a terminal failure is not retried by itself');
    assert.equal(await delivery.resend(f.tenantId, mail, { statuses: ['conflict'] }), 0);
    assert.equal(await delivery.resend(f.tenantId, mail, { deviceIds: [phone], statuses: ['error'] }), 1);
    const resent = await delivery.checkIn(f.tenantId, phone, tick());
    assert.ok(resent);
    assert.notEqual(resent.commandId, retry.commandId);
    assert.equal((await f.ledger(phone))[mail]!.reason_code, 'adminResend');
  });

  it('answers an idle check-in with one read and no write', async () => {
    const hal = await f.user('Hal');
    const phone = await f.device('Hal iPhone', hal);
    const team = await f.group('Hal team', { users: [hal] });
    const mail = await f.iosProfile('Hal mail', 'hal.contoso.com');
    await f.assign(mail, [team]);
    await drain(phone);
    const recording = recordingDb(testDb.db);
    const service = f.serviceOn(recording.db);
    const before = await writeCounters(testDb);
    assert.equal(await service.checkIn(f.tenantId, phone, tick()), null);
    assert.equal(recording.statements.length, 1, recording.statements.join('\n'));
    assert.match(recording.statements[0]!, /^WITH contact AS \(\s*UPDATE managed_devices[\s\S]*\)\s*SELECT/);
    assert.deepEqual(await writeCounters(testDb), before, 'the drain a second ago recorded the contact: no write now');
    // A change to the device's user makes the next check-in reconcile (stale), and it writes then.
    await f.envelope.services.users.update(f.tenantId, hal, { mail: 'hal.new@contoso.com' });
    recording.statements.length = 0;
    assert.equal(await service.checkIn(f.tenantId, phone, tick()), null);
    assert.ok(recording.statements.includes('BEGIN'));
  });

  it('records the device\'s last contact as lastSyncDateTime, at most once a minute, and not for a check-in on the device\'s behalf', async () => {
    const ivy = await f.user('Quin');
    const phone = await f.device('Quin iPhone', ivy);
    const lastSync = async () => (await testDb.db.query<{ at: Date | string | null }>('SELECT last_sync_at AS at FROM managed_devices WHERE id = $1', [phone]))[0]!.at;
    const asMs = (at: Date | string | null) => (at === null ? null : new Date(at).getTime());
    assert.equal(await lastSync(), null);
    const first = tick();
    await delivery.checkIn(f.tenantId, phone, first);
    assert.equal(asMs(await lastSync()), first);
    await delivery.checkIn(f.tenantId, phone, tick(30_000));
    assert.equal(asMs(await lastSync()), first, 'thirty seconds later: not written again');
    await delivery.checkIn(f.tenantId, phone, tick(60_000), { deviceContact: false });
    assert.equal(asMs(await lastSync()), first, 'a server-side fetch on the device\'s behalf is not contact');
    const later = tick();
    await delivery.checkIn(f.tenantId, phone, later);
    assert.equal(asMs(await lastSync()), later);
    const shown = await f.envelope.services.devices.getOrThrow(f.tenantId, phone);
    assert.equal(shown.lastSyncDateTime, new Date(later).toISOString());
  });

  it('reconciles a device when it joins a group that has a profile, with no tenant-wide epoch bump', async () => {
    const jo = await f.user('Jo');
    const phone = await f.device('Jo iPhone', jo);
    const team = await f.group('Jo team', {});
    const mail = await f.iosProfile('Jo mail', 'jo.contoso.com');
    await f.assign(mail, [team]);
    assert.deepEqual(await drain(phone), []);
    const epoch = await testDb.db.query('SELECT epoch FROM delivery_epochs WHERE tenant_id = $1', [f.tenantId]);
    await f.envelope.services.groups.addMember(f.tenantId, team, `https://graph.microsoft.com/beta/users/${jo}`);
    assert.deepEqual(await testDb.db.query('SELECT epoch FROM delivery_epochs WHERE tenant_id = $1', [f.tenantId]), epoch);
    assert.deepEqual((await drain(phone)).map((c) => `${c.kind} ${c.profileId === mail}`), ['install true']);
  });

  it('garbage-collects answered commands older than the given age and keeps active ones', async () => {
    const kai = await f.user('Kai');
    const phone = await f.device('Kai iPhone', kai);
    const team = await f.group('Kai team', { users: [kai] });
    const a = await f.iosProfile('Kai A', 'a.kai.contoso.com');
    const b = await f.iosProfile('Kai B', 'b.kai.contoso.com');
    await f.assign(a, [team]);
    await f.assign(b, [team]);
    const first = await delivery.checkIn(f.tenantId, phone, tick());
    assert.ok(first);
    await delivery.recordResult(f.tenantId, phone, first.commandId, { kind: 'acknowledged' }, tick());
    const mine = () => testDb.db.query<{ command_id: string; active: boolean }>('SELECT command_id, active FROM delivery_commands WHERE device_id = $1', [phone]);
    await delivery.collectFinishedCommands(now, 3600_000);
    assert.equal((await mine()).length, 2, 'this device’s answered command is not old enough yet');
    assert.ok((await delivery.collectFinishedCommands(now + 2 * 3600_000, 3600_000)) >= 1);
    assert.deepEqual((await mine()).map((c) => c.active), [true], 'the answered command is gone, the queued one stays');
  });

  it('lists the devices to wake after an assignment change without writing a row per device', async () => {
    const ivy = await f.user('Isla');
    const phones = [await f.device('Ivy 1', ivy), await f.device('Ivy 2', ivy)];
    const team = await f.group('Ivy team', { users: [ivy] });
    const mail = await f.iosProfile('Ivy mail', 'ivy.contoso.com');
    for (const phone of phones) await drain(phone);
    const epochBefore = await testDb.db.query<{ epoch: string }>('SELECT epoch FROM delivery_epochs WHERE tenant_id = $1', [f.tenantId]);
    const devicesBefore = await testDb.db.query('SELECT * FROM delivery_devices WHERE tenant_id = $1 ORDER BY device_id', [f.tenantId]);
    await f.assign(mail, [team]);
    assert.deepEqual(await testDb.db.query('SELECT * FROM delivery_devices WHERE tenant_id = $1 ORDER BY device_id', [f.tenantId]), devicesBefore, 'no device row written');
    const epochAfter = await testDb.db.query<{ epoch: string }>('SELECT epoch FROM delivery_epochs WHERE tenant_id = $1', [f.tenantId]);
    assert.equal(Number(epochAfter[0]!.epoch), Number(epochBefore[0]!.epoch) + 1);
    const wake = await delivery.devicesToWake(f.tenantId, now);
    for (const phone of phones) assert.ok(wake.includes(phone));
    for (const phone of phones) await drain(phone);
    const after = await delivery.devicesToWake(f.tenantId, now);
    for (const phone of phones) assert.ok(!after.includes(phone));
  });
});

async function writeCounters(testDb: TestDb): Promise<unknown> {
  if (testDb.db.kind !== 'postgres') return null;
  await testDb.db.query('SELECT pg_stat_force_next_flush()');
  return testDb.db.query(`SELECT relname, n_tup_ins, n_tup_upd, n_tup_del FROM pg_stat_user_tables WHERE relname LIKE 'delivery_%' ORDER BY relname`);
}
