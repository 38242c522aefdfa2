import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import type { AssignmentTarget } from './assignment-target.ts';
import { targetPlatforms, type DevicePlatform, type TargetPlatform } from './device-platform.ts';
import { resolveTargets, type ResolverDevice, type ResolverResult } from './resolve-targets.ts';

const iOS: DevicePlatform = { operatingSystem: 'iOS', androidManagementMode: null };
const windows: DevicePlatform = { operatingSystem: 'Windows', androidManagementMode: null };
const windowsPhone: DevicePlatform = { operatingSystem: 'WindowsPhone', androidManagementMode: null };
const knox: DevicePlatform = { operatingSystem: 'Android', androidManagementMode: 'knox' };

const include = (groupId: string): AssignmentTarget => ({ type: 'groupAssignmentTarget', groupId });
const exclude = (groupId: string): AssignmentTarget => ({ type: 'exclusionGroupAssignmentTarget', groupId });
const allUsers: AssignmentTarget = { type: 'allLicensedUsersAssignmentTarget' };
const allDevices: AssignmentTarget = { type: 'allDevicesAssignmentTarget' };

const device = (id: string, userId: string | null, groupIds: string[], platform = iOS): ResolverDevice => ({
  id,
  userId,
  groupIds,
  ...platform,
});

/**
 * The directory of the table below. User groups: sales (alice, bob), contractors (bob). Device groups:
 * corp (a1, c1), kiosk (c1). `mixed` holds the user alice and the device b1.
 */
const users = new Map([
  ['alice', new Set(['sales', 'mixed'])],
  ['bob', new Set(['sales', 'contractors'])],
  ['carol', new Set<string>()],
]);
const fleet = [
  device('a1', 'alice', ['corp']),
  device('b1', 'bob', ['mixed']),
  device('c1', 'carol', ['corp', 'kiosk']),
  device('c2', 'carol', []),
];

function targeted(targets: AssignmentTarget[]): string[] {
  const result = resolveTargets({ targetPlatform: 'ios', targets, devices: fleet, userGroupIds: users });
  assert.deepEqual(result.withoutPrimaryUser, []);
  assert.deepEqual(result.platformMismatch, []);
  return result.targeted.map(({ deviceId, via }) => `${deviceId}:${via}`);
}

