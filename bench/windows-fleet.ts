// The Windows side of the fleet benchmark (bench/fleet.ts --platform windows|mix): simulated PCs
// seeded as enrolled, the HTTPS client they talk through, and their DMClient poll schedule.
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import http from 'node:http';
import https from 'node:https';
import { LatencyWindow } from '../sim/ios/latency-window.ts';
import { randomPcHardware, type PcHardware, type WindowsEnrollment } from '../sim/windows/enroll.ts';
import { PcNetworkError, type PcHttp } from '../sim/windows/pc-http.ts';
import { generateDeviceKey, type DeviceKeyPair } from '../sim/windows/pkcs10.ts';
import { pollDelayMinutes } from '../sim/windows/poll-schedule.ts';
import { readProvisioningDocument } from '../sim/windows/provisioning-doc.ts';
import { SimulatedPc, type PcObserver } from '../sim/windows/simulated-pc.ts';
import * as x509 from '../src/lib/x509.ts';
import { createCaCertificate, generateCaKeys, type IssuingCa } from '../src/pki/ca-certificate.ts';
import { extendedKeyUsages, issueCertificate, systemIssuanceEnvironment, validityWithin } from '../src/pki/issue-certificate.ts';
import { deviceIdentityLifetimeMs } from '../src/pki/issue-device-identity.ts';
import { subjectOids } from '../src/pki/subject-attributes.ts';
import { buildProvisioningDocument } from '../src/protocols/windows-enrollment/provisioning-document.ts';
import { windowsMdmProviderId, windowsMdmUrlsOrThrow } from '../src/services/enrollment/enrollment-urls.ts';
import { windowsDigestSecretContext } from '../src/services/enrollment/windows-enrollment-service.ts';
import type { SecretBox } from '../src/services/secrets/secret-box.ts';
import type { Db } from '../src/store/db.ts';

/**
 * What a PC holds after a real MS-MDE2 enrollment, made without the enrollment round trips (which
 * cost an RSA key and a certificate per PC and would make setup, not convergence, the run): one
 * RSA-2048 key shared by every PC (the server binds an enrollment to the SHA-256 of its certificate,
 * never to the key), a certificate per PC issued by a bench CA with the enrollment's template
 * (`CN=<DeviceID>`, digitalSignature + keyEncipherment, clientAuth, one year), and the provisioning
 * document built by the server's own `buildProvisioningDocument` and read by the simulator's
 * `readProvisioningDocument` — so the management URL, DIGEST credentials and DMClient poll schedule
 * each PC follows are exactly what enrollment writes. The server does not chain-check client
 * certificates (it requests one and looks its SHA-256 up), so the bench CA need not be the tenant CA.
 */
export interface WindowsBenchPki {
  ca: IssuingCa;
  caCertificateDer: Uint8Array;
  key: DeviceKeyPair;
  keyPem: string;
}

export async function createWindowsBenchPki(): Promise<WindowsBenchPki> {
  const caKeys = await generateCaKeys(false);
  const now = Date.now();
  const certificate = await createCaCertificate(caKeys, {
    commonName: 'Envelope Windows fleet bench CA', serialNumber: '01', notBefore: new Date(now - 3600_000), notAfter: new Date(now + 10 * 365 * 86400_000),
  });
  const key = await generateDeviceKey();
  return {
    ca: { certificate, privateKey: caKeys.privateKey },
    caCertificateDer: new Uint8Array(certificate.rawData),
    key,
    keyPem: pem('PRIVATE KEY', key.pkcs8Der),
  };
}

/** One seeded PC: the simulator's PC and the rows that bind it on the server. */
export interface SeededPc {
  pc: SimulatedPc;
  /** managed_devices.id */
  deviceId: string;
  hardware: PcHardware;
  certificateSha256: Buffer;
  certificateSerial: string;
  certificateNotAfter: Date;
  digestUsername: string;
  digestSecret: string;
}

/**
 * N PCs as enrolled at `publicUrl` (the OMA-DM address in their provisioning documents). With
 * `pushPfn`, each PC has been given the WNS app's Package Family Name, as the server's
 * `DMClient/Provider/<id>/Push/PFN` would have done, and so reports a channel URI on `channelUriBase`.
 */
