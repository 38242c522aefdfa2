import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import type { Envelope } from '../../src/main.ts';
import { deviceToken } from '../../src/protocols/apns/test-support/apns-fixture.ts';
import type { Db } from '../../src/store/db.ts';
import { migrate } from '../../src/store/postgres/migrate.ts';
import { openPostgresDb } from '../../src/store/postgres/pg-db.ts';
import { createServerDatabase } from '../helpers/test-db.ts';
import { drain, pushTenant, startApnsWorld, type ApnsWorld } from './push-fixture.ts';

const serverUrl = process.env.TEST_DATABASE_URL;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Two server processes (two Envelopes on two connection pools) working one PostgreSQL's wakes at once. */
describe('two wake workers on one PostgreSQL', { skip: serverUrl ? false : 'PostgreSQL only: set TEST_DATABASE_URL' }, () => {
  let world: ApnsWorld;
  let pools: Db[] = [];
  let drop: () => Promise<void>;
  let servers: [Envelope, Envelope];

  before(async () => {
    const database = await createServerDatabase(serverUrl!);
    drop = database.drop;
    pools = [openPostgresDb(database.url, { max: 4 }), openPostgresDb(database.url, { max: 4 })];
    await migrate(pools[0]!);
    world = await startApnsWorld();
    // Small pages given back after each one, so both workers take turns on the jobs.
    const secretKey = randomBytes(32);
    const wake = { pageSize: 20, pagesPerPoll: 1 };
    servers = [await world.envelope(pools[0]!, { secretKey, wake }), await world.envelope(pools[1]!, { secretKey, wake })];
  });
  after(async () => {
    for (const server of servers ?? []) await server.close().catch(() => undefined);
    await world?.close();
    await drop?.();
  });

  it('never push one page twice and together push every targeted device', async () => {
    const t = await pushTenant(servers[0], null);
    await t.uploadPushCertificate(world.ca);
    const tokens: string[] = [];
    const groups: string[] = [];
    for (const team of ['North', 'South']) {
      const user = await t.user(team);
      for (let i = 0; i < 150; i++) {
        const pushToken = deviceToken(5000 + tokens.length);
        tokens.push(pushToken);
        await t.iPhone(user, pushToken);
      }
      groups.push(await t.group(team, [user]));
    }
    await drain(servers[0]);
    world.pushes.length = 0;

    for (const server of servers) server.wakeWorker.start();
    const profiles = [await t.iosProfile('North mail'), await t.iosProfile('South mail')];
    await Promise.all(profiles.map((profile, i) => t.assign(profile, [groups[i]!])));
    for (let waited = 0; waited < 30_000; waited += 20) {
      const [left] = await pools[0]!.query<{ n: number }>('SELECT (SELECT count(*) FROM wake_fanouts)::int + (SELECT count(*) FROM wake_queue)::int AS n');
      if (left!.n === 0 && world.pushes.length >= tokens.length) break;
      await sleep(20);
    }
    await sleep(200);
    for (const server of servers) await server.wakeWorker.stop();

    assert.deepEqual(world.pushedTokens(), [...tokens].sort(), 'every device exactly once');
    const pages = await Promise.all(servers.map(async (server) => {
      const reply = await server.app.inject({ method: 'GET', url: '/metrics', headers: { authorization: `Bearer ${t.admin}` } });
      return Number(/envelope_wake_fanout_pages_total (\d+)/.exec(reply.body)?.[1]);
    }));
    assert.ok(pages.every((n) => n > 0), `both workers pushed pages (${pages.join(' and ')})`);
    assert.ok(pages[0]! + pages[1]! >= 300 / 20, 'all pages were pushed');
  });
});
