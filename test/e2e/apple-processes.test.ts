import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request as httpsRequest } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { decodeCommandResult } from '../../src/protocols/apple-mdm/index.ts';
import type { DeviceHttp } from '../../sim/ios/device-http.ts';
import type { SimulatedIphone } from '../../sim/ios/simulated-iphone.ts';
import type { Reply } from '../helpers/test-app.ts';
import { adminHelpers, createE2ePki, deviceHttpFor, enrollIphoneAt, freePort, type E2ePki } from '../helpers/https-envelope.ts';
import { startServeProcess, stopProcess, type ServeProcess } from '../helpers/serve-process.ts';
import { createServerDatabase } from '../helpers/test-db.ts';

const cli = join(import.meta.dirname, '..', '..', 'src', 'cli', 'main.ts');
const serverUrl = process.env.TEST_DATABASE_URL;

/** Admin requests to a server process over HTTPS. */
function adminClient(origin: string, token: string, caPem: string) {
  return (method: string, path: string, body?: unknown): Promise<Reply> =>
    new Promise((resolve, reject) => {
      const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
      const req = httpsRequest(`${origin}${path.replace(/ /g, '%20')}`, {
        method,
        ca: caPem,
        headers: { authorization: `Bearer ${token}`, ...(payload ? { 'content-type': 'application/json', 'content-length': payload.length } : {}) },
      }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString();
          resolve({ status: res.statusCode ?? 0, body: (res.headers['content-type'] ?? '').includes('json') && text ? JSON.parse(text) : text, raw: undefined as never });
        });
      });
      req.on('error', reject);
      req.end(payload);
    });
}

/**
 * Real `envelope serve` processes: killed with SIGKILL between handing out a command and receiving
 * its acknowledgement, and (PostgreSQL) two processes serving one fleet.
 */
