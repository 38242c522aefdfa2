import { createVerify, generateKeyPairSync, randomBytes, type KeyObject } from 'node:crypto';
import https from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createTestCa, issueServerCertificate } from '../apns/apns-test-pki.ts';

/**
 * A local stand-in for Firebase Cloud Messaging, for tests and simulated Knox agents (an agent
 * fetches its commands when a message reaches its registration token). HTTPS on 127.0.0.1, a
 * throwaway CA it names (`caCertificatePem`), answering as Google documents:
 * - `POST /token`: the OAuth 2.0 JWT-bearer grant of a service account
 *   (https://developers.google.com/identity/protocols/oauth2/service-account): the assertion must
 *   be RS256-signed by a registered service account's key, for `aud` = this URL and the FCM scope,
 *   unexpired; answers `{access_token, expires_in, token_type}` or 400 `invalid_grant`;
 * - `POST /v1/projects/{project}/messages:send` (https://firebase.google.com/docs/reference/fcm/rest/v1/projects.messages/send):
 *   200 `{name}`; 401 `UNAUTHENTICATED` for a missing, unknown or expired access token; 403
 *   `PERMISSION_DENIED` for a token of another project; 400 `INVALID_ARGUMENT` for a malformed
 *   message; 404 `UNREGISTERED` for a registration token it does not know or that was unregistered;
 *   403 `SENDER_ID_MISMATCH` for a registration token of another project;
 *   scripted answers per device (429 `RESOURCE_EXHAUSTED` with Retry-After, 503 `UNAVAILABLE`…).
 */

export interface FcmStandInMessage {
  deviceKey: string;
  projectId: string;
  registrationToken: string;
  data: Record<string, string>;
  name: string;
}

export type FcmScriptedAnswer = { status: 429 | 500 | 503; retryAfter?: number } | { status: 401 };

interface Account {
  projectId: string;
  publicKey: KeyObject;
}

export class FcmStandIn {
  readonly #server: https.Server;
  readonly #accounts = new Map<string, Account>();
  readonly #tokens = new Map<string, { projectId: string; expiresAt: number }>();
  readonly #registrations = new Map<string, { deviceKey: string; gone: boolean; projectId: string | null }>();
  readonly #scripts = new Map<string, FcmScriptedAnswer[]>();
  readonly #listeners = new Set<(message: FcmStandInMessage) => void>();
  readonly messages: FcmStandInMessage[] = [];
  readonly counters = { tokenRequests: 0, tokensIssued: 0, sendRequests: 0, accepted: 0, rejected: {} as Record<number, number> };
  /** `https://127.0.0.1:<port>`: what ENVELOPE_FCM_URL names. */
  url = '';
  /** The root of the stand-in's TLS certificate (ENVELOPE_FCM_CA). */
  caCertificatePem = '';

  private constructor(identity: { certificatePem: string; privateKeyPem: string }) {
    this.#server = https.createServer({ cert: identity.certificatePem, key: identity.privateKeyPem }, (request, response) => void this.#handle(request, response));
  }

  /** Starts on 127.0.0.1; with `certificatePem`/`privateKeyPem` as its TLS identity, else a throwaway CA's. */
  static async start(options: { port?: number; certificatePem?: string; privateKeyPem?: string } = {}): Promise<FcmStandIn> {
    let caCertificatePem = '';
    let identity: { certificatePem: string; privateKeyPem: string };
    if (options.certificatePem !== undefined && options.privateKeyPem !== undefined) {
      identity = { certificatePem: options.certificatePem, privateKeyPem: options.privateKeyPem };
    } else {
      const ca = await createTestCa('FCM stand-in root');
      identity = await issueServerCertificate(ca);
      caCertificatePem = ca.certificatePem;
    }
    const standIn = new FcmStandIn(identity);
    standIn.caCertificatePem = caCertificatePem;
    await new Promise<void>((resolve, reject) => {
      standIn.#server.once('error', reject);
      standIn.#server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
    });
    standIn.url = `https://127.0.0.1:${(standIn.#server.address() as AddressInfo).port}`;
    return standIn;
  }

