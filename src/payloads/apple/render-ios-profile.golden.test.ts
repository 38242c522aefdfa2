import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { renderIosProfile } from './render-ios-profile.ts';
import { goldenInput, goldenProfiles, type GoldenScenario } from './test-support/ios-profile-fixtures.ts';

/**
 * Golden files: the exact bytes rendered for fixed inputs and ids. Any change to the output shows
 * up as a diff to review. Regenerate after an intended change with
 * `UPDATE_GOLDEN=1 node --test src/payloads/apple/render-ios-profile.golden.test.ts`.
 */
const goldenDirectory = new URL('./golden/', import.meta.url);
const update = process.env.UPDATE_GOLDEN === '1';

describe('iOS profile golden files', () => {
  for (const scenario of Object.keys(goldenProfiles) as GoldenScenario[]) {
    it(`renders ${scenario}.mobileconfig byte for byte`, () => {
      const file = new URL(`${scenario}.mobileconfig`, goldenDirectory);
      const xml = renderIosProfile(goldenInput(scenario)).xml;
      if (update) {
        mkdirSync(goldenDirectory, { recursive: true });
        writeFileSync(file, xml);
      }
      assert.ok(existsSync(file), `${file.pathname} is missing; run with UPDATE_GOLDEN=1 to create it`);
      assert.equal(xml, readFileSync(file, 'utf8'));
    });
  }
});
