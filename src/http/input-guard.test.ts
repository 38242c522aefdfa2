import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { findUnstorableInput, maxJsonDepth } from './input-guard.ts';

describe('findUnstorableInput', () => {
  it('names the first string or property name holding a NUL or an unpaired surrogate by its Graph path', () => {
    assert.deepEqual(findUnstorableInput({ a: [{ b: 'ok' }, { b: 'x\u0000' }] }), { field: 'a[1].b', problem: 'contains a NUL character (U+0000)' });
    assert.equal(findUnstorableInput({ a: 'x\ud800' })?.field, 'a');
    assert.equal(findUnstorableInput({ a: { 'k\udfff': 1 } })?.field, 'a');
    assert.equal(findUnstorableInput({ $filter: "displayName eq '\u0000'" }, 'query')?.field, '$filter');
    assert.equal(findUnstorableInput('\u0000', 'path')?.field, 'path');
  });

  it('accepts well-formed text, surrogate pairs included, and nesting up to the limit', () => {
    let nested: unknown = 'mail \u{1F4E7}';
    for (let depth = 0; depth < maxJsonDepth; depth++) nested = [nested];
    assert.equal(findUnstorableInput({ a: 'Zoë', b: [1, true, null] }), null);
    assert.equal(findUnstorableInput(nested), null);
    assert.match(findUnstorableInput([nested])?.problem ?? '', /nests deeper than 32 levels/);
  });

  it('walks a million levels without overflowing the stack', () => {
    const deep = JSON.parse(`${'['.repeat(1_000_000)}${']'.repeat(1_000_000)}`) as unknown;
    assert.equal(findUnstorableInput(deep)?.field, '[0]'.repeat(maxJsonDepth));
  });

  it('passes raw byte bodies (device plists, SyncML) to their codecs without walking them', () => {
    const body = Buffer.alloc(1 << 20, 0);
    Object.defineProperty(body, 'walked', { enumerable: true, get: () => assert.fail('the guard walked a byte body') });
    assert.equal(findUnstorableInput(body), null);
    assert.equal(findUnstorableInput(new Uint8Array([0, 0xd8])), null);
  });
});
