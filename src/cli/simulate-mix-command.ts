import { InvalidArgumentError, type Command } from 'commander';
import { CliError } from './cli-error.ts';
import { integerIn, percent, readServerCa, serverUrl, upn } from './simulate-options.ts';
import { eventPrinter, runUntilStopped, startStandIn } from './simulate-run.ts';
import { androidEnterpriseIdleCheck, androidEnterpriseProgress, pushUrl, readServiceAccountKey, startAmapiStandIn } from './simulate-android-enterprise-command.ts';
import { knoxProgressLine } from './simulate-knox-command.ts';

/** `envelope simulate mix` options, parsed and range-checked by commander. */
export interface SimulateMixOptions {
  ios: number;
  windows: number;
  server: string;
  iosEnrollToken?: string;
  windowsEnrollToken?: string;
  upn?: string;
  pfn?: string;
  poll: boolean;
  serverCa?: string;
  apnsPort: number;
  wnsPort: number;
  concurrency: number;
  out?: string;
  exitWhenIdle: boolean;
  /** Samsung Knox agents (sim/knox), woken through an FCM stand-in. */
  knox: number;
  knoxEnrollToken?: string;
  fcmPort: number;
  /** Android Enterprise work profiles (sim/amapi), managed through an AMAPI stand-in. */
  androidEnterprise: number;
  androidEnterpriseEnrollToken?: string;
  serviceAccountKey?: string;
  pushUrl?: string;
  missingApp: number;
  installAfter?: number;
  amapiPort: number;
}

const simulateMixHelp = `
Runs simulated iPhones and Windows PCs together against one Envelope server, as "simulate ios" and
"simulate windows" do, with one progress line a second for both. iPhones enroll with the iOS
enrollment token's link and wake on pushes through an APNs stand-in; PCs enroll over MS-MDE2 with
the UPN and the Windows enrollment token and run OMA DM sessions after enrolling, on WNS pushes
through a WNS stand-in (HTTPS) and, with --poll, on their DMClient schedule. Both stand-ins use one
certificate authority kept in --out: the server must trust it (ENVELOPE_APNS_CA, ENVELOPE_WNS_CA).

Each enrollment token must allow its platform's number of devices. A platform with 0 devices needs
no token. PCs report a WNS channel URI only once they have the Store app's Package Family Name at
DMClient/Provider/<id>/Push/PFN; --pfn gives it to every PC as the server would.

With --knox N, Samsung Knox agents (as "simulate knox") enroll with --knox-enroll-token and are
woken through an FCM stand-in (ENVELOPE_FCM_URL, ENVELOPE_FCM_CA and the service-account key file it
writes to --out, for /envelope/knoxPushSettings).

With --android-enterprise N, Android Enterprise work profiles (as "simulate android-enterprise") enroll
with --android-enterprise-enroll-token through a stand-in of Google's Android Management API on
--amapi-port (the server runs with ENVELOPE_AMAPI_URL=http://127.0.0.1:<port>/ and the
androidEnterpriseSettings hold --service-account-key; --push-url is the pubsubPushUrl they answered).
--missing-app percent of them lack Gmail and Nine Work (APP_NOT_INSTALLED), and install it
--install-after seconds after enrolling if given.`;

/** dmclient-csp: the Store app's Package Family Name, `Name_publisherId` (13 characters). */
function packageFamilyName(value: string): string {
  if (!/^[A-Za-z0-9.-]{3,50}_[a-z0-9]{13}$/.test(value)) throw new InvalidArgumentError('must be a Package Family Name such as Contoso.EnvelopePush_8wekyb3d8bbwe.');
  return value;
}

