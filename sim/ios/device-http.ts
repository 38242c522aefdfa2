import http, { type IncomingHttpHeaders } from 'node:http';
import https from 'node:https';
import { rootCertificates } from 'node:tls';

/** One request a simulated device makes. */
export interface DeviceRequest {
  method: 'GET' | 'PUT';
  url: string;
  headers: Record<string, string>;
  body?: Uint8Array;
}

export interface DeviceResponse {
  status: number;
  headers: IncomingHttpHeaders;
  body: Uint8Array;
}

/** How devices reach the server; tests pass their own to script the server's answers. */
export type DeviceHttp = (request: DeviceRequest) => Promise<DeviceResponse>;

/** A request that got no HTTP answer (refused, reset, TLS failure, timeout). */
export class DeviceNetworkError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'DeviceNetworkError';
  }
}

export interface DeviceAgentOptions {
  /** Extra root (PEM) trusted for the server's TLS certificate, besides the public roots. */
  serverCaPem?: string;
  /** Sockets open at once over all devices sharing the agent. Default 64. */
  maxSockets?: number;
}

/**
 * One keep-alive agent for a whole fleet: a bounded socket pool, so 100,000 devices need no more
 * connections than the pool holds (a phone has its own connection; a fleet shares, as NAT would).
 */
export function createDeviceAgent(options: DeviceAgentOptions = {}): https.Agent {
  const maxSockets = options.maxSockets ?? 64;
  return new https.Agent({
    keepAlive: true,
    maxSockets,
    maxFreeSockets: maxSockets,
    ...(options.serverCaPem ? { ca: [...rootCertificates, options.serverCaPem] } : {}),
  });
}

/**
 * `DeviceHttp` over node's http/https. Every request has a deadline (`timeoutMs`, default 30 s)
 * and a response-size cap (`maxResponseBytes`, default 8 MiB); either failing, or no answer at all,
 * rejects with `DeviceNetworkError`. Plain `http:` URLs are allowed for local tests only.
 */
export function createDeviceHttp(options: { agent?: https.Agent; timeoutMs?: number; maxResponseBytes?: number } = {}): DeviceHttp {
  const timeoutMs = options.timeoutMs ?? 30_000;
  const maxResponseBytes = options.maxResponseBytes ?? 8 * 1024 * 1024;
  return (request) => new Promise<DeviceResponse>((resolve, reject) => {
    const url = new URL(request.url);
    const headers: Record<string, string | number> = { ...request.headers };
    if (request.body) headers['content-length'] = request.body.byteLength;
    const send = url.protocol === 'http:' ? http.request : https.request;
    const outgoing = send(url, { method: request.method, headers, ...(url.protocol === 'https:' && options.agent ? { agent: options.agent } : {}) }, (incoming) => {
      const chunks: Buffer[] = [];
      let size = 0;
      incoming.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size > maxResponseBytes) outgoing.destroy(new Error(`the response is larger than ${maxResponseBytes} bytes`));
        else chunks.push(chunk);
      });
      incoming.on('end', () => resolve({ status: incoming.statusCode ?? 0, headers: incoming.headers, body: new Uint8Array(Buffer.concat(chunks)) }));
      incoming.on('error', (error) => reject(new DeviceNetworkError(`${request.method} ${url.origin}${url.pathname}: ${error.message}`, { cause: error })));
    });
    outgoing.setTimeout(timeoutMs, () => outgoing.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    outgoing.on('error', (error) => reject(new DeviceNetworkError(`${request.method} ${url.origin}${url.pathname}: ${error.message}`, { cause: error })));
    outgoing.end(request.body);
  });
}
