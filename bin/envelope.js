#!/usr/bin/env node
// The `envelope` launcher (`npx envelope …`, `npm start`), plain JavaScript so that any Node can run
// it. Envelope is TypeScript run directly by Node's type stripping; the launcher picks a Node that
// can do that, in this order:
//   1. the project's pinned Node 24 (the npm package `node`, node_modules/.bin/node), re-executed
//      unless it is the Node already running;
//   2. the Node running this file, if it strips types (Node >= 22.18, or 23.6+);
//   3. neither: one line saying what is wrong and how to fix it, exit 1 — instead of Node's
//      "Unknown file extension .ts". That happens after `npm ci --ignore-scripts`, which skips the
//      download of the pinned Node, when the Node on PATH is older than 22.18.
import { spawn } from 'node:child_process';
import { existsSync, realpathSync } from 'node:fs';
import { constants } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const entry = join(root, 'src', 'cli', 'main.ts');
const pinned = join(root, 'node_modules', '.bin', process.platform === 'win32' ? 'node.cmd' : 'node');
const args = process.argv.slice(2);

if (existsSync(pinned) && realpathSync(pinned) !== realpathSync(process.execPath)) {
  const child = spawn(pinned, [entry, ...args], { stdio: 'inherit' });
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(signal, () => child.kill(signal));
  child.on('error', (error) => {
    process.stderr.write(`envelope: cannot run the pinned Node at ${pinned} (${error.message}); reinstall it with \`npm rebuild node\`.\n`);
    process.exit(1);
  });
  child.on('exit', (code, signal) => process.exit(code ?? 128 + (constants.signals[signal] ?? 0)));
} else if (process.features.typescript) {
  await import(pathToFileURL(entry).href);
} else {
  process.stderr.write(
    `envelope: Node ${process.version} cannot run Envelope's TypeScript, and the project's own Node 24 is missing ` +
      '(node_modules/.bin/node; `npm ci --ignore-scripts` skips its download). ' +
      'Fix: run `npm rebuild node` (or `npm install` without --ignore-scripts), or use Node 22.18 or newer.\n',
  );
  process.exit(1);
}
