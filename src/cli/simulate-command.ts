import type { Command } from 'commander';
import { CliError } from './cli-error.ts';
import { integerIn, percent, readServerCa, serverUrl } from './simulate-options.ts';
import { eventPrinter, runFleetUntilStopped, startStandIn } from './simulate-run.ts';
import { registerSimulateMixCommand } from './simulate-mix-command.ts';
import { registerSimulateWindowsCommand } from './simulate-windows-command.ts';
import { registerSimulateKnoxCommand } from './simulate-knox-command.ts';
import { registerSimulateAndroidEnterpriseCommand } from './simulate-android-enterprise-command.ts';

/** `envelope simulate ios` options, parsed and range-checked by commander. */
export interface SimulateIosOptions {
  devices: number;
  server: string;
  enrollToken: string;
  userAccounts: number;
  accountHost?: string;
  accountEmail?: string;
  notNow: number;
  serverCa?: string;
  apnsPort: number;
  concurrency: number;
  out?: string;
  exitWhenIdle: boolean;
}

const simulateHelp = `
Runs N simulated iPhones against an Envelope server, speaking Apple's MDM protocol from the device
side: each downloads the enrollment profile with the token (as Safari would), installs it, sends
Authenticate and TokenUpdate, and polls the server when a push arrives. Pushes come through a local
APNs stand-in started here; its CA and a matching MDM push certificate are written to --out (and
reused on the next run, so the topic stays). The command prints what the server needs to push to
it, then a progress line every second until Ctrl-C (or --exit-when-idle).

The enrollment token must allow at least N devices (enrollment-token create --max-devices N). The
server's enrollment endpoint allows 60 downloads a minute per address: larger fleets wait out 429s.`;

/** Adds `envelope simulate ios` (and `windows`) to the program. Loading the simulator waits until the command runs. */
export function registerSimulateCommand(program: Command): void {
  const simulate = program.command('simulate').description('device simulators for load and end-to-end tests');
  simulate.command('ios')
    .description('simulate iPhones enrolling in and managed by an Envelope server')
    .addHelpText('after', simulateHelp)
    .requiredOption('--devices <n>', 'how many iPhones (1-100000)', integerIn('devices', 1, 100_000))
    .requiredOption('--server <url>', "the server's base URL (its ENVELOPE_PUBLIC_URL)", serverUrl)
    .requiredOption('--enroll-token <token>', 'an iOS enrollment token allowing at least N devices')
    .option('--user-accounts <percent>', 'percentage of devices whose user already made the Exchange account (--account-host, --account-email)', percent, 0)
    .option('--account-host <host>', 'Exchange host of the user-made accounts (the profile\'s hostName)')
    .option('--account-email <address>', 'e-mail address of the user-made accounts (the enrolled user\'s)')
    .option('--not-now <percent>', 'percentage of commands answered NotNow (as a locked phone does)', percent, 0)
    .option('--server-ca <file>', "PEM CA that issued the server's TLS certificate, if not a public one")
    .option('--apns-port <port>', 'port of the APNs stand-in on 127.0.0.1 (0 = any; keep it fixed so the server finds it)', integerIn('apns-port', 0, 65535), 2197)
    .option('--concurrency <n>', 'devices enrolling at once (each download costs the server an RSA key generation)', integerIn('concurrency', 1, 256), 4)
    .option('--out <dir>', 'where the stand-in CA and push certificate are kept (default: a new temporary directory)')
    .option('--exit-when-idle', 'exit once every device has enrolled and no command is pending', false)
    .action(async (options: SimulateIosOptions) => simulateIosCommand(options));
  registerSimulateWindowsCommand(simulate);
  registerSimulateKnoxCommand(simulate);
  registerSimulateMixCommand(simulate);
  registerSimulateAndroidEnterpriseCommand(simulate);
}

/**
 * Runs the fleet until SIGINT/SIGTERM, or until idle with `exitWhenIdle`. Usage mistakes throw a
 * CliError with exit code 2; an APNs port in use, or a fleet in which no device checked in
 * (with `exitWhenIdle`), exit code 1.
 */
