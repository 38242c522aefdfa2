import { conflict, isEnvelopeError, serviceUnavailable } from '../../domain/errors.ts';

/** PostgreSQL error codes Envelope maps to client errors (https://www.postgresql.org/docs/current/errcodes-appendix.html). */
export const pgErrorCodes = {
  uniqueViolation: '23505',
  foreignKeyViolation: '23503',
  checkViolation: '23514',
  serializationFailure: '40001',
  deadlockDetected: '40P01',
} as const;

export function pgErrorCode(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

/** Socket-level failures: the server is down, restarting, or a proxy in between cut the connection. */
const socketErrorCodes = new Set(['ECONNREFUSED', 'ECONNRESET', 'ECONNABORTED', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN']);
/** Server-side: admin shutdown, crash shutdown, cannot connect now (starting up, recovery). */
const shutdownCodes = new Set(['57P01', '57P02', '57P03']);
/**
 * Failures `pg`, `pg-pool` and PGlite report without a code (their messages are stable API in
 * practice: pg-pool's timeout, pg's terminated or broken client, a closed pool or PGlite — the last
 * two while the server shuts down).
 */
const connectionMessages = [
  /^timeout exceeded when trying to connect$/,
  /^Cannot use a pool after calling end on the pool$/,
  /^Connection terminated/,
  /is not queryable$/,
  /^PGlite is closed$/,
];

/**
 * True when `error` means the database cannot be reached (as opposed to refusing a statement):
 * socket errors, SQLSTATE class 08 (connection exception) and 57P01–57P03 (shutdown), pool
 * checkout timeouts, connections terminated under a query, and a closed pool or PGlite.
 */
export function isConnectionFailure(error: unknown): boolean {
  const code = pgErrorCode(error);
  if (code !== undefined && (socketErrorCodes.has(code) || shutdownCodes.has(code) || code.startsWith('08'))) return true;
  const message = error instanceof Error ? error.message : '';
  if (connectionMessages.some((pattern) => pattern.test(message))) return true;
  // AggregateError (several addresses refused) and errors wrapped by pg-pool carry the real cause.
  if (error instanceof AggregateError) return error.errors.some(isConnectionFailure);
  const cause = (error as { cause?: unknown } | null)?.cause;
  return cause !== undefined && cause !== error && isConnectionFailure(cause);
}

/**
 * What every Db implementation throws instead of a driver error that is not the request's fault:
 * an unreachable database becomes a 503 (`ServiceUnavailable`, with Retry-After), and a deadlock or
 * serialisation failure between concurrent writes a 409 asking to retry. Any other error is returned
 * unchanged (constraint violations are mapped by the store that knows what they mean).
 */
export function translateDriverError(error: unknown): unknown {
  if (isEnvelopeError(error)) return error;
  if (isConnectionFailure(error)) {
    return serviceUnavailable('The database is unavailable; retry shortly.', error);
  }
  const code = pgErrorCode(error);
  if (code === pgErrorCodes.deadlockDetected || code === pgErrorCodes.serializationFailure) {
    return conflict('The request collided with a concurrent change; retry it.');
  }
  return error;
}
