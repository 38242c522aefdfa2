import { randomBytes, randomUUID } from 'node:crypto';
import { uuidBytes } from '../src/domain/name-based-uuid.ts';
import { parseProfileCreate } from '../src/domain/profiles/index.ts';
import { AssignmentService } from '../src/services/assignments/assignment-service.ts';
import { TenantCaService } from '../src/services/certificates/tenant-ca.ts';
import { ProfileService } from '../src/services/profiles/profile-service.ts';
import { envelopeUuidNamespace } from '../src/services/rendering/render-inputs.ts';
import { DryRunService, type DryRunResult } from '../src/services/safe-changes/dry-run-service.ts';
import { SecretBox } from '../src/services/secrets/secret-box.ts';
import { DryRunStore } from '../src/store/postgres/dry-run-store.ts';
import { migrate } from '../src/store/postgres/migrate.ts';
import { createStores, createTransactor } from '../src/store/postgres/stores.ts';
import { openBenchDb } from './bench-database.ts';
import { machineLine, median } from './machine.ts';
import { seedDirectory } from './targeting-sql.ts';

const group = (groupId: string) => ({ target: { '@odata.type': '#microsoft.graph.groupAssignmentTarget', groupId } });
const exclude = (groupId: string) => ({ target: { '@odata.type': '#microsoft.graph.exclusionGroupAssignmentTarget', groupId } });
const allUsers = { target: { '@odata.type': '#microsoft.graph.allLicensedUsersAssignmentTarget' } };
const allDevices = { target: { '@odata.type': '#microsoft.graph.allDevicesAssignmentTarget' } };
const email = (type: string, displayName: string, hostName: string) => ({
  '@odata.type': `#microsoft.graph.${type}`, displayName, accountName: displayName, hostName,
  usernameSource: 'userPrincipalName', emailAddressSource: 'userPrincipalName', requireSsl: true, durationOfEmailToSync: 'oneWeek',
  ...(type.startsWith('windows') ? { emailSyncSchedule: 'asMessagesArrive' } : {}),
});

export interface DryRunBenchResult {
  backend: string;
  /** Median ms of each dry run, with what it found. */
  runs: { name: string; ms: number; result: DryRunResult }[];
  /** getTargetedUsersAndDevices of the same profile (the existing SQL resolver over the same scope). */
  targetingMs: number;
  /** One query fetching every device's id and name. */
  ceilingMs: number;
  peakRssMb: number;
}

/**
 * The dry run over the targeting benchmark's tenant (100,000 devices, two thirds iOS, one third
 * Windows, every tenth without a primary user; 60,000 users in 2 of 50 groups each) with four
 * assigned profiles: an iOS mail profile P (two include groups, one exclusion, all devices — every
 * device in scope), a Windows mail profile (all users), an iOS profile on another host (one group)
 * and a duplicate of P's host, unassigned. Dry runs: P's assignment to all users instead; a PATCH of
 * P (every device updates); the duplicate assigned to one group (conflicts). Median of 3 each,
 * beside `getTargetedUsersAndDevices` of P and the ceiling (one query fetching all devices' ids and
 * names). PGlite by default; `BENCH_DATABASE_URL` runs it on a new database on that server.
 */
