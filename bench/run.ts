// `npm run bench`: every benchmark, one after the other, printing its figures. Record the output in
// bench/RESULTS.md with the machine and the date.
import { benchFleet, formatFleetResult } from './fleet.ts';
import { benchAndroidEnterpriseFleet, formatAndroidEnterpriseResult } from './fleet-android-enterprise.ts';
import { benchKnoxFleet, formatKnoxResult } from './fleet-knox.ts';
import { benchRender } from './render.ts';
import { benchResolveTargets } from './resolve-targets.ts';
import { benchSignProfile } from './sign-profile.ts';
import { benchTargetingSql } from './targeting-sql.ts';
import { benchAuditEvents } from './audit-events.ts';

await benchRender();
console.log(`${'assignment resolution, 100,000 devices'.padEnd(40)} ${benchResolveTargets().toFixed(1).padStart(9)} ms (median of 7)`);
await benchSignProfile();
// The SQL resolver on embedded PGlite, then on the PostgreSQL server named by BENCH_DATABASE_URL, if any.
for (const url of [null, ...(process.env.BENCH_DATABASE_URL ? [process.env.BENCH_DATABASE_URL] : [])]) {
  const r = await benchTargetingSql(url);
  console.log(`${`getTargetedUsersAndDevices (${r.backend})`.padEnd(40)} ${r.ms.toFixed(0).padStart(9)} ms (median of 5), peak RSS ${r.peakRssMb.toFixed(0)} MB; ceiling ${r.ceilingMs.toFixed(0)} ms`);
}
// The fleet at a small N (BENCH_FLEET_DEVICES, default 1,000; 0 skips it), each capped at 3 minutes so
// the whole run stays within a few: `node bench/fleet.ts --devices 10000 …` for the recorded figures.
const fleetDevices = Number(process.env.BENCH_FLEET_DEVICES ?? 1000);
if (fleetDevices > 0) {
  for (const backend of ['pglite', ...(process.env.BENCH_DATABASE_URL ? ['postgres'] as const : [])] as const) {
    const result = await benchFleet({ devices: fleetDevices, backend, processes: 1, timeoutMs: 180_000, ceilingMs: 3000 });
    for (const line of formatFleetResult(result).slice(1)) console.log(`fleet: ${line}`);
    // Knox agents and Android Enterprise work profiles at a tenth of that (at most 100: their setup enrolls each device).
    const androidDevices = Math.min(100, Math.max(10, Math.round(fleetDevices / 10)));
    const knox = await benchKnoxFleet({ devices: androidDevices, backend, timeoutMs: 180_000, ceilingMs: 2000 });
    for (const line of formatKnoxResult(knox).slice(1)) console.log(`fleet knox: ${line}`);
    const workProfiles = await benchAndroidEnterpriseFleet({ devices: androidDevices, backend, timeoutMs: 180_000, ceilingMs: 2000 });
    for (const line of formatAndroidEnterpriseResult(workProfiles).slice(1)) console.log(`fleet android-enterprise: ${line}`);
  }
}
// auditEvents pages over 100,000 events per backend here; `node bench/audit-events.ts` (1,000,000 by default) for the recorded figures.
for (const url of [null, ...(process.env.BENCH_DATABASE_URL ? [process.env.BENCH_DATABASE_URL] : [])]) {
  const r = await benchAuditEvents(url, 100_000);
  for (const { name, ms } of r.results) console.log(`${`auditEvents ${name} (${r.backend})`.padEnd(40)} ${ms.toFixed(2).padStart(9)} ms (median of 7)`);
}
