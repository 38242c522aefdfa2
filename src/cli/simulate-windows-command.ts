import { InvalidArgumentError, type Command } from 'commander';
import { CliError } from './cli-error.ts';
import { integerIn, percent, readServerCa, serverUrl, upn } from './simulate-options.ts';
import { eventPrinter, runFleetUntilStopped, startStandIn } from './simulate-run.ts';

/** `envelope simulate windows` options, parsed and range-checked by commander. */
export interface SimulateWindowsOptions {
  devices: number;
  server: string;
  enrollToken: string;
  upn: string;
  userAccounts: number;
  accountHost?: string;
  accountEmail?: string;
  loginStatus: 'user' | 'others' | 'none';
  requestVersion: string;
  windowsCsr: boolean;
  lenient: boolean;
  poll: boolean;
  serverCa?: string;
  wnsPort: number;
  concurrency: number;
  exitWhenIdle: boolean;
}

const simulateWindowsHelp = `
Runs N simulated Windows 10/11 PCs against an Envelope server, written from Microsoft's documents
(MS-MDE2, MS-XCEP, MS-WSTEP, MS-MDM, the ActiveSync and DMClient CSPs): each discovers
<server>/EnrollmentServer/Discovery.svc, enrolls with the OnPremise UsernameToken (the UPN and the
enrollment token), then runs OMA DM sessions over HTTPS with its enrolled client certificate: right
after enrolling, whenever the WNS stand-in started here receives a push for its channel URI, and with
--poll on the DMClient schedule. A session ends with an error when the server breaks the protocol
(--lenient answers with the documented SyncML codes instead). Progress is printed every second until
Ctrl-C (or --exit-when-idle).

The enrollment token must allow at least N devices. "{n}" in --upn is replaced by each PC's number.
PCs report a WNS channel URI only after the server sets DMClient/Provider/<id>/Push/PFN.`;

function loginStatus(value: string): 'user' | 'others' | 'none' {
  if (value !== 'user' && value !== 'others' && value !== 'none') throw new InvalidArgumentError('must be user, others or none.');
  return value;
}

function requestVersion(value: string): string {
  if (!/^\d+\.\d+$/.test(value) || Number(value) < 1) throw new InvalidArgumentError('must be a version such as 6.0 or 9.0.');
  return value;
}

/** Adds `windows` to `envelope simulate`. Loading the simulator waits until the command runs. */
export function registerSimulateWindowsCommand(simulate: Command): void {
  simulate.command('windows')
    .description('simulate Windows PCs enrolling in (MS-MDE2) and managed by (OMA DM) an Envelope server')
    .addHelpText('after', simulateWindowsHelp)
    .requiredOption('--devices <n>', 'how many PCs (1-100000)', integerIn('devices', 1, 100_000))
    .requiredOption('--server <url>', "the server's base URL (its ENVELOPE_PUBLIC_URL)", serverUrl)
    .requiredOption('--enroll-token <token>', 'a Windows enrollment token allowing at least N devices')
    .requiredOption('--upn <upn>', 'the user every PC enrolls as ("{n}" becomes the PC number)', upn)
    .option('--user-accounts <percent>', "percentage of PCs whose user already made the Exchange account (--account-host, and --account-email or the UPN)", percent, 0)
    .option('--account-host <host>', "Exchange host of the user-made accounts (the profile's hostName)")
    .option('--account-email <address>', 'e-mail address of the user-made accounts (default: the UPN)')
    .option('--login-status <status>', 'what Alert 1224 reports: user, others or none', loginStatus, 'user')
    .option('--request-version <version>', 'the RequestVersion of Discover and the RST (Windows 11 25H2 sends 9.0)', requestVersion, '6.0')
    .option('--windows-csr', 'give the PKCS#10 the odd subject real Windows writes (a PrintableString CN with "!" and NUL)', false)
    .option('--lenient', 'answer protocol violations with the documented SyncML codes instead of failing the session', false)
    .option('--poll', 'also poll on the DMClient schedule of the provisioning document (real minutes)', false)
    .option('--server-ca <file>', "PEM CA that issued the server's TLS certificate, if not a public one")
    .option('--wns-port <port>', 'port of the WNS stand-in on 127.0.0.1 (0 = any)', integerIn('wns-port', 0, 65535), 0)
    .option('--concurrency <n>', 'PCs enrolling at once', integerIn('concurrency', 1, 256), 4)
    .option('--exit-when-idle', 'exit once every PC has enrolled and no session is running', false)
    .action(async (options: SimulateWindowsOptions) => simulateWindowsCommand(options));
}