/** Adds `mix` to `envelope simulate`. Loading the simulators waits until the command runs. */
export function registerSimulateMixCommand(simulate: Command): void {
  simulate.command('mix')
    .description('simulate iPhones, Windows PCs, Knox devices and Android Enterprise work profiles together against an Envelope server')
    .addHelpText('after', simulateMixHelp)
    .requiredOption('--ios <n>', 'how many iPhones (0-100000)', integerIn('ios', 0, 100_000))
    .requiredOption('--windows <n>', 'how many Windows PCs (0-100000)', integerIn('windows', 0, 100_000))
    .requiredOption('--server <url>', "the server's base URL (its ENVELOPE_PUBLIC_URL)", serverUrl)
    .option('--ios-enroll-token <token>', 'an iOS enrollment token allowing at least --ios devices')
    .option('--windows-enroll-token <token>', 'a Windows enrollment token allowing at least --windows devices')
    .option('--upn <upn>', 'the user every PC enrolls as ("{n}" becomes the PC number)', upn)
    .option('--pfn <name>', "give every PC this Package Family Name at DMClient Push/PFN (the WNS app's), as the server would", packageFamilyName)
    .option('--poll', 'PCs also poll on the DMClient schedule of their provisioning document (real minutes)', false)
    .option('--server-ca <file>', "PEM CA that issued the server's TLS certificate, if not a public one")
    .option('--apns-port <port>', 'port of the APNs stand-in on 127.0.0.1 (0 = any)', integerIn('apns-port', 0, 65535), 2197)
    .option('--wns-port <port>', 'port of the WNS stand-in on 127.0.0.1 (0 = any)', integerIn('wns-port', 0, 65535), 0)
    .option('--concurrency <n>', 'devices enrolling at once, per platform', integerIn('concurrency', 1, 256), 4)
    .option('--out <dir>', "where the stand-ins' CA and the APNs push certificate are kept (default: a new temporary directory)")
    .option('--exit-when-idle', 'exit once every device has enrolled and nothing is running', false)
    .option('--knox <n>', 'how many Samsung Knox agents (0-100000)', integerIn('knox', 0, 100_000), 0)
    .option('--knox-enroll-token <token>', 'an Android enrollment token allowing at least --knox devices')
    .option('--fcm-port <port>', 'port of the FCM stand-in on 127.0.0.1 (0 = any)', integerIn('fcm-port', 0, 65535), 0)
    .option('--android-enterprise <n>', 'how many Android Enterprise work profiles (0-100000)', integerIn('android-enterprise', 0, 100_000), 0)
    .option('--android-enterprise-enroll-token <token>', 'an Android enrollment token allowing at least --android-enterprise devices')
    .option('--service-account-key <file>', "the service-account JSON key file in the server's androidEnterpriseSettings")
    .option('--push-url <url>', 'the pubsubPushUrl (with its token) the androidEnterpriseSettings PUT answered', pushUrl)
    .option('--missing-app <percent>', 'percentage of work profiles without Gmail / Nine Work installed', percent, 0)
    .option('--install-after <seconds>', 'work profiles without the app install it this many seconds after enrolling', integerIn('install-after', 0, 86_400))
    .option('--amapi-port <port>', 'port of the Android Management API stand-in on 127.0.0.1', integerIn('amapi-port', 0, 65535), 8445)
    .action(async (options: SimulateMixOptions) => simulateMixCommand(options));
}

/** Usage mistakes commander cannot see (options that depend on each other): exit code 2, one line naming the option. */
export function checkMixOptions(options: SimulateMixOptions): void {
  if (options.ios === 0 && options.windows === 0 && (options.knox ?? 0) === 0 && (options.androidEnterprise ?? 0) === 0) {
    throw new CliError('--ios, --windows, --knox and --android-enterprise are all 0: give at least one device.', 2);
  }
  if (options.ios > 0 && !options.iosEnrollToken) throw new CliError(`--ios-enroll-token is needed for --ios ${options.ios}: an iOS enrollment token allowing that many devices.`, 2);
  if (options.windows > 0 && !options.windowsEnrollToken) throw new CliError(`--windows-enroll-token is needed for --windows ${options.windows}: a Windows enrollment token allowing that many devices.`, 2);
  if (options.windows > 0 && !options.upn) throw new CliError(`--upn is needed for --windows ${options.windows}: the user principal name the PCs enroll as.`, 2);
  if ((options.knox ?? 0) > 0 && !options.knoxEnrollToken) throw new CliError(`--knox-enroll-token is needed for --knox ${options.knox}: an Android enrollment token allowing that many devices.`, 2);
  const workProfiles = options.androidEnterprise ?? 0;
  if (workProfiles > 0 && !options.androidEnterpriseEnrollToken) throw new CliError(`--android-enterprise-enroll-token is needed for --android-enterprise ${workProfiles}: an Android enrollment token allowing that many devices.`, 2);
  if (workProfiles > 0 && !options.serviceAccountKey) throw new CliError(`--service-account-key is needed for --android-enterprise ${workProfiles}: the key file in the server's androidEnterpriseSettings.`, 2);
  if (workProfiles > 0 && !options.pushUrl) throw new CliError(`--push-url is needed for --android-enterprise ${workProfiles}: the pubsubPushUrl the androidEnterpriseSettings PUT answered.`, 2);
}

