import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { InjectOptions } from 'fastify';
import { ApnsStandIn } from '../../../sim/apns/apns-standin.ts';
import { AmapiStandIn } from '../../../sim/amapi/amapi-standin.ts';
import { FcmStandIn } from '../../../sim/fcm/fcm-standin.ts';
import { loadOrCreateStandInPki, type StandInPki } from '../../../sim/ios/apns-standin-files.ts';
import { WnsStandIn } from '../../../sim/windows/wns-standin.ts';
import { createEnvelope, loadSecretKey, openDatabase, type Envelope } from '../../main.ts';

/** An admin request to the demo's Envelope (through inject: the admin API needs no socket). */
export type AdminRequest = (method: InjectOptions['method'], url: string, body?: unknown) => Promise<{ status: number; body: unknown }>;

/**
 * The demo's running pieces: Envelope over HTTPS on 127.0.0.1 with its embedded database in
 * `dataDir`, and local stand-ins for APNs, WNS, FCM and the Android Management API (sim/), all on
 * one private CA kept in `dataDir` (browsers warn about it; the devices trust it).
 */
export interface DemoEnvironment {
  envelope: Envelope;
  origin: string;
  adminToken: string;
  pki: StandInPki;
  apns: ApnsStandIn;
  wns: WnsStandIn;
  fcm: FcmStandIn;
  amapi: AmapiStandIn;
  /** The service-account key the AMAPI stand-in accepts (for androidEnterpriseSettings). */
  amapiKey: { clientEmail: string; json: string };
  request: AdminRequest;
  close(): Promise<void>;
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** Starts the stand-ins and Envelope (wake worker, Android Enterprise sync and maintenance running). `port` 0: any free port. */
export async function startDemoEnvironment(options: { dataDir: string; port: number }): Promise<DemoEnvironment> {
  const closers: Array<() => Promise<unknown>> = [];
  const close = async () => {
    for (const fn of closers.reverse()) await fn().catch(() => undefined);
  };
  try {
    const pki = await loadOrCreateStandInPki(join(options.dataDir, 'pki'));
    const identity = { certificatePem: pki.server.certificatePem, privateKeyPem: pki.server.privateKeyPem };
    const apns = await ApnsStandIn.start({ ...identity, clientCa: pki.ca.certificatePem });
    closers.push(() => apns.close());
    const wns = await WnsStandIn.start(identity);
    closers.push(() => wns.close());
    const fcm = await FcmStandIn.start(identity);
    closers.push(() => fcm.close());
    const amapi = new AmapiStandIn({ pushCa: pki.ca.certificatePem });
    const amapiRoot = await amapi.start();
    closers.push(() => amapi.stop());
    const { generateKeyPairSync } = await import('node:crypto');
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const privateKeyPem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    const clientEmail = 'envelope-demo@contoso-demo.iam.gserviceaccount.com';
    amapi.registerServiceAccount(clientEmail, privateKeyPem);
    const amapiKey = {
      clientEmail,
      json: JSON.stringify({ type: 'service_account', project_id: 'contoso-demo', private_key_id: randomBytes(20).toString('hex'), private_key: privateKeyPem, client_email: clientEmail, token_uri: 'https://oauth2.googleapis.com/token' }),
    };
    writeFileSync(join(options.dataDir, 'demo-ca.pem'), pki.ca.certificatePem);

    const port = options.port === 0 ? await freePort() : options.port;
    const origin = `https://127.0.0.1:${port}`;
    const adminToken = `env_demo_${randomBytes(24).toString('base64url')}`;
    const db = await openDatabase({ databaseUrl: null, dataDir: options.dataDir });
    closers.push(() => db.close());
    const envelope = await createEnvelope({
      db,
      secretKey: loadSecretKey({ secretKey: null, dataDir: options.dataDir }),
      adminToken,
      logger: false,
      publicUrl: origin,
      https: { cert: Buffer.from(pki.server.certificatePem), key: Buffer.from(pki.server.privateKeyPem) },
      apns: { url: apns.url, ca: pki.ca.certificatePem },
      wns: { url: wns.url, ca: pki.ca.certificatePem },
      fcm: { url: fcm.url, ca: pki.ca.certificatePem },
      amapi: { url: amapiRoot },
      // A lively demo: devices are pushed within a fraction of a second of a change.
      wake: { pollIntervalMs: 200 },
    });
    // The database closes with Envelope from here on.
    closers.pop();
    closers.push(() => envelope.close());
    await envelope.app.listen({ port, host: '127.0.0.1' });
    envelope.wakeWorker.start();
    envelope.amapiSync.start();
    envelope.maintenance.start();
    const request: AdminRequest = async (method, url, body) => {
      const raw = await envelope.app.inject({
        method,
        url,
        headers: { authorization: `Bearer ${adminToken}` },
        ...(body === undefined ? {} : { payload: body as InjectOptions['payload'] }),
      });
      return { status: raw.statusCode, body: raw.body && String(raw.headers['content-type'] ?? '').includes('json') ? JSON.parse(raw.body) : raw.body };
    };
    return { envelope, origin, adminToken, pki, apns, wns, fcm, amapi, amapiKey, request, close };
  } catch (error) {
    await close();
    throw error;
  }
}
