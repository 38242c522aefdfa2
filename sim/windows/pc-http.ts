import http, { type IncomingHttpHeaders } from 'node:http';
import https from 'node:https';
import { rootCertificates } from 'node:tls';

/** One request a simulated PC makes; `identity` is the TLS client certificate (PEM) it presents, if any. */
export interface PcRequest {
  method: 'GET' | 'POST';
  url: string;
  headers: Record<string, string>;
  body?: string;
  identity?: { certificatePem: string; privateKeyPem: string };
}

export interface PcResponse {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

/** How PCs reach the server; tests pass a function that answers from fixtures. */
export type PcHttp = (request: PcRequest) => Promise<PcResponse>;

/** A request that got no HTTP answer (refused, reset, TLS failure, timeout). */
export class PcNetworkError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'PcNetworkError';
  }
}

export interface PcHttpOptions {
  /** Extra root (PEM) trusted for the server's TLS certificate, besides the public roots. */
  serverCaPem?: string;
  /** Sockets open at once over all PCs (each PC's client certificate needs its own connection). Default 64. */
  maxSockets?: number;
  timeoutMs?: number;
  maxResponseBytes?: number;
}

/**
 * `PcHttp` over node's http/https with one keep-alive agent for a fleet: at most `maxSockets`
 * sockets in all (node pools connections per client certificate, and closes idle ones when the
 * total is reached). Every request has a deadline and a response-size cap; a failure of either, or
 * no answer, rejects with `PcNetworkError`. Plain `http:` is for local tests only.
 */
export function createPcHttp(options: PcHttpOptions = {}): { http: PcHttp; close: () => void } {
  const maxSockets = options.maxSockets ?? 64;
  const agent = new https.Agent({
    keepAlive: true,
    maxTotalSockets: maxSockets,
    maxSockets,
    maxFreeSockets: 4,
    ...(options.serverCaPem ? { ca: [...rootCertificates, options.serverCaPem] } : {}),
  });
  const timeoutMs = options.timeoutMs ?? 30_000;
  const maxResponseBytes = options.maxResponseBytes ?? 8 * 1024 * 1024;
  const request: PcHttp = (pcRequest) => new Promise<PcResponse>((resolve, reject) => {
    const url = new URL(pcRequest.url);
    const headers: Record<string, string | number> = { ...pcRequest.headers };
    const body = pcRequest.body === undefined ? undefined : Buffer.from(pcRequest.body, 'utf8');
    if (body) headers['content-length'] = body.byteLength;
    const secure = url.protocol === 'https:';
    const send = secure ? https.request : http.request;
    const tls = secure ? { agent, ...(pcRequest.identity ? { cert: pcRequest.identity.certificatePem, key: pcRequest.identity.privateKeyPem } : {}) } : {};
    const outgoing = send(url, { method: pcRequest.method, headers, ...tls }, (incoming) => {
      const chunks: Buffer[] = [];
      let size = 0;
      incoming.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size > maxResponseBytes) outgoing.destroy(new Error(`the response is larger than ${maxResponseBytes} bytes`));
        else chunks.push(chunk);
      });
      incoming.on('end', () => resolve({ status: incoming.statusCode ?? 0, headers: incoming.headers, body: Buffer.concat(chunks).toString('utf8') }));
      incoming.on('error', (error) => reject(new PcNetworkError(`${pcRequest.method} ${url.origin}${url.pathname}: ${error.message}`, { cause: error })));
    });
    outgoing.setTimeout(timeoutMs, () => outgoing.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    outgoing.on('error', (error) => reject(new PcNetworkError(`${pcRequest.method} ${url.origin}${url.pathname}: ${error.message}`, { cause: error })));
    outgoing.end(body);
  });
  return { http: request, close: () => agent.destroy() };
}
