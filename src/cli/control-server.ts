import { chmodSync, rmSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import type { FastifyBaseLogger } from 'fastify';
import { isEnvelopeError } from '../domain/errors.ts';
import { controlOperationNames, type ControlOperations } from './control-operations.ts';

/**
 * The wire format, one exchange per connection: the client writes one JSON line
 * `{"op":"createTenant","args":["fabrikam"]}`; the server answers one JSON line, `{"result":…}` or
 * `{"error":{"code","status","message","target"?}}` (an EnvelopeError's fields), and closes. `ping`
 * answers `{"result":{"version","pid"}}`, so a client can tell a live server from a stale socket.
 */
export interface ControlRequest {
  op: string;
  args: unknown[];
}

export interface ControlErrorBody {
  code: string;
  status: number;
  message: string;
  target?: string;
}

/** Longest request accepted (a request carries a few short strings). */
const maxRequestBytes = 64 * 1024;

/**
 * Listens on the Unix socket `path` and serves `operations` to local CLI commands while the server
 * holds the embedded database. File-system permission is the authentication: the socket is created
 * with mode 0600, so only the server's user (who can read the data directory anyway) may connect.
 * The caller must hold the data directory's lock: a socket file already at `path` is a dead
 * server's and is replaced. `close()` stops listening and removes the socket file.
 */
export async function startControlServer(options: {
  path: string;
  operations: ControlOperations;
  version: string;
  log: FastifyBaseLogger;
}): Promise<{ close(): Promise<void> }> {
  const { path, log } = options;
  rmSync(path, { force: true });
  const server = createServer((socket) => serveConnection(socket, options));
  const previousUmask = process.umask(0o177);
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(path, () => {
        server.off('error', reject);
        resolve();
      });
    });
  } finally {
    process.umask(previousUmask);
  }
  chmodSync(path, 0o600);
  server.on('error', (error) => log.error({ err: error }, 'control socket failed'));
  log.info({ path }, 'control socket listening');
  return { close: () => closeServer(server, path) };
}

function serveConnection(socket: Socket, options: { operations: ControlOperations; version: string; log: FastifyBaseLogger }): void {
  let received = '';
  socket.setEncoding('utf8');
  socket.on('error', () => socket.destroy());
  socket.on('data', (chunk: string) => {
    received += chunk;
    if (received.length > maxRequestBytes) {
      socket.destroy();
      return;
    }
    const end = received.indexOf('\n');
    if (end < 0) return;
    socket.removeAllListeners('data');
    void answer(received.slice(0, end), options).then((reply) => socket.end(`${JSON.stringify(reply)}\n`));
  });
}

async function answer(line: string, options: { operations: ControlOperations; version: string; log: FastifyBaseLogger }): Promise<{ result: unknown } | { error: ControlErrorBody }> {
  let request: ControlRequest;
  try {
    request = JSON.parse(line) as ControlRequest;
  } catch {
    return { error: { code: 'BadRequest', status: 400, message: 'The control request is not JSON.' } };
  }
  if (request.op === 'ping') return { result: { version: options.version, pid: process.pid } };
  const op = controlOperationNames.find((name) => name === request.op);
  if (!op || !Array.isArray(request.args) || !request.args.every((arg) => typeof arg === 'string')) {
    return { error: { code: 'BadRequest', status: 400, message: `Unknown control request '${String(request.op)}'.` } };
  }
  try {
    const run = options.operations[op] as (...args: string[]) => Promise<unknown>;
    const result = await run(...(request.args as string[]));
    options.log.info({ op }, 'control request done');
    return { result: result ?? null };
  } catch (error) {
    if (isEnvelopeError(error)) return { error: { code: error.code, status: error.status, message: error.message, target: error.target } };
    options.log.error({ err: error, op }, 'control request failed');
    return { error: { code: 'InternalError', status: 500, message: 'The server failed to run the command; see its log.' } };
  }
}

function closeServer(server: Server, path: string): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => {
      rmSync(path, { force: true });
      resolve();
    });
  });
}