/**
 * Runs both fleets until SIGINT/SIGTERM, or until both are idle with `exitWhenIdle`. Usage mistakes
 * throw a CliError with exit code 2; a stand-in port in use, or (with `exitWhenIdle`) no device of
 * either platform enrolled, exit code 1.
 */
export async function simulateMixCommand(options: SimulateMixOptions, out: NodeJS.WritableStream = process.stdout): Promise<void> {
  checkMixOptions(options);
  const workProfiles = options.androidEnterprise ?? 0;
  const key = workProfiles > 0 ? readServiceAccountKey(options.serviceAccountKey!) : null;
  const [{ mkdtempSync, writeFileSync }, { tmpdir }, { join }, { ApnsStandIn }, { loadOrCreateStandInPki }, { IosFleet }, { WnsStandIn }, { WindowsFleet }] = await Promise.all([
    import('node:fs'), import('node:os'), import('node:path'),
    import('../../sim/apns/apns-standin.ts'), import('../../sim/ios/apns-standin-files.ts'), import('../../sim/ios/fleet.ts'),
    import('../../sim/windows/wns-standin.ts'), import('../../sim/windows/fleet.ts'),
  ]);
  const serverCaPem = readServerCa(options.serverCa);
  const dir = options.out ?? mkdtempSync(join(tmpdir(), 'envelope-simulate-mix-'));
  const pki = await loadOrCreateStandInPki(dir);
  const write = (line: string) => out.write(`${line}\n`);
  const closers: Array<() => Promise<void>> = [];
  try {
    let apns;
    if (options.ios > 0) {
      const started = await startStandIn('APNs', options.apnsPort, () => ApnsStandIn.start({ certificatePem: pki.server.certificatePem, privateKeyPem: pki.server.privateKeyPem, clientCa: pki.ca.certificatePem, port: options.apnsPort }));
      apns = started;
      closers.push(() => started.close());
      write(`APNs stand-in listening on ${apns.url}, topic ${pki.push.topic}; the server needs the push certificate once:`);
      write(`  envelope apple push-certificate set --tenant <tenant> --certificate ${pki.paths.pushCertificate} --key ${pki.paths.pushKey}`);
    }
    let wns;
    if (options.windows > 0) {
      const started = await startStandIn('WNS', options.wnsPort, () => WnsStandIn.start({ port: options.wnsPort, certificatePem: pki.server.certificatePem, privateKeyPem: pki.server.privateKeyPem }));
      wns = started;
      closers.push(() => started.close());
      write(`WNS stand-in listening on ${wns.url} (token at ${wns.url}/accesstoken.srf).`);
    }
    let fcm;
    if ((options.knox ?? 0) > 0) {
      const { FcmStandIn } = await import('../../sim/fcm/fcm-standin.ts');
      const started = await startStandIn('FCM', options.fcmPort ?? 0, () => FcmStandIn.start({ port: options.fcmPort ?? 0, certificatePem: pki.server.certificatePem, privateKeyPem: pki.server.privateKeyPem }));
      fcm = started;
      closers.push(() => started.close());
      const keyFile = join(dir, 'firebase-service-account.json');
      writeFileSync(keyFile, fcm.createServiceAccount('envelope-simulated'), { mode: 0o600 });
      write(`FCM stand-in listening on ${fcm.url}; PUT {"serviceAccount": <${keyFile}>} to /graph/beta/envelope/knoxPushSettings, and run the server with ENVELOPE_FCM_URL=${fcm.url} ENVELOPE_FCM_CA=${pki.paths.caCertificate}.`);
    }
    let amapi;
    if (key !== null) {
      const amapiPort = options.amapiPort ?? 8445;
      amapi = await startAmapiStandIn({ port: amapiPort, ...(serverCaPem ? { serverCaPem } : {}), key, pushUrl: options.pushUrl! });
      const started = amapi.standIn;
      closers.push(() => started.stop());
      write(`Android Management API stand-in listening on ${amapi.rootUrl}; the server must run with ENVELOPE_AMAPI_URL=${amapi.rootUrl}.`);
    }
    write(`Run the server with${apns ? ` ENVELOPE_APNS_URL=${apns.url} ENVELOPE_APNS_CA=${pki.paths.caCertificate}` : ''}${wns ? ` ENVELOPE_WNS_URL=${wns.url} ENVELOPE_WNS_CA=${pki.paths.caCertificate}` : ''}${amapi ? ` ENVELOPE_AMAPI_URL=${amapi.rootUrl}` : ''}.`);

    const events = eventPrinter(write);
    const ios = apns && options.iosEnrollToken ? new IosFleet({
      enrollmentUrl: `${options.server}/mdm/apple/enroll?token=${encodeURIComponent(options.iosEnrollToken)}`,
      devices: options.ios, concurrency: options.concurrency, ...(serverCaPem ? { serverCaPem } : {}),
      maxSockets: Math.max(16, options.concurrency * 4), pushes: apns, onEvent: events.onEvent('iOS'),
    }) : null;
    const windows = wns && options.windowsEnrollToken && options.upn ? new WindowsFleet({
      server: options.server, upn: options.upn, enrollmentToken: options.windowsEnrollToken, devices: options.windows,
      // A socket per PC, as real PCs each have their own connection: the shared agent pools sockets per
      // client certificate and never closes another PC's idle one, so a smaller cap makes the PCs past it
      // wait for the server's keep-alive timeout (sim/windows/pc-http.ts).
      concurrency: options.concurrency, ...(serverCaPem ? { serverCaPem } : {}), maxSockets: Math.min(options.windows + 16, 10_000),
      pushes: wns, channelUriBase: wns.url, poll: options.poll, ...(options.pfn ? { pushPfn: options.pfn } : {}), onEvent: events.onEvent('Windows'),
    }) : null;
    const knox = fcm && options.knoxEnrollToken ? new (await import('../../sim/knox/fleet.ts')).KnoxFleet({
      server: options.server, enrollmentToken: options.knoxEnrollToken, devices: options.knox, concurrency: options.concurrency,
      ...(serverCaPem ? { serverCaPem } : {}), maxSockets: Math.max(16, options.concurrency * 4), fcm, onEvent: events.onEvent('Knox'),
    }) : null;
    const androidEnterprise = amapi && options.androidEnterpriseEnrollToken ? new (await import('../../sim/amapi/fleet.ts')).AmapiFleet({
      server: options.server, enrollmentToken: options.androidEnterpriseEnrollToken, devices: workProfiles, missingAppPercent: options.missingApp ?? 0,
      installAfterSeconds: options.installAfter ?? null, concurrency: options.concurrency, standIn: amapi.standIn, ...(serverCaPem ? { serverCaPem } : {}),
    }) : null;
    const androidEnterpriseIdle = androidEnterpriseIdleCheck();

    const reason = await runUntilStopped({
      starts: [ios, windows, knox, androidEnterprise].filter((fleet) => fleet !== null).map((fleet) => () => fleet.start()),
      exitWhenIdle: options.exitWhenIdle, idleTicks: 3,
      tick: (seconds) => {
        const iosProgress = ios?.snapshot() ?? null;
        const windowsProgress = windows?.snapshot() ?? null;
        const knoxProgress = knox?.snapshot() ?? null;
        const aeProgress = androidEnterprise?.snapshot() ?? null;
        write(mixProgressLine(seconds, iosProgress, windowsProgress) +
          (knoxProgress ? ` | Knox ${knoxProgressLine(0, knoxProgress).replace(/^\[0s\] /, '')}` : '') +
          (aeProgress ? ` | Android Enterprise ${androidEnterpriseProgress(aeProgress)}` : ''));
        return (iosProgress?.idle ?? true) && (windowsProgress?.idle ?? true) && (knoxProgress?.idle ?? true) && (aeProgress ? androidEnterpriseIdle(aeProgress) : true);
      },
    });
    ios?.stop();
    windows?.stop();
    knox?.stop();
    androidEnterprise?.stop();
    const knoxFinal = knox?.snapshot();
    const iosFinal = ios?.snapshot();
    const windowsFinal = windows?.snapshot();
    const aeFinal = androidEnterprise?.snapshot();
    write(`Stopped (${reason === 'idle' ? 'idle' : 'interrupted'}):` +
      (iosFinal ? ` ${iosFinal.checkedIn} of ${iosFinal.target} iPhones checked in, ${iosFinal.profilesInstalled} profiles installed, ${iosFinal.failed} commands failed;` : '') +
      (windowsFinal ? ` ${windowsFinal.enrolled} of ${windowsFinal.target} PCs enrolled, ${windowsFinal.sessions} sessions (${windowsFinal.sessionsFailed} failed), ${windowsFinal.managedAccounts} accounts on the PCs, ${windowsFinal.violations} protocol violations.` : '') +
      (knoxFinal ? ` ${knoxFinal.enrolled} of ${knoxFinal.target} Knox devices enrolled, ${knoxFinal.managedAccounts} Envelope accounts on them.` : '') +
      (aeFinal ? ` ${aeFinal.enrolled} of ${aeFinal.target} work profiles enrolled (${aeFinal.withoutApp} without the mail app), ${aeFinal.policyPatches} policy patches, ${aeFinal.compliant} compliant with a mail app.` : ''));
    const firstEvent = events.first ?? (androidEnterprise?.lastError ? `Android Enterprise: ${androidEnterprise.lastError}` : undefined);
    if (reason === 'idle' && (iosFinal?.checkedIn ?? 0) === 0 && (windowsFinal?.enrolled ?? 0) === 0 && (knoxFinal?.enrolled ?? 0) === 0 && (aeFinal?.enrolled ?? 0) === 0) {
      throw new CliError(`No device enrolled${firstEvent ? `: ${firstEvent}` : '.'}`, 1);
    }
  } finally {
    for (const close of closers.reverse()) await close();
  }
}

