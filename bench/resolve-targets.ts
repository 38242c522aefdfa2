import { resolveTargets, type ResolverDevice } from '../src/domain/assignments/resolve-targets.ts';
import type { AssignmentTarget } from '../src/domain/assignments/assignment-target.ts';
import { machineLine, median } from './machine.ts';

/**
 * The pure assignment resolver over a 100,000-device tenant held in memory: 60,000 users in 2 of 50
 * groups each, devices in 1 group each, every tenth without a primary user, a third Windows. Targets:
 * two include groups, one exclusion group, all devices. Reports milliseconds per resolution.
 */
export function benchResolveTargets(rounds = 7): number {
  const groups = Array.from({ length: 50 }, (_, i) => `g${i}`);
  const devices: ResolverDevice[] = Array.from({ length: 100_000 }, (_, i) => ({
    id: `d${i}`,
    operatingSystem: i % 3 === 0 ? 'Windows' : 'iOS',
    androidManagementMode: null,
    userId: i % 10 === 0 ? null : `u${i % 60_000}`,
    groupIds: [groups[i % 50]!],
  }));
  const userGroupIds = new Map(Array.from({ length: 60_000 }, (_, i) => [`u${i}`, [groups[i % 50]!, groups[(i + 7) % 50]!]]));
  const targets: AssignmentTarget[] = [
    { type: 'groupAssignmentTarget', groupId: 'g1' },
    { type: 'groupAssignmentTarget', groupId: 'g2' },
    { type: 'exclusionGroupAssignmentTarget', groupId: 'g3' },
    { type: 'allDevicesAssignmentTarget' },
  ];
  const times: number[] = [];
  for (let round = 0; round < rounds; round++) {
    const start = performance.now();
    const result = resolveTargets({ targetPlatform: 'ios', targets, devices, userGroupIds });
    times.push(performance.now() - start);
    if (result.targeted.length === 0) throw new Error('Nothing was targeted.');
  }
  return median(times);
}

if (import.meta.main) {
  console.log(`resolve-targets benchmark — ${machineLine()}`);
  console.log(`assignment resolution, 100,000 devices: ${benchResolveTargets().toFixed(1)} ms (median of 7)`);
}
