import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { SimulatedKnoxDevice } from '../../sim/knox/simulated-knox-device.ts';
import { enrollKnoxDevice, knoxAdmin, startKnoxE2e, type KnoxE2e } from '../helpers/knox-e2e.ts';

/**
 * The one-step replace on a simulated Samsung Knox agent (sim/knox) over HTTPS (decision 0028): the
 * same address on a new host would be Knox's same-address conflict between two profiles; the replace
 * removes the old account first and adds the new one, and reports no conflict.
 */
describe('replacing a deployed Knox email profile with a new host', () => {
  let e2e: KnoxE2e;
  let admin: ReturnType<typeof knoxAdmin>;

  before(async () => {
    e2e = await startKnoxE2e();
    admin = knoxAdmin(e2e);
  });
  after(() => e2e.close());

  const managed = (device: SimulatedKnoxDevice) => device.accounts().filter((a) => a.accountKey !== null).map((a) => `${a.serverAddress} ${a.emailAddress}`);

  it('ends with one account on the new host for the same address, the old removed, both statuses right', async () => {
    const user = await admin.user('ada');
    const device = await enrollKnoxDevice(e2e, await admin.enrollmentToken(user.userId));
    const oldId = await admin.mailProfile('Knox mail', 'mail.contoso.com');
    await admin.assign(oldId, [user.groupId]);
    await device.sync();
    assert.deepEqual(managed(device), [`mail.contoso.com ${user.upn}`]);

    const replaced = await e2e.request('POST', `/graph/beta/deviceManagement/deviceConfigurations/${oldId}/envelope/replace`, { hostName: 'exchange.contoso.com' });
    assert.equal(replaced.status, 201, JSON.stringify(replaced.body));
    assert.deepEqual([replaced.body.removeOld.count, replaced.body.installNew.count, replaced.body.blocked.count], [1, 1, 0]);
    const newId = replaced.body.newProfile.id as string;
    await device.sync();

    assert.deepEqual(managed(device), [`exchange.contoso.com ${user.upn}`], 'one account, on the new host');
    const status = await admin.deviceStatus(newId, device.deviceId);
    assert.equal(status.status, 'compliant', JSON.stringify(status));
    assert.equal((await admin.ledger(device.deviceId, oldId)).state, 'removed');
    const summary = await e2e.request('GET', `/graph/beta/deviceManagement/deviceConfigurations/${newId}/envelope/replacement`);
    assert.deepEqual([summary.body.progress.oldOnDevices, summary.body.progress.oldRemoved, summary.body.progress.newInstalled, summary.body.progress.newFailed], [0, 1, 1, 0]);
    assert.equal(await device.sync(), 0, 'nothing more to do: no flapping');
  });
});