type IosProgress = import('../../sim/ios/fleet.ts').FleetProgress;
type WindowsProgress = import('../../sim/windows/fleet.ts').WindowsFleetProgress;

/** One line for both fleets: enrollment, check-ins or sessions, installs, pushes, and each fleet's request rate and latency. */
export function mixProgressLine(seconds: number, ios: IosProgress | null, windows: WindowsProgress | null): string {
  const latency = (p50: number | null, p95: number | null) => (p50 === null ? 'no requests' : `p50 ${p50} ms p95 ${p95} ms`);
  const parts = [`[${seconds}s]`];
  if (ios) {
    parts.push(`iOS enrolled ${ios.enrolled}/${ios.target} (failed ${ios.enrollFailed}) checked in ${ios.checkedIn} · installed ${ios.profilesInstalled} removed ${ios.profilesRemoved} · ack ${ios.acknowledged} error ${ios.failed}` +
      ` · pushes ${ios.pushes} · ${ios.requestsPerSecond} req/s ${latency(ios.latencyP50Ms, ios.latencyP95Ms)} (failed ${ios.requestsFailed})`);
  }
  if (windows) {
    parts.push(`Windows enrolled ${windows.enrolled}/${windows.target} (failed ${windows.enrollFailed}) · sessions ${windows.sessions} (failed ${windows.sessionsFailed}, violations ${windows.violations})` +
      ` · accounts ${windows.managedAccounts} · statuses ok ${windows.succeeded} failed ${windows.failed} · pushes ${windows.pushes}` +
      ` · ${windows.requestsPerSecond} req/s ${latency(windows.latencyP50Ms, windows.latencyP95Ms)} (failed ${windows.requestsFailed})`);
  }
  return parts.join(' | ');
}
