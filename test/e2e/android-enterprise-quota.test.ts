import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { enterpriseName, gmail, startAmapiE2e, type AmapiE2e } from '../helpers/amapi-e2e.ts';

describe('Android Management API quota', () => {
  let e2e: AmapiE2e;
  before(async () => {
    // Google allows 3 queries per 1.5 s here; Envelope believes in more: the four patches of one
    // assignment (synced 8 at a time) cannot all pass, so Google's 429 must hold Envelope back.
    e2e = await startAmapiE2e({ standIn: { quota: 3, quotaWindowMs: 1500 }, quota: { limit: 1000, windowMs: 1000 } });
  });
  after(async () => {
    await e2e?.close();
  });

  it('defers devices Google answers 429 for, and delivers to every device once the quota allows', async () => {
    const users = await Promise.all(['ann', 'ben', 'cat', 'dan'].map((name) => e2e.user(name)));
    const devices = [];
    for (const user of users) devices.push(await e2e.enrollDevice(user.userId, { installed: [gmail] }));
    const profileId = await e2e.mailProfile('gmail', 'Gmail quota');
    await e2e.assign(profileId, users.map((user) => user.groupId));
    for (const { deviceId } of devices) {
      await e2e.waitFor(`the profile on ${deviceId}`, async () => {
        const rows = await e2e.query<{ state: string }>('SELECT state FROM delivery_ledger WHERE device_id = $1 AND profile_id = $2', [deviceId, profileId]);
        return ['succeeded', 'verified'].includes(rows[0]?.state ?? '') ? true : undefined;
      }, 60_000);
      const apps = (e2e.standIn.policy(`${enterpriseName}/policies/envelope-${deviceId}`)?.applications ?? []) as { packageName: string }[];
      assert.deepEqual(apps.map((app) => app.packageName), [gmail]);
    }
    assert.ok(e2e.standIn.counts.quotaRefusals > 0, 'the stand-in refused some calls with 429');
  });
});
