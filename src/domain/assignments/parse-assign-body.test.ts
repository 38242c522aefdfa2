import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import Value from 'typebox/value';
import { EnvelopeError } from '../errors.ts';
import { assignBodySchema } from './graph-assignment.ts';
import { parseAssignBody } from './parse-assign-body.ts';

const groupA = '5f6c2f0e-1b7a-4c55-9a7e-0d7c7a1e0a01';
const groupB = '5f6c2f0e-1b7a-4c55-9a7e-0d7c7a1e0a02';
const include = (groupId: string) => ({ target: { '@odata.type': '#microsoft.graph.groupAssignmentTarget', groupId } });
const exclude = (groupId: string) => ({
  target: { '@odata.type': '#microsoft.graph.exclusionGroupAssignmentTarget', groupId },
});
const allUsers = { target: { '@odata.type': '#microsoft.graph.allLicensedUsersAssignmentTarget' } };
const allDevices = { target: { '@odata.type': '#microsoft.graph.allDevicesAssignmentTarget' } };
const withTarget = (target: Record<string, unknown>) => ({ assignments: [{ target }] });
const groupTarget = (extra: Record<string, unknown>) =>
  withTarget({ '@odata.type': '#microsoft.graph.groupAssignmentTarget', groupId: groupA, ...extra });