  /**
   * A new service account of `projectId`, registered here: the key file's JSON text, as the Firebase
   * console downloads it (`type`, `project_id`, `private_key_id`, `private_key`, `client_email`, …).
   */
  createServiceAccount(projectId: string): string {
    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const clientEmail = `envelope-push-${randomBytes(3).toString('hex')}@${projectId}.iam.gserviceaccount.com`;
    this.#accounts.set(clientEmail, { projectId, publicKey });
    return JSON.stringify({
      type: 'service_account',
      project_id: projectId,
      private_key_id: randomBytes(20).toString('hex'),
      private_key: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
      client_email: clientEmail,
      client_id: String(100000000000000000000n + BigInt(randomBytes(4).readUInt32BE())),
      auth_uri: 'https://accounts.google.com/o/oauth2/auth',
      token_uri: 'https://oauth2.googleapis.com/token',
    });
  }

  /**
   * The registration token of the agent `deviceKey` (FirebaseMessaging.getToken), the same until
   * unregistered. With `projectId`, the token belongs to that Firebase project (the app's sender):
   * sends from another project are answered 403 `SENDER_ID_MISMATCH`.
   */
  registrationTokenFor(deviceKey: string, projectId?: string): string {
    for (const [token, registration] of this.#registrations) if (registration.deviceKey === deviceKey && !registration.gone) return token;
    const token = `${randomBytes(11).toString('base64url')}:APA91b${randomBytes(100).toString('base64url')}`;
    this.#registrations.set(token, { deviceKey, gone: false, projectId: projectId ?? null });
    return token;
  }

  /** The app was uninstalled or its token rotated: sends to it are answered 404 UNREGISTERED. */
  unregister(deviceKey: string): void {
    for (const registration of this.#registrations.values()) if (registration.deviceKey === deviceKey) registration.gone = true;
  }

  /** Answers the next sends to `deviceKey` with `answers`, in order. */
  script(deviceKey: string, ...answers: FcmScriptedAnswer[]): void {
    this.#scripts.set(deviceKey, [...(this.#scripts.get(deviceKey) ?? []), ...answers]);
  }

  onMessage(listener: (message: FcmStandInMessage) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  async close(): Promise<void> {
    this.#server.closeAllConnections();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  async #handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks).toString('utf8');
    const path = (request.url ?? '').split('?')[0]!;
    if (request.method === 'POST' && path === '/token') return this.#token(body, response);
    const send = /^\/v1\/projects\/([^/]+)\/messages:send$/.exec(path);
    if (request.method === 'POST' && send) return this.#send(decodeURIComponent(send[1]!), request.headers.authorization, body, response);
    this.#json(response, 404, googleError(404, 'NOT_FOUND', 'Not found.'));
  }

  #token(body: string, response: ServerResponse): void {
    this.counters.tokenRequests += 1;
    const form = new URLSearchParams(body);
    const refuse = (description: string) => this.#json(response, 400, { error: 'invalid_grant', error_description: description });
    if (form.get('grant_type') !== 'urn:ietf:params:oauth:grant-type:jwt-bearer') return this.#json(response, 400, { error: 'unsupported_grant_type', error_description: 'Invalid grant_type.' });
    const parts = (form.get('assertion') ?? '').split('.');
    if (parts.length !== 3) return refuse('Invalid JWT.');
    let header: Record<string, unknown>;
    let claims: Record<string, unknown>;
    try {
      header = JSON.parse(Buffer.from(parts[0]!, 'base64url').toString('utf8')) as Record<string, unknown>;
      claims = JSON.parse(Buffer.from(parts[1]!, 'base64url').toString('utf8')) as Record<string, unknown>;
    } catch {
      return refuse('Invalid JWT.');
    }
    const account = typeof claims.iss === 'string' ? this.#accounts.get(claims.iss) : undefined;
    if (header.alg !== 'RS256' || account === undefined) return refuse('Invalid JWT Signature.');
    const signed = createVerify('RSA-SHA256').update(`${parts[0]}.${parts[1]}`).verify(account.publicKey, Buffer.from(parts[2]!, 'base64url'));
    if (!signed) return refuse('Invalid JWT Signature.');
    const now = Math.floor(Date.now() / 1000);
    if (claims.aud !== `${this.url}/token`) return refuse('Invalid audience.');
    if (typeof claims.exp !== 'number' || typeof claims.iat !== 'number' || claims.exp <= now || claims.exp - claims.iat > 3600) {
      return refuse('Invalid JWT: Token must be a short-lived token (60 minutes) and in a reasonable timeframe. Check your iat and exp values in the JWT claim.');
    }
    if (!String(claims.scope ?? '').split(' ').includes('https://www.googleapis.com/auth/firebase.messaging')) return refuse('Invalid scope.');
    const token = `ya29.${randomBytes(48).toString('base64url')}`;
    this.#tokens.set(token, { projectId: account.projectId, expiresAt: Date.now() + 3_600_000 });
    this.counters.tokensIssued += 1;
    this.#json(response, 200, { access_token: token, expires_in: 3599, token_type: 'Bearer' });
  }

  #send(projectId: string, authorization: string | undefined, body: string, response: ServerResponse): void {
    this.counters.sendRequests += 1;
    const bearer = /^Bearer (.+)$/.exec(authorization ?? '')?.[1];
    const token = bearer === undefined ? undefined : this.#tokens.get(bearer);
    if (token === undefined || token.expiresAt <= Date.now()) {
      return this.#reject(response, 401, googleError(401, 'UNAUTHENTICATED', 'Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential.'));
    }
    if (token.projectId !== projectId) return this.#reject(response, 403, googleError(403, 'PERMISSION_DENIED', `Permission 'cloudmessaging.messages.create' denied on resource '//cloudresourcemanager.googleapis.com/projects/${projectId}'.`));
    let message: { token?: unknown; data?: unknown };
    try {
      message = (JSON.parse(body) as { message: { token?: unknown; data?: unknown } }).message;
    } catch {
      return this.#reject(response, 400, googleError(400, 'INVALID_ARGUMENT', 'Invalid JSON payload received.', 'INVALID_ARGUMENT'));
    }
    if (typeof message?.token !== 'string') return this.#reject(response, 400, googleError(400, 'INVALID_ARGUMENT', 'Request contains an invalid argument.', 'INVALID_ARGUMENT'));
    const registration = this.#registrations.get(message.token);
    if (registration === undefined || registration.gone) return this.#reject(response, 404, googleError(404, 'NOT_FOUND', 'Requested entity was not found.', 'UNREGISTERED'));
    if (registration.projectId !== null && registration.projectId !== projectId) {
      return this.#reject(response, 403, googleError(403, 'PERMISSION_DENIED', 'SenderId mismatch', 'SENDER_ID_MISMATCH'));
    }
    const scripted = this.#scripts.get(registration.deviceKey)?.shift();
    if (scripted !== undefined) {
      if (scripted.status === 401) return this.#reject(response, 401, googleError(401, 'UNAUTHENTICATED', 'Request had invalid authentication credentials.'));
      if (scripted.status === 429) {
        if (scripted.retryAfter !== undefined) response.setHeader('retry-after', String(scripted.retryAfter));
        return this.#reject(response, 429, googleError(429, 'RESOURCE_EXHAUSTED', 'Quota exceeded for quota metric.', 'QUOTA_EXCEEDED'));
      }
      if (scripted.retryAfter !== undefined) response.setHeader('retry-after', String(scripted.retryAfter));
      return this.#reject(response, scripted.status, googleError(scripted.status, scripted.status === 503 ? 'UNAVAILABLE' : 'INTERNAL', 'The service is currently unavailable.', scripted.status === 503 ? 'UNAVAILABLE' : 'INTERNAL'));
    }
    const data = typeof message.data === 'object' && message.data !== null ? (message.data as Record<string, string>) : {};
    const name = `projects/${projectId}/messages/0:${Date.now()}%${randomBytes(8).toString('hex')}`;
    const received = { deviceKey: registration.deviceKey, projectId, registrationToken: message.token, data, name };
    this.messages.push(received);
    this.counters.accepted += 1;
    this.#json(response, 200, { name });
    for (const listener of this.#listeners) listener(received);
  }

  #reject(response: ServerResponse, status: number, body: unknown): void {
    this.counters.rejected[status] = (this.counters.rejected[status] ?? 0) + 1;
    this.#json(response, status, body);
  }

  #json(response: ServerResponse, status: number, body: unknown): void {
    const text = JSON.stringify(body);
    response.writeHead(status, { 'content-type': 'application/json; charset=UTF-8', 'content-length': Buffer.byteLength(text) });
    response.end(text);
  }
}

/** Google's error body, with an FCM `errorCode` detail when given. */
function googleError(code: number, status: string, message: string, errorCode?: string): unknown {
  return {
    error: {
      code,
      message,
      status,
      ...(errorCode === undefined ? {} : { details: [{ '@type': 'type.googleapis.com/google.firebase.fcm.v1.FcmError', errorCode }] }),
    },
  };
}
