import { CommanderError } from 'commander';
import { ConfigError } from '../config.ts';
import { isEnvelopeError } from '../domain/errors.ts';
import { CliError } from './cli-error.ts';
import { buildProgram, parseCommandLine } from './program.ts';

/**
 * The `envelope` process. Exit codes: 0 done; 2 bad usage or input (unknown command or option, a
 * missing argument, bad configuration, an input the service refuses); 1 the environment failed
 * (database unreachable or in use) or a bug. Expected failures are one line on stderr; only a bug
 * prints a stack. Commander has printed its own usage errors already. This module and program.ts
 * import nothing heavy: each command loads what it needs when it runs.
 */
function exitCodeAndMessage(error: unknown): { code: number; message: string | null } {
  if (error instanceof CommanderError) return { code: error.exitCode === 0 ? 0 : 2, message: null };
  if (error instanceof CliError) return { code: error.exitCode, message: error.message };
  if (error instanceof ConfigError || isEnvelopeError(error)) return { code: 2, message: error.message };
  return { code: 1, message: error instanceof Error ? (error.stack ?? error.message) : String(error) };
}

parseCommandLine(buildProgram(), process.argv.slice(2)).then(
  () => process.exit(0),
  (error: unknown) => {
    const { code, message } = exitCodeAndMessage(error);
    if (message !== null) process.stderr.write(`envelope: ${message}\n`);
    process.exit(code);
  },
);
