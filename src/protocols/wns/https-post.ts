import type { IncomingHttpHeaders } from 'node:http';
import https from 'node:https';

export interface HttpsAnswer {
  status: number;
  headers: IncomingHttpHeaders;
  /** The body as text, cut at `maxBodyBytes`. */
  body: string;
}

/** Rejection when the whole exchange took longer than its deadline. */
export class HttpsTimeoutError extends Error {
  constructor(timeoutMs: number) {
    super(`no complete answer within ${timeoutMs} ms`);
    this.name = 'HttpsTimeoutError';
  }
}

/**
 * One HTTPS POST over `agent` (keep-alive, trusted roots), with a `Content-Length` and no chunking
 * (WNS supports neither chunking nor pipelining). Resolves with the answer; rejects on connection
 * failures and with HttpsTimeoutError when the request, answer and body took longer than `timeoutMs`.
 * Only the first `maxBodyBytes` of the body are kept; the rest is read and discarded so the socket
 * can be reused.
 */
export function httpsPost(
  url: string,
  headers: Readonly<Record<string, string>>,
  body: string | Buffer,
  options: { agent: https.Agent; timeoutMs: number; maxBodyBytes?: number },
): Promise<HttpsAnswer> {
  const payload = typeof body === 'string' ? Buffer.from(body, 'utf8') : body;
  const maxBodyBytes = options.maxBodyBytes ?? 16_384;
  return new Promise((resolve, reject) => {
    const request = https.request(url, {
      method: 'POST',
      agent: options.agent,
      headers: { ...headers, 'content-length': String(payload.length) },
    });
    const timer = setTimeout(() => request.destroy(new HttpsTimeoutError(options.timeoutMs)), options.timeoutMs);
    request.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    request.on('response', (response) => {
      const chunks: Buffer[] = [];
      let kept = 0;
      response.on('data', (chunk: Buffer) => {
        if (kept >= maxBodyBytes) return;
        chunks.push(chunk.subarray(0, maxBodyBytes - kept));
        kept += Math.min(chunk.length, maxBodyBytes - kept);
      });
      response.on('error', (error) => {
        clearTimeout(timer);
        reject(error);
      });
      response.on('end', () => {
        clearTimeout(timer);
        resolve({ status: response.statusCode ?? 0, headers: response.headers, body: Buffer.concat(chunks).toString('utf8') });
      });
      response.on('close', () => {
        clearTimeout(timer);
        if (!response.complete) reject(new Error('the connection closed in the middle of the answer'));
      });
    });
    request.end(payload);
  });
}
