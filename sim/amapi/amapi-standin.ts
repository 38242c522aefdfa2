import { createPublicKey, createVerify, randomBytes, randomUUID, type KeyObject } from 'node:crypto';
import http from 'node:http';
import https from 'node:https';
import tls from 'node:tls';
import type { AddressInfo } from 'node:net';

/**
 * A local stand-in of Google's Android Management API and of Cloud Pub/Sub push delivery, for tests,
 * `envelope simulate android-enterprise` and benchmarks. Envelope's `AmapiClient` (Google's official
 * client) talks to it through its `rootUrl` (ENVELOPE_AMAPI_URL); it answers in Google's documented
 * shapes (developers.google.com/android/management/reference/rest):
 * - `POST /token`: the OAuth 2.0 JWT-bearer grant of a service account (RS256 assertion signed with a
 *   key registered here, `aud` Google's token URL, the androidmanagement scope);
 * - `PATCH /v1/{enterprises/E/policies/P}`: stores the Policy, returns it with `name` and a `version`
 *   incremented at each patch (int64 as a string, as Google sends it);
 * - `PATCH /v1/{enterprises/E/devices/D}?updateMask=policyName`, `GET /v1/{…devices/D}`;
 * - `POST /v1/{enterprises/E}/enrollmentTokens`: an EnrollmentToken with `value`, `qrCode`,
 *   `expirationTimestamp`, echoing `policyName` and `additionalData`;
 * - 429 `RESOURCE_EXHAUSTED` (Google's error body) past `quota` queries per `quotaWindowMs`;
 * - 401 `UNAUTHENTICATED` for API calls without a token it issued.
 *
 * Simulated devices enroll with an enrollment token's value and apply their policy: a Pub/Sub push
 * (`{message:{data: base64(Device JSON), attributes:{notificationType}, messageId, publishTime},
 * subscription}`) goes to `pushUrl` for `ENROLLMENT` and for a `STATUS_REPORT` after each policy the
 * device applies. An app in the policy is installed when FORCE_INSTALLED (unless the device is told
 * installs fail) and otherwise only once `installApp` is called; a missing app is reported as
 * `nonComplianceDetails` `APP_NOT_INSTALLED`, a managed configuration the device refuses as
 * `INVALID_VALUE`. Pushes answered with anything but 2xx are redelivered with backoff, like Pub/Sub.
 */
export interface AmapiStandInOptions {
  /** Queries allowed per `quotaWindowMs` before 429 (default: unlimited). */
  quota?: number;
  quotaWindowMs?: number;
  /** Delay before a device reports a policy it received (default 20 ms). */
  applyDelayMs?: number;
  /** First redelivery delay of a refused push, doubling to 2 s (default 50 ms). */
  redeliveryDelayMs?: number;
  /** Extra PEM roots to trust for an https `pushUrl` (a server with a private CA). */
  pushCa?: string;
  /** Port on 127.0.0.1 (default 0: any). */
  port?: number;
}

export interface SimulatedDeviceOptions {
  /** Packages the user already installed in the work profile. */
  installed?: string[];
  /** FORCE_INSTALLED apps fail to install (Play unavailable): reported as APP_NOT_INSTALLED. */
  installFails?: boolean;
  /** Packages whose managed configuration the device refuses (INVALID_VALUE). */
  rejectConfigOf?: string[];
  androidVersion?: string;
  model?: string;
}

interface StoredDevice {
  name: string;
  policyName: string;
  enrollmentTokenName: string;
  enrollmentTokenData: string;
  installed: Set<string>;
  installFails: boolean;
  rejectConfigOf: Set<string>;
  androidVersion: string;
  model: string;
  appliedPolicyVersion: string | null;
  appliedPolicyName: string | null;
  enrolledAt: string;
}

export interface PushedMessage {
  messageId: string;
  notificationType: string;
  device: Record<string, unknown>;
  /** HTTP statuses Envelope answered, in order. */
  answers: number[];
}

const tokenAudience = 'https://www.googleapis.com/oauth2/v4/token';
const amapiScope = 'https://www.googleapis.com/auth/androidmanagement';