/**
 * Runs the fleet until SIGINT/SIGTERM, or until idle with `exitWhenIdle`. Usage mistakes throw a
 * CliError with exit code 2; a WNS port in use, or a fleet in which no PC enrolled (with
 * `exitWhenIdle`), exit code 1.
 */
export async function simulateWindowsCommand(options: SimulateWindowsOptions, out: NodeJS.WritableStream = process.stdout): Promise<void> {
  if (options.userAccounts > 0 && !options.accountHost) {
    throw new CliError('--user-accounts needs --account-host: the Exchange host of the accounts the users made themselves.', 2);
  }
  const [{ mkdtempSync }, { tmpdir }, { join }, { loadOrCreateStandInPki }, { WnsStandIn }, { WindowsFleet }] = await Promise.all([
    import('node:fs'), import('node:os'), import('node:path'), import('../../sim/ios/apns-standin-files.ts'),
    import('../../sim/windows/wns-standin.ts'), import('../../sim/windows/fleet.ts'),
  ]);
  const serverCaPem = readServerCa(options.serverCa);
  // HTTPS, as ENVELOPE_WNS_URL must be: the stand-in's certificate comes from a throwaway CA the
  // server is told to trust (ENVELOPE_WNS_CA), the same files `simulate ios` and `mix` use.
  const pki = await loadOrCreateStandInPki(mkdtempSync(join(tmpdir(), 'envelope-simulate-windows-')));
  const wns = await startStandIn('WNS', options.wnsPort, () => WnsStandIn.start({ port: options.wnsPort, certificatePem: pki.server.certificatePem, privateKeyPem: pki.server.privateKeyPem }));
  const write = (line: string) => out.write(`${line}\n`);
  write(`WNS stand-in listening on ${wns.url} (token at ${wns.url}/accesstoken.srf; channel URIs ${wns.url}/?token=…).`);
  write(`For the server to push to these PCs, run it with ENVELOPE_WNS_URL=${wns.url} ENVELOPE_WNS_CA=${pki.paths.caCertificate}.`);
  write(`The enrollment token must allow ${options.devices} devices.`);

  const events = eventPrinter(write);
  const fleet = new WindowsFleet({
    server: options.server,
    upn: options.upn,
    enrollmentToken: options.enrollToken,
    devices: options.devices,
    concurrency: options.concurrency,
    ...(serverCaPem ? { serverCaPem } : {}),
    // A socket per PC, as real PCs each have their own connection: with fewer, idle keep-alive
    // sockets of other PCs (one per client certificate) fill the cap and PCs past it wait for the
    // server's keep-alive timeout.
    maxSockets: Math.min(options.devices + 16, 10_000),
    requestVersion: options.requestVersion,
    windowsStyleCsrSubject: options.windowsCsr,
    loginStatus: options.loginStatus,
    strict: !options.lenient,
    userAccountsPercent: options.userAccounts,
    ...(options.accountHost ? { userAccount: { host: options.accountHost, emailAddress: options.accountEmail ?? options.upn.replaceAll('{n}', '1') } } : {}),
    pushes: wns,
    channelUriBase: wns.url,
    poll: options.poll,
    onEvent: events.onEvent(),
  });
  const reason = await runFleetUntilStopped(fleet, { exitWhenIdle: options.exitWhenIdle, idleTicks: 2, write, line: progressLine });
  fleet.stop();
  await wns.close();
  const final = fleet.snapshot();
  write(`Stopped (${reason === 'idle' ? 'idle' : 'interrupted'}): ${final.enrolled} of ${final.target} PCs enrolled, ${final.sessions} sessions (${final.sessionsFailed} failed), ${final.managedAccounts} accounts on the PCs, ${final.violations} protocol violations.`);
  if (reason === 'idle' && final.enrolled === 0) throw new CliError(`No PC enrolled${events.first ? `: ${events.first}` : '.'}`, 1);
}

function progressLine(seconds: number, p: import('../../sim/windows/fleet.ts').WindowsFleetProgress): string {
  const latency = p.latencyP50Ms === null ? 'no requests' : `p50 ${p.latencyP50Ms} ms p95 ${p.latencyP95Ms} ms`;
  return `[${seconds}s] enrolled ${p.enrolled}/${p.target} (failed ${p.enrollFailed}) · sessions ${p.sessions} (failed ${p.sessionsFailed}, violations ${p.violations})` +
    ` · commands ${p.commands} ok ${p.succeeded} failed ${p.failed} · accounts ${p.managedAccounts} (user-made replaced ${p.userAccountsReplaced})` +
    ` · pushes ${p.pushes} · ${p.requestsPerSecond} req/s ${latency} (failed ${p.requestsFailed}) · unenrolled ${p.unenrolled}`;
}
