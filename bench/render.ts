import { benchIos } from './render-ios.ts';
import { benchSyncMl } from './render-syncml.ts';
import { machineLine, median } from './machine.ts';

/**
 * Payload renders per second on one core (the benchmark process is single-threaded): unsigned and
 * signed iOS `.mobileconfig`, and Windows SyncML install commands. Three rounds each; prints the
 * median and the range. Target (SPEC §9): ≥ 20,000 unsigned iOS renders/s per core.
 */
export async function benchRender(rounds = 3): Promise<void> {
  console.log(`render benchmark — ${machineLine()}`);
  const ios: Array<{ unsignedPerSecond: number; signedPerSecond: number }> = [];
  const syncml: number[] = [];
  for (let round = 0; round < rounds; round++) {
    ios.push(await benchIos());
    syncml.push((await benchSyncMl()).installPerSecond);
  }
  const line = (label: string, values: number[]) =>
    console.log(`${label.padEnd(40)} ${median(values).toLocaleString('en-US').padStart(9)}/s  (range ${Math.min(...values).toLocaleString('en-US')}–${Math.max(...values).toLocaleString('en-US')})`);
  line('iOS .mobileconfig, unsigned', ios.map((r) => r.unsignedPerSecond));
  line('iOS .mobileconfig, signed (RSA-2048)', ios.map((r) => r.signedPerSecond));
  line('Windows SyncML install', syncml);
}

if (import.meta.main) await benchRender();
