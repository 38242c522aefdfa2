import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Config } from '../config.ts';
import type { ConfigurationPlan, ProfileFile } from '../services/gitops/tenant-configuration.ts';
import { CliError } from './cli-error.ts';

type Write = (text: string) => void;
const stdout: Write = (text) => void process.stdout.write(text);

const configurationPath = '/graph/beta/deviceManagement/envelope/configuration';

export interface GitopsOptions {
  /** The Envelope server's base URL; default ENVELOPE_PUBLIC_URL, else http://HOST:PORT. */
  server?: string;
}

/**
 * `envelope export DIR`: the tenant's profiles as one JSON file each in DIR/profiles, named after
 * the display name, certificate links and assignments by name. Files of profiles that no longer
 * exist are removed, so the directory mirrors the tenant. Talks to a running server's API with the
 * token in ENVELOPE_TOKEN (any role), like any Graph client: it works the same on either database.
 */
export async function exportCommand(config: Readonly<Config>, dir: string, options: GitopsOptions, out: Write = stdout): Promise<void> {
  const { profiles } = (await call(config, options, 'GET', configurationPath)) as { profiles: ProfileFile[] };
  const folder = join(dir, 'profiles');
  mkdirSync(folder, { recursive: true });
  const written = new Set<string>();
  for (const file of profiles) {
    const name = uniqueFileName(String(file.profile.displayName), written);
    writeFileSync(join(folder, name), `${JSON.stringify(file, null, 2)}\n`);
    written.add(name);
  }
  const removed = readdirSync(folder).filter((name) => name.endsWith('.json') && !written.has(name));
  for (const name of removed) rmSync(join(folder, name));
  out(`Exported ${profiles.length} profile${profiles.length === 1 ? '' : 's'} to ${folder}${removed.length > 0 ? `; removed ${removed.join(', ')}` : ''}.\n`);
}

/**
 * `envelope apply DIR [--dry-run]`: makes the tenant match DIR/profiles/*.json — creates, updates,
 * assignments, deletes — and prints the plan first, with the devices each change reaches. With
 * --dry-run it only prints the plan (a readOnly token is enough). Every file is validated by the
 * server before the first change.
 */
export async function applyCommand(config: Readonly<Config>, dir: string, options: GitopsOptions & { dryRun?: boolean }, out: Write = stdout): Promise<void> {
  const folder = join(dir, 'profiles');
  if (!existsSync(folder)) throw new CliError(`${folder} does not exist; envelope export ${dir} writes it.`, 2);
  const names = readdirSync(folder).filter((name) => name.endsWith('.json')).sort();
  const files = names.map((name) => {
    try {
      return JSON.parse(readFileSync(join(folder, name), 'utf8')) as unknown;
    } catch (error) {
      throw new CliError(`${join(folder, name)}: not valid JSON (${(error as Error).message}).`, 2);
    }
  });
  const dryRun = options.dryRun === true;
  let answer: { plan: ConfigurationPlan; applied: boolean };
  try {
    answer = (await call(config, options, 'POST', `${configurationPath}/${dryRun ? 'plan' : 'apply'}`, { profiles: files })) as typeof answer;
  } catch (error) {
    // The server names files by their index; name them by file instead.
    if (error instanceof CliError) throw new CliError(error.message.replace(/profiles\[(\d+)\]/g, (_, i: string) => `profiles/${names[Number(i)] ?? `#${i}`}`), error.exitCode);
    throw error;
  }
  out(describePlan(answer.plan));
  if (answer.plan.upToDate) return;
  out(dryRun ? 'Dry run: nothing was changed.\n' : `Applied ${answer.plan.changes.length} change${answer.plan.changes.length === 1 ? '' : 's'}.\n`);
}

export function describePlan(plan: ConfigurationPlan): string {
  if (plan.upToDate) return 'The tenant matches the files: nothing to do.\n';
  const sign = { create: '+', update: '~', assign: '~', delete: '-' } as const;
  const lines = plan.changes.map((change) => {
    const details = change.details.length > 0 ? `: ${change.details.join(', ')}` : '';
    const reach = change.devicesNow === null ? '' : ` (reaches ${change.devicesNow} device${change.devicesNow === 1 ? '' : 's'} now)`;
    return `  ${sign[change.action]} ${change.action.padEnd(6)} ${change.displayName} [${change.odataType}]${details}${reach}\n`;
  });
  return `Plan (${plan.changes.length} change${plan.changes.length === 1 ? '' : 's'}):\n${lines.join('')}`;
}

function uniqueFileName(displayName: string, taken: ReadonlySet<string>): string {
  const slug = displayName.toLowerCase().normalize('NFKD').replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '') || 'profile';
  let name = `${slug}.json`;
  for (let n = 2; taken.has(name); n++) name = `${slug}-${n}.json`;
  return name;
}

async function call(config: Readonly<Config>, options: GitopsOptions, method: 'GET' | 'POST', path: string, body?: unknown): Promise<unknown> {
  const token = config.apiToken;
  if (!token) throw new CliError('Set ENVELOPE_TOKEN to an API token of the tenant (envelope token create …); export and --dry-run need only readOnly.', 2);
  const server = (options.server ?? config.publicUrl ?? `http://${config.host === '0.0.0.0' ? '127.0.0.1' : config.host}:${config.port}`).replace(/\/+$/, '');
  let response: Response;
  try {
    response = await fetch(`${server}${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch (error) {
    const cause = (error as Error & { cause?: Error }).cause?.message ?? (error as Error).message;
    throw new CliError(`Cannot reach the Envelope server at ${server} (${cause}). Give its URL with --server.`, 1);
  }
  const text = await response.text();
  let json: unknown = null;
  try {
    json = text === '' ? null : JSON.parse(text);
  } catch {
    // not JSON: reported below
  }
  if (!response.ok) {
    const error = (json as { error?: { message?: string; target?: string } } | null)?.error;
    const message = `${error?.message ?? text.slice(0, 200)}${error?.target ? ` (${error.target})` : ''}`;
    throw new CliError(`${server} answered ${response.status}: ${message}`, response.status >= 400 && response.status < 500 ? 2 : 1);
  }
  return json;
}
