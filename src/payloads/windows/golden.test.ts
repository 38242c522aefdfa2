import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { goldenCases } from '../../../test/conformance/windows-golden-cases.ts';

const goldenDir = new URL('./golden/', import.meta.url);
/** `UPDATE_GOLDEN=1` rewrites the files from the current compiler instead of comparing. */
const updateGolden = process.env.UPDATE_GOLDEN === '1';

describe('Windows golden files', () => {
  for (const golden of goldenCases()) {
    it(`renders ${golden.file} exactly as recorded`, () => {
      const file = new URL(golden.file, goldenDir);
      if (updateGolden) writeFileSync(file, golden.xml);
      assert.equal(golden.xml, readFileSync(file, 'utf8'));
    });
  }
});