export async function makeSeededPcs(options: {
  count: number;
  pki: WindowsBenchPki;
  publicUrl: string;
  upnOf: (index: number) => string;
  httpFor: (index: number) => PcHttp;
  observer: PcObserver;
  channelUriBase?: string;
  pushPfn?: string;
}): Promise<SeededPc[]> {
  const { pki } = options;
  const managementUrl = windowsMdmUrlsOrThrow(options.publicUrl).managementUrl;
  const env = systemIssuanceEnvironment;
  const validity = validityWithin(pki.ca, env, (issuedAt) => new Date(issuedAt.getTime() + deviceIdentityLifetimeMs));
  const seeded: SeededPc[] = [];
  for (let i = 0; i < options.count; i++) {
    const hardware = randomPcHardware();
    const deviceId = randomUUID();
    const der = await issueCertificate({
      ca: pki.ca, subject: [{ oid: subjectOids.CN, value: hardware.deviceId }], publicKey: pki.key.publicKey,
      notBefore: validity.notBefore, notAfter: validity.notAfter, keyUsage: ['digitalSignature', 'keyEncipherment'], extendedKeyUsages: [extendedKeyUsages.clientAuth],
    }, env);
    const digest = { username: `envelope-${randomBytes(16).toString('hex')}`, secret: randomBytes(32).toString('base64url') };
    const provisioning = readProvisioningDocument(buildProvisioningDocument({
      caCertificateDer: pki.caCertificateDer, clientCertificateDer: der, enrollmentType: 'Full', certificateCommonName: hardware.deviceId,
      providerId: windowsMdmProviderId, managementUrl, digest, entDmId: deviceId,
    }));
    const auth = provisioning.application.auth.find((entry) => entry.level === 'APPSRV' && entry.type === 'DIGEST');
    const enrollment: WindowsEnrollment = {
      upn: options.upnOf(i), hardware,
      discovery: { authPolicy: 'OnPremise', enrollmentVersion: undefined, enrollmentPolicyServiceUrl: undefined, enrollmentServiceUrl: windowsMdmUrlsOrThrow(options.publicUrl).enrollmentUrl, authenticationServiceUrl: undefined },
      policy: { minimalKeyLength: 2048, hashAlgorithmOid: undefined },
      provisioning, keys: pki.key,
      identity: { certificatePem: pem('CERTIFICATE', der), privateKeyPem: pki.keyPem, certificateDer: der },
      managementUrl: provisioning.application.addr, providerId: provisioning.application.providerId,
      digest: auth ? { name: auth.name!, secret: auth.secret!, nonce: auth.data, level: auth.level } : undefined,
      notes: [],
    };
    const pc = new SimulatedPc({
      enrollment, http: options.httpFor(i), observer: options.observer,
      ...(options.channelUriBase ? { channelUriBase: options.channelUriBase } : {}),
    });
    if (options.pushPfn) pc.tree.setPushPfn(enrollment.providerId, options.pushPfn);
    const certificate = new x509.X509Certificate(der);
    seeded.push({
      pc, deviceId, hardware,
      certificateSha256: createHash('sha256').update(der).digest(),
      certificateSerial: certificate.serialNumber.toUpperCase(),
      certificateNotAfter: certificate.notAfter,
      digestUsername: digest.username, digestSecret: digest.secret,
    });
  }
  return seeded;
}

/**
 * The rows a PC's enrollment and earlier sessions left: the managed Windows device with its primary
 * user, the `windows_enrollments` row (migration 0007: certificate SHA-256, DIGEST user and sealed
 * secret, LoginStatus user, seen before; with `channels`, the WNS channel URI its last session
 * reported), and `windows_mdm_devices` (migration 0008: verified an hour ago, so no read-back is due).
 */