describe('parseAssignBody', () => {
  it('accepts the include/exclude body of Microsoft\'s samples and keeps the body order', () => {
    assert.deepEqual(parseAssignBody({ assignments: [include(groupA), exclude(groupB)] }), [
      { target: { type: 'groupAssignmentTarget', groupId: groupA }, intent: 'apply' },
      { target: { type: 'exclusionGroupAssignmentTarget', groupId: groupB }, intent: 'apply' },
    ]);
  });

  it('accepts the all-users and all-devices targets', () => {
    assert.deepEqual(parseAssignBody({ assignments: [allDevices, allUsers] }), [
      { target: { type: 'allDevicesAssignmentTarget' }, intent: 'apply' },
      { target: { type: 'allLicensedUsersAssignmentTarget' }, intent: 'apply' },
    ]);
  });

  it('accepts an empty list, which unassigns the profile', () => {
    assert.deepEqual(parseAssignBody({ assignments: [] }), []);
  });

  it('accepts Graph GET output re-posted as is, ignoring the id', () => {
    const reposted = {
      assignments: [
        {
          '@odata.type': '#microsoft.graph.deviceConfigurationAssignment',
          id: `someOtherProfile_${groupA}`,
          intent: 'apply',
          source: 'direct',
          sourceId: null,
          target: {
            '@odata.type': '#microsoft.graph.groupAssignmentTarget',
            groupId: groupA,
            deviceAndAppManagementAssignmentFilterId: null,
            deviceAndAppManagementAssignmentFilterType: 'none',
          },
        },
      ],
    };
    assert.deepEqual(parseAssignBody(reposted), [{ target: { type: 'groupAssignmentTarget', groupId: groupA }, intent: 'apply' }]);
  });

  it('reads a null intent as apply and keeps an explicit remove', () => {
    const parsed = parseAssignBody({ assignments: [{ ...include(groupA), intent: null }, { ...allUsers, intent: 'remove' }] });
    assert.deepEqual(
      parsed.map((assignment) => assignment.intent),
      ['apply', 'remove'],
    );
  });

  it('rejects a body that is not an object without naming a field', () => {
    for (const body of [null, [], 'assignments', 42]) {
      assert.throws(
        () => parseAssignBody(body),
        (error: unknown) => error instanceof EnvelopeError && error.status === 400 && error.target === undefined,
      );
    }
  });

  /** `semantic`: a rule only the parser states; the body schema accepts such bodies, and rejects all others. */
  const invalid: Array<{ name: string; body: unknown; field: string; message: RegExp; semantic?: true }> = [
    { name: 'the assignments array is missing', body: {}, field: 'assignments', message: /is required/ },
    { name: 'assignments is not an array', body: { assignments: {} }, field: 'assignments', message: /must be an array/ },
    { name: 'the body has an unknown property', body: { assignments: [], value: [] }, field: 'value', message: /not a property/ },
    { name: 'an assignment is not an object', body: { assignments: [include(groupA), 'x'] }, field: 'assignments[1]', message: /must be an object/ },
    { name: 'an assignment has an unknown property', body: { assignments: [{ ...include(groupA), settings: [] }] }, field: 'assignments[0].settings', message: /not a property of deviceConfigurationAssignment/ },
    { name: 'an assignment has no target', body: { assignments: [{ intent: 'apply' }] }, field: 'assignments[0].target', message: /is required/ },
    { name: 'a target is a string', body: { assignments: [{ target: groupA }] }, field: 'assignments[0].target', message: /must be an object/ },
    { name: 'a target has no @odata.type', body: withTarget({ groupId: groupA }), field: 'assignments[0].target.@odata.type', message: /is required/ },
    { name: 'a target type is unknown', body: withTarget({ '@odata.type': '#microsoft.graph.userAssignmentTarget' }), field: 'assignments[0].target.@odata.type', message: /must be one of/ },
    { name: 'a target type lacks the # prefix', body: withTarget({ '@odata.type': 'microsoft.graph.allDevicesAssignmentTarget' }), field: 'assignments[0].target.@odata.type', message: /must be one of/ },
    { name: 'a target is a Configuration Manager collection', body: withTarget({ '@odata.type': '#microsoft.graph.configurationManagerCollectionAssignmentTarget', collectionId: 'SMS00001' }), field: 'assignments[0].target.@odata.type', message: /Configuration Manager collection targets are not supported/ },
    { name: 'an include group has no groupId', body: withTarget({ '@odata.type': '#microsoft.graph.groupAssignmentTarget' }), field: 'assignments[0].target.groupId', message: /required for target type groupAssignmentTarget/ },
    { name: 'an exclusion group has a null groupId', body: withTarget({ '@odata.type': '#microsoft.graph.exclusionGroupAssignmentTarget', groupId: null }), field: 'assignments[0].target.groupId', message: /required for target type exclusionGroupAssignmentTarget/ },
    { name: 'a groupId is blank', body: groupTarget({ groupId: '  ' }), field: 'assignments[0].target.groupId', message: /must be a group id \(a UUID/ },
    { name: 'a groupId is a number', body: groupTarget({ groupId: 7 }), field: 'assignments[0].target.groupId', message: /must be a group id \(a UUID/ },
    { name: 'a groupId is not a UUID', body: groupTarget({ groupId: 'urn:uuid:7f3c5a4e-1b2d-4c8e-9f00-123456789abc' }), field: 'assignments[0].target.groupId', message: /must be a group id \(a UUID/ },
    { name: 'a groupId is the virtual all-users group', body: groupTarget({ groupId: 'ACACACAC-9DF4-4C7D-9D50-4EF0226F57A9' }), field: 'assignments[0].target.groupId', message: /allLicensedUsersAssignmentTarget/, semantic: true },
    { name: 'an all-devices target carries a groupId', body: withTarget({ '@odata.type': '#microsoft.graph.allDevicesAssignmentTarget', groupId: groupA }), field: 'assignments[0].target.groupId', message: /not a property of allDevicesAssignmentTarget/ },
    { name: 'a target names an assignment filter', body: groupTarget({ deviceAndAppManagementAssignmentFilterId: groupB, deviceAndAppManagementAssignmentFilterType: 'include' }), field: 'assignments[0].target.deviceAndAppManagementAssignmentFilterId', message: /filters are not supported/ },
    { name: 'a filter type asks for filtering', body: groupTarget({ deviceAndAppManagementAssignmentFilterType: 'exclude' }), field: 'assignments[0].target.deviceAndAppManagementAssignmentFilterType', message: /filters are not supported/ },
    { name: 'a filter type is not an enum member', body: groupTarget({ deviceAndAppManagementAssignmentFilterType: 'all' }), field: 'assignments[0].target.deviceAndAppManagementAssignmentFilterType', message: /must be 'none', 'include' or 'exclude'/ },
    { name: 'an intent is unknown', body: { assignments: [{ ...allUsers, intent: 'required' }] }, field: 'assignments[0].intent', message: /'apply' or 'remove'/ },
    { name: 'the source is a policy set', body: { assignments: [{ ...allUsers, source: 'policySets' }] }, field: 'assignments[0].source', message: /policy sets/ },
    { name: 'a sourceId is set', body: { assignments: [{ ...allUsers, sourceId: groupA }] }, field: 'assignments[0].sourceId', message: /must be null/ },
    { name: 'an id is not a string', body: { assignments: [{ ...allUsers, id: 3 }] }, field: 'assignments[0].id', message: /must be a string/ },
    { name: 'an assignment @odata.type is another entity', body: { assignments: [{ ...allUsers, '@odata.type': '#microsoft.graph.groupAssignment' }] }, field: 'assignments[0].@odata.type', message: /deviceConfigurationAssignment/ },
    { name: 'the same group is included twice', body: { assignments: [include(groupA), allUsers, { ...include(groupA), intent: 'remove' }] }, field: 'assignments[2].target', message: /repeats the target of assignments\[0\]/, semantic: true },
    { name: 'all devices is targeted twice', body: { assignments: [allDevices, include(groupA), allDevices] }, field: 'assignments[2].target', message: /repeats the target of assignments\[0\]/, semantic: true },
    { name: 'a group is both included and excluded', body: { assignments: [exclude(groupB), include(groupA), include(groupB)] }, field: 'assignments[2].target.groupId', message: /both included and excluded \(assignments\[0\] and assignments\[2\]\)/, semantic: true },
    { name: 'the error is in a later assignment', body: { assignments: [include(groupA), allUsers, { target: { '@odata.type': '#microsoft.graph.groupAssignmentTarget', groupId: '' } }] }, field: 'assignments[2].target.groupId', message: /must be a group id \(a UUID/ },
  ];

  for (const { name, body, field, message, semantic } of invalid) {
    it(`rejects a body where ${name}, naming ${field}`, () => {
      assert.throws(
        () => parseAssignBody(body),
        (error: unknown) => {
          assert.ok(error instanceof EnvelopeError, 'an EnvelopeError');
          assert.equal(error.status, 400);
          assert.equal(error.code, 'BadRequest');
          assert.equal(error.target, field);
          assert.match(error.message, message);
          return true;
        },
      );
      assert.equal(Value.Check(assignBodySchema, body), semantic === true, 'the body schema agrees on the structure');
    });
  }

});
