import { CliError } from './cli-error.ts';

/**
 * What every `envelope simulate` command does around its fleet(s): start a stand-in (a port in use is
 * exit code 1 naming it), print the simulators' events without flooding, and run until SIGINT/SIGTERM
 * or, with `--exit-when-idle`, until idle.
 */

/** Starts a stand-in; a failure (a port in use) is a CliError with exit code 1 naming the stand-in and port. */
export async function startStandIn<T>(name: string, port: number, start: () => Promise<T>): Promise<T> {
  try {
    return await start();
  } catch (error) {
    throw new CliError(`Cannot start the ${name} stand-in on 127.0.0.1:${port}: ${(error as Error).message}`, 1);
  }
}

/**
 * Prints simulator events as they come, but each kind (the text before the first ':', after `prefix`)
 * at most three times a run; remembers the first event, the likely cause when nothing enrolled.
 */
export function eventPrinter(write: (line: string) => void): { onEvent(prefix?: string): (line: string) => void; readonly first: string | undefined } {
  const seen = new Map<string, number>();
  let first: string | undefined;
  return {
    onEvent(prefix) {
      return (line) => {
        const shown = prefix ? `${prefix}: ${line}` : line;
        first ??= shown;
        const kind = `${prefix ?? ''} ${line.split(':')[0]!}`;
        const count = (seen.get(kind) ?? 0) + 1;
        seen.set(kind, count);
        if (count <= 3) write(`  ${shown}${count === 3 ? ' (further ones are only counted)' : ''}`);
      };
    },
    get first() {
      return first;
    },
  };
}

/**
 * Starts every fleet (`start()`), calls `tick(seconds)` every second (it prints progress and says
 * whether the fleets are idle), and resolves 'signal' on SIGINT/SIGTERM, or 'idle' once every fleet
 * has finished starting and `tick` said idle `idleTicks` times in a row, when `exitWhenIdle`.
 */
export function runUntilStopped(options: { starts: Array<() => Promise<unknown>>; tick: (seconds: number) => boolean; exitWhenIdle: boolean; idleTicks: number }): Promise<'signal' | 'idle'> {
  const started = Date.now();
  return new Promise((resolve) => {
    let idleTicks = 0;
    let starting = options.starts.length;
    for (const start of options.starts) void start().finally(() => starting--);
    const timer = setInterval(() => {
      const idle = options.tick(Math.round((Date.now() - started) / 1000));
      idleTicks = starting === 0 && idle ? idleTicks + 1 : 0;
      if (options.exitWhenIdle && idleTicks >= options.idleTicks) finish('idle');
    }, 1000);
    const onSignal = () => finish('signal');
    function finish(why: 'signal' | 'idle') {
      clearInterval(timer);
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      resolve(why);
    }
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
  });
}

/** `runUntilStopped` for one fleet: prints `line(seconds, snapshot)` every second; idle is the fleet's own. */
export function runFleetUntilStopped<P extends { idle: boolean }>(
  fleet: { start(): Promise<unknown>; snapshot(): P },
  options: { exitWhenIdle: boolean; idleTicks: number; write: (line: string) => void; line: (seconds: number, progress: P) => string },
): Promise<'signal' | 'idle'> {
  return runUntilStopped({
    starts: [() => fleet.start()], exitWhenIdle: options.exitWhenIdle, idleTicks: options.idleTicks,
    tick: (seconds) => {
      const progress = fleet.snapshot();
      options.write(options.line(seconds, progress));
      return progress.idle;
    },
  });
}
