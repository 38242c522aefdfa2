import http from 'node:http';
import https from 'node:https';
import tls from 'node:tls';
import type { AmapiStandIn } from './amapi-standin.ts';

export const gmailPackage = 'com.google.android.gm';
export const nineWorkPackage = 'com.ninefolders.hd3.work';

export interface AmapiFleetOptions {
  /** Envelope's base URL (its ENVELOPE_PUBLIC_URL). */
  server: string;
  /** An Envelope enrollment token for Android allowing at least `devices` devices. */
  enrollmentToken: string;
  devices: number;
  /** Percentage of work profiles without Gmail / Nine Work installed (only FORCE_INSTALLED apps get there then). */
  missingAppPercent: number;
  /** Seconds after enrolling at which a profile without the app installs it (null: never). */
  installAfterSeconds: number | null;
  concurrency: number;
  standIn: AmapiStandIn;
  serverCaPem?: string;
}

export interface AmapiFleetProgress {
  target: number;
  enrolled: number;
  enrollFailed: number;
  /** Work profiles without the mail apps. */
  withoutApp: number;
  policyPatches: number;
  statusReports: number;
  /** Pushes Envelope answered with anything but 2xx (Pub/Sub redelivers them). */
  pushesRefused: number;
  quotaRefusals: number;
  pendingPushes: number;
  /** Devices whose last report named no non-compliance. */
  compliant: number;
  /** Work profiles still to install the mail apps (`installAfterSeconds`). */
  pendingInstalls: number;
}

/**
 * Work profiles enrolling through Envelope's Android Enterprise endpoint and managed by the AMAPI
 * stand-in: each device asks `POST <server>/mdm/android/enterprise/enroll` for an AMAPI enrollment
 * token, enrolls at the stand-in with it (which pushes ENROLLMENT to Envelope), and from then on
 * applies every policy Envelope patches and reports it (STATUS_REPORT).
 */
export class AmapiFleet {
  readonly #options: AmapiFleetOptions;
  readonly #agent: http.Agent | https.Agent;
  readonly #names: string[] = [];
  readonly #timers = new Set<NodeJS.Timeout>();
  #enrollFailed = 0;
  #withoutApp = 0;
  #stopped = false;
  lastError: string | null = null;

  constructor(options: AmapiFleetOptions) {
    this.#options = options;
    this.#agent = options.server.startsWith('https:')
      ? new https.Agent({ keepAlive: true, ...(options.serverCaPem ? { ca: [...tls.rootCertificates, options.serverCaPem] } : {}) })
      : new http.Agent({ keepAlive: true });
  }

  /** Enrolls every device (`concurrency` at a time); resolves when all have tried. */
  async start(): Promise<void> {
    let next = 0;
    const worker = async () => {
      while (!this.#stopped && next < this.#options.devices) {
        const index = next++;
        try {
          await this.#enrollOne(index);
        } catch (error) {
          this.#enrollFailed++;
          this.lastError = (error as Error).message;
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(this.#options.concurrency, this.#options.devices) }, worker));
  }

  stop(): void {
    this.#stopped = true;
    for (const timer of this.#timers) clearTimeout(timer);
    this.#agent.destroy();
  }

  snapshot(): AmapiFleetProgress {
    const { standIn } = this.#options;
    const lastReport = new Map<string, boolean>();
    for (const message of standIn.pushed) if (message.notificationType === 'STATUS_REPORT') lastReport.set(String(message.device.name), message.device.policyCompliant === true && Array.isArray((standIn.policy(String(message.device.policyName))?.applications)) && ((standIn.policy(String(message.device.policyName))!.applications as unknown[]).length > 0));
    return {
      target: this.#options.devices,
      enrolled: this.#names.length,
      enrollFailed: this.#enrollFailed,
      withoutApp: this.#withoutApp,
      policyPatches: standIn.patches.length,
      statusReports: standIn.pushed.filter((m) => m.notificationType === 'STATUS_REPORT').length,
      pushesRefused: standIn.pushed.reduce((n, m) => n + m.answers.filter((status) => status < 200 || status >= 300).length, 0),
      quotaRefusals: standIn.counts.quotaRefusals,
      pendingPushes: standIn.pendingPushes,
      compliant: [...lastReport.values()].filter(Boolean).length,
      pendingInstalls: this.#timers.size,
    };
  }

  async #enrollOne(index: number): Promise<void> {
    const withoutApp = index * 100 < this.#options.devices * this.#options.missingAppPercent;
    // A 503 (Google's quota spent for now, Google unreachable) or a 429 (Envelope's per-address enrollment
    // limit) is tried again for up to 10 minutes, as a portal would.
    let answer = await this.#post('/mdm/android/enterprise/enroll', { token: this.#options.enrollmentToken });
    const giveUpAt = Date.now() + 10 * 60_000;
    for (let attempt = 1; (answer.status === 503 || answer.status === 429) && Date.now() < giveUpAt && !this.#stopped; attempt++) {
      await new Promise((resolve) => setTimeout(resolve, Math.min(250 * attempt, 2000)));
      answer = await this.#post('/mdm/android/enterprise/enroll', { token: this.#options.enrollmentToken });
    }
    const { status, body } = answer;
    if (status !== 200) throw new Error(`enroll: HTTP ${status}: ${body}`);
    const value = (JSON.parse(body) as { enrollmentToken: string }).enrollmentToken;
    const name = this.#options.standIn.enroll(value, { installed: withoutApp ? [] : [gmailPackage, nineWorkPackage], model: `Pixel ${8 + (index % 2)}` });
    this.#names.push(name);
    if (withoutApp) {
      this.#withoutApp++;
      if (this.#options.installAfterSeconds !== null) {
        const timer = setTimeout(() => {
          this.#timers.delete(timer);
          this.#options.standIn.installApp(name, gmailPackage);
          this.#options.standIn.installApp(name, nineWorkPackage);
          this.#withoutApp--;
        }, this.#options.installAfterSeconds * 1000);
        this.#timers.add(timer);
      }
    }
  }

  #post(path: string, json: unknown): Promise<{ status: number; body: string }> {
    const url = new URL(path, this.#options.server);
    const client = url.protocol === 'https:' ? https : http;
    return new Promise((resolve, reject) => {
      const request = client.request(url, { method: 'POST', agent: this.#agent, headers: { 'content-type': 'application/json' } }, (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () => resolve({ status: response.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
      });
      request.on('error', reject);
      request.end(JSON.stringify(json));
    });
  }
}
