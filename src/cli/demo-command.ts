import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { CliError } from './cli-error.ts';
import { integerIn } from './simulate-options.ts';

/** `envelope demo` options, parsed and range-checked by commander. */
export interface DemoOptions {
  data?: string;
  users: number;
  devices: number;
  port: number;
}

const demoHelp = `
Starts Envelope on a throwaway embedded database with a seeded tenant — users in four departments,
an "All staff" group, one email profile per platform (the iPhone one signing in with a certificate
from Envelope's own CA), assigned to everyone — and simulated devices (sim/): iPhones, Windows PCs,
Samsung Knox agents and Android Enterprise work profiles, woken through local stand-ins of APNs,
WNS, FCM and the Android Management API. Some iPhones and PCs carry an email account their user made
by hand; one work profile lacks Gmail. Charts, tables and alerts fill within a minute or two.

It prints the console's address, an admin token, and the company portal link of a user whose iPhone
is blocked by an account they made. The server's certificate comes from the demo's own CA
(<data>/demo-ca.pem): the browser warns once. Ctrl-C stops it; the temporary directory is deleted
(a --data directory is kept).`;

/** Adds `demo` to the command line. Loading the server and simulators waits until it runs. */
export function registerDemoCommand(program: Command): void {
  program.command('demo')
    .description('run Envelope with a seeded demo tenant and simulated devices of every platform')
    .addHelpText('after', demoHelp)
    .option('--data <dir>', 'an empty or new directory for the database, kept afterwards (default: a temporary directory, deleted)')
    .option('--users <n>', 'how many users (1-10000)', integerIn('users', 1, 10_000), 200)
    .option('--devices <n>', 'how many devices over all platforms (1-5000)', integerIn('devices', 1, 5000), 500)
    .option('--port <port>', 'HTTPS port on 127.0.0.1 (0 = any free port)', integerIn('port', 0, 65535), 8443)
    .action(async (options: DemoOptions) => demoCommand(options));
}

/**
 * Runs the demo until SIGINT/SIGTERM. A --data directory that is not empty exits 2; a port in use
 * or a failing seed exits 1. Prints a progress line every 5 seconds.
 */
export async function demoCommand(options: DemoOptions, out: NodeJS.WritableStream = process.stdout): Promise<void> {
  if (options.data !== undefined && existsSync(options.data) && readdirSync(options.data).length > 0) {
    throw new CliError(`--data ${options.data} is not empty: the demo seeds a new database; give an empty or new directory.`, 2);
  }
  const dataDir = options.data === undefined ? mkdtempSync(join(tmpdir(), 'envelope-demo-')) : resolve(options.data);
  const write = (line: string) => out.write(`${line}\n`);
  const [{ startDemoEnvironment }, { planDemo }, { seedDemoTenant }, { DemoFleets }] = await Promise.all([
    import('./demo/demo-environment.ts'), import('./demo/demo-plan.ts'), import('./demo/demo-seed.ts'), import('./demo/demo-fleets.ts'),
  ]);
  let env: Awaited<ReturnType<typeof startDemoEnvironment>> | undefined;
  let fleets: InstanceType<typeof DemoFleets> | undefined;
  try {
    try {
      env = await startDemoEnvironment({ dataDir, port: options.port });
    } catch (error) {
      throw new CliError(`Cannot start the demo: ${(error as Error).message}`, 1);
    }
    write(`Envelope demo running on a throwaway database in ${dataDir}`);
    write(`  Console:      ${env.origin}/   (certificate from the demo's CA: ${join(dataDir, 'demo-ca.pem')})`);
    write(`  Admin token:  ${env.adminToken}`);
    write(`  API:          ${env.origin}/docs`);
    const plan = planDemo(options.users, options.devices);
    write(`  Seeding the tenant through the admin API…`);
    const tenant = await seedDemoTenant(env, plan).catch((error: Error) => {
      throw new CliError(error.message, 1);
    });
    write(`  Seeded:       ${plan.users.length} users in ${plan.departments.length} departments; profiles ${tenant.profiles.map((p) => `"${p.name}"`).join(', ')} assigned to All staff`);
    write(`  Devices:      ${plan.devices.ios} iPhones, ${plan.devices.windows} Windows PCs, ${plan.devices.knox} Samsung Knox, ${plan.devices.androidEnterprise} Android Enterprise work profiles`);
    let portalShown = false;
    const running = env;
    fleets = new DemoFleets(env, plan, tenant, (user) => {
      if (portalShown) return;
      portalShown = true;
      void running.request('POST', `/graph/beta/users/${user.userId}/envelope/portalLink`, {}).then((reply) => {
        if (reply.status === 201) write(`  Portal link:  ${(reply.body as { url: string }).url}   (the user of ${user.deviceName}, blocked by an account they made)`);
      });
    });
    await fleets.start();
    const started = Date.now();
    const reason = await new Promise<string>((resolveStop) => {
      const timer = setInterval(() => {
        void progressLine(running, fleets!, started).then(write, () => undefined);
      }, 5000);
      const onSignal = (signal: string) => {
        clearInterval(timer);
        process.off('SIGINT', onSigint);
        process.off('SIGTERM', onSigterm);
        resolveStop(signal);
      };
      const onSigint = () => onSignal('SIGINT');
      const onSigterm = () => onSignal('SIGTERM');
      process.once('SIGINT', onSigint);
      process.once('SIGTERM', onSigterm);
    });
    write(`Stopping the demo (${reason}).`);
  } finally {
    await fleets?.stop();
    await env?.close();
    if (options.data === undefined) rmSync(dataDir, { recursive: true, force: true });
  }
}

/** Devices enrolled per platform, the tenant's status counts over all profiles, and the active alerts. */
async function progressLine(env: import('./demo/demo-environment.ts').DemoEnvironment, fleets: import('./demo/demo-fleets.ts').DemoFleets, started: number): Promise<string> {
  const p = fleets.progress();
  const summary = (await env.request('GET', '/graph/beta/deviceManagement/deviceConfigurationDeviceStateSummaries')).body as Record<string, number>;
  const alerts = ((await env.request('GET', '/graph/beta/envelope/alerts')).body as { value?: { kind: string; affectedCount: number }[] }).value ?? [];
  return `[${Math.round((Date.now() - started) / 1000)}s] enrolled iOS ${p.ios.enrolled}/${p.ios.target} · Windows ${p.windows.enrolled}/${p.windows.target} · Knox ${p.knox.enrolled}/${p.knox.target} · Android Enterprise ${p.androidEnterprise.enrolled}/${p.androidEnterprise.target}` +
    ` | statuses succeeded ${summary.compliantDeviceCount ?? 0} pending ${summary.unknownDeviceCount ?? 0} error ${summary.errorDeviceCount ?? 0} conflict ${summary.conflictDeviceCount ?? 0}` +
    ` | alerts ${alerts.length === 0 ? 'none' : alerts.map((a) => `${a.kind} ${a.affectedCount}`).join(', ')}`;
}
