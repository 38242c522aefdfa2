import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { accountIdFor, deliveryCommandId, type CommandIdInput } from './command-id.ts';
import { testNamespace } from './delivery-test-support.ts';
import { uuidBytes } from '../name-based-uuid.ts';

const base: CommandIdInput = { deviceId: 'device-1', profileId: 'profile-1', version: 3, operation: 'install', generation: 1 };

describe('deliveryCommandId', () => {
  it('is a version 5 UUID that is the same for the same inputs', () => {
    const id = deliveryCommandId(testNamespace, base);
    assert.match(id, /^[0-9A-F]{8}-[0-9A-F]{4}-5[0-9A-F]{3}-[89AB][0-9A-F]{3}-[0-9A-F]{12}$/);
    assert.equal(deliveryCommandId(testNamespace, { ...base }), id);
  });

  it('differs when any part differs, including the namespace', () => {
    const id = deliveryCommandId(testNamespace, base);
    const variants: CommandIdInput[] = [
      { ...base, deviceId: 'device-2' },
      { ...base, profileId: 'profile-2' },
      { ...base, version: 4 },
      { ...base, operation: 'update' },
      { ...base, operation: 'replaceRemove' },
      { ...base, generation: 2 },
    ];
    for (const variant of variants) assert.notEqual(deliveryCommandId(testNamespace, variant), id, JSON.stringify(variant));
    assert.notEqual(deliveryCommandId(uuidBytes('11111111-2222-4333-8444-555555555555'), base), id);
  });

  it('never gives two different commands the same id', () => {
    const inputArb = fc.record({
      deviceId: fc.string({ maxLength: 4 }),
      profileId: fc.string({ maxLength: 4 }),
      version: fc.nat(5),
      operation: fc.constantFrom('install' as const, 'update' as const, 'replace' as const, 'remove' as const),
      generation: fc.nat(5),
    });
    fc.assert(
      fc.property(inputArb, inputArb, (a, b) => {
        const same = JSON.stringify(a) === JSON.stringify(b);
        assert.equal(deliveryCommandId(testNamespace, a) === deliveryCommandId(testNamespace, b), same);
      }),
    );
  });
});

describe('accountIdFor', () => {
  it('gives each incarnation of an account its own id, stable across calls', () => {
    assert.equal(accountIdFor(testNamespace, 'd', 'p', 0), accountIdFor(testNamespace, 'd', 'p', 0));
    assert.notEqual(accountIdFor(testNamespace, 'd', 'p', 0), accountIdFor(testNamespace, 'd', 'p', 1));
  });
});