export async function seedWindowsPcs(db: Db, pcs: SeededPc[], options: { tenantId: string; userIdOf: (index: number) => string; box: SecretBox; channels: boolean }): Promise<void> {
  const batch = 2000;
  const now = new Date();
  for (let from = 0; from < pcs.length; from += batch) {
    const slice = pcs.slice(from, from + batch);
    await db.query(
      `INSERT INTO managed_devices (tenant_id, id, device_name, operating_system, os_version, model, user_id)
       SELECT $1, id, name, 'Windows', os, NULL, user_id FROM unnest($2::uuid[], $3::text[], $4::text[], $5::uuid[]) AS t(id, name, os, user_id)`,
      [options.tenantId, slice.map((s) => s.deviceId), slice.map((s) => s.hardware.deviceName), slice.map((s) => s.hardware.osVersion), slice.map((_, k) => options.userIdOf(from + k))],
    );
    await db.query(
      `INSERT INTO windows_enrollments (tenant_id, device_id, windows_device_id, hw_dev_id, enrollment_type, certificate_sha256, certificate_serial,
         certificate_not_after, digest_username, sealed_digest_secret, push_channel_uri, push_channel_updated_at, login_status, last_seen_at)
       SELECT $1, device_id, windows_device_id, hw_dev_id, 'Full', decode(sha, 'hex'), serial, not_after, digest_username, decode(sealed, 'hex'),
              channel, CASE WHEN channel IS NULL THEN NULL ELSE $2::timestamptz END, 'user', $2::timestamptz
         FROM unnest($3::uuid[], $4::text[], $5::text[], $6::text[], $7::text[], $8::timestamptz[], $9::text[], $10::text[], $11::text[])
           AS t(device_id, windows_device_id, hw_dev_id, sha, serial, not_after, digest_username, sealed, channel)`,
      [options.tenantId, now, slice.map((s) => s.deviceId), slice.map((s) => s.hardware.deviceId), slice.map((s) => s.hardware.hwDevId),
        slice.map((s) => s.certificateSha256.toString('hex')), slice.map((s) => s.certificateSerial), slice.map((s) => s.certificateNotAfter),
        slice.map((s) => s.digestUsername),
        slice.map((s) => options.box.seal(Buffer.from(s.digestSecret, 'utf8'), windowsDigestSecretContext(options.tenantId, s.deviceId)).toString('hex')),
        slice.map((s) => (options.channels ? s.pc.channelUri ?? null : null))],
    );
    await db.query(
      `INSERT INTO windows_mdm_devices (tenant_id, device_id, software_version, verified_at, updated_at)
       SELECT $1, id, os, $2::timestamptz - interval '1 hour', $2::timestamptz FROM unnest($3::uuid[], $4::text[]) AS t(id, os)`,
      [options.tenantId, now, slice.map((s) => s.deviceId), slice.map((s) => s.hardware.osVersion)],
    );
  }
}

export interface Traffic {
  requests: number;
  failed: number;
  latency: LatencyWindow;
}

export const newTraffic = (): Traffic => ({ requests: 0, failed: 0, latency: new LatencyWindow(20_000) });

/**
 * How the bench's PCs reach the servers: each PC has its own keep-alive agent (one connection, its
 * own client certificate, its TLS session cache, as a real PC has), so PCs never wait for another
 * PC's idle socket; an idle connection is closed after `idleCloseMs` (a PC's sessions are minutes
 * apart). PC `i` talks to server `i % servers` (the URL's port rewritten: every server serves the
 * same paths) from 127.0.0.(1 + ⌊i / servers⌋ % addresses). At most `concurrency` sessions run at
 * once (`session`); wakes of a PC waiting for its turn, or in a session, coalesce as on Windows.
 */
export function windowsNetwork(options: { caPem: string; ports: number[]; addresses: number; concurrency: number; idleCloseMs?: number; timeoutMs?: number }) {
  const total = newTraffic();
  const perServer = options.ports.map(() => newTraffic());
  const origin = `https://127.0.0.1:${options.ports[0]}`;
  const agents = new Map<number, https.Agent>();
  const timeoutMs = options.timeoutMs ?? 60_000;
  const maxResponseBytes = 8 * 1024 * 1024;
  const agentOf = (i: number) => {
    let agent = agents.get(i);
    if (!agent) {
      const address = Math.floor(i / options.ports.length) % options.addresses;
      agent = new https.Agent({ keepAlive: true, maxSockets: 1, maxFreeSockets: 1, timeout: options.idleCloseMs ?? 2000, ca: options.caPem, localAddress: `127.0.0.${1 + address}` });
      agents.set(i, agent);
    }
    return agent;
  };
  const httpFor = (i: number): PcHttp => {
    const server = i % options.ports.length;
    const own = `https://127.0.0.1:${options.ports[server]}`;
    const traffic = perServer[server]!;
    return (pcRequest) => new Promise((resolve, reject) => {
      const started = performance.now();
      const count = (ok: boolean) => {
        const ms = performance.now() - started;
        for (const t of [total, traffic]) {
          t.requests++;
          if (!ok) t.failed++;
          t.latency.record(ms);
        }
      };
      const url = new URL(own === origin ? pcRequest.url : pcRequest.url.replace(origin, own));
      const headers: Record<string, string | number> = { ...pcRequest.headers };
      const body = pcRequest.body === undefined ? undefined : Buffer.from(pcRequest.body, 'utf8');
      if (body) headers['content-length'] = body.byteLength;
      const fail = (error: Error) => {
        count(false);
        reject(new PcNetworkError(`${pcRequest.method} ${url.origin}${url.pathname}: ${error.message}`, { cause: error }));
      };
      const outgoing = https.request(url, {
        method: pcRequest.method, headers, agent: agentOf(i),
        ...(pcRequest.identity ? { cert: pcRequest.identity.certificatePem, key: pcRequest.identity.privateKeyPem } : {}),
      }, (incoming: http.IncomingMessage) => {
        const chunks: Buffer[] = [];
        let size = 0;
        incoming.on('data', (chunk: Buffer) => {
          size += chunk.length;
          if (size > maxResponseBytes) outgoing.destroy(new Error(`the response is larger than ${maxResponseBytes} bytes`));
          else chunks.push(chunk);
        });
        incoming.on('end', () => {
          count(incoming.statusCode === 200);
          resolve({ status: incoming.statusCode ?? 0, headers: incoming.headers, body: Buffer.concat(chunks).toString('utf8') });
        });
        incoming.on('error', fail);
      });
      outgoing.setTimeout(timeoutMs, () => outgoing.destroy(new Error(`no answer within ${timeoutMs} ms`)));
      outgoing.on('error', fail);
      outgoing.end(body);
    });
  };
  const limiter = new Limiter(options.concurrency);
  const state = new Map<number, 'queued' | 'running'>();
  return {
    total,
    perServer,
    httpFor,
    /**
     * Wakes PC `i` (a push or a poll): a session when a slot is free. A wake while it waits or runs
     * coalesces (SimulatedPc runs one more session after the current one). `done` hears how it ended.
     */
    wake(i: number, pc: SimulatedPc, trigger: 'push' | 'poll', done?: (pc: SimulatedPc) => void): void {
      const current = state.get(i);
      if (current === 'running') {
        void pc.wake(trigger);
        return;
      }
      if (current === 'queued') return;
      state.set(i, 'queued');
      void limiter.run(async () => {
        state.set(i, 'running');
        try {
          await pc.wake(trigger);
        } finally {
          state.delete(i);
          done?.(pc);
        }
      });
    },
    reset() {
      for (const t of [total, ...perServer]) {
        t.requests = 0;
        t.failed = 0;
        t.latency.take();
      }
    },
    destroy() {
      for (const agent of agents.values()) agent.destroy();
    },
  };
}

