import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { simulateAndroidEnterpriseCommand } from '../../src/cli/simulate-android-enterprise-command.ts';
import { createEnvelope } from '../../src/main.ts';
import { serviceAccountKeyFile } from '../helpers/amapi-e2e.ts';
import { adminRequester, freePort } from '../helpers/https-envelope.ts';
import { openTestDb } from '../helpers/test-db.ts';

const cli = join(import.meta.dirname, '..', '..', 'src', 'cli', 'main.ts');

describe('envelope simulate android-enterprise', () => {
  const run = (args: string[]) => spawnSync(process.execPath, [cli, 'simulate', 'android-enterprise', ...args], { encoding: 'utf8', timeout: 60_000, env: { ...process.env, DATABASE_URL: '' } });

  it('documents every option in --help and names the option of each argument error', () => {
    const help = run(['--help']);
    assert.equal(help.status, 0, help.stderr);
    for (const option of ['--devices <n>', '--server <url>', '--enroll-token <token>', '--service-account-key <file>', '--push-url <url>', '--missing-app <percent>', '--install-after <seconds>', '--amapi-port <port>', '--quota <n>', '--server-ca <file>', '--concurrency <n>', '--exit-when-idle']) {
      assert.ok(help.stdout.includes(option), option);
    }
    const required = ['--server', 'http://127.0.0.1:1', '--enroll-token', 'enr_x', '--service-account-key', '/nonexistent.json', '--push-url', 'http://127.0.0.1:1/mdm/android/enterprise/pubsub?token=x'];
    for (const [args, named] of [
      [['--devices', '0', ...required], '--devices'],
      [['--devices', '2', ...required.slice(0, 6), '--push-url', 'http://127.0.0.1:1/no-token'], '--push-url'],
      [['--devices', '2', '--missing-app', '101', ...required], '--missing-app'],
      [['--devices', '2', ...required], '--service-account-key'],
    ] as const) {
      const result = run([...args]);
      assert.equal(result.status, 2, `${args.join(' ')}: ${result.stderr}`);
      assert.ok(result.stderr.includes(named), `${named}: ${result.stderr}`);
    }
  });

  it('enrolls work profiles through a real server; those with Gmail report compliant, those without say it is missing', async () => {
    const amapiPort = await freePort();
    const testDb = await openTestDb();
    const adminToken = `env_test_${randomBytes(24).toString('base64url')}`;
    const envelope = await createEnvelope({ db: testDb.db, secretKey: randomBytes(32), adminToken, logger: false, publicUrl: 'http://127.0.0.1', wake: { pollIntervalMs: 50 }, amapi: { url: `http://127.0.0.1:${amapiPort}/`, sync: { pollIntervalMs: 50 } } });
    try {
      await envelope.app.listen({ port: 0, host: '127.0.0.1' });
      const origin = `http://127.0.0.1:${(envelope.app.server.address() as AddressInfo).port}`;
      envelope.wakeWorker.start();
      envelope.amapiSync.start();
      const request = adminRequester(() => envelope.app, adminToken);
      const key = serviceAccountKeyFile();
      const keyFile = join(mkdtempSync(join(tmpdir(), 'envelope-amapi-sim-')), 'key.json');
      writeFileSync(keyFile, key.json);
      const settings = (await request('PUT', '/graph/beta/envelope/androidEnterpriseSettings', { enterpriseName: 'enterprises/LC0sim', serviceAccountKey: key.json })).body;
      const userId = (await request('POST', '/graph/beta/users', { displayName: 'Sim', userPrincipalName: 'sim@contoso.com', mail: 'sim@contoso.com' })).body.id;
      const groupId = (await request('POST', '/graph/beta/groups', { displayName: 'Sim phones', 'members@odata.bind': [`https://graph.microsoft.com/beta/users/${userId}`] })).body.id;
      const profileId = (await request('POST', '/graph/beta/deviceManagement/deviceConfigurations', {
        '@odata.type': '#microsoft.graph.androidWorkProfileGmailEasConfiguration', displayName: 'Sim Gmail', hostName: 'mail.contoso.com', authenticationMethod: 'usernameAndPassword',
        usernameSource: 'userPrincipalName', emailAddressSource: 'userPrincipalName', requireSsl: true, durationOfEmailToSync: 'oneWeek',
      })).body.id;
      assert.equal((await request('POST', `/graph/beta/deviceManagement/deviceConfigurations/${profileId}/assign`, { assignments: [{ target: { '@odata.type': '#microsoft.graph.groupAssignmentTarget', groupId } }] })).status, 200);
      const token = (await request('POST', '/graph/beta/envelope/enrollmentTokens', { userId, platform: 'Android', maxDevices: 4 })).body.token;

      const lines: string[] = [];
      const out = new Writable({ write(chunk, _encoding, done) { lines.push(chunk.toString()); done(); } });
      await simulateAndroidEnterpriseCommand({
        devices: 4, server: origin, enrollToken: token, serviceAccountKey: keyFile, pushUrl: (settings.pubsubPushUrl as string).replace('http://127.0.0.1', origin),
        missingApp: 50, amapiPort, concurrency: 2, exitWhenIdle: true,
      }, out);
      const text = lines.join('');
      assert.match(text, /Stopped \(idle\): 4 of 4 work profiles enrolled/);
      const states = await testDb.db.query<{ state: string; last_error_code: string | null }>('SELECT state, last_error_code FROM delivery_ledger WHERE profile_id = $1 ORDER BY state', [profileId]);
      assert.deepEqual(states.map((row) => row.state === 'verified' ? 'succeeded' : row.state).sort(), ['error', 'error', 'succeeded', 'succeeded']);
      assert.deepEqual(states.filter((row) => row.state === 'error').map((row) => row.last_error_code), ['APP_NOT_INSTALLED', 'APP_NOT_INSTALLED']);
    } finally {
      await envelope.amapiSync.stop();
      await envelope.wakeWorker.stop();
      envelope.app.server.closeAllConnections();
      await envelope.app.close();
      await testDb.dispose();
    }
  });
});
