import type { Command } from 'commander';
import { CliError } from './cli-error.ts';
import { integerIn, percent, readServerCa, serverUrl } from './simulate-options.ts';
import { eventPrinter, runFleetUntilStopped, startStandIn } from './simulate-run.ts';

/** `envelope simulate knox` options, parsed and range-checked by commander. */
export interface SimulateKnoxOptions {
  devices: number;
  server: string;
  enrollToken: string;
  userAccounts: number;
  accountHost?: string;
  accountEmail?: string;
  pollSeconds: number;
  serverCa?: string;
  fcmPort: number;
  concurrency: number;
  exitWhenIdle: boolean;
}

const simulateKnoxHelp = `
Runs N simulated Samsung Knox devices with Envelope's agent (sim/knox), written from
docs/agent-protocol.md and Samsung's ExchangeAccountPolicy: each enrolls at <server>/mdm/android/enroll
with the Android enrollment token, fetches its commands, applies them to a Knox account store of its
own (accounts keyed by email address; add-results delivered asynchronously), and fetches again when
the FCM stand-in started here delivers a message to its registration token (and every
--poll-seconds). Progress is printed every second until Ctrl-C (or --exit-when-idle).

The enrollment token must allow at least N devices. The stand-in writes a Firebase service-account
key file; PUT it to /graph/beta/envelope/knoxPushSettings for the server to push.`;

/** Adds `knox` to `envelope simulate`. Loading the simulator waits until the command runs. */
export function registerSimulateKnoxCommand(simulate: Command): void {
  simulate.command('knox')
    .description('simulate Samsung Knox devices running the Envelope agent (JSON over HTTPS, FCM wake-ups)')
    .addHelpText('after', simulateKnoxHelp)
    .requiredOption('--devices <n>', 'how many devices (1-100000)', integerIn('devices', 1, 100_000))
    .requiredOption('--server <url>', "the server's base URL (its ENVELOPE_PUBLIC_URL)", serverUrl)
    .requiredOption('--enroll-token <token>', 'an Android enrollment token allowing at least N devices')
    .option('--user-accounts <percent>', 'percentage of devices whose user already made an Exchange account with --account-email', percent, 0)
    .option('--account-host <host>', 'Exchange host of the user-made accounts')
    .option('--account-email <address>', 'e-mail address of the user-made accounts (Knox overwrites an account with the same address)')
    .option('--poll-seconds <n>', 'also fetch commands every n seconds (0 = only on FCM messages)', integerIn('poll-seconds', 0, 86_400), 0)
    .option('--server-ca <file>', "PEM CA that issued the server's TLS certificate, if not a public one")
    .option('--fcm-port <port>', 'port of the FCM stand-in on 127.0.0.1 (0 = any)', integerIn('fcm-port', 0, 65535), 0)
    .option('--concurrency <n>', 'devices enrolling at once', integerIn('concurrency', 1, 256), 4)
    .option('--exit-when-idle', 'exit once every device has enrolled and no fetch is running', false)
    .action(async (options: SimulateKnoxOptions) => simulateKnoxCommand(options));
}

/**
 * Runs the fleet until SIGINT/SIGTERM, or until idle with `exitWhenIdle`. Usage mistakes throw a
 * CliError with exit code 2; an FCM port in use, or a fleet in which no device enrolled (with
 * `exitWhenIdle`), exit code 1.
 */
export async function simulateKnoxCommand(options: SimulateKnoxOptions, out: NodeJS.WritableStream = process.stdout): Promise<void> {
  if (options.userAccounts > 0 && (!options.accountHost || !options.accountEmail)) {
    throw new CliError('--user-accounts needs --account-host and --account-email: the account the users made themselves.', 2);
  }
  const [{ mkdtempSync, writeFileSync }, { tmpdir }, { join }, { loadOrCreateStandInPki }, { FcmStandIn }, { KnoxFleet }] = await Promise.all([
    import('node:fs'), import('node:os'), import('node:path'), import('../../sim/ios/apns-standin-files.ts'),
    import('../../sim/fcm/fcm-standin.ts'), import('../../sim/knox/fleet.ts'),
  ]);
  const serverCaPem = readServerCa(options.serverCa);
  const dir = mkdtempSync(join(tmpdir(), 'envelope-simulate-knox-'));
  const pki = await loadOrCreateStandInPki(dir);
  const fcm = await startStandIn('FCM', options.fcmPort, () => FcmStandIn.start({ port: options.fcmPort, certificatePem: pki.server.certificatePem, privateKeyPem: pki.server.privateKeyPem }));
  const keyFile = join(dir, 'firebase-service-account.json');
  writeFileSync(keyFile, fcm.createServiceAccount('envelope-simulated'), { mode: 0o600 });
  const write = (line: string) => out.write(`${line}\n`);
  write(`FCM stand-in listening on ${fcm.url} (token at ${fcm.url}/token; messages at ${fcm.url}/v1/projects/envelope-simulated/messages:send).`);
  write(`For the server to push to these devices, run it with ENVELOPE_FCM_URL=${fcm.url} ENVELOPE_FCM_CA=${pki.paths.caCertificate}`);
  write(`and PUT the service account: {"serviceAccount": <${keyFile}>} to /graph/beta/envelope/knoxPushSettings.`);
  write(`The enrollment token must allow ${options.devices} devices.`);

  const events = eventPrinter(write);
  const fleet = new KnoxFleet({
    server: options.server,
    enrollmentToken: options.enrollToken,
    devices: options.devices,
    concurrency: options.concurrency,
    ...(serverCaPem ? { serverCaPem } : {}),
    maxSockets: Math.min(options.devices + 16, 10_000),
    userAccountsPercent: options.userAccounts,
    ...(options.accountHost && options.accountEmail ? { userAccount: { host: options.accountHost, emailAddress: options.accountEmail } } : {}),
    fcm,
    ...(options.pollSeconds > 0 ? { pollMs: options.pollSeconds * 1000 } : {}),
    onEvent: events.onEvent(),
  });
  const reason = await runFleetUntilStopped(fleet, { exitWhenIdle: options.exitWhenIdle, idleTicks: 2, write, line: knoxProgressLine });
  fleet.stop();
  await fcm.close();
  const final = fleet.snapshot();
  write(`Stopped (${reason === 'idle' ? 'idle' : 'interrupted'}): ${final.enrolled} of ${final.target} devices enrolled, ${final.syncs} fetch rounds (${final.syncsFailed} failed), ${final.managedAccounts} Envelope accounts on the devices.`);
  if (reason === 'idle' && final.enrolled === 0) throw new CliError(`No device enrolled${events.first ? `: ${events.first}` : '.'}`, 1);
}

export function knoxProgressLine(seconds: number, p: import('../../sim/knox/fleet.ts').KnoxFleetProgress): string {
  const latency = p.latencyP50Ms === null ? 'no requests' : `p50 ${p.latencyP50Ms} ms p95 ${p.latencyP95Ms} ms`;
  return `[${seconds}s] enrolled ${p.enrolled}/${p.target} (failed ${p.enrollFailed}) · fetch rounds ${p.syncs} (failed ${p.syncsFailed})` +
    ` · commands ${p.commands} events ${p.events} · accounts ${p.managedAccounts} (user-made overwritten ${p.userAccountsOverwritten})` +
    ` · pushes ${p.pushes} · ${p.requestsPerSecond} req/s ${latency} (failed ${p.requestsFailed})`;
}
