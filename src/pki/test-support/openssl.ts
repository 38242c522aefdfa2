import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * The `openssl` command line, used by tests as an independent implementation to check interoperability.
 * `skipWithoutOpenssl` is the `skip` option of tests that need it: false when openssl runs, else the reason.
 */
export const skipWithoutOpenssl: false | string =
  spawnSync('openssl', ['version'], { encoding: 'utf8' }).status === 0 ? false : 'openssl is not installed on this machine';

export interface OpensslResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

export function openssl(args: readonly string[]): OpensslResult {
  const result = spawnSync('openssl', args, { encoding: 'utf8' });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** Writes `files` into a fresh temporary directory, runs `use(pathOf)` and removes the directory. */
export function withFiles<T>(files: Record<string, Uint8Array | string>, use: (pathOf: (name: string) => string) => T): T {
  const dir = mkdtempSync(join(tmpdir(), 'envelope-certificates-'));
  try {
    for (const [name, content] of Object.entries(files)) writeFileSync(join(dir, name), content);
    return use((name) => join(dir, name));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** PEM of a DER certificate. */
export function certificatePem(der: Uint8Array): string {
  const lines = Buffer.from(der).toString('base64').match(/.{1,64}/g) ?? [];
  return `-----BEGIN CERTIFICATE-----\n${lines.join('\n')}\n-----END CERTIFICATE-----\n`;
}