describe('resolveTargets', () => {
  const table: Array<{ name: string; targets: AssignmentTarget[]; expected: string[] }> = [
    { name: 'an included user group reaches its members\' devices', targets: [include('sales')], expected: ['a1:user', 'b1:user'] },
    { name: 'an excluded user group beats an included one', targets: [include('sales'), exclude('contractors')], expected: ['a1:user'] },
    { name: 'an included device group reaches its member devices', targets: [include('corp')], expected: ['a1:device', 'c1:device'] },
    { name: 'an excluded device group beats an included one', targets: [include('corp'), exclude('kiosk')], expected: ['a1:device'] },
    { name: 'an excluded device group does not remove users included by a user group', targets: [include('sales'), exclude('corp')], expected: ['a1:user', 'b1:user'] },
    { name: 'an excluded user group does not remove devices included by a device group', targets: [include('corp'), exclude('sales')], expected: ['a1:device', 'c1:device'] },
    { name: 'all users reaches every device with a primary user', targets: [allUsers], expected: ['a1:user', 'b1:user', 'c1:user', 'c2:user'] },
    { name: 'all users minus a device group still reaches every user (Intune\'s example)', targets: [allUsers, exclude('corp')], expected: ['a1:user', 'b1:user', 'c1:user', 'c2:user'] },
    { name: 'all users minus a user group leaves out that group\'s members', targets: [allUsers, exclude('sales')], expected: ['c1:user', 'c2:user'] },
    { name: 'all devices minus a user group still reaches every device', targets: [allDevices, exclude('sales')], expected: ['a1:device', 'b1:device', 'c1:device', 'c2:device'] },
    { name: 'all devices minus a device group leaves out that group\'s devices', targets: [allDevices, exclude('kiosk')], expected: ['a1:device', 'b1:device', 'c2:device'] },
    { name: 'a device reached through its user and itself is reached by both', targets: [include('sales'), include('corp')], expected: ['a1:both', 'b1:user', 'c1:device'] },
    { name: 'a mixed group counts its user members by user and its device members by device', targets: [include('mixed')], expected: ['a1:user', 'b1:device'] },
    { name: 'excluding a mixed group removes each member from its own path only', targets: [allUsers, allDevices, exclude('mixed')], expected: ['a1:device', 'b1:user', 'c1:both', 'c2:both'] },
    { name: 'exclusions alone reach no one', targets: [exclude('sales'), exclude('corp')], expected: [] },
    { name: 'no targets reach no one', targets: [], expected: [] },
    { name: 'a group both included and excluded (which the parser refuses) is excluded', targets: [include('sales'), exclude('sales')], expected: [] },
    { name: 'a group with no members reaches no one', targets: [include('nobody')], expected: [] },
  ];
  for (const { name, targets, expected } of table) {
    it(name, () => assert.deepEqual(targeted(targets), expected));
  }

  it('reports a device-targeted device without a primary user instead of targeting it', () => {
    const result = resolveTargets({
      targetPlatform: 'ios',
      targets: [include('corp')],
      devices: [device('k1', null, ['corp']), device('a1', 'alice', ['corp'])],
      userGroupIds: users,
    });
    assert.deepEqual(result, { targeted: [{ deviceId: 'a1', userId: 'alice', via: 'device' }], withoutPrimaryUser: ['k1'], platformMismatch: [] });
  });

  it('does not put a device without a primary user in scope through user targets', () => {
    const result = resolveTargets({ targetPlatform: 'ios', targets: [allUsers], devices: [device('k1', null, [])], userGroupIds: users });
    assert.deepEqual(result, { targeted: [], withoutPrimaryUser: [], platformMismatch: [] });
  });

  it('targets the devices of a user it has no group memberships for through all users only', () => {
    const stranger = [device('s1', 'stranger', [])];
    assert.equal(resolveTargets({ targetPlatform: 'ios', targets: [include('sales')], devices: stranger, userGroupIds: users }).targeted.length, 0);
    assert.deepEqual(resolveTargets({ targetPlatform: 'ios', targets: [allUsers], devices: stranger, userGroupIds: users }).targeted, [
      { deviceId: 's1', userId: 'stranger', via: 'user' },
    ]);
  });

  it('reports targeted devices of another platform as mismatches, before the primary-user rule', () => {
    const result = resolveTargets({
      targetPlatform: 'ios',
      targets: [allDevices],
      devices: [device('w1', 'alice', [], windows), device('k1', null, [], knox), device('i1', null, []), device('i2', 'bob', [])],
      userGroupIds: users,
    });
    assert.deepEqual(result, {
      targeted: [{ deviceId: 'i2', userId: 'bob', via: 'device' }],
      withoutPrimaryUser: ['i1'],
      platformMismatch: ['k1', 'w1'],
    });
  });

  it('applies a Windows Phone 8.1 profile to Windows 10 devices too, but a Windows 10 profile not to phones', () => {
    const devices = [device('phone', 'alice', [], windowsPhone), device('pc', 'alice', [], windows)];
    const phoneProfile = resolveTargets({ targetPlatform: 'windowsPhone', targets: [allUsers], devices, userGroupIds: users });
    const pcProfile = resolveTargets({ targetPlatform: 'windows', targets: [allUsers], devices, userGroupIds: users });
    assert.deepEqual(phoneProfile.targeted.map((entry) => entry.deviceId), ['pc', 'phone']);
    assert.deepEqual(pcProfile.targeted.map((entry) => entry.deviceId), ['pc']);
    assert.deepEqual(pcProfile.platformMismatch, ['phone']);
  });

  it('sorts every list by device id in code-unit order, whatever the input order', () => {
    const devices = ['b', 'a', 'B', 'ä', '10', '9'].map((id) => device(id, 'alice', []));
    const result = resolveTargets({ targetPlatform: 'ios', targets: [allUsers], devices, userGroupIds: users });
    assert.deepEqual(result.targeted.map((entry) => entry.deviceId), ['10', '9', 'B', 'a', 'b', 'ä']);
  });

  it('accepts devices as a one-shot stream and group ids as arrays or sets', () => {
    function* stream() {
      yield device('a1', 'alice', ['corp']);
      yield { ...device('c1', 'carol', []), groupIds: new Set(['corp']) };
    }
    const result = resolveTargets({ targetPlatform: 'ios', targets: [include('corp')], devices: stream(), userGroupIds: users });
    assert.deepEqual(result.targeted.map((entry) => entry.deviceId), ['a1', 'c1']);
  });
});

