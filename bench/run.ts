// `npm run bench`: every benchmark, one after the other, printing its figures. Record the output in
// bench/RESULTS.md with the machine and the date.
import { benchRender } from './render.ts';
import { benchResolveTargets } from './resolve-targets.ts';
import { benchSignProfile } from './sign-profile.ts';

await benchRender();
console.log(`${'assignment resolution, 100,000 devices'.padEnd(40)} ${benchResolveTargets().toFixed(1).padStart(9)} ms (median of 7)`);
await benchSignProfile();
