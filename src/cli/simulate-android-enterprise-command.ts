import { readFileSync } from 'node:fs';
import { InvalidArgumentError, type Command } from 'commander';
import { CliError } from './cli-error.ts';
import { integerIn, percent, readServerCa, serverUrl } from './simulate-options.ts';
import { runUntilStopped, startStandIn } from './simulate-run.ts';

/** `envelope simulate android-enterprise` options, parsed and range-checked by commander. */
export interface SimulateAndroidEnterpriseOptions {
  devices: number;
  server: string;
  enrollToken: string;
  serviceAccountKey: string;
  pushUrl: string;
  missingApp: number;
  installAfter?: number;
  amapiPort: number;
  quota?: number;
  serverCa?: string;
  concurrency: number;
  exitWhenIdle: boolean;
}

const help = `
Runs N simulated Android Enterprise work profiles against an Envelope server, with a local stand-in
of Google's Android Management API and Cloud Pub/Sub push. Start the server with
ENVELOPE_AMAPI_URL=http://127.0.0.1:<amapi-port>/ and PUT its androidEnterpriseSettings with the
service-account key file given here (the stand-in accepts the key's JWT grants) and any
enterprises/… name; pass the pubsubPushUrl that PUT answered as --push-url. Each profile then asks
<server>/mdm/android/enterprise/enroll for an AMAPI enrollment token, enrolls (ENROLLMENT is pushed),
and applies and reports (STATUS_REPORT) every policy the server patches. --missing-app profiles lack
Gmail and Nine Work (AVAILABLE apps are then reported APP_NOT_INSTALLED). --quota makes the stand-in
answer 429 past that many queries per 100 s, as Google does. Progress is printed every second until
Ctrl-C (or --exit-when-idle).`;

export function pushUrl(value: string): string {
  try {
    const url = new URL(value);
    if ((url.protocol === 'http:' || url.protocol === 'https:') && url.searchParams.has('token')) return value;
  } catch {
    // below
  }
  throw new InvalidArgumentError('must be the pubsubPushUrl the settings PUT answered (…/mdm/android/enterprise/pubsub?token=…).');
}

/** Adds `android-enterprise` to `envelope simulate`. Loading the simulator waits until the command runs. */
export function registerSimulateAndroidEnterpriseCommand(simulate: Command): void {
  simulate.command('android-enterprise')
    .description('simulate Android Enterprise work profiles managed through a local Android Management API stand-in')
    .addHelpText('after', help)
    .requiredOption('--devices <n>', 'how many work profiles (1-100000)', integerIn('devices', 1, 100_000))
    .requiredOption('--server <url>', "the server's base URL (its ENVELOPE_PUBLIC_URL)", serverUrl)
    .requiredOption('--enroll-token <token>', 'an Android enrollment token allowing at least N devices')
    .requiredOption('--service-account-key <file>', 'the service-account JSON key file stored in the server\'s androidEnterpriseSettings')
    .requiredOption('--push-url <url>', 'the pubsubPushUrl (with its token) the settings PUT answered', pushUrl)
    .option('--missing-app <percent>', 'percentage of work profiles without Gmail / Nine Work installed', percent, 0)
    .option('--install-after <seconds>', 'profiles without the app install it this many seconds after enrolling', integerIn('install-after', 0, 86_400))
    .option('--amapi-port <port>', 'port of the AMAPI stand-in on 127.0.0.1', integerIn('amapi-port', 0, 65535), 8445)
    .option('--quota <n>', "the stand-in's quota: queries per 100 s before it answers 429 (default: none)", integerIn('quota', 1, 10_000_000))
    .option('--server-ca <file>', "PEM CA that issued the server's TLS certificate, if not a public one")
    .option('--concurrency <n>', 'profiles enrolling at once', integerIn('concurrency', 1, 256), 4)
    .option('--exit-when-idle', 'exit once every profile enrolled and nothing moved for two seconds', false)
    .action(async (options: SimulateAndroidEnterpriseOptions) => simulateAndroidEnterpriseCommand(options));
}

/**
 * The service-account key file's `client_email` and `private_key`; a file that cannot be read as JSON,
 * or is not a service account's key, is a CliError with exit code 2 naming `option`.
 */
export function readServiceAccountKey(path: string, option = '--service-account-key'): { clientEmail: string; privateKeyPem: string } {
  let key: { client_email?: unknown; private_key?: unknown };
  try {
    key = JSON.parse(readFileSync(path, 'utf8')) as typeof key;
  } catch (error) {
    throw new CliError(`${option}: cannot read ${path} as JSON: ${(error as Error).message}`, 2);
  }
  if (typeof key.client_email !== 'string' || typeof key.private_key !== 'string') {
    throw new CliError(`${option}: the file has no client_email and private_key; give the JSON key file of a service account.`, 2);
  }
  return { clientEmail: key.client_email, privateKeyPem: key.private_key };
}

