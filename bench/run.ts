// `npm run bench`: every benchmark, one after the other, printing its figures. Record the output in
// bench/RESULTS.md with the machine and the date.
import { benchRender } from './render.ts';
import { benchResolveTargets } from './resolve-targets.ts';
import { benchSignProfile } from './sign-profile.ts';
import { benchTargetingSql } from './targeting-sql.ts';

await benchRender();
console.log(`${'assignment resolution, 100,000 devices'.padEnd(40)} ${benchResolveTargets().toFixed(1).padStart(9)} ms (median of 7)`);
await benchSignProfile();
// The SQL resolver on embedded PGlite, then on the PostgreSQL server named by BENCH_DATABASE_URL, if any.
for (const url of [null, ...(process.env.BENCH_DATABASE_URL ? [process.env.BENCH_DATABASE_URL] : [])]) {
  const r = await benchTargetingSql(url);
  console.log(`${`getTargetedUsersAndDevices (${r.backend})`.padEnd(40)} ${r.ms.toFixed(0).padStart(9)} ms (median of 5), peak RSS ${r.peakRssMb.toFixed(0)} MB; ceiling ${r.ceilingMs.toFixed(0)} ms`);
}
