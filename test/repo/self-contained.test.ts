import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

/**
 * A fresh clone must test on its own: no source, test, benchmark or script may read a file outside the
 * repository (the vendor schemas once came from `../shared/`, so 46 tests never ran on a clean clone).
 * Checks every relative path literal in tracked code that climbs out of the file's folder.
 */
const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

test('no tracked code refers to a path outside the repository', () => {
  const files = execFileSync('git', ['ls-files', '*.ts', '*.js', '*.mjs', '.ci/*'], { cwd: root, encoding: 'utf8' })
    .split('\n')
    .filter(Boolean);
  assert.ok(files.length > 50, `git ls-files found only ${files.length} files`);
  const escapes: string[] = [];
  for (const file of files) {
    const text = readFileSync(join(root, file), 'utf8');
    for (const match of text.matchAll(/['"`]((?:\.\.\/)+[^'"`\s]*)['"`]/g)) {
      const target = resolve(root, dirname(file), match[1]!);
      if (relative(root, target).startsWith('..')) escapes.push(`${file}: ${match[1]}`);
    }
    if (/\bshared\/schemas\b/.test(text) && !file.startsWith('test/repo/')) escapes.push(`${file}: shared/schemas`);
  }
  assert.deepEqual(escapes, []);
});
