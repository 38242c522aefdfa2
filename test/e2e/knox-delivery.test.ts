import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { KnoxAgentError, type SimulatedKnoxDevice } from '../../sim/knox/simulated-knox-device.ts';
import { enrollKnoxDevice, knoxAdmin, startKnoxE2e, type KnoxE2e } from '../helpers/knox-e2e.ts';

/**
 * Issue 9's Knox scenarios: simulated Samsung Knox agents (sim/knox, written from
 * docs/agent-protocol.md and payload-formats §3) enroll and are managed by a real Envelope over
 * HTTPS on 127.0.0.1, on the suite's database backend (PGlite, or PostgreSQL with
 * TEST_DATABASE_URL). One server for the suite; each test has its own user and device.
 */
describe('delivering email profiles to simulated Samsung Knox agents over HTTPS', () => {
  let e2e: KnoxE2e;
  let admin: ReturnType<typeof knoxAdmin>;

  before(async () => {
    e2e = await startKnoxE2e();
    admin = knoxAdmin(e2e);
  });
  after(() => e2e.close());

  async function userWithDevice(name: string, options: { mail?: string; serverRoots?: Record<string, string>; addResultsImmediately?: boolean } = {}) {
    const user = await admin.user(name, options.mail === undefined ? {} : { mail: options.mail });
    const device = await enrollKnoxDevice(e2e, await admin.enrollmentToken(user.userId), {
      ...(options.serverRoots ? { serverRoots: options.serverRoots } : {}),
      ...(options.addResultsImmediately === undefined ? {} : { addResultsImmediately: options.addResultsImmediately }),
    });
    return { ...user, device, deviceId: device.deviceId };
  }

  const managed = (device: SimulatedKnoxDevice) => device.accounts().filter((a) => a.accountKey !== null);

  it('enrolls a device with an Android token: an Android device in knox mode with the token\'s user, the token used once, the credential stored only hashed', async () => {
    const { device, deviceId, userId } = await userWithDevice('ada');
    const reply = await e2e.request('GET', `/graph/beta/deviceManagement/managedDevices/${deviceId}`);
    assert.equal(reply.status, 200);
    assert.equal(reply.body.operatingSystem, 'Android');
    assert.equal(reply.body.userId, userId);
    const [row] = await e2e.query<{ android_management_mode: string; model: string }>('SELECT android_management_mode, model FROM managed_devices WHERE id = $1', [deviceId]);
    assert.equal(row!.android_management_mode, 'knox');
    assert.equal(row!.model, device.facts.model);
    const [enrollment] = await e2e.query<{ credential_sha256: Uint8Array; serial_number: string; knox_version: string }>('SELECT credential_sha256, serial_number, knox_version FROM knox_enrollments WHERE device_id = $1', [deviceId]);
    assert.equal(enrollment!.serial_number, device.facts.serialNumber);
    assert.equal(enrollment!.knox_version, '3.10');
    assert.equal(Buffer.from(enrollment!.credential_sha256).length, 32);
    assert.ok(!JSON.stringify(await e2e.query('SELECT * FROM knox_enrollments WHERE device_id = $1', [deviceId])).includes(device.credential.slice(4)), 'the credential is not stored');
    assert.equal(await device.sync(), 0, 'nothing to do yet');
  });

  it('refuses a used, a wrong-platform and a malformed enrollment: clear errors naming the field, nothing created', async () => {
    const user = await admin.user('grace');
    const token = await admin.enrollmentToken(user.userId);
    await enrollKnoxDevice(e2e, token);
    const count = async () => (await e2e.query<{ n: number }>('SELECT count(*)::int AS n FROM managed_devices WHERE user_id = $1', [user.userId]))[0]!.n;
    const used = await enrollKnoxDevice(e2e, token).catch((error: KnoxAgentError) => error.response);
    assert.equal((used as { status: number }).status, 403);
    assert.equal((used as { body: { error: { code: string } } }).body.error.code, 'DeviceCapReached');
    const windowsToken = await admin.enrollmentToken(user.userId, { platform: 'Windows' });
    const wrong = await enrollKnoxDevice(e2e, windowsToken).catch((error: KnoxAgentError) => error.response);
    assert.equal((wrong as { status: number }).status, 403);
    const unknown = await enrollKnoxDevice(e2e, `enr_${randomBytes(32).toString('base64url')}`).catch((error: KnoxAgentError) => error.response);
    assert.equal((unknown as { status: number }).status, 401);
    const bad = await e2e.http({ method: 'POST', url: `${e2e.origin}/mdm/android/enroll`, body: { enrollmentToken: token, device: { serialNumber: 'X1', androidVersion: 'fourteen' } } });
    assert.equal(bad.status, 400);
    assert.equal((bad.body as { error: { target: string } }).error.target, 'device.androidVersion');
    const extra = await e2e.http({ method: 'POST', url: `${e2e.origin}/mdm/android/enroll`, body: { enrollmentToken: token, device: { serialNumber: 'X1', androidVersion: '14' }, password: 'x' } });
    assert.equal(extra.status, 400);
    assert.equal((extra.body as { error: { target: string } }).error.target, 'password');
    assert.equal(await count(), 1);
  });

  it('lets exactly one of two devices racing for a token\'s last slot enroll', async () => {
    const user = await admin.user('hedy');
    const token = await admin.enrollmentToken(user.userId, { maxDevices: 1 });
    const results = await Promise.allSettled([enrollKnoxDevice(e2e, token), enrollKnoxDevice(e2e, token), enrollKnoxDevice(e2e, token)]);
    assert.equal(results.filter((r) => r.status === 'fulfilled').length, 1);
    for (const r of results) if (r.status === 'rejected') assert.equal((r.reason as KnoxAgentError).response.status, 403);
    const [token_] = await e2e.query<{ used_count: number }>('SELECT used_count FROM enrollment_tokens WHERE user_id = $1', [user.userId]);
    assert.equal(token_!.used_count, 1);
  });

  it('replaces the earlier enrollment of the same serial number; concurrent ones never answer 500', async () => {
    const user = await admin.user('lise');
    const serialNumber = `R58SAME${randomBytes(3).toString('hex').toUpperCase()}`;
    const first = await enrollKnoxDevice(e2e, await admin.enrollmentToken(user.userId), { facts: { serialNumber } });
    const second = await enrollKnoxDevice(e2e, await admin.enrollmentToken(user.userId), { facts: { serialNumber } });
    assert.notEqual(first.deviceId, second.deviceId);
    assert.equal((await e2e.request('GET', `/graph/beta/deviceManagement/managedDevices/${first.deviceId}`)).status, 404, 'the earlier device is gone');
    assert.equal((await first.request('GET', '/commands/next')).status, 401, 'and so is its credential');
    const tokens = await Promise.all([1, 2, 3].map(() => admin.enrollmentToken(user.userId)));
    const raced = await Promise.all(tokens.map((token) => e2e.http({ method: 'POST', url: `${e2e.origin}/mdm/android/enroll`, body: { enrollmentToken: token, device: { serialNumber, androidVersion: '14' } } })));
    for (const reply of raced) assert.ok([201, 409].includes(reply.status), `HTTP ${reply.status} ${JSON.stringify(reply.body)}`);
    const rows = await e2e.query('SELECT device_id FROM knox_enrollments WHERE serial_number = $1', [serialNumber]);
    assert.equal(rows.length, 1);
  });

  it('installs an androidEasEmailProfileConfiguration: the Knox account with the profile\'s values, compliant once validated, then verified by inventory', async () => {
    const { device, deviceId, groupId, upn } = await userWithDevice('linus', { addResultsImmediately: false });
    const profileId = await admin.mailProfile('Contoso mail', 'mail.contoso.com', { durationOfEmailToSync: 'twoWeeks', emailSyncSchedule: 'fifteenMinutes' });
    await admin.assign(profileId, [groupId]);
    assert.equal(await device.sync(), 1);
    const [account, ...others] = managed(device);
    assert.deepEqual(others, []);
    assert.equal(account!.emailAddress, upn);
    assert.equal(account!.serverAddress, 'mail.contoso.com');
    assert.equal(account!.fields!.acceptAllCertificates, false);
    assert.equal(account!.fields!.syncLookback, 4);
    assert.equal(account!.fields!.syncInterval, 15);
    assert.equal('serverPassword' in account!.fields!, false, 'never a password');
    assert.equal((await admin.deviceStatus(profileId, deviceId)).status, 'unknown', 'applied, not yet validated: pending');
    await device.deliverAddResults();
    const status = await admin.deviceStatus(profileId, deviceId);
    assert.equal(status.status, 'compliant', JSON.stringify(status));
    const [ledger] = await e2e.query<{ target: { accountId: string } }>('SELECT target FROM delivery_ledger WHERE device_id = $1 AND profile_id = $2', [deviceId, profileId]);
    assert.equal(ledger!.target.accountId, account!.accountKey, 'the account key is the ledger\'s account id');
    assert.deepEqual(await device.reportInventory(), { verified: 1, missing: 0, userMadeDuplicates: 0 });
    assert.equal((await admin.deviceStatus(profileId, deviceId)).reasonCode, 'verified');
    assert.equal(await device.sync(), 0, 'nothing more to do');
  });

  it('updates in place (same Knox account), removes an unassigned profile, and keeps the only email profile on the device', async () => {
    const { device, deviceId, groupId, upn } = await userWithDevice('margaret', { mail: `margaret-${randomBytes(2).toString('hex')}@mail.contoso.com` });
    const first = await admin.mailProfile('First mail', 'first.contoso.com');
    const second = await admin.mailProfile('Second mail', 'second.contoso.com', { emailAddressSource: 'primarySmtpAddress' });
    await admin.assign(first, [groupId]);
    await admin.assign(second, [groupId]);
    await device.sync();
    assert.equal(managed(device).length, 2);
    const before = managed(device).find((a) => a.emailAddress === upn)!;
    await admin.patchProfile(first, { accountName: 'First mail (renamed)', emailSyncSchedule: 'sixtyMinutes' });
    assert.equal(await device.sync(), 1);
    const after = managed(device).find((a) => a.emailAddress === upn)!;
    assert.equal(after.accId, before.accId, 'updated in place');
    assert.equal(after.displayName, 'First mail (renamed)');
    assert.equal(device.commands.at(-1)!.type, 'updateAccount');
    assert.equal((await admin.deviceStatus(first, deviceId)).status, 'compliant');

    await admin.assign(second, []);
    assert.equal(await device.sync(), 1);
    assert.equal(device.commands.at(-1)!.type, 'removeAccount');
    assert.deepEqual(managed(device).map((a) => a.emailAddress), [upn]);
    assert.equal((await admin.ledger(deviceId, second)).state, 'removed');

    await admin.assign(first, []);
    assert.equal(await device.sync(), 0, 'the only email profile is not removed');
    assert.equal(managed(device).length, 1);
    const kept = await admin.ledger(deviceId, first);
    assert.equal(kept.state, 'kept');
    assert.equal(kept.reason_code, 'onlyEmailProfile');
  });

  it('overwrites a user-made account with the same address, and overwrites it again when the user re-creates it; the status counts the overwrites', async () => {
    const { device, deviceId, groupId, upn } = await userWithDevice('barbara');
    device.userCreatesAccount(upn, 'outlook.office365.com');
    const profileId = await admin.mailProfile('Seed mail', 'seed.contoso.com');
    await admin.assign(profileId, [groupId]);
    await device.sync();
    assert.deepEqual(device.accounts().map((a) => [a.emailAddress, a.serverAddress, a.accountKey !== null]), [[upn, 'seed.contoso.com', true]], 'Knox keys by address: the user\'s account was overwritten');
    let status = await admin.deviceStatus(profileId, deviceId);
    assert.equal(status.status, 'compliant');
    assert.match(String(status.adminMessage), /overwritten on the device \(once so far/);

    const loopAlert = async () => ((await e2e.request('GET', '/graph/beta/envelope/alerts')).body.value as { kind: string; affectedCount: number }[]).find((a) => a.kind === 'knoxOverwriteLoop');
    assert.equal(await loopAlert(), undefined, 'one overwrite is no loop');

    device.userCreatesAccount(upn, 'imap.example.net');
    assert.deepEqual(await device.reportInventory(), { verified: 0, missing: 1, userMadeDuplicates: 1 });
    assert.equal(await device.sync(), 1);
    assert.deepEqual(device.accounts().map((a) => [a.serverAddress, a.accountKey !== null]), [['seed.contoso.com', true]]);
    status = await admin.deviceStatus(profileId, deviceId);
    assert.equal(status.status, 'compliant');
    assert.match(String(status.adminMessage), /overwritten on the device \(2 times so far/);
    const [counter] = await e2e.query<{ overwritten_count: number }>('SELECT overwritten_count FROM knox_accounts WHERE device_id = $1 AND profile_id = $2', [deviceId, profileId]);
    assert.equal(counter!.overwritten_count, 2);

    // The user re-created the account once: the admin sees the loop, with the device and the count.
    assert.ok(((await loopAlert())?.affectedCount ?? 0) >= 1, 'the overwrite-loop alert');
    const affected = await e2e.request('GET', '/graph/beta/envelope/alerts/knoxOverwriteLoop/affected');
    assert.equal(affected.status, 200, JSON.stringify(affected.body));
    const entry = (affected.body.value as { deviceId: string; profiles: { profileId: string; displayName: string; message: string }[] }[]).find((d) => d.deviceId === deviceId);
    assert.deepEqual(entry?.profiles.map((p) => [p.profileId, p.displayName, p.message]), [[profileId, 'Seed mail', 'A user-made account with this address was overwritten 2 times so far.']]);
  });

  it('reports two profiles with the same address on different hosts as a conflict on both, applies neither, and does not flap', async () => {
    const { device, deviceId, groupId } = await userWithDevice('frances');
    const a = await admin.mailProfile('Host A', 'a.contoso.com');
    const b = await admin.mailProfile('Host B', 'b.contoso.com');
    await admin.assign(a, [groupId]);
    await admin.assign(b, [groupId]);
    assert.equal(await device.sync(), 0);
    assert.equal(device.accounts().length, 0);
    for (const [profileId, other] of [[a, 'Host B'], [b, 'Host A']] as const) {
      const status = await admin.deviceStatus(profileId, deviceId);
      assert.equal(status.status, 'conflict');
      assert.equal(status.reasonCode, 'accountConflict');
      assert.match(String(status.adminMessage), new RegExp(other));
    }
    assert.equal(await device.sync(), 0, 'still nothing sent');
    assert.equal(device.commands.length, 0);
  });

  it('says so when the Exchange server\'s private root is missing, and installs once a trusted-root profile brings it', async () => {
    const root = e2e.pki.tlsCa.certificatePem.replace(/-----[A-Z ]+-----|\s/g, '');
    const { device, deviceId, groupId } = await userWithDevice('katherine', { serverRoots: { 'private.contoso.com': root } });
    const profileId = await admin.mailProfile('Private mail', 'private.contoso.com');
    await admin.assign(profileId, [groupId]);
    await device.sync();
    let status = await admin.deviceStatus(profileId, deviceId);
    assert.equal(status.status, 'error');
    assert.match(String(status.adminMessage), /does not trust the Exchange server's TLS certificate.*androidTrustedRootCertificate/);

    const rootProfile = await admin.trustedRoot('Contoso private root', root);
    await admin.assign(rootProfile, [groupId]);
    // The failure is retried on the core's backoff; the admin's resend retries at once.
    assert.equal((await e2e.request('POST', `/graph/beta/deviceManagement/deviceConfigurations/${profileId}/resend`, { deviceIds: [deviceId] })).status, 202);
    await device.sync();
    assert.deepEqual(device.trustedRootAliases(), [rootProfile]);
    status = await admin.deviceStatus(profileId, deviceId);
    assert.equal(status.status, 'compliant', JSON.stringify(status));
    assert.equal((await admin.deviceStatus(rootProfile, deviceId)).status, 'compliant');
  });

  it('reports a wrong password as an error, and the account as compliant once the user fixes it; a repeated add-result changes nothing', async () => {
    const { device, deviceId, groupId } = await userWithDevice('dorothy');
    device.setPasswordWrong(true);
    const profileId = await admin.mailProfile('Password mail', 'pw.contoso.com');
    await admin.assign(profileId, [groupId]);
    await device.sync();
    const failed = await admin.ledger(deviceId, profileId);
    assert.equal(failed.state, 'error');
    assert.match(failed.message, /refused the account's credentials/);

    const [commandId, repeated] = device.events.at(-1)!;
    const again = await device.request('POST', `/commands/${commandId}/events`, repeated);
    assert.equal(again.status, 204);
    assert.deepEqual(await admin.ledger(deviceId, profileId), failed, 'a repeated failure changes nothing');

    device.fixPassword();
    await device.deliverAddResults();
    await device.sync();
    const status = await admin.deviceStatus(profileId, deviceId);
    assert.equal(status.status, 'compliant', JSON.stringify(status));
    const settled = await admin.ledger(deviceId, profileId);
    const validated = device.events.filter(([id, event]) => id === settled.command_id && event.event === 'validated').at(-1)!;
    assert.equal((await device.request('POST', `/commands/${validated[0]}/events`, validated[1])).status, 204);
    assert.deepEqual(await admin.ledger(deviceId, profileId), settled, 'a repeated validation changes nothing');
    assert.equal(managed(device).length, 1);
  });

  it('rejects a wrong credential (401) and another device\'s command id (404), changing nothing', async () => {
    const one = await userWithDevice('ida', { addResultsImmediately: false });
    const two = await userWithDevice('joan');
    const profileId = await admin.mailProfile('Own mail', 'own.contoso.com');
    await admin.assign(profileId, [one.groupId]);
    await one.device.sync();
    const commandId = one.device.commands[0]!.commandId as string;
    const before = await admin.ledger(one.deviceId, profileId);

    const wrong = await one.device.request('GET', '/commands/next', undefined, `kxa_${randomBytes(32).toString('base64url')}`);
    assert.equal(wrong.status, 401);
    assert.equal((wrong.body as { error: { code: string } }).error.code, 'InvalidDeviceCredential');
    assert.equal((await one.device.request('POST', `/commands/${commandId}/events`, { event: 'validated' }, 'garbage')).status, 401);
    const foreign = await two.device.request('POST', `/commands/${commandId}/events`, { event: 'validated' });
    assert.equal(foreign.status, 404);
    const wrongEvent = await one.device.request('POST', `/commands/${commandId}/events`, { event: 'removed' });
    assert.equal(wrongEvent.status, 400);
    assert.equal((wrongEvent.body as { error: { target: string } }).error.target, 'event');
    const badBody = await one.device.request('POST', `/commands/${commandId}/events`, { event: 'failed', error: { code: 'nope' } });
    assert.equal(badBody.status, 400);
    assert.match((badBody.body as { error: { target: string } }).error.target, /^error\.code/);
    assert.equal((await one.device.request('POST', '/commands/not-a-uuid/events', { event: 'validated' })).status, 400);
    assert.deepEqual(await admin.ledger(one.deviceId, profileId), before, 'nothing changed');
    assert.equal(await two.device.sync(), 0, 'the other device got nothing');
  });

  it('unenrolls: the ledger marks the profile removed, and the credential no longer works', async () => {
    const { device, deviceId, groupId } = await userWithDevice('radia');
    const profileId = await admin.mailProfile('Leaving mail', 'leave.contoso.com');
    await admin.assign(profileId, [groupId]);
    await device.sync();
    assert.equal((await admin.deviceStatus(profileId, deviceId)).status, 'compliant');
    await device.unenroll();
    const row = await admin.ledger(deviceId, profileId);
    assert.equal(row.state, 'removed');
    assert.equal(row.reason_code, 'deviceUnenrolled');
    assert.equal((await device.request('GET', '/commands/next')).status, 401);
  });

  it('answers a missing or non-object body with 400 and limits each device\'s requests per minute (429 with Retry-After), other devices unaffected', async () => {
    const one = await userWithDevice('annie');
    const two = await userWithDevice('evelyn');
    const malformed = await e2e.http({ method: 'PUT', url: `${one.device.apiUrl}/inventory`, credential: one.device.credential, body: undefined });
    assert.equal(malformed.status, 400);
    const notObject = await one.device.request('POST', `/commands/${randomUUID()}/events`, ['validated']);
    assert.equal(notObject.status, 400);
    let limited: Awaited<ReturnType<SimulatedKnoxDevice['request']>> | undefined;
    for (let i = 0; i < 130 && limited === undefined; i++) {
      const reply = await one.device.request('GET', '/commands/next');
      if (reply.status === 429) limited = reply;
      else assert.equal(reply.status, 204);
    }
    assert.ok(limited, 'the device was limited');
    assert.equal((limited.body as { error: { code: string } }).error.code, 'TooManyRequests');
    assert.ok(limited.headers['retry-after']);
    assert.equal((await two.device.request('GET', '/commands/next')).status, 204, 'another device is not limited');
  });
});