export async function simulateIosCommand(options: SimulateIosOptions, out: NodeJS.WritableStream = process.stdout): Promise<void> {
  if (options.userAccounts > 0 && (!options.accountHost || !options.accountEmail)) {
    throw new CliError('--user-accounts needs --account-host and --account-email: the Exchange account the users made themselves.', 2);
  }
  const [{ mkdtempSync }, { tmpdir }, { join }, { ApnsStandIn }, { loadOrCreateStandInPki }, { IosFleet }] = await Promise.all([
    import('node:fs'), import('node:os'), import('node:path'),
    import('../../sim/apns/apns-standin.ts'), import('../../sim/ios/apns-standin-files.ts'), import('../../sim/ios/fleet.ts'),
  ]);
  const serverCaPem = readServerCa(options.serverCa);
  const dir = options.out ?? mkdtempSync(join(tmpdir(), 'envelope-simulate-ios-'));
  const pki = await loadOrCreateStandInPki(dir);
  const standIn = await startStandIn('APNs', options.apnsPort, () => ApnsStandIn.start({ certificatePem: pki.server.certificatePem, privateKeyPem: pki.server.privateKeyPem, clientCa: pki.ca.certificatePem, port: options.apnsPort }));
  const write = (line: string) => out.write(`${line}\n`);
  write(`APNs stand-in listening on ${standIn.url}, topic ${pki.push.topic}.`);
  write(`${pki.created ? 'Created' : 'Reusing'} in ${dir}: ${pki.paths.caCertificate} (the stand-in's CA), ${pki.paths.pushCertificate} and ${pki.paths.pushKey} (its push certificate).`);
  write('For the server to push to these devices (once per directory: later runs reuse the files):');
  write(`  envelope apple push-certificate set --tenant <tenant> --certificate ${pki.paths.pushCertificate} --key ${pki.paths.pushKey}`);
  write(`  run the server with ENVELOPE_APNS_URL=${standIn.url} NODE_EXTRA_CA_CERTS=${pki.paths.caCertificate}`);
  write(`The enrollment token must allow ${options.devices} devices (enrollment-token create --max-devices ${options.devices}).`);

  const events = eventPrinter(write);
  const fleet = new IosFleet({
    enrollmentUrl: `${options.server}/mdm/apple/enroll?token=${encodeURIComponent(options.enrollToken)}`,
    devices: options.devices,
    concurrency: options.concurrency,
    ...(serverCaPem ? { serverCaPem } : {}),
    maxSockets: Math.max(16, options.concurrency * 4),
    pushes: standIn,
    userAccountsPercent: options.userAccounts,
    ...(options.accountHost && options.accountEmail ? { userAccount: { host: options.accountHost, emailAddress: options.accountEmail } } : {}),
    notNowPercent: options.notNow,
    onEvent: events.onEvent(),
  });
  const reason = await runFleetUntilStopped(fleet, { exitWhenIdle: options.exitWhenIdle, idleTicks: 3, write, line: progressLine });
  fleet.stop();
  await standIn.close();
  const final = fleet.snapshot();
  write(`Stopped (${reason === 'idle' ? 'idle' : 'interrupted'}): ${final.checkedIn} of ${final.target} devices checked in, ${final.profilesInstalled} profiles installed, ${final.failed} commands failed.`);
  if (reason === 'idle' && final.checkedIn === 0) throw new CliError(`No device enrolled${events.first ? `: ${events.first}` : '.'}`, 1);
}

function progressLine(seconds: number, p: import('../../sim/ios/fleet.ts').FleetProgress): string {
  const latency = p.latencyP50Ms === null ? 'no requests' : `p50 ${p.latencyP50Ms} ms p95 ${p.latencyP95Ms} ms`;
  return `[${seconds}s] enrolled ${p.enrolled}/${p.target} (429s ${p.rateLimited}, failed ${p.enrollFailed}) · checked in ${p.checkedIn} (failed ${p.checkinFailed})` +
    ` · commands ack ${p.acknowledged} error ${p.failed} format ${p.formatErrors} notnow ${p.notNow} · profiles installed ${p.profilesInstalled} removed ${p.profilesRemoved}` +
    ` · pushes ${p.pushes} · ${p.requestsPerSecond} req/s ${latency} (failed ${p.requestsFailed}) · unenrolled ${p.unenrolled}`;
}
