import { readFileSync } from 'node:fs';
import { InvalidArgumentError } from 'commander';
import { CliError } from './cli-error.ts';

/** Argument parsers and checks shared by the `envelope simulate` commands (ios, windows, mix). */

export function integerIn(name: string, min: number, max: number) {
  return (value: string): number => {
    const parsed = Number(value);
    if (!/^\d+$/.test(value.trim()) || !Number.isSafeInteger(parsed) || parsed < min || parsed > max) {
      throw new InvalidArgumentError(`${name} must be a whole number from ${min} to ${max}.`);
    }
    return parsed;
  };
}

export function percent(value: string): number {
  const parsed = Number(value);
  if (value.trim() === '' || !Number.isFinite(parsed) || parsed < 0 || parsed > 100) throw new InvalidArgumentError('must be a percentage from 0 to 100.');
  return parsed;
}

/** The server's base URL, without a trailing slash. */
export function serverUrl(value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new InvalidArgumentError('must be the server’s base URL, e.g. https://mdm.example.com.');
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new InvalidArgumentError('must be an https URL.');
  return url.origin + url.pathname.replace(/\/+$/, '');
}

export function upn(value: string): string {
  if (!/^[^@\s]+@[^@\s]+$/.test(value)) throw new InvalidArgumentError('must be a user principal name, e.g. jane@contoso.com.');
  return value;
}

/** The PEM of `--server-ca`, or undefined without one; a file that cannot be read or holds no certificate exits 2. */
export function readServerCa(path: string | undefined): string | undefined {
  if (!path) return undefined;
  let pem: string;
  try {
    pem = readFileSync(path, 'utf8');
  } catch {
    throw new CliError(`Cannot read --server-ca ${path}.`, 2);
  }
  if (!pem.includes('-----BEGIN CERTIFICATE-----')) throw new CliError(`--server-ca ${path} holds no PEM certificate.`, 2);
  return pem;
}
