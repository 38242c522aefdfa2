import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { parseRolloutRequest, parseStopRequest } from './rollout-request.ts';

const group = '6d3c1e0a-9a1b-4c2d-8e3f-0a1b2c3d4e5f';
const rings = [{ percent: 1 }, { percent: 10 }, { percent: 100 }];

function fieldOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (error) {
    assert.equal((error as { status?: number }).status, 400);
    return (error as { target?: string }).target;
  }
  assert.fail('expected a 400');
}

describe('Staged rollout requests', () => {
  it('reads a change, rings and defaults', () => {
    assert.deepEqual(parseRolloutRequest({ update: { displayName: 'x' }, rings }), {
      change: { kind: 'update', body: { displayName: 'x' } }, rings, errorThresholdPercent: 5, soakMinutes: 60, autoAdvance: true,
    });
    const groups = parseRolloutRequest({ assign: { assignments: [] }, rings: [{ groupIds: [group.toUpperCase()] }, { percent: 100 }], errorThresholdPercent: 0, soakMinutes: 0.5, autoAdvance: false });
    assert.deepEqual(groups.rings, [{ groupIds: [group] }, { percent: 100 }]);
    assert.deepEqual([groups.change.kind, groups.errorThresholdPercent, groups.soakMinutes, groups.autoAdvance], ['assign', 0, 0.5, false]);
  });

  it('refuses bad input naming the field', () => {
    const cases: [unknown, string | undefined][] = [
      [[], undefined],
      [{ rings }, 'assign'],
      [{ assign: {}, update: {}, rings }, 'assign'],
      [{ update: 'x', rings }, 'update'],
      [{ update: {}, rings, colour: 'red' }, 'colour'],
      [{ update: {} }, 'rings'],
      [{ update: {}, rings: [] }, 'rings'],
      [{ update: {}, rings: [{ percent: 10 }] }, 'rings[0]'],
      [{ update: {}, rings: [{ percent: 10 }, { percent: 5 }, { percent: 100 }] }, 'rings[1].percent'],
      [{ update: {}, rings: [{ percent: 0.001 }, { percent: 100 }] }, 'rings[0].percent'],
      [{ update: {}, rings: [{ percent: 10, groupIds: [group] }, { percent: 100 }] }, 'rings[0]'],
      [{ update: {}, rings: [{ groupIds: [] }, { percent: 100 }] }, 'rings[0].groupIds'],
      [{ update: {}, rings: [{ groupIds: ['nope'] }, { percent: 100 }] }, 'rings[0].groupIds[0]'],
      [{ update: {}, rings, errorThresholdPercent: 101 }, 'errorThresholdPercent'],
      [{ update: {}, rings, soakMinutes: -1 }, 'soakMinutes'],
      [{ update: {}, rings, autoAdvance: 'yes' }, 'autoAdvance'],
    ];
    for (const [body, field] of cases) assert.equal(fieldOf(() => parseRolloutRequest(body)), field, JSON.stringify(body));
  });

  it('reads a stop body', () => {
    assert.deepEqual(parseStopRequest(undefined), { rollBack: false });
    assert.deepEqual(parseStopRequest({ rollBack: true }), { rollBack: true });
    assert.equal(fieldOf(() => parseStopRequest({ rollBack: 1 })), 'rollBack');
    assert.equal(fieldOf(() => parseStopRequest({ now: true })), 'now');
  });
});