export async function benchDryRun(databaseUrl: string | null = process.env.BENCH_DATABASE_URL ?? null): Promise<DryRunBenchResult> {
  const { db, drop } = await openBenchDb(databaseUrl);
  try {
    await migrate(db);
    const tenantId = randomUUID();
    await seedDirectory(db, tenantId);
    const stores = createStores(db);
    const transact = createTransactor(db);
    const groups = (await db.query<{ id: string }>(`SELECT id FROM groups WHERE tenant_id = $1 ORDER BY display_name`, [tenantId])).map((g) => g.id);
    const profile = async (body: Record<string, unknown>) => (await stores.profiles.insert(tenantId, randomUUID(), parseProfileCreate(body))).id;
    const assignments = new AssignmentService(stores, transact);
    const p = await profile(email('iosEasEmailProfileConfiguration', 'Mail', 'mail.contoso.com'));
    await assignments.assign(tenantId, p, { assignments: [group(groups[1]!), group(groups[2]!), exclude(groups[3]!), allDevices] });
    await assignments.assign(tenantId, await profile(email('windows10EasEmailProfileConfiguration', 'Windows mail', 'mail.contoso.com')), { assignments: [allUsers] });
    await assignments.assign(tenantId, await profile(email('iosEasEmailProfileConfiguration', 'Other', 'other.contoso.com')), { assignments: [group(groups[4]!)] });
    const duplicate = await profile(email('iosEasEmailProfileConfiguration', 'Mail duplicate', 'mail.contoso.com'));
    await db.exec('ANALYZE');

    const dryRun = new DryRunService({
      assignments,
      profiles: new ProfileService({ stores, transact, newId: randomUUID, tenantCa: new TenantCaService(stores.secrets, new SecretBox(randomBytes(32))) }),
      targeting: stores.targeting,
      store: new DryRunStore(db),
      uuidNamespace: uuidBytes(envelopeUuidNamespace),
      keepOnlyEmailProfile: true,
      now: Date.now,
    });
    const cases: { name: string; run: () => Promise<DryRunResult> }[] = [
      { name: 'assign P to all users instead', run: () => dryRun.assign(tenantId, p, { assignments: [allUsers] }, { top: 100 }) },
      { name: 'PATCH P (every device updates)', run: () => dryRun.update(tenantId, p, { '@odata.type': '#microsoft.graph.iosEasEmailProfileConfiguration', displayName: 'Mail v2' }, { top: 100 }) },
      { name: 'assign the duplicate to one group', run: () => dryRun.assign(tenantId, duplicate, { assignments: [group(groups[5]!)] }, { top: 100 }) },
    ];
    let peakRssMb = process.memoryUsage().rss;
    const sampler = setInterval(() => { peakRssMb = Math.max(peakRssMb, process.memoryUsage().rss); }, 5);
    const runs: DryRunBenchResult['runs'] = [];
    for (const c of cases) {
      const times: number[] = [];
      let result: DryRunResult | null = null;
      for (let round = 0; round < 3; round++) {
        const start = performance.now();
        result = await c.run();
        times.push(performance.now() - start);
      }
      runs.push({ name: c.name, ms: median(times), result: result! });
    }
    const targeting: number[] = [];
    const ceiling: number[] = [];
    for (let round = 0; round < 3; round++) {
      let start = performance.now();
      await assignments.targeted(tenantId, p);
      targeting.push(performance.now() - start);
      start = performance.now();
      await db.query(`SELECT id, device_name FROM managed_devices WHERE tenant_id = $1`, [tenantId]);
      ceiling.push(performance.now() - start);
    }
    clearInterval(sampler);
    return { backend: db.kind, runs, targetingMs: median(targeting), ceilingMs: median(ceiling), peakRssMb: Math.max(peakRssMb, process.memoryUsage().rss) / 2 ** 20 };
  } finally {
    await db.close();
    await drop();
  }
}


export function formatDryRunResult(r: DryRunBenchResult): string[] {
  return [
    ...r.runs.map(({ name, ms, result: d }) =>
      `dry run (${r.backend}), ${name}: ${ms.toFixed(0)} ms (median of 3); ${d.devicesEvaluated} devices evaluated — gain ${d.gain.count}, keep ${d.keep.count}, update ${d.update.count}, lose ${d.lose.count}, conflicts ${d.conflicts.count}, without primary user ${d.devicesWithoutPrimaryUser.count}, not applicable ${d.notApplicableCount}`),
    `dry run (${r.backend}): beside getTargetedUsersAndDevices of P ${r.targetingMs.toFixed(0)} ms and the ceiling (fetch all 100,000 devices) ${r.ceilingMs.toFixed(0)} ms; peak RSS ${r.peakRssMb.toFixed(0)} MB`,
  ];
}

if (import.meta.main) {
  console.log(`dry-run benchmark — ${machineLine()}`);
  for (const line of formatDryRunResult(await benchDryRun())) console.log(line);
}
