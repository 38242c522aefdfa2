import { parentPort, workerData } from 'node:worker_threads';
import lockfile from 'proper-lockfile';

/**
 * Holds the lock on a PGlite data directory, in a worker thread of the process that opens it
 * (started by lockDataDir in pglite-db.ts). PGlite's WASM blocks the main thread's event loop,
 * for over ten seconds on a loaded machine; the lock's mtime must keep being refreshed meanwhile, or
 * another process would take it as stale. Messages to the parent: `{ locked: true }`,
 * `{ lockedBy: 'another process' }` (ELOCKED), `{ failed }`, later `{ compromised }`; on the
 * parent's `'release'` it releases, answers `{ released: true }` and ends.
 */
const { dataDir, stale, update } = workerData as { dataDir: string; stale: number; update: number };
const port = parentPort!;

try {
  const release = await lockfile.lock(dataDir, {
    lockfilePath: `${dataDir}.lock`,
    stale,
    update,
    onCompromised: (error) => port.postMessage({ compromised: error.message }),
  });
  port.postMessage({ locked: true });
  port.once('message', () => {
    void release().finally(() => {
      port.postMessage({ released: true });
      port.close();
    });
  });
} catch (error) {
  const { code, message } = error as NodeJS.ErrnoException;
  port.postMessage(code === 'ELOCKED' ? { lockedBy: 'another process' } : { failed: message });
  port.close();
}
