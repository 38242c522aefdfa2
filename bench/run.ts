// `npm run bench`: every benchmark, one after the other, printing its figures. Record the output in
// bench/RESULTS.md with the machine and the date.
import { benchRender } from './render.ts';

await benchRender();