/** At most `size` tasks at once, the others in arrival order. */
class Limiter {
  readonly #size: number;
  #running = 0;
  readonly #queue: Array<() => void> = [];

  constructor(size: number) {
    this.#size = Math.max(1, size);
  }

  async run<T>(task: () => Promise<T>): Promise<T> {
    if (this.#running >= this.#size) await new Promise<void>((resolve) => this.#queue.push(resolve));
    else this.#running++;
    try {
      return await task();
    } finally {
      const next = this.#queue.shift();
      if (next) next();
      else this.#running--;
    }
  }
}

/**
 * The DMClient poll schedule each PC got at enrollment (its provisioning document's `Poll`; decision
 * 0016), run `scale` times faster than real time. `stage` says where in the schedule the fleet is:
 * `remaining` — a fleet enrolled for more than the first two sets (10 × 1 min, 8 × 15 min), polling
 * on the remaining set's interval — or `first`, PCs that just enrolled. Each PC starts at a random
 * point of its current interval (PCs enrolled at different times), then follows the schedule.
 */
export function startPolling(pcs: SimulatedPc[], options: { scale: number; stage: 'first' | 'remaining'; poll: (index: number) => void; random?: () => number }): { intervalMinutes: number; stop: () => void } {
  const random = options.random ?? Math.random;
  const minuteMs = 60_000 / options.scale;
  const timers: NodeJS.Timeout[] = new Array(pcs.length);
  let stopped = false;
  let intervalMinutes = 0;
  pcs.forEach((pc, index) => {
    const poll = pc.tree.poll(pc.enrollment.providerId);
    const number = (name: string) => Number(poll.get(name) ?? '0') || 0;
    let count = options.stage === 'first' ? 0 : number('NumberOfFirstRetries') + number('NumberOfSecondRetries');
    const first = pollDelayMinutes(poll, count);
    if (first === undefined) return;
    intervalMinutes = first;
    const next = (delayMinutes: number) => {
      timers[index] = setTimeout(() => {
        if (stopped) return;
        options.poll(index);
        const delay = pollDelayMinutes(poll, ++count);
        if (delay !== undefined) next(delay);
      }, delayMinutes * minuteMs);
      timers[index].unref();
    };
    next(first * random());
  });
  return {
    intervalMinutes,
    stop() {
      stopped = true;
      for (const timer of timers) clearTimeout(timer);
    },
  };
}

function pem(label: string, der: Uint8Array): string {
  return `-----BEGIN ${label}-----\n${Buffer.from(der).toString('base64').replace(/(.{64})/g, '$1\n').replace(/\n$/, '')}\n-----END ${label}-----\n`;
}
