import { spawn, type ChildProcess } from 'node:child_process';

export interface ServeProcess<T> {
  process: ChildProcess;
  /** What `until` found in the output. */
  found: T;
  /** Everything the server wrote so far (stdout, and stderr when asked). */
  output(): string;
}

/**
 * Starts `envelope serve` (the CLI entry `cli`) as a child process and resolves once `until`, called
 * with all output so far after each stdout chunk, returns a value; rejects with the output when the
 * server exits first, or kills it and rejects when `timeoutMs` passes.
 */
export function startServeProcess<T>(
  cli: string,
  env: NodeJS.ProcessEnv,
  until: (output: string) => T | undefined,
  options: { timeoutMs?: number; captureStderr?: boolean } = {},
): Promise<ServeProcess<T>> {
  const child = spawn(process.execPath, [cli, 'serve'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  if (options.captureStderr) child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`the server did not start:\n${output}`));
    }, options.timeoutMs ?? 60_000);
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      const found = until(output);
      if (found !== undefined) {
        clearTimeout(timer);
        resolve({ process: child, found, output: () => output });
      }
    });
    child.on('exit', (code) => reject(new Error(`the server exited ${code}:\n${output}`)));
  });
}

/** The URL a starting server prints (`listening on http://…` or `https://…`), once it has. */
export const listeningUrl = (output: string): string | undefined => /listening on (https?:\/\/\S+)/.exec(output)?.[1];

/** Sends `signal` to a child and resolves with its exit code. */
export function stopProcess(child: ChildProcess, signal: NodeJS.Signals = 'SIGTERM'): Promise<number | null> {
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  child.kill(signal);
  return exited;
}
