import https from 'node:https';

/** One JSON answer of Envelope to the agent. */
export interface AgentResponse {
  status: number;
  body: unknown;
  headers: Record<string, string | string[] | undefined>;
}

export type AgentHttp = (request: { method: string; url: string; credential?: string; body?: unknown }) => Promise<AgentResponse>;

/**
 * The agent's HTTPS client: JSON requests over a keep-alive agent that trusts `serverCaPem` (the
 * deployment's TLS root, as the agent app would pin it or the device would trust it).
 */
export function createAgentHttp(options: { serverCaPem?: string; timeoutMs?: number; maxSockets?: number }): { http: AgentHttp; close(): void } {
  const agent = new https.Agent({ keepAlive: true, maxSockets: options.maxSockets ?? 64, ...(options.serverCaPem ? { ca: options.serverCaPem } : {}) });
  const http: AgentHttp = (request) =>
    new Promise((resolve, reject) => {
      const payload = request.body === undefined ? undefined : Buffer.from(JSON.stringify(request.body));
      const headers: Record<string, string> = { accept: 'application/json' };
      if (payload) {
        headers['content-type'] = 'application/json';
        headers['content-length'] = String(payload.length);
      }
      if (request.credential) headers.authorization = `Bearer ${request.credential}`;
      const req = https.request(request.url, { method: request.method, agent, headers, timeout: options.timeoutMs ?? 30_000 }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let body: unknown = text;
          if (text !== '' && (res.headers['content-type'] ?? '').includes('json')) body = JSON.parse(text);
          resolve({ status: res.statusCode ?? 0, body, headers: res.headers });
        });
        res.on('error', reject);
      });
      req.on('timeout', () => req.destroy(new Error(`timed out after ${options.timeoutMs ?? 30_000} ms`)));
      req.on('error', reject);
      req.end(payload);
    });
  return { http, close: () => agent.destroy() };
}