describe('resolveTargets properties', () => {
  const groups = ['g0', 'g1', 'g2', 'g3', 'g4'];
  const userIds = ['u0', 'u1', 'u2', 'u3'];
  const platforms: DevicePlatform[] = [
    iOS,
    { operatingSystem: 'iPadOS', androidManagementMode: null },
    windows,
    windowsPhone,
    knox,
    { operatingSystem: 'Android', androidManagementMode: 'workProfile' },
  ];
  const targetArbitrary: fc.Arbitrary<AssignmentTarget> = fc.oneof(
    fc.constantFrom(...groups).map(include),
    fc.constantFrom(...groups).map(exclude),
    fc.constant(allUsers),
    fc.constant(allDevices),
  );
  const worldArbitrary = fc.record({
    targetPlatform: fc.constantFrom<TargetPlatform>(...targetPlatforms),
    targets: fc.array(targetArbitrary, { maxLength: 6 }),
    userGroups: fc.tuple(...userIds.map(() => fc.subarray(groups))),
    devices: fc.uniqueArray(
      fc.record({
        id: fc.string({ minLength: 1, maxLength: 4 }),
        userId: fc.option(fc.constantFrom(...userIds), { nil: null }),
        groupIds: fc.subarray(groups),
        platform: fc.constantFrom(...platforms),
      }),
      { selector: (entry) => entry.id, maxLength: 12 },
    ),
  });
  type World = typeof worldArbitrary extends fc.Arbitrary<infer T> ? T : never;

  const resolve = (world: World, targets = world.targets): ResolverResult =>
    resolveTargets({
      targetPlatform: world.targetPlatform,
      targets,
      devices: world.devices.map(({ platform, ...rest }) => ({ ...rest, ...platform })),
      userGroupIds: new Map(userIds.map((id, index) => [id, new Set(world.userGroups[index])])),
    });
  const inScope = (result: ResolverResult): Set<string> =>
    new Set([...result.targeted.map((entry) => entry.deviceId), ...result.withoutPrimaryUser, ...result.platformMismatch]);
  const isSubset = <T>(small: Iterable<T>, large: ReadonlySet<T>) => [...small].every((item) => large.has(item));
  const paths = (via: 'user' | 'device' | 'both') => (via === 'both' ? ['user', 'device'] : [via]);

  it('never gains a device or a path when an exclusion is added', () => {
    fc.assert(
      fc.property(worldArbitrary, fc.constantFrom(...groups), (world, groupId) => {
        const before = resolve(world);
        const after = resolve(world, [...world.targets, exclude(groupId)]);
        assert.ok(isSubset(inScope(after), inScope(before)));
        const viaBefore = new Map(before.targeted.map((entry) => [entry.deviceId, entry.via]));
        for (const entry of after.targeted) {
          assert.ok(isSubset(paths(entry.via), new Set(paths(viaBefore.get(entry.deviceId) ?? 'user'))));
        }
      }),
    );
  });

  it('never loses a device when an inclusion is added', () => {
    fc.assert(
      fc.property(worldArbitrary, fc.oneof(fc.constantFrom(...groups).map(include), fc.constant(allUsers), fc.constant(allDevices)), (world, target) => {
        const before = resolve(world);
        const after = resolve(world, [...world.targets, target]);
        assert.ok(isSubset(before.withoutPrimaryUser, new Set(after.withoutPrimaryUser)));
        assert.ok(isSubset(before.platformMismatch, new Set(after.platformMismatch)));
        assert.ok(isSubset(before.targeted.map((entry) => entry.deviceId), new Set(after.targeted.map((entry) => entry.deviceId))));
      }),
    );
  });

  it('reaches no one without targets or with exclusions only', () => {
    fc.assert(
      fc.property(worldArbitrary, (world) => {
        const empty = { targeted: [], withoutPrimaryUser: [], platformMismatch: [] };
        assert.deepEqual(resolve(world, []), empty);
        assert.deepEqual(resolve(world, world.targets.filter((target) => target.type === 'exclusionGroupAssignmentTarget')), empty);
      }),
    );
  });

  it('puts each device in at most one list, targeting only matching devices with a primary user', () => {
    fc.assert(
      fc.property(worldArbitrary, (world) => {
        const result = resolve(world);
        const all = [...result.targeted.map((entry) => entry.deviceId), ...result.withoutPrimaryUser, ...result.platformMismatch];
        assert.equal(new Set(all).size, all.length);
        const byId = new Map(world.devices.map((entry) => [entry.id, entry]));
        for (const entry of result.targeted) assert.equal(entry.userId, byId.get(entry.deviceId)?.userId);
        for (const id of result.withoutPrimaryUser) assert.equal(byId.get(id)?.userId, null);
      }),
    );
  });

  it('gives the same result whatever the order of devices, targets and memberships', () => {
    fc.assert(
      fc.property(worldArbitrary, fc.nat(), (world, seed) => {
        const shuffle = <T>(items: readonly T[]) => items.map((item, index) => ({ item, key: (index * 7919 + seed) % 104729 })).sort((a, b) => a.key - b.key).map(({ item }) => item);
        const shuffled: World = {
          ...world,
          targets: shuffle(world.targets),
          devices: shuffle(world.devices).map((entry) => ({ ...entry, groupIds: shuffle(entry.groupIds) })),
        };
        assert.deepEqual(resolve(shuffled), resolve(world));
      }),
    );
  });
});
