import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import type { AssignmentTarget } from '../../src/domain/assignments/assignment-target.ts';
import { targetPlatformCriteria, targetPlatforms, type DevicePlatform, type TargetPlatform } from '../../src/domain/assignments/device-platform.ts';
import { resolveTargets } from '../../src/domain/assignments/resolve-targets.ts';
import { TargetingStore, type ScopedDevice } from '../../src/store/postgres/targeting-store.ts';
import { openTestDb, type TestDb } from '../helpers/test-db.ts';

/**
 * The SQL resolver against its specification: for random directories written to the real database
 * (PGlite, or PostgreSQL with TEST_DATABASE_URL), `scopePage` read in small pages must give exactly
 * what the pure `resolveTargets` gives for the same data — same devices, lists, order and paths.
 */
describe('TargetingStore.scopePage agrees with resolveTargets', () => {
  let testDb: TestDb;
  before(async () => {
    testDb = await openTestDb();
  });
  after(() => testDb.dispose());

  const platforms: DevicePlatform[] = [
    { operatingSystem: 'iOS', androidManagementMode: null },
    { operatingSystem: 'iPadOS', androidManagementMode: null },
    { operatingSystem: 'Windows', androidManagementMode: null },
    { operatingSystem: 'WindowsPhone', androidManagementMode: null },
    { operatingSystem: 'Android', androidManagementMode: 'knox' },
    { operatingSystem: 'Android', androidManagementMode: 'workProfile' },
  ];
  const groupCount = 4;
  const userCount = 4;
  const world = fc.record({
    targetPlatform: fc.constantFrom<TargetPlatform>(...targetPlatforms),
    targets: fc.array(
      fc.oneof(
        fc.nat(groupCount - 1).map((g) => ({ kind: 'include' as const, g })),
        fc.nat(groupCount - 1).map((g) => ({ kind: 'exclude' as const, g })),
        fc.constant({ kind: 'allUsers' as const }),
        fc.constant({ kind: 'allDevices' as const }),
      ),
      { maxLength: 5 },
    ),
    userGroups: fc.array(fc.subarray([0, 1, 2, 3]), { minLength: userCount, maxLength: userCount }),
    devices: fc.array(
      fc.record({ user: fc.option(fc.nat(userCount - 1), { nil: null }), groups: fc.subarray([0, 1, 2, 3]), platform: fc.constantFrom(...platforms) }),
      { maxLength: 14 },
    ),
    pageSize: fc.integer({ min: 1, max: 5 }),
  });

  it('for random directories and assignments, read in pages of 1 to 5', async () => {
    const store = new TargetingStore(testDb.db);
    let run = 0;
    await fc.assert(
      fc.asyncProperty(world, async (w) => {
        const tenantId = randomUUID();
        const groupIds = Array.from({ length: groupCount }, () => randomUUID());
        const userIds = Array.from({ length: userCount }, () => randomUUID());
        const devices = w.devices.map((d) => ({ ...d, id: randomUUID() }));
        const q = (sql: string, params: unknown[]) => testDb.db.query(sql, params);
        await q(`INSERT INTO tenants (id, name) VALUES ($1, $2)`, [tenantId, `t${run++}-${tenantId.slice(0, 8)}`]);
        for (const [i, id] of groupIds.entries()) await q(`INSERT INTO groups (tenant_id, id, display_name) VALUES ($1, $2, $3)`, [tenantId, id, `g${i}`]);
        for (const [i, id] of userIds.entries()) {
          await q(`INSERT INTO users (tenant_id, id, display_name, user_principal_name) VALUES ($1, $2, $3, $4)`, [tenantId, id, `User ${i}`, `u${i}@contoso.com`]);
          for (const g of w.userGroups[i]!) await q(`INSERT INTO group_members (tenant_id, group_id, user_id) VALUES ($1, $2, $3)`, [tenantId, groupIds[g], id]);
        }
        for (const [i, d] of devices.entries()) {
          await q(
            `INSERT INTO managed_devices (tenant_id, id, device_name, operating_system, os_version, android_management_mode, user_id) VALUES ($1, $2, $3, $4, '1', $5, $6)`,
            [tenantId, d.id, `Device ${i}`, d.platform.operatingSystem, d.platform.androidManagementMode, d.user === null ? null : userIds[d.user]],
          );
          for (const g of d.groups) await q(`INSERT INTO group_members (tenant_id, group_id, device_id) VALUES ($1, $2, $3)`, [tenantId, groupIds[g], d.id]);
        }
        const targets: AssignmentTarget[] = w.targets.map((t) =>
          t.kind === 'include' ? { type: 'groupAssignmentTarget', groupId: groupIds[t.g]! }
            : t.kind === 'exclude' ? { type: 'exclusionGroupAssignmentTarget', groupId: groupIds[t.g]! }
              : t.kind === 'allUsers' ? { type: 'allLicensedUsersAssignmentTarget' } : { type: 'allDevicesAssignmentTarget' });

        const expected = resolveTargets({
          targetPlatform: w.targetPlatform,
          targets,
          devices: devices.map((d) => ({ id: d.id, ...d.platform, userId: d.user === null ? null : userIds[d.user]!, groupIds: d.groups.map((g) => groupIds[g]!) })),
          userGroupIds: new Map(userIds.map((id, i) => [id, w.userGroups[i]!.map((g) => groupIds[g]!)])),
        });

        const rows: ScopedDevice[] = [];
        for (let afterId: string | null = null; ;) {
          const page = await store.scopePage(tenantId, targets, targetPlatformCriteria[w.targetPlatform], afterId, w.pageSize);
          assert.ok(page.length <= w.pageSize);
          rows.push(...page);
          if (page.length < w.pageSize) break;
          afterId = page[page.length - 1]!.deviceId;
        }
        assert.deepEqual(
          {
            targeted: rows.filter((r) => r.outcome === 'targeted').map((r) => ({ deviceId: r.deviceId, userId: r.userId, via: r.via })),
            withoutPrimaryUser: rows.filter((r) => r.outcome === 'withoutPrimaryUser').map((r) => r.deviceId),
            platformMismatch: rows.filter((r) => r.outcome === 'platformMismatch').map((r) => r.deviceId),
          },
          expected,
        );
      }),
      { numRuns: Number(process.env.TARGETING_RUNS ?? 40), seed: Number(process.env.TARGETING_SEED ?? 20261130) },
    );
  });
});