/**
 * Starts the AMAPI stand-in on `port`, accepting `key`'s JWT grants and pushing Pub/Sub messages to
 * `pushUrl` (trusting `serverCaPem`); a port in use is exit code 1.
 */
export async function startAmapiStandIn(options: { port: number; quota?: number; serverCaPem?: string; key: { clientEmail: string; privateKeyPem: string }; pushUrl: string }) {
  const { AmapiStandIn } = await import('../../sim/amapi/amapi-standin.ts');
  const standIn = new AmapiStandIn({ port: options.port, ...(options.quota ? { quota: options.quota } : {}), ...(options.serverCaPem ? { pushCa: options.serverCaPem } : {}) });
  standIn.registerServiceAccount(options.key.clientEmail, options.key.privateKeyPem);
  const rootUrl = await startStandIn('Android Management API', options.port, () => standIn.start());
  standIn.pushUrl = options.pushUrl;
  return { standIn, rootUrl };
}

/** Work profiles' progress, without the elapsed time. */
export function androidEnterpriseProgress(p: import('../../sim/amapi/fleet.ts').AmapiFleetProgress): string {
  return `enrolled ${p.enrolled}/${p.target} (failed ${p.enrollFailed}, without app ${p.withoutApp}) · policy patches ${p.policyPatches} (429s ${p.quotaRefusals}) · status reports ${p.statusReports} · compliant with mail ${p.compliant} · pushes refused ${p.pushesRefused}, pending ${p.pendingPushes}${p.pendingInstalls > 0 ? ` · installs pending ${p.pendingInstalls}` : ''}`;
}

/**
 * Whether the work profiles are idle: no push or app install pending, and nothing moved since the last call (the stand-in applies and reports a little after each patch).
 */
export function androidEnterpriseIdleCheck(): (p: import('../../sim/amapi/fleet.ts').AmapiFleetProgress) => boolean {
  let last = '';
  return (p) => {
    const moved = `${p.policyPatches}|${p.statusReports}|${p.enrolled}`;
    const idle = p.pendingPushes === 0 && p.pendingInstalls === 0 && moved === last;
    last = moved;
    return idle;
  };
}

/**
 * Runs the work profiles until SIGINT/SIGTERM, or until idle with `exitWhenIdle`. A key file that is
 * not one exits with code 2; a port in use, or no profile enrolled (with `exitWhenIdle`), code 1.
 */
export async function simulateAndroidEnterpriseCommand(options: SimulateAndroidEnterpriseOptions, out: NodeJS.WritableStream = process.stdout): Promise<void> {
  const key = readServiceAccountKey(options.serviceAccountKey);
  const serverCaPem = readServerCa(options.serverCa);
  const { AmapiFleet } = await import('../../sim/amapi/fleet.ts');
  const { standIn, rootUrl } = await startAmapiStandIn({ port: options.amapiPort, ...(options.quota ? { quota: options.quota } : {}), ...(serverCaPem ? { serverCaPem } : {}), key, pushUrl: options.pushUrl });
  const write = (line: string) => out.write(`${line}\n`);
  write(`Android Management API stand-in listening on ${rootUrl}; the server must run with ENVELOPE_AMAPI_URL=${rootUrl}.`);
  write(`The enrollment token must allow ${options.devices} devices.`);

  const fleet = new AmapiFleet({
    server: options.server,
    enrollmentToken: options.enrollToken,
    devices: options.devices,
    missingAppPercent: options.missingApp,
    installAfterSeconds: options.installAfter ?? null,
    concurrency: options.concurrency,
    standIn,
    ...(serverCaPem ? { serverCaPem } : {}),
  });
  const idle = androidEnterpriseIdleCheck();
  const reason = await runUntilStopped({
    starts: [() => fleet.start()], exitWhenIdle: options.exitWhenIdle, idleTicks: 2,
    tick: (seconds) => {
      const p = fleet.snapshot();
      write(`[${seconds}s] ${androidEnterpriseProgress(p)}`);
      return idle(p);
    },
  });
  fleet.stop();
  await standIn.stop();
  const final = fleet.snapshot();
  write(`Stopped (${reason === 'idle' ? 'idle' : 'interrupted'}): ${final.enrolled} of ${final.target} work profiles enrolled, ${final.policyPatches} policy patches, ${final.statusReports} status reports, ${final.compliant} compliant with a mail app.`);
  if (reason === 'idle' && final.enrolled === 0) throw new CliError(`No work profile enrolled${fleet.lastError ? `: ${fleet.lastError}` : '.'}`, 1);
}
