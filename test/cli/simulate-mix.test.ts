import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { loadOrCreateStandInPki } from '../../sim/ios/apns-standin-files.ts';
import { serviceAccountKeyFile } from '../helpers/amapi-e2e.ts';
import { createE2ePki, freePort, type E2ePki } from '../helpers/https-envelope.ts';
import { startWindowsEnvelope, type WindowsTestEnvelope } from '../helpers/windows-pc.ts';

const cli = join(import.meta.dirname, '..', '..', 'src', 'cli', 'main.ts');
const env = { ...process.env, DATABASE_URL: '' };

describe('envelope simulate mix', () => {
  const run = (args: string[]) => spawnSync(process.execPath, [cli, 'simulate', 'mix', ...args], { encoding: 'utf8', timeout: 60_000, env });
  const server = ['--server', 'https://127.0.0.1:1'];
  const tokens = ['--ios-enroll-token', 'enr_i', '--windows-enroll-token', 'enr_w', '--upn', 'jane@contoso.com'];

  it('documents every option in --help', () => {
    const help = run(['--help']);
    assert.equal(help.status, 0, help.stderr);
    for (const option of ['--ios <n>', '--windows <n>', '--server <url>', '--ios-enroll-token <token>', '--windows-enroll-token <token>', '--upn <upn>', '--pfn <name>', '--poll', '--server-ca <file>', '--apns-port <port>', '--wns-port <port>', '--concurrency <n>', '--out <dir>', '--exit-when-idle',
      '--knox <n>', '--knox-enroll-token <token>', '--fcm-port <port>', '--android-enterprise <n>', '--android-enterprise-enroll-token <token>', '--service-account-key <file>',
      '--push-url <url>', '--missing-app <percent>', '--install-after <seconds>', '--amapi-port <port>']) {
      assert.ok(help.stdout.includes(option), option);
    }
  });

  it('exits 2 with one line naming the option for each argument error', () => {
    for (const [args, named] of [
      [['--windows', '1', ...server, ...tokens], '--ios'],
      [['--ios', '1', ...server, ...tokens], '--windows'],
      [['--ios', 'some', '--windows', '1', ...server, ...tokens], '--ios'],
      [['--ios', '1', '--windows', '-1', ...server, ...tokens], '--windows'],
      [['--ios', '1', '--windows', '100001', ...server, ...tokens], '--windows'],
      [['--ios', '1', '--windows', '1', ...tokens], '--server'],
      [['--ios', '1', '--windows', '1', '--server', 'ftp://x', ...tokens], '--server'],
      [['--ios', '0', '--windows', '0', ...server, ...tokens], '--ios, --windows, --knox and --android-enterprise are all 0'],
      [['--ios', '0', '--windows', '0', '--android-enterprise', '2', ...server, '--service-account-key', '/k.json', '--push-url', 'https://127.0.0.1:1/p?token=x'], '--android-enterprise-enroll-token'],
      [['--ios', '0', '--windows', '0', '--android-enterprise', '2', ...server, '--android-enterprise-enroll-token', 'enr_a', '--push-url', 'https://127.0.0.1:1/p?token=x'], '--service-account-key'],
      [['--ios', '0', '--windows', '0', '--android-enterprise', '2', ...server, '--android-enterprise-enroll-token', 'enr_a', '--service-account-key', '/k.json'], '--push-url'],
      [['--ios', '0', '--windows', '0', '--android-enterprise', '2', ...server, '--android-enterprise-enroll-token', 'enr_a', '--service-account-key', '/nonexistent/k.json', '--push-url', 'https://127.0.0.1:1/p?token=x'], '--service-account-key'],
      [['--ios', '0', '--windows', '0', '--android-enterprise', '2', ...server, '--android-enterprise-enroll-token', 'enr_a', '--service-account-key', '/k.json', '--push-url', 'https://127.0.0.1:1/no-token'], '--push-url'],
      [['--ios', '0', '--windows', '0', '--android-enterprise', '2', ...server, '--android-enterprise-enroll-token', 'enr_a', '--service-account-key', '/k.json', '--push-url', 'https://127.0.0.1:1/p?token=x', '--missing-app', '120'], '--missing-app'],
      [['--ios', '2', '--windows', '0', ...server], '--ios-enroll-token'],
      [['--ios', '0', '--windows', '2', ...server, '--upn', 'jane@contoso.com'], '--windows-enroll-token'],
      [['--ios', '0', '--windows', '2', ...server, '--windows-enroll-token', 'enr_w'], '--upn'],
      [['--ios', '1', '--windows', '1', ...server, ...tokens.slice(0, 4), '--upn', 'not-a-upn'], '--upn'],
      [['--ios', '1', '--windows', '1', ...server, ...tokens, '--pfn', 'no-publisher-id'], '--pfn'],
      [['--ios', '1', '--windows', '1', ...server, ...tokens, '--wns-port', '70000'], '--wns-port'],
      [['--ios', '1', '--windows', '1', ...server, ...tokens, '--apns-port', 'x'], '--apns-port'],
      [['--ios', '1', '--windows', '1', ...server, ...tokens, '--concurrency', '0'], '--concurrency'],
      [['--ios', '1', '--windows', '1', ...server, ...tokens, '--server-ca', '/nonexistent/ca.pem'], '--server-ca'],
    ] as const) {
      const result = run([...args]);
      assert.equal(result.status, 2, `${args.join(' ')}: ${result.stderr}`);
      assert.equal(result.stderr.trimEnd().split('\n').length, 1, result.stderr);
      assert.ok(result.stderr.includes(named), `${named}: ${result.stderr}`);
    }
  });

  it('exits 1 naming the cause when no device of either platform could enroll', () => {
    const dir = mkdtempSync(join(tmpdir(), 'envelope-simulate-mix-'));
    try {
      const result = run(['--ios', '1', '--windows', '1', ...server, ...tokens, '--out', dir, '--apns-port', '0', '--exit-when-idle']);
      assert.equal(result.status, 1, result.stderr);
      assert.match(result.stdout, /APNs stand-in listening on https:\/\/127\.0\.0\.1:\d+/);
      assert.match(result.stdout, /WNS stand-in listening on https:\/\/127\.0\.0\.1:\d+/);
      assert.match(result.stdout, /ENVELOPE_APNS_URL=https:\/\/\S+ ENVELOPE_APNS_CA=\S+apns-ca\.pem ENVELOPE_WNS_URL=https:\/\/\S+ ENVELOPE_WNS_CA=\S+apns-ca\.pem/);
      assert.match(result.stdout, /iOS enrolled 0\/1 \(failed 1\).* \| Windows enrolled 0\/1 \(failed 1\)/);
      assert.match(result.stderr, /^envelope: No device enrolled: (iOS|Windows): enrollment failed: .*ECONNREFUSED/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  describe('against a server over HTTPS', () => {
    let pki: E2ePki;
    let envelope: WindowsTestEnvelope;
    let dir: string;
    const ids: Record<string, string> = {};

    let amapiPort: number;
    before(async () => {
      pki = await createE2ePki();
      // The AMAPI stand-in the command starts listens on a port the server is told in advance (ENVELOPE_AMAPI_URL).
      amapiPort = await freePort();
      envelope = await startWindowsEnvelope({ pki, amapi: { url: `http://127.0.0.1:${amapiPort}/`, clientOptions: { quotaBackoffMs: 300 }, sync: { pollIntervalMs: 50, retryAfterMs: 200 } } });
      envelope.envelope.wakeWorker.start();
      envelope.envelope.amapiSync.start();
      dir = mkdtempSync(join(tmpdir(), 'envelope-simulate-mix-'));
      writeFileSync(join(dir, 'server-ca.pem'), pki.tlsCa.certificatePem);
      // The push certificate the command's APNs stand-in will use (it reuses the files in --out).
      const standIn = await loadOrCreateStandInPki(dir);
      const ok = async (method: 'POST' | 'PUT', url: string, body: unknown, status: number) => {
        const reply = await envelope.request(method, url, body);
        assert.equal(reply.status, status, JSON.stringify(reply.body));
        return reply.body as Record<string, string>;
      };
      await ok('PUT', '/graph/beta/envelope/applePushCertificate', { certificate: standIn.push.certificatePem, privateKey: standIn.push.privateKeyPem }, 200);
      const user = await ok('POST', '/graph/beta/users', { displayName: 'Jane', userPrincipalName: 'jane@contoso.com', mail: 'jane@contoso.com' }, 201);
      const group = await ok('POST', '/graph/beta/groups', { displayName: 'Mixed', 'members@odata.bind': [`https://graph.microsoft.com/beta/users/${user.id}`] }, 201);
      const mail = { accountName: 'Mail', hostName: 'mail.contoso.com', usernameSource: 'userPrincipalName', emailAddressSource: 'userPrincipalName', requireSsl: true, durationOfEmailToSync: 'oneWeek' };
      const iosProfile = await ok('POST', '/graph/beta/deviceManagement/deviceConfigurations', { '@odata.type': '#microsoft.graph.iosEasEmailProfileConfiguration', displayName: 'iOS mail', ...mail }, 201);
      const windowsProfile = await ok('POST', '/graph/beta/deviceManagement/deviceConfigurations', { '@odata.type': '#microsoft.graph.windows10EasEmailProfileConfiguration', displayName: 'Windows mail', emailSyncSchedule: 'asMessagesArrive', ...mail }, 201);
      const gmailProfile = await ok('POST', '/graph/beta/deviceManagement/deviceConfigurations', {
        '@odata.type': '#microsoft.graph.androidWorkProfileGmailEasConfiguration', displayName: 'Work profile Gmail', hostName: 'mail.contoso.com', authenticationMethod: 'usernameAndPassword',
        usernameSource: 'userPrincipalName', emailAddressSource: 'userPrincipalName', requireSsl: true, durationOfEmailToSync: 'oneWeek',
      }, 201);
      ids.iosProfile = iosProfile.id!;
      ids.windowsProfile = windowsProfile.id!;
      ids.gmailProfile = gmailProfile.id!;
      // Android Enterprise: the customer's service-account key (the stand-in accepts its grants) and the Pub/Sub push URL.
      const key = serviceAccountKeyFile();
      writeFileSync(join(dir, 'service-account.json'), key.json);
      ids.pushUrl = (await ok('PUT', '/graph/beta/envelope/androidEnterpriseSettings', { enterpriseName: 'enterprises/LC0mix', serviceAccountKey: key.json, mailAppInstallType: 'AVAILABLE' }, 200)).pubsubPushUrl!;
      for (const profile of [iosProfile, windowsProfile, gmailProfile]) {
        await ok('POST', `/graph/beta/deviceManagement/deviceConfigurations/${profile.id}/assign`, { assignments: [{ target: { '@odata.type': '#microsoft.graph.groupAssignmentTarget', groupId: group.id } }] }, 200);
      }
      ids.ios = (await ok('POST', '/graph/beta/envelope/enrollmentTokens', { userId: user.id, platform: 'iOS', maxDevices: 2 }, 201)).token!;
      ids.windows = (await ok('POST', '/graph/beta/envelope/enrollmentTokens', { userId: user.id, platform: 'Windows', maxDevices: 2 }, 201)).token!;
      ids.android = (await ok('POST', '/graph/beta/envelope/enrollmentTokens', { userId: user.id, platform: 'Android', maxDevices: 2 }, 201)).token!;
    });
    after(async () => {
      await envelope?.envelope.amapiSync.stop();
      await envelope?.envelope.wakeWorker.stop();
      await envelope?.close();
      if (dir) rmSync(dir, { recursive: true, force: true });
    });

    it('enrolls every fleet, installs each platform\'s profile, and reports them on one line until idle', { timeout: 120_000 }, async () => {
      const child = spawn(process.execPath, [cli, 'simulate', 'mix', '--ios', '2', '--windows', '2', '--server', envelope.origin,
        '--ios-enroll-token', ids.ios!, '--windows-enroll-token', ids.windows!, '--upn', 'jane@contoso.com',
        // Two work profiles, one without Gmail that installs it two seconds after enrolling.
        '--android-enterprise', '2', '--android-enterprise-enroll-token', ids.android!, '--service-account-key', join(dir, 'service-account.json'), '--push-url', ids.pushUrl!,
        '--missing-app', '50', '--install-after', '2', '--amapi-port', String(amapiPort),
        '--server-ca', join(dir, 'server-ca.pem'), '--out', dir, '--apns-port', '0', '--exit-when-idle'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
      child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
      const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
      assert.equal(code, 0, `${stderr}\n${stdout}`);
      const progress = stdout.split('\n').filter((line) => line.startsWith('['));
      assert.ok(progress.length > 0, stdout);
      assert.match(stdout, new RegExp(`ENVELOPE_AMAPI_URL=http://127\\.0\\.0\\.1:${amapiPort}/`));
      assert.match(progress.at(-1)!, /iOS enrolled 2\/2 \(failed 0\) checked in 2 · installed 2 .* \| Windows enrolled 2\/2 \(failed 0\) · sessions \d+ \(failed 0, violations 0\) · accounts 2 .* \| Android Enterprise enrolled 2\/2 \(failed 0, without app 0\) .* compliant with mail 2 /);
      // The work profile without Gmail first said so, then (installed) reported compliant.
      assert.ok(progress.some((line) => /Android Enterprise enrolled \d\/2 \(failed 0, without app 1\)/.test(line)), stdout);
      assert.match(stdout, /Stopped \(idle\): 2 of 2 iPhones checked in, 2 profiles installed, 0 commands failed; 2 of 2 PCs enrolled, \d+ sessions \(0 failed\), 2 accounts on the PCs, 0 protocol violations\. 2 of 2 work profiles enrolled \(0 without the mail app\), \d+ policy patches, 2 compliant with a mail app\./);
      const rows = await envelope.query<{ state: string; code: string | null }>("SELECT state, last_error_code AS code FROM delivery_ledger WHERE profile_id = $1 AND state <> 'notApplicable'", [ids.gmailProfile]);
      assert.deepEqual(rows.map((row) => (row.state === 'verified' ? 'succeeded' : row.state)), ['succeeded', 'succeeded'], JSON.stringify(rows));
      // The server's own view: each profile succeeded on its platform's two devices.
      for (const profileId of [ids.iosProfile, ids.windowsProfile, ids.gmailProfile]) {
        const overview = await envelope.request('GET', `/graph/beta/deviceManagement/deviceConfigurations/${profileId}/deviceStatusOverview`);
        assert.equal(overview.body.successCount, 2, JSON.stringify(overview.body));
      }
    });
  });
});
