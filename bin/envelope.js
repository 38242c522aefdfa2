#!/usr/bin/env node
// `npx envelope …` in a checkout: re-run the CLI under the project's pinned Node 24 (the npm package
// `node`), whatever Node launched this shim, so TypeScript runs directly by type stripping.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const pinned = join(root, 'node_modules', '.bin', process.platform === 'win32' ? 'node.cmd' : 'node');
const nodeBin = existsSync(pinned) ? pinned : process.execPath;
const result = spawnSync(nodeBin, [join(root, 'src', 'cli', 'main.ts'), ...process.argv.slice(2)], { stdio: 'inherit' });
process.exit(result.status ?? 1);
