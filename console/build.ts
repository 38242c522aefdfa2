// `npm install` builds the console (postinstall). An install without devDependencies (--omit=dev)
// has no Vite: it skips the build and says so, and Envelope's `/` then explains how to build it.
// Any other failure of the build fails the install.
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import path from 'node:path';

const require = createRequire(import.meta.url);
let viteBin: string;
try {
  const pkgPath = require.resolve('vite/package.json');
  viteBin = path.join(path.dirname(pkgPath), (require(pkgPath) as { bin: { vite: string } }).bin.vite);
} catch {
  console.log('envelope: Vite is not installed (devDependencies omitted): the admin console is not built. Run `npm install` with devDependencies, then `npm run build:console`.');
  process.exit(0);
}
const result = spawnSync(process.execPath, [viteBin, 'build', '--config', path.join(import.meta.dirname, 'vite.config.ts')], { stdio: 'inherit' });
process.exit(result.status ?? 1);
