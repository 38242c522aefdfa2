import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { applyPatch, parsePatchRequest } from './scim-patch.ts';
import { scimSchemas, userExtensionUrns } from './scim-schemas.ts';

const patch = (resource: Record<string, unknown>, operations: unknown[]) =>
  applyPatch(resource, parsePatchRequest({ schemas: [scimSchemas.patchOp], Operations: operations }), userExtensionUrns);

describe('SCIM PATCH operations (RFC 7644 §3.5.2) as identity providers send them', () => {
  it("creates the work email for Entra ID's filtered path when the user has none", () => {
    assert.deepEqual(patch({ userName: 'a@b.c' }, [{ op: 'Add', path: 'emails[type eq "work"].value', value: 'a@b.c' }]), {
      userName: 'a@b.c',
      emails: [{ type: 'work', value: 'a@b.c' }],
    });
  });

  it('replaces the matching value of a filtered path and leaves the others', () => {
    const resource = { emails: [{ type: 'home', value: 'h@x.y' }, { type: 'work', value: 'w@x.y', primary: true }] };
    assert.deepEqual(patch(resource, [{ op: 'replace', path: 'emails[type eq "work"].value', value: 'n@x.y' }]).emails, [
      { type: 'home', value: 'h@x.y' },
      { type: 'work', value: 'n@x.y', primary: true },
    ]);
  });

  it('reads a value object without a path whose keys are paths, extension URNs or attributes, case-insensitively', () => {
    const result = patch({ userName: 'a@b.c', name: { givenName: 'A' }, Active: true }, [
      { op: 'Replace', value: { 'name.familyName': 'B', active: false, [scimSchemas.enterpriseUser]: { department: 'Sales' } } },
    ]);
    assert.deepEqual(result, { userName: 'a@b.c', name: { givenName: 'A', familyName: 'B' }, Active: false, [scimSchemas.enterpriseUser]: { department: 'Sales' } });
  });

  it('demotes the other values when an added one is primary', () => {
    const result = patch({ emails: [{ value: 'old@x.y', primary: true }] }, [{ op: 'add', path: 'emails', value: [{ value: 'new@x.y', primary: true }] }]);
    assert.deepEqual(result.emails, [{ value: 'old@x.y', primary: false }, { value: 'new@x.y', primary: true }]);
  });

  it('removes the values a filter names, and by value list, and does not touch the input', () => {
    const resource = { members: [{ value: 'a' }, { value: 'b' }, { value: 'c' }] };
    assert.deepEqual(patch(resource, [{ op: 'remove', path: 'members[value eq "b"]' }, { op: 'Remove', path: 'members', value: [{ value: 'C' }] }]).members, [{ value: 'a' }]);
    assert.equal(resource.members.length, 3);
  });

  it('refuses what it cannot apply, naming the operation', () => {
    assert.throws(() => patch({}, [{ op: 'Move', path: 'a', value: 1 }]), (e: Error & { target?: string; code?: string }) => e.target === 'Operations[0].op' && e.code === 'invalidSyntax');
    assert.throws(() => patch({}, [{ op: 'add', value: 1 }, { op: 'add', path: 'a b', value: 1 }]), (e: Error & { target?: string }) => e.target === 'Operations[0].value');
    assert.throws(() => patch({}, [{ op: 'add', path: 'emails[type eq "work"', value: 1 }]), (e: Error & { code?: string }) => e.code === 'invalidPath');
    assert.throws(() => patch({ emails: 'x' }, [{ op: 'add', path: 'emails[type eq "work"].value', value: 1 }]), (e: Error & { code?: string }) => e.code === 'invalidPath');
    assert.throws(() => patch({}, [{ op: 'replace', path: 'emails[type sw "w"].value', value: 'x' }]), (e: Error & { code?: string }) => e.code === 'noTarget');
  });
});
