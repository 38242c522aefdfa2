import { randomBytes } from 'node:crypto';
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';

/** A notification the stand-in accepted: the channel URI it was posted to. */
export interface AcceptedWnsPush {
  channelUri: string;
  type: string;
}

/**
 * A stand-in for the two WNS calls an MDM server makes (push-notification-windows-mdm.md; delivery
 * protocols e.2): the OAuth client-credentials token at `POST /accesstoken.srf` (any client id and
 * secret are accepted; the token is remembered) and `POST <channel URI>` with `Authorization: Bearer`
 * and `X-WNS-Type: wns/raw`, answered 200 with `X-WNS-Status: received`. Listens on 127.0.0.1 only;
 * HTTPS when given a certificate, plain HTTP otherwise (for local tests).
 */
export class WnsStandIn {
  readonly url: string;
  readonly #server: http.Server;
  readonly #tokens = new Set<string>();
  readonly #listeners = new Set<(push: AcceptedWnsPush) => void>();
  accepted = 0;
  refused = 0;

  private constructor(server: http.Server, url: string) {
    this.#server = server;
    this.url = url;
  }

  static async start(options: { port?: number; certificatePem?: string; privateKeyPem?: string } = {}): Promise<WnsStandIn> {
    const ref: { standIn?: WnsStandIn } = {};
    const handler = (request: http.IncomingMessage, response: http.ServerResponse) => ref.standIn!.#handle(request, response);
    const secure = Boolean(options.certificatePem && options.privateKeyPem);
    const server = secure ? https.createServer({ cert: options.certificatePem!, key: options.privateKeyPem! }, handler) : http.createServer(handler);
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
    });
    const { port } = server.address() as AddressInfo;
    ref.standIn = new WnsStandIn(server, `${secure ? 'https' : 'http'}://127.0.0.1:${port}`);
    return ref.standIn;
  }

  /** Subscribes to accepted pushes; returns the unsubscribe function. */
  onPush(listener: (push: AcceptedWnsPush) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  async close(): Promise<void> {
    this.#server.closeAllConnections();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  #handle(request: http.IncomingMessage, response: http.ServerResponse): void {
    const chunks: Buffer[] = [];
    let size = 0;
    request.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= 64 * 1024) chunks.push(chunk);
    });
    request.on('end', () => {
      const url = new URL(request.url ?? '/', this.url);
      if (request.method === 'POST' && url.pathname === '/accesstoken.srf') {
        const form = new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
        if (form.get('grant_type') !== 'client_credentials' || !form.get('client_id') || !form.get('client_secret') || form.get('scope') !== 'notify.windows.com') {
          response.writeHead(400, { 'content-type': 'application/json' }).end(JSON.stringify({ error: 'invalid_request' }));
          return;
        }
        const token = randomBytes(24).toString('base64url');
        this.#tokens.add(token);
        response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ token_type: 'bearer', access_token: token, expires_in: 86400 }));
        return;
      }
      if (request.method === 'POST' && url.searchParams.has('token')) {
        const bearer = /^Bearer (.+)$/i.exec(request.headers.authorization ?? '')?.[1];
        if (!bearer || !this.#tokens.has(bearer)) {
          this.refused++;
          response.writeHead(401, { 'www-authenticate': 'Bearer error="invalid_token"' }).end();
          return;
        }
        const type = String(request.headers['x-wns-type'] ?? '');
        if (!['wns/raw', 'wns/toast', 'wns/tile', 'wns/badge'].includes(type)) {
          this.refused++;
          response.writeHead(400).end();
          return;
        }
        this.accepted++;
        response.writeHead(200, { 'x-wns-status': 'received', 'x-wns-msg-id': randomBytes(8).toString('hex') }).end();
        const push = { channelUri: url.toString(), type };
        for (const listener of this.#listeners) listener(push);
        return;
      }
      response.writeHead(404).end();
    });
  }
}
