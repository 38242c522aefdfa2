import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';

const cli = join(import.meta.dirname, '..', '..', 'src', 'cli', 'main.ts');
const env = { ...process.env, DATABASE_URL: '' };

/** A GET with a bearer token over HTTPS trusting the demo's CA. */
function get(url: string, token: string, ca: string): Promise<{ status: number; body: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: 'GET', ca, headers: { authorization: `Bearer ${token}` } }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, body: JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}') as Record<string, unknown> }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('envelope demo', () => {
  it('refuses a --data directory that is not empty and sizes out of range, exit 2 with one line', () => {
    const dir = mkdtempSync(join(tmpdir(), 'envelope-demo-test-'));
    try {
      writeFileSync(join(dir, 'something'), 'x');
      for (const [args, named] of [[['--data', dir], '--data'], [['--devices', '0'], 'devices'], [['--users', 'many'], 'users']] as const) {
        const result = spawnSync(process.execPath, [cli, 'demo', ...args], { encoding: 'utf8', timeout: 60_000, env });
        assert.equal(result.status, 2, result.stderr);
        assert.equal(result.stderr.trimEnd().split('\n').length, 1, result.stderr);
        assert.ok(result.stderr.includes(named), result.stderr);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('runs a small seeded tenant whose simulated devices reach succeeded and raise the alerts, prints a working portal link, and stops cleanly', { timeout: 240_000 }, async () => {
    const child = spawn(process.execPath, [cli, 'demo', '--users', '10', '--devices', '20', '--port', '0'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
    const waitFor = async <T>(what: string, probe: () => Promise<T | null> | T | null, timeoutMs = 150_000): Promise<T> => {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const value = await probe();
        if (value !== null) return value;
        assert.ok(Date.now() < deadline, `timed out waiting for ${what}\n${stdout}\n${stderr}`);
        assert.equal(child.exitCode, null, `the demo exited early:\n${stdout}\n${stderr}`);
        await new Promise((resolve) => setTimeout(resolve, 500));
      }
    };
    let dataDir: string | undefined;
    try {
      const origin = await waitFor('the console address', () => /Console: +(https:\/\/127\.0\.0\.1:\d+)\//.exec(stdout)?.[1] ?? null);
      const caFile = /certificate from the demo's CA: (\S+demo-ca\.pem)\)/.exec(stdout)![1]!;
      dataDir = join(caFile, '..');
      const ca = readFileSync(caFile, 'utf8');
      const token = /Admin token: +(env_\S+)/.exec(stdout)![1]!;
      const devicesLine = await waitFor('the seeded tenant', () => /Devices: +.*/.exec(stdout)?.[0] ?? null);
      assert.equal(devicesLine, 'Devices:      2 iPhones, 4 Windows PCs, 8 Samsung Knox, 6 Android Enterprise work profiles');

      const summary = await waitFor('every device reaching succeeded but the two the demo blocks', async () => {
        const reply = await get(`${origin}/graph/beta/deviceManagement/deviceConfigurationDeviceStateSummaries`, token, ca);
        assert.equal(reply.status, 200);
        // 2 iPhones × 2 profiles (identity and mail), 4 PCs, 8 Knox, 6 work profiles; one iPhone's mail and one work profile's Gmail are not.
        return (reply.body.compliantDeviceCount as number) >= 20 ? reply.body : null;
      });
      assert.equal(summary.compliantDeviceCount, 20, JSON.stringify(summary));
      const alerts = await waitFor('the alerts', async () => {
        const value = (await get(`${origin}/graph/beta/envelope/alerts`, token, ca)).body.value as { kind: string; affectedCount: number }[];
        const kinds = Object.fromEntries(value.map((a) => [a.kind, a.affectedCount]));
        return kinds.duplicateAccountBlocks && kinds.androidAppNotInstalled ? kinds : null;
      });
      assert.equal(alerts.duplicateAccountBlocks, 1, 'the iPhone with a hand-made account');
      assert.equal(alerts.androidAppNotInstalled, 1, 'the work profile without Gmail');
      const overviews = (await get(`${origin}/graph/beta/deviceManagement/deviceConfigurations?$top=10`, token, ca)).body.value as { id: string; displayName: string }[];
      assert.equal(overviews.length, 5);

      const portal = await waitFor('the portal link', () => /Portal link: +(https:\/\/\S+#t=(ptl_\S+))/.exec(stdout));
      const me = await get(`${origin}/portal/api/me`, portal[2]!, ca);
      assert.equal(me.status, 200, JSON.stringify(me.body));
      const devices = me.body.devices as { condition: string; profiles: { reasonCode: string }[] }[];
      assert.ok(devices.some((d) => d.condition === 'actionNeeded' && d.profiles.some((p) => p.reasonCode === 'duplicateAccount')), JSON.stringify(devices));

      child.kill('SIGTERM');
      assert.equal(await exited, 0, stderr);
      assert.match(stdout, /Stopping the demo \(SIGTERM\)/);
      assert.equal(existsSync(dataDir), false, 'the temporary directory is deleted');
    } finally {
      if (child.exitCode === null) {
        child.kill('SIGKILL');
        // Killed, the demo cannot delete its temporary directory.
        if (dataDir) rmSync(dataDir, { recursive: true, force: true });
      }
    }
  });
});