export class AmapiStandIn {
  readonly #options: Required<AmapiStandInOptions>;
  readonly #server: http.Server;
  readonly #keys = new Map<string, KeyObject>();
  readonly #accessTokens = new Set<string>();
  readonly #policies = new Map<string, Record<string, unknown> & { version: string }>();
  readonly #devices = new Map<string, StoredDevice>();
  readonly #enrollmentTokens = new Map<string, { name: string; policyName: string; additionalData: string; expires: number }>();
  readonly #queryTimes: number[] = [];
  readonly #pending = new Set<Promise<void>>();
  readonly pushed: PushedMessage[] = [];
  /** Policy patches received, in order (name and version). */
  readonly patches: { name: string; version: string; at: number }[] = [];
  pushUrl: string | null = null;
  #failures = 0;
  /** API requests received, by method and path (`PATCH enterprises/…/policies/…`). */
  readonly requests: string[] = [];
  /** Counts of answers, for benchmarks. */
  readonly counts = { queries: 0, quotaRefusals: 0, tokenGrants: 0 };

  constructor(options: AmapiStandInOptions = {}) {
    this.#options = { quota: Number.POSITIVE_INFINITY, quotaWindowMs: 100_000, applyDelayMs: 20, redeliveryDelayMs: 50, pushCa: '', port: 0, ...options };
    this.#server = http.createServer((request, response) => {
      this.#handle(request, response).catch((error: Error) => send(response, 500, { error: { code: 500, message: error.message, status: 'INTERNAL' } }));
    });
    // Google's front ends keep idle connections far longer than Node's 5 s default; a shorter one
    // races with clients reusing the socket (ECONNRESET on a request that is then not retried).
    this.#server.keepAliveTimeout = 65_000;
  }

  /** Listens on 127.0.0.1; returns the root URL for ENVELOPE_AMAPI_URL (`http://127.0.0.1:PORT/`). */
  async start(): Promise<string> {
    await new Promise<void>((resolve, reject) => {
      this.#server.once('error', reject);
      this.#server.listen(this.#options.port, '127.0.0.1', () => resolve());
    });
    return `http://127.0.0.1:${(this.#server.address() as AddressInfo).port}/`;
  }

  async stop(): Promise<void> {
    this.#server.closeAllConnections();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  /**
   * Changes the quota from now on (`queries` per `windowMs`; Infinity = none) and forgets the queries
   * counted so far, as a new Cloud project's quota would start (benchmarks set devices up without one).
   */
  setQuota(queries: number, windowMs: number = this.#options.quotaWindowMs): void {
    this.#options.quota = queries;
    this.#options.quotaWindowMs = windowMs;
    this.#queryTimes.length = 0;
  }

  /** Accepts JWT grants signed by this service account's key (its public half, PEM or the private key). */
  registerServiceAccount(clientEmail: string, keyPem: string): void {
    this.#keys.set(clientEmail, createPublicKey(keyPem));
  }

  policy(name: string): (Record<string, unknown> & { version: string }) | undefined {
    return this.#policies.get(name);
  }

  device(name: string): Record<string, unknown> | undefined {
    const device = this.#devices.get(name);
    return device === undefined ? undefined : this.#deviceJson(device, []);
  }

  /** The next `count` API calls are answered 503 UNAVAILABLE, as Google does when overloaded. */
  failNext(count: number): void {
    this.#failures = count;
  }

  /** Pushes not yet answered 2xx (nor given up). */
  get pendingPushes(): number {
    return this.#pending.size;
  }

  /** Resolves once every push so far was answered 2xx (or given up after 30 redeliveries). */
  async settled(): Promise<void> {
    while (this.#pending.size > 0) await Promise.all([...this.#pending]);
  }

  /**
   * A device enrolls with an enrollment token's `value` (as its QR code carries it): it gets the
   * token's policy, and an ENROLLMENT notification is pushed. Returns the device's name.
   */
  enroll(tokenValue: string, options: SimulatedDeviceOptions = {}): string {
    const token = this.#enrollmentTokens.get(tokenValue);
    if (token === undefined || token.expires < Date.now()) throw new Error('enrollment token unknown or expired');
    const enterprise = token.name.split('/enrollmentTokens/')[0]!;
    const name = `${enterprise}/devices/${randomBytes(8).toString('hex')}`;
    const device: StoredDevice = {
      name,
      policyName: token.policyName,
      enrollmentTokenName: token.name,
      enrollmentTokenData: token.additionalData,
      installed: new Set(options.installed ?? []),
      installFails: options.installFails ?? false,
      rejectConfigOf: new Set(options.rejectConfigOf ?? []),
      androidVersion: options.androidVersion ?? '14',
      model: options.model ?? 'Pixel 8',
      appliedPolicyVersion: null,
      appliedPolicyName: null,
      enrolledAt: new Date().toISOString(),
    };
    this.#devices.set(name, device);
    this.#push('ENROLLMENT', this.#deviceJson(device, []));
    this.#applySoon(device);
    return name;
  }

  /** The user installs `packageName` in the work profile: the device reports again. */
  installApp(deviceName: string, packageName: string): void {
    const device = this.#devices.get(deviceName);
    if (device === undefined) throw new Error(`no device ${deviceName}`);
    device.installed.add(packageName);
    this.#applySoon(device);
  }

  /** The user removes the work profile: Google reports the device DELETED and forgets it. */
  deleteWorkProfile(deviceName: string): void {
    const device = this.#devices.get(deviceName);
    if (device === undefined) throw new Error(`no device ${deviceName}`);
    this.#devices.delete(deviceName);
    this.#push('STATUS_REPORT', { ...this.#deviceJson(device, []), state: 'DELETED', appliedState: 'DELETED' });
  }

  /** Pushes a message again exactly as it was first pushed (Pub/Sub's at-least-once redelivery). */
  redeliver(messageId: string): Promise<number> {
    const message = this.pushed.find((m) => m.messageId === messageId);
    if (message === undefined) throw new Error(`no message ${messageId}`);
    return this.#post(message);
  }

  async #handle(request: http.IncomingMessage, response: http.ServerResponse): Promise<void> {
    const body = await readBody(request);
    const url = new URL(request.url ?? '/', 'http://stand-in');
    if (request.method === 'POST' && url.pathname === '/token') return this.#token(body, response);
    const auth = request.headers.authorization ?? '';
    if (!auth.startsWith('Bearer ') || !this.#accessTokens.has(auth.slice(7))) {
      return send(response, 401, { error: { code: 401, message: 'Request had invalid authentication credentials.', status: 'UNAUTHENTICATED' } });
    }
    this.counts.queries++;
    this.requests.push(`${request.method} ${decodeURIComponent(url.pathname.replace(/^\/v1\//, ''))}`);
    if (this.#failures > 0) {
      this.#failures--;
      return send(response, 503, { error: { code: 503, message: 'The service is currently unavailable.', status: 'UNAVAILABLE' } });
    }
    if (!this.#withinQuota()) {
      this.counts.quotaRefusals++;
      return send(response, 429, { error: { code: 429, message: "Quota exceeded for quota metric 'Queries' and limit 'Queries per 100 seconds' of service 'androidmanagement.googleapis.com'.", status: 'RESOURCE_EXHAUSTED' } });
    }
    const path = decodeURIComponent(url.pathname.replace(/^\/v1\//, ''));
    const json = body.length === 0 ? {} : (JSON.parse(body.toString('utf8')) as Record<string, unknown>);
    let match: RegExpMatchArray | null;
    if (request.method === 'PATCH' && (match = path.match(/^(enterprises\/[^/]+\/policies\/[^/]+)$/))) {
      const name = match[1]!;
      const version = String(Number(this.#policies.get(name)?.version ?? '0') + 1);
      const policy = { ...json, name, version };
      this.#policies.set(name, policy);
      this.patches.push({ name, version, at: Date.now() });
      for (const device of this.#devices.values()) if (device.policyName === name) this.#applySoon(device);
      return send(response, 200, policy);
    }
    if ((match = path.match(/^(enterprises\/[^/]+\/devices\/[^/]+)$/))) {
      const device = this.#devices.get(match[1]!);
      if (device === undefined) return send(response, 404, { error: { code: 404, message: `Requested entity was not found.`, status: 'NOT_FOUND' } });
      if (request.method === 'PATCH') {
        if (url.searchParams.get('updateMask') !== 'policyName' || typeof json.policyName !== 'string') {
          return send(response, 400, { error: { code: 400, message: 'Only policyName may be patched by this stand-in.', status: 'INVALID_ARGUMENT' } });
        }
        device.policyName = json.policyName;
        this.#applySoon(device);
      }
      return send(response, 200, this.#deviceJson(device, []));
    }
    if (request.method === 'POST' && (match = path.match(/^(enterprises\/[^/]+)\/enrollmentTokens$/))) {
      const value = randomBytes(10).toString('hex').toUpperCase();
      const name = `${match[1]!}/enrollmentTokens/${randomUUID()}`;
      const seconds = Number(String(json.duration ?? '3600s').replace(/s$/, ''));
      const expires = Date.now() + seconds * 1000;
      const policyName = String(json.policyName ?? `${match[1]!}/policies/default`);
      this.#enrollmentTokens.set(value, { name, policyName, additionalData: String(json.additionalData ?? ''), expires });
      const qrCode = JSON.stringify({ 'android.app.extra.PROVISIONING_DEVICE_ADMIN_COMPONENT_NAME': 'com.google.android.apps.work.clouddpc/.receivers.CloudDeviceAdminReceiver', 'android.app.extra.PROVISIONING_ADMIN_EXTRAS_BUNDLE': { 'com.google.android.apps.work.clouddpc.EXTRA_ENROLLMENT_TOKEN': value } });
      return send(response, 200, { ...json, name, value, qrCode, policyName, expirationTimestamp: new Date(expires).toISOString() });
    }
    return send(response, 404, { error: { code: 404, message: `No ${request.method} ${url.pathname} in this stand-in.`, status: 'NOT_FOUND' } });
  }

  #token(body: Buffer, response: http.ServerResponse): void {
    const form = new URLSearchParams(body.toString('utf8'));
    const refuse = (description: string) => send(response, 400, { error: 'invalid_grant', error_description: description });
    if (form.get('grant_type') !== 'urn:ietf:params:oauth:grant-type:jwt-bearer') return refuse('grant_type must be the JWT bearer grant');
    const parts = (form.get('assertion') ?? '').split('.');
    if (parts.length !== 3) return refuse('assertion is not a JWT');
    const claims = JSON.parse(Buffer.from(parts[1]!, 'base64url').toString('utf8')) as { iss?: string; aud?: string; scope?: string; exp?: number };
    const key = this.#keys.get(claims.iss ?? '');
    if (key === undefined) return refuse('Invalid JWT Signature.');
    const verifier = createVerify('RSA-SHA256');
    verifier.update(`${parts[0]}.${parts[1]}`);
    if (!verifier.verify(key, Buffer.from(parts[2]!, 'base64url'))) return refuse('Invalid JWT Signature.');
    if (claims.aud !== tokenAudience) return refuse('Invalid JWT: aud');
    if (!(claims.scope ?? '').split(' ').includes(amapiScope)) return refuse('Invalid JWT: scope');
    if ((claims.exp ?? 0) * 1000 < Date.now()) return refuse('Invalid JWT: Token must be a short-lived token');
    const accessToken = `ya29.standin-${randomBytes(16).toString('hex')}`;
    this.#accessTokens.add(accessToken);
    this.counts.tokenGrants++;
    send(response, 200, { access_token: accessToken, expires_in: 3599, token_type: 'Bearer' });
  }

  #withinQuota(): boolean {
    const now = Date.now();
    while (this.#queryTimes.length > 0 && this.#queryTimes[0]! + this.#options.quotaWindowMs <= now) this.#queryTimes.shift();
    if (this.#queryTimes.length >= this.#options.quota) return false;
    this.#queryTimes.push(now);
    return true;
  }

  /** After `applyDelayMs` the device applies its current policy and reports (STATUS_REPORT). */
  #applySoon(device: StoredDevice): void {
    const task = new Promise<void>((resolve) => setTimeout(resolve, this.#options.applyDelayMs)).then(() => {
      const policy = this.#policies.get(device.policyName);
      if (policy === undefined) return;
      const details: Record<string, unknown>[] = [];
      const applications = (policy.applications ?? []) as { packageName: string; installType?: string }[];
      for (const app of applications) {
        if (app.installType === 'FORCE_INSTALLED' && !device.installFails) device.installed.add(app.packageName);
        if (!device.installed.has(app.packageName)) {
          details.push({ settingName: 'applications', nonComplianceReason: 'APP_NOT_INSTALLED', packageName: app.packageName, ...(app.installType === 'FORCE_INSTALLED' ? { installationFailureReason: 'INSTALLATION_FAILURE_REASON_UNKNOWN' } : {}) });
        } else if (device.rejectConfigOf.has(app.packageName)) {
          details.push({ settingName: 'applications', nonComplianceReason: 'INVALID_VALUE', packageName: app.packageName, fieldPath: `applications[${applications.indexOf(app)}].managedConfiguration` });
        }
      }
      device.appliedPolicyName = device.policyName;
      device.appliedPolicyVersion = policy.version;
      this.#push('STATUS_REPORT', this.#deviceJson(device, details, applications));
    });
    this.#track(task);
  }

  #deviceJson(device: StoredDevice, details: Record<string, unknown>[], applications: { packageName: string }[] = []): Record<string, unknown> {
    const now = new Date().toISOString();
    return {
      name: device.name,
      managementMode: 'PROFILE_OWNER',
      ownership: 'PERSONALLY_OWNED',
      state: 'ACTIVE',
      appliedState: 'ACTIVE',
      policyName: device.policyName,
      ...(device.appliedPolicyName === null ? {} : { appliedPolicyName: device.appliedPolicyName, appliedPolicyVersion: device.appliedPolicyVersion }),
      policyCompliant: details.length === 0,
      ...(details.length === 0 ? {} : { nonComplianceDetails: details }),
      enrollmentTokenName: device.enrollmentTokenName,
      enrollmentTokenData: device.enrollmentTokenData,
      enrollmentTime: device.enrolledAt,
      lastStatusReportTime: now,
      lastPolicySyncTime: now,
      hardwareInfo: { brand: 'Google', model: device.model, manufacturer: 'Google' },
      softwareInfo: { androidVersion: device.androidVersion },
      applicationReports: applications.filter((app) => device.installed.has(app.packageName)).map((app) => ({ packageName: app.packageName, state: 'INSTALLED', applicationSource: 'INSTALLED_FROM_PLAY_STORE' })),
    };
  }

  #push(notificationType: string, device: Record<string, unknown>): void {
    const message: PushedMessage = { messageId: String(Date.now()) + randomBytes(4).toString('hex'), notificationType, device, answers: [] };
    this.pushed.push(message);
    this.#track((async () => {
      let delay = this.#options.redeliveryDelayMs;
      for (let attempt = 0; attempt < 30; attempt++) {
        const status = await this.#post(message);
        if (status >= 200 && status < 300) return;
        await new Promise((resolve) => setTimeout(resolve, delay));
        delay = Math.min(delay * 2, 2000);
      }
    })());
  }

  async #post(message: PushedMessage): Promise<number> {
    if (this.pushUrl === null) return 0;
    const body = JSON.stringify({
      message: {
        data: Buffer.from(JSON.stringify(message.device), 'utf8').toString('base64'),
        attributes: { notificationType: message.notificationType },
        messageId: message.messageId,
        message_id: message.messageId,
        publishTime: new Date().toISOString(),
      },
      subscription: 'projects/envelope-standin/subscriptions/envelope-push',
    });
    const status = await new Promise<number>((resolve) => {
      const secure = this.pushUrl!.startsWith('https:');
      const options = { method: 'POST', headers: { 'content-type': 'application/json' }, ...(secure && this.#options.pushCa ? { ca: [...tls.rootCertificates, this.#options.pushCa] } : {}) };
      const request = (secure ? https : http).request(this.pushUrl!, options, (response) => {
        response.resume();
        response.on('end', () => resolve(response.statusCode ?? 0));
      });
      request.on('error', () => resolve(0));
      request.end(body);
    });
    message.answers.push(status);
    return status;
  }

  #track(task: Promise<void>): void {
    this.#pending.add(task);
    void task.finally(() => this.#pending.delete(task));
  }
}

function readBody(request: http.IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => resolve(Buffer.concat(chunks)));
    request.on('error', reject);
  });
}

function send(response: http.ServerResponse, status: number, body: unknown): void {
  response.writeHead(status, { 'content-type': 'application/json; charset=UTF-8' });
  response.end(JSON.stringify(body));
}