describe('Apple delivery across server processes', () => {
  let pki: E2ePki;
  let dir: string;
  let database: { url: string; drop(): Promise<void> } | null = null;
  const adminToken = `env_test_${randomBytes(24).toString('base64url')}`;
  const children: ServeProcess<true>[] = [];

  before(async () => {
    pki = await createE2ePki();
    dir = mkdtempSync(join(tmpdir(), 'envelope-e2e-processes-'));
    writeFileSync(join(dir, 'tls.pem'), pki.tls.certificatePem);
    writeFileSync(join(dir, 'tls.key'), pki.tls.privateKeyPem);
    if (serverUrl) database = await createServerDatabase(serverUrl);
  });
  after(async () => {
    for (const child of children) if (child.process.exitCode === null && child.process.signalCode === null) await stopProcess(child.process, 'SIGKILL');
    await database?.drop();
    rmSync(dir, { recursive: true, force: true });
  });

  const secretKey = randomBytes(32).toString('base64');
  async function serve(port: number, publicPort = port): Promise<ServeProcess<true>> {
    const env = {
      ...process.env,
      PORT: String(port),
      HOST: '127.0.0.1',
      ENVELOPE_PUBLIC_URL: `https://127.0.0.1:${publicPort}`,
      ENVELOPE_TLS_CERT: join(dir, 'tls.pem'),
      ENVELOPE_TLS_KEY: join(dir, 'tls.key'),
      ENVELOPE_SECRET_KEY: secretKey,
      ENVELOPE_ADMIN_TOKEN: adminToken,
      ENVELOPE_DATA_DIR: join(dir, 'data'),
      // Nothing listens there: pushes fail and are retried; these devices are driven by the test.
      ENVELOPE_APNS_URL: 'https://127.0.0.1:9',
      DATABASE_URL: database?.url ?? '',
      LOG_LEVEL: 'warn',
      LOG_FORMAT: 'json',
    };
    const child = await startServeProcess(cli, env, (output) => (/listening on https:/.test(output) ? true : undefined), { timeoutMs: 90_000 });
    children.push(child);
    return child;
  }

  it('a server killed with SIGKILL between a command and its acknowledgement loses nothing and applies nothing twice', async () => {
    const port = await freePort();
    const origin = `https://127.0.0.1:${port}`;
    let server = await serve(port);
    const admin = adminHelpers(adminClient(origin, adminToken, pki.tlsCa.certificatePem) as never);
    await admin.uploadPushCertificate(pki.push);
    const userId = await admin.user('kim@contoso.com');
    const groupId = await admin.group('Kim', [userId]);
    const enrollmentUrl = await admin.enrollmentToken(userId);

    let network = deviceHttpFor(pki);
    let killed = false;
    const http: DeviceHttp = async (request) => {
      if (!killed && request.body && request.url.endsWith('/mdm/apple/server') && decodeCommandResult(request.body).Status === 'Acknowledged') {
        killed = true;
        // The install was handed out by this process; it dies before the device's answer arrives.
        await stopProcess(server.process, 'SIGKILL');
        server = await serve(port);
        network = deviceHttpFor(pki); // the old process's keep-alive sockets are gone
      }
      return network(request);
    };
    const iphone: SimulatedIphone = await enrollIphoneAt(enrollmentUrl, http);
    const deviceId = await admin.managedDeviceIdOf(iphone.hardware.SerialNumber);
    const profileId = await admin.mailProfile('Kim mail', 'kim.contoso.com');
    await admin.assign(profileId, [groupId]);

    const report = await iphone.runCommandLoop();
    assert.ok(killed, 'the server was killed mid-exchange');
    assert.equal(report.ended, 'idle', JSON.stringify(report));
    const installed = iphone.profiles().filter((p) => p.PayloadIdentifier.includes(profileId));
    assert.equal(installed.length, 1);
    assert.equal(installed[0]!.installCount, 1, 'installed once, not again after the restart');
    assert.equal(iphone.accounts().length, 1);
    const status = await admin.deviceStatus(profileId, deviceId);
    assert.equal(status.status, 'compliant');
    assert.equal(status.attempts, 1);
    await stopProcess(server.process);
  });

  it('two processes on one PostgreSQL serve one fleet: every device installs once, both processes serve', { skip: serverUrl ? false : 'PostgreSQL only: set TEST_DATABASE_URL' }, async () => {
    const [portA, portB] = [await freePort(), await freePort()];
    const origin = `https://127.0.0.1:${portA}`;
    const a = await serve(portA);
    const b = await serve(portB, portA);
    const client = adminClient(origin, adminToken, pki.tlsCa.certificatePem);
    const admin = adminHelpers(client as never);
    const users = await Promise.all(Array.from({ length: 12 }, (_, i) => admin.user(`fleet${i}@contoso.com`)));
    const groupId = await admin.group('Fleet', users);
    const network = deviceHttpFor(pki);
    const served = new Map([[portA, 0], [portB, 0]]);
    let turn = 0;
    // Each request goes to either process, as a load balancer would send it.
    const http: DeviceHttp = (request) => {
      const port = turn++ % 2 === 0 ? portA : portB;
      served.set(port, (served.get(port) ?? 0) + 1);
      return network({ ...request, url: request.url.replace(`:${portA}/`, `:${port}/`) });
    };
    const iphones = [];
    for (const userId of users) iphones.push(await enrollIphoneAt(await admin.enrollmentToken(userId), http));
    const profileId = await admin.mailProfile('Fleet mail', 'fleet.contoso.com');
    await admin.assign(profileId, [groupId]);
    // All at once, and each device twice concurrently (a push and a poll racing).
    const reports = await Promise.all(iphones.flatMap((iphone) => [iphone.runCommandLoop(), iphone.runCommandLoop()]));
    for (const report of reports) assert.notEqual(report.ended, 'http-status', JSON.stringify(report));
    await Promise.all(iphones.map((iphone) => iphone.runCommandLoop()));
    for (const iphone of iphones) {
      const installed = iphone.profiles().filter((p) => p.PayloadIdentifier.includes(profileId));
      assert.equal(installed.length, 1);
      assert.equal(iphone.accounts().length, 1);
    }
    const overview = await client('GET', `/graph/beta/deviceManagement/deviceConfigurations/${profileId}/deviceStatusOverview`);
    assert.equal(overview.body.successCount, iphones.length, JSON.stringify(overview.body));
    assert.equal(overview.body.pendingCount, 0);
    assert.ok((served.get(portA) ?? 0) > 10 && (served.get(portB) ?? 0) > 10, JSON.stringify([...served]));
    await Promise.all([stopProcess(a.process), stopProcess(b.process)]);
  });
});
