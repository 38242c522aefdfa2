import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import Value from 'typebox/value';
import type { Assignment, AssignmentTarget } from './assignment-target.ts';
import { assignBodySchema, assignResponseSchema, deviceConfigurationAssignmentSchema, toGraphAssignment } from './graph-assignment.ts';
import { parseAssignBody } from './parse-assign-body.ts';

const profileId = '0f3e9a52-7c1d-4b6e-8a90-3d2c1b0a9f87';
const groupId = '5f6c2f0e-1b7a-4c55-9a7e-0d7c7a1e0a01';

describe('toGraphAssignment', () => {
  it('names a group assignment {profileId}_{groupId}, as Intune does', () => {
    assert.deepEqual(toGraphAssignment(profileId, { target: { type: 'groupAssignmentTarget', groupId }, intent: 'apply' }), {
      id: `${profileId}_${groupId}`,
      target: {
        '@odata.type': '#microsoft.graph.groupAssignmentTarget',
        groupId,
        deviceAndAppManagementAssignmentFilterId: null,
        deviceAndAppManagementAssignmentFilterType: 'none',
      },
      intent: 'apply',
      source: 'direct',
      sourceId: null,
    });
  });

  it('names an exclusion by its group too', () => {
    const rendered = toGraphAssignment(profileId, { target: { type: 'exclusionGroupAssignmentTarget', groupId }, intent: 'apply' });
    assert.equal(rendered.id, `${profileId}_${groupId}`);
    assert.equal(rendered.target['@odata.type'], '#microsoft.graph.exclusionGroupAssignmentTarget');
  });

  it("names all-users and all-devices assignments after Intune's virtual group ids", () => {
    const allUsers = toGraphAssignment(profileId, { target: { type: 'allLicensedUsersAssignmentTarget' }, intent: 'apply' });
    const allDevices = toGraphAssignment(profileId, { target: { type: 'allDevicesAssignmentTarget' }, intent: 'remove' });
    assert.equal(allUsers.id, `${profileId}_acacacac-9df4-4c7d-9d50-4ef0226f57a9`);
    assert.equal(allDevices.id, `${profileId}_adadadad-808e-44e2-905a-0b7873a8a531`);
    assert.equal(allDevices.intent, 'remove');
  });
});

/** Plain objects, so deepEqual compares them with the parser's output. */
const plain = { noNullPrototype: true };
const targetArbitrary: fc.Arbitrary<AssignmentTarget> = fc.oneof(
  fc.record({ type: fc.constant('groupAssignmentTarget' as const), groupId: fc.uuid() }, plain),
  fc.record({ type: fc.constant('exclusionGroupAssignmentTarget' as const), groupId: fc.uuid() }, plain),
  fc.constant({ type: 'allLicensedUsersAssignmentTarget' as const }),
  fc.constant({ type: 'allDevicesAssignmentTarget' as const }),
);
const groupKey = (target: AssignmentTarget) => ('groupId' in target ? target.groupId : target.type);
/** Valid assignment sets: each group (or "all …" target) at most once. */
const assignmentsArbitrary: fc.Arbitrary<Assignment[]> = fc.uniqueArray(
  fc.record({ target: targetArbitrary, intent: fc.constantFrom('apply' as const, 'remove' as const) }, plain),
  { selector: (assignment) => groupKey(assignment.target), maxLength: 8 },
);

describe('the Graph assignment schemas', () => {
  it('describe every rendered assignment and assign response', () => {
    fc.assert(
      fc.property(assignmentsArbitrary, (assignments) => {
        const value = assignments.map((assignment) => toGraphAssignment(profileId, assignment));
        for (const rendered of value) assert.ok(Value.Check(deviceConfigurationAssignmentSchema, rendered));
        assert.ok(Value.Check(assignResponseSchema, { value }));
      }),
    );
  });

  it('let GET output be re-posted: rendering then parsing gives the same assignments', () => {
    fc.assert(
      fc.property(assignmentsArbitrary, (assignments) => {
        const body = { assignments: assignments.map((assignment) => toGraphAssignment(profileId, assignment)) };
        assert.ok(Value.Check(assignBodySchema, body));
        assert.deepEqual(parseAssignBody(body), assignments);
      }),
    );
  });

  it('close the response so a stray property cannot leak', () => {
    const rendered = toGraphAssignment(profileId, { target: { type: 'allDevicesAssignmentTarget' }, intent: 'apply' });
    assert.equal(Value.Check(deviceConfigurationAssignmentSchema, { ...rendered, tenantId: 't1' }), false);
    assert.equal(Value.Check(deviceConfigurationAssignmentSchema, { ...rendered, target: { ...rendered.target, groupId } }), false);
  });
});
