/**
 * A failure the CLI reports as one line on stderr, exiting with `exitCode`: 2 for bad usage or
 * input, 1 when the environment is at fault (database unreachable, data directory in use).
 */
export class CliError extends Error {
  readonly exitCode: number;

  constructor(message: string, exitCode: number) {
    super(message);
    this.name = 'CliError';
    this.exitCode = exitCode;
  }
}

/** The database could not be reached; the message names it (never its password) and the cause. */
export class DatabaseUnavailableError extends CliError {
  constructor(message: string) {
    super(message, 1);
    this.name = 'DatabaseUnavailableError';
  }
}
