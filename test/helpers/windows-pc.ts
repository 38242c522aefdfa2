import assert from 'node:assert/strict';
import { createHash, createHmac, randomBytes, webcrypto, X509Certificate } from 'node:crypto';
import { request as httpsRequest } from 'node:https';
import type { InjectOptions } from 'fastify';
import { XMLParser } from 'fast-xml-parser';
import { createTestCa, type TestCa } from '../../sim/apns/apns-test-pki.ts';
import * as x509 from '../../src/lib/x509.ts';
import { createEnvelope, type Envelope } from '../../src/main.ts';
import type { DeliveryOptions } from '../../src/services/delivery/delivery-service.ts';
import { SecretBox } from '../../src/services/secrets/secret-box.ts';
import { digestSecretContext, windowsManagementPath } from '../../src/services/windows-mdm/windows-mdm-constants.ts';
import type { WindowsMdmOptions } from '../../src/services/windows-mdm/windows-mdm-service.ts';
import { readSyncMl, type ReadSyncMlCommand } from '../conformance/windows-syncml-reader.ts';
import { adminRequester, freePort, type E2ePki } from './https-envelope.ts';
import type { Reply } from './test-app.ts';
import { openTestDb, type TestDb } from './test-db.ts';

/**
 * A Windows PC for the OMA-DM endpoint's tests, speaking SyncML as Microsoft's documentation shows
 * (https://learn.microsoft.com/windows/client-management/oma-dm-protocol-support): a session opens
 * with Alert 1201, the 1224 LoginStatus alert and a Replace of `./DevInfo`; every later message
 * returns a Status for the server's SyncHdr and for each server command (nested ones included,
 * an Atomic's own Status first) and Results for each Get. The PC's messages are written here by
 * hand, not with the server's codec, and server messages are read with fast-xml-parser directly.
 *
 * Its management tree is a map of LocURIs with the CSP rules the tests need: Add of an existing
 * node answers 418; a Replace or Get below a missing node 404; Delete removes a subtree (404 when
 * absent); an Atomic applies all or nothing (507, the failing command's code, 216 for the others).
 */
export class TestWindowsPc {
  readonly deviceId: string;
  readonly windowsDeviceId: string;
  readonly digestUserName: string;
  digestSecret: string;
  /** The nonce for the next credential: the last Chal's NextNonce; at first the one enrollment provisioned (AAUTHDATA). */
  nonce: Buffer;
  /** Whether messages carry a SyncML DIGEST credential. */
  sendCredentials = true;
  loginStatus: 'user' | 'others' | 'none' = 'user';
  channelUri = 'https://wns2-by3p.notify.windows.com/w/?token=AwYAAABq';
  softwareVersion = '10.0.22631.4460';
  readonly tree = new Map<string, string>();
  /** Forces a status for a command (undefined: apply it normally). */
  statusFor: (command: ReadSyncMlCommand) => number | undefined = () => undefined;
  /** The answer a `sync` with `dropAfter` built (the commands applied) but did not send. */
  unsentAnswer: string | null = null;
  /** Every server message of every session, in order. */
  readonly received: ServerMessageView[] = [];
  #transport: Transport;
  #session = 0x10;
  #msgId = 0;
  readonly #serverUrl: string;

  constructor(options: { deviceId: string; windowsDeviceId: string; digestUserName: string; digestSecret: string; transport: Transport; serverUrl: string }) {
    this.deviceId = options.deviceId;
    this.windowsDeviceId = options.windowsDeviceId;
    this.digestUserName = options.digestUserName;
    this.digestSecret = options.digestSecret;
    // What MS-MDE2 enrollment provisions as AAUTHDATA (decision 0016): HMAC-SHA256 of the secret, 16 bytes.
    this.nonce = createHmac('sha256', options.digestSecret).update('Envelope initial SyncML DIGEST nonce').digest().subarray(0, 16);
    this.#transport = options.transport;
    this.#serverUrl = options.serverUrl;
  }

  get sessionId(): string {
    return this.#session.toString(16).toUpperCase();
  }

  /**
   * One management session: the opening message (plus `extraAlerts`, raw XML), the answer to an
   * authentication challenge, then the answers to the server's commands until it sends none.
   * With `dropAfter` the PC applies the commands of that many server messages and then goes silent
   * (a crash, a lost network) without answering them.
   */
  async sync(options: { extraAlerts?: string; maxMessages?: number; dropAfter?: number } = {}): Promise<ServerMessageView[]> {
    this.#session += 1;
    this.#msgId = 0;
    const opening = `<Alert><CmdID>1</CmdID><Data>1201</Data></Alert>`
      + `<Alert><CmdID>2</CmdID><Data>1224</Data><Item><Meta><Type xmlns="syncml:metinf">com.microsoft/MDM/LoginStatus</Type><Format xmlns="syncml:metinf">chr</Format></Meta><Data>${this.loginStatus}</Data></Item></Alert>`
      + `<Replace><CmdID>3</CmdID>${devInfoItem('DevId', this.windowsDeviceId)}${devInfoItem('Man', 'Contoso')}${devInfoItem('Mod', 'Surface Laptop 5')}${devInfoItem('DmV', '1.3')}${devInfoItem('Lang', 'en-US')}</Replace>`
      + (options.extraAlerts ?? '');
    const messages: ServerMessageView[] = [];
    let reply = await this.send(opening);
    if (isChallenge(reply.body)) reply = await this.send(opening);
    for (let i = 0; i < (options.maxMessages ?? 10); i++) {
      assert.equal(reply.status, 200, reply.body);
      const view = readServerMessage(reply.body);
      messages.push(view);
      this.received.push(view);
      if (view.commands.length === 0) break;
      const answer = this.answer(view);
      if (options.dropAfter !== undefined && messages.length >= options.dropAfter) {
        this.unsentAnswer = answer;
        break;
      }
      reply = await this.send(answer);
    }
    return messages;
  }

  /** Posts one message of the current session (`body`: the SyncBody's commands, without Final). */
  async send(body: string, options: { sessionId?: string; msgId?: number } = {}): Promise<{ status: number; body: string }> {
    this.#msgId = options.msgId ?? this.#msgId + 1;
    const reply = await this.#transport(this.message(body, options.sessionId ?? this.sessionId, this.#msgId));
    const nonce = /<NextNonce[^>]*>([^<]*)<\/NextNonce>/.exec(reply.body)?.[1];
    if (nonce !== undefined) this.nonce = Buffer.from(nonce, 'base64');
    return reply;
  }

  /** A whole message: the SyncHdr (with the DIGEST credential for the current nonce) and `body`. */
  message(body: string, sessionId: string, msgId: number): string {
    const cred = this.sendCredentials
      ? `<Cred><Meta><Format xmlns="syncml:metinf">b64</Format><Type xmlns="syncml:metinf">syncml:auth-md5</Type></Meta><Data>${this.credential()}</Data></Cred>`
      : '';
    return `<SyncML xmlns="SYNCML:SYNCML1.2"><SyncHdr><VerDTD>1.2</VerDTD><VerProto>DM/1.2</VerProto><SessionID>${sessionId}</SessionID><MsgID>${msgId}</MsgID>`
      + `<Target><LocURI>${this.#serverUrl}</LocURI></Target><Source><LocURI>${this.windowsDeviceId}</LocURI></Source>${cred}</SyncHdr><SyncBody>${body}<Final/></SyncBody></SyncML>`;
  }

  /** b64(MD5(b64(MD5(name:secret)):nonce)), computed here on its own. */
  credential(): string {
    const inner = createHash('md5').update(`${this.digestUserName}:${this.digestSecret}`).digest('base64');
    return createHash('md5').update(Buffer.concat([Buffer.from(`${inner}:`), this.nonce])).digest('base64');
  }

  /** Applies a server message to the tree and returns the answer: Status for its SyncHdr and every command, Results for Gets. */
  answer(view: ServerMessageView): string {
    let cmdId = 1;
    const parts = [status(cmdId++, view.MsgID, '0', 'SyncHdr', 200)];
    for (const command of view.commands) {
      if (command.command === 'Atomic') {
        const inner = command.commands ?? [];
        const copy = new Map(this.tree);
        const codes = inner.map((c) => this.#apply(c, copy).code);
        const failed = codes.findIndex((code) => code >= 300);
        if (failed === -1) {
          this.tree.clear();
          for (const [key, value] of copy) this.tree.set(key, value);
        }
        parts.push(status(cmdId++, view.MsgID, String(command.CmdID), 'Atomic', failed === -1 ? 200 : 507));
        inner.forEach((c, i) => parts.push(status(cmdId++, view.MsgID, String(c.CmdID), c.command, failed === -1 ? codes[i]! : i === failed ? codes[i]! : 216)));
        continue;
      }
      const { code, data } = this.#apply(command, this.tree);
      parts.push(status(cmdId++, view.MsgID, String(command.CmdID), command.command, code));
      if (command.command === 'Get' && data !== null) {
        parts.push(`<Results><CmdID>${cmdId++}</CmdID><MsgRef>${view.MsgID}</MsgRef><CmdRef>${command.CmdID}</CmdRef><Item><Source><LocURI>${escape(command.LocURI ?? '')}</LocURI></Source><Meta><Format xmlns="syncml:metinf">chr</Format></Meta><Data>${escape(data)}</Data></Item></Results>`);
      }
    }
    return parts.join('');
  }

  /** The leaves of the account `guid` (any case, with or without braces) under `./User/Vendor/MSFT/ActiveSync`. */
  account(guid: string): Record<string, string> | null {
    const prefix = `./User/Vendor/MSFT/ActiveSync/Accounts/%7B${guid.replace(/[{}]/g, '').toUpperCase()}%7D/`;
    const leaves = Object.fromEntries([...this.tree].filter(([key]) => key.startsWith(prefix)).map(([key, value]) => [key.slice(prefix.length), value]));
    return Object.keys(leaves).length === 0 ? null : leaves;
  }

  /** GUIDs of the ActiveSync accounts in the tree, upper-case without braces. */
  accountGuids(): string[] {
    const guids = new Set<string>();
    for (const key of this.tree.keys()) {
      const guid = /\/Accounts\/%7B([0-9A-F-]+)%7D\//.exec(key)?.[1];
      if (guid) guids.add(guid);
    }
    return [...guids].sort();
  }

  #apply(command: ReadSyncMlCommand, tree: Map<string, string>): { code: number; data: string | null } {
    const forced = this.statusFor(command);
    if (forced !== undefined) return { code: forced, data: null };
    const uri = command.LocURI ?? '';
    const exists = (node: string) => tree.has(node) || [...tree.keys()].some((key) => key.startsWith(`${node}/`));
    switch (command.command) {
      case 'Add':
        if (exists(uri)) return { code: 418, data: null };
        tree.set(uri, command.Data ?? '');
        return { code: 200, data: null };
      case 'Replace':
        if (!exists(uri.slice(0, uri.lastIndexOf('/')))) return { code: 404, data: null };
        tree.set(uri, command.Data ?? '');
        return { code: 200, data: null };
      case 'Delete': {
        if (!exists(uri)) return { code: 404, data: null };
        for (const key of [...tree.keys()]) if (key === uri || key.startsWith(`${uri}/`)) tree.delete(key);
        return { code: 200, data: null };
      }
      case 'Get': {
        if (uri.endsWith('/Push/ChannelURI')) return { code: 200, data: this.channelUri };
        if (uri === './DevDetail/SwV') return { code: 200, data: this.softwareVersion };
        if (tree.has(uri)) return { code: 200, data: tree.get(uri)! };
        if (!exists(uri)) return { code: 404, data: null };
        const children = new Set([...tree.keys()].filter((key) => key.startsWith(`${uri}/`)).map((key) => key.slice(uri.length + 1).split('/')[0]!));
        return { code: 200, data: [...children].join('/') };
      }
      default:
        return { code: 406, data: null };
    }
  }
}

/** A server message as the PC reads it. */
export interface ServerMessageView {
  raw: string;
  SessionID: string;
  MsgID: number;
  statuses: { CmdID: string; MsgRef: string; CmdRef: string; Cmd: string; Data: string; NextNonce: string | null }[];
  /** Commands in order, Atomic with its nested commands (readSyncMl's shape). */
  commands: ReadSyncMlCommand[];
  /** Structural faults (a command without CmdID …). */
  problems: string[];
}

const parser = new XMLParser({ parseTagValue: false, isArray: (name) => name === 'Status' });

export function readServerMessage(xml: string): ServerMessageView {
  const root = parser.parse(xml).SyncML;
  assert.ok(root, `a SyncML message: ${xml}`);
  const { commands, problems } = readSyncMl(xml);
  const statuses = ((root.SyncBody?.Status ?? []) as Record<string, unknown>[]).map((s) => ({
    CmdID: String(s.CmdID),
    MsgRef: String(s.MsgRef),
    CmdRef: String(s.CmdRef),
    Cmd: String(s.Cmd),
    Data: String(s.Data),
    NextNonce: (s.Chal as { Meta?: { NextNonce?: string } } | undefined)?.Meta?.NextNonce ?? null,
  }));
  return { raw: xml, SessionID: String(root.SyncHdr.SessionID), MsgID: Number(root.SyncHdr.MsgID), statuses, commands, problems };
}

/** The SyncHdr status of a server message, e.g. `'407'` for an authentication challenge; null for a body that is not SyncML. */
export function headerStatusOf(body: string): string | null {
  return /<Status><CmdID>\d+<\/CmdID><MsgRef>\d+<\/MsgRef><CmdRef>0<\/CmdRef><Cmd>SyncHdr<\/Cmd>(?:<Chal>[\s\S]*?<\/Chal>)?<Data>(\d{3})<\/Data>/.exec(body)?.[1] ?? null;
}

/** Whether a server message challenges the PC to authenticate (SyncHdr status 401 or 407). */
export function isChallenge(body: string): boolean {
  const status = headerStatusOf(body);
  return status === '401' || status === '407';
}

/** Every command of a message with nested ones, in document order. */
export function flatCommands(commands: readonly ReadSyncMlCommand[]): ReadSyncMlCommand[] {
  return commands.flatMap((command) => [command, ...flatCommands(command.commands ?? [])]);
}

function status(cmdId: number, msgRef: number, cmdRef: string, cmd: string, code: number): string {
  return `<Status><CmdID>${cmdId}</CmdID><MsgRef>${msgRef}</MsgRef><CmdRef>${cmdRef}</CmdRef><Cmd>${cmd}</Cmd><Data>${code}</Data></Status>`;
}

function devInfoItem(name: string, value: string): string {
  return `<Item><Source><LocURI>./DevInfo/${name}</LocURI></Source><Data>${escape(value)}</Data></Item>`;
}

function escape(value: string): string {
  return value.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;');
}

/** Posts one SyncML message and returns the HTTP answer. */
export type Transport = (xml: string, contentType?: string) => Promise<{ status: number; body: string }>;

/** An Envelope for the Windows tests, reached through inject, or over HTTPS when `pki` is given. */
export interface WindowsTestEnvelope {
  envelope: Envelope;
  secretKey: Buffer;
  /** `https://127.0.0.1:<port>` when listening, else the public URL. */
  origin: string;
  request(method: InjectOptions['method'], url: string, body?: unknown): Promise<Reply>;
  query<R = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<R[]>;
  count(table: string): Promise<number>;
  /** Posts through inject (no TLS, so no client certificate: DIGEST). */
  inject: Transport;
  close(): Promise<void>;
}

export async function startWindowsEnvelope(options: { deliveryOptions?: Partial<DeliveryOptions>; windowsMdmOptions?: Partial<WindowsMdmOptions>; pki?: E2ePki; amapi?: Parameters<typeof createEnvelope>[0]['amapi'] } = {}): Promise<WindowsTestEnvelope> {
  const testDb: TestDb = await openTestDb();
  const secretKey = randomBytes(32);
  const adminToken = `env_test_${randomBytes(24).toString('base64url')}`;
  const port = options.pki ? await freePort() : 0;
  const origin = options.pki ? `https://127.0.0.1:${port}` : 'https://envelope.test';
  const envelope = await createEnvelope({
    db: testDb.db,
    secretKey,
    adminToken,
    logger: false,
    publicUrl: origin,
    https: options.pki ? { cert: Buffer.from(options.pki.tls.certificatePem), key: Buffer.from(options.pki.tls.privateKeyPem) } : null,
    deliveryOptions: options.deliveryOptions,
    windowsMdmOptions: options.windowsMdmOptions,
    ...(options.amapi ? { amapi: options.amapi } : {}),
  });
  if (options.pki) await envelope.app.listen({ port, host: '127.0.0.1' });
  return {
    envelope,
    secretKey,
    origin,
    request: adminRequester(() => envelope.app, adminToken),
    query: (sql, params) => envelope.db.query(sql, params),
    async count(table) {
      if (!/^[a-z_]+$/.test(table)) throw new Error(`bad table name ${table}`);
      return (await envelope.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${table}`))[0]!.n;
    },
    async inject(xml, contentType = 'application/vnd.syncml.dm+xml') {
      const reply = await envelope.app.inject({ method: 'POST', url: windowsManagementPath, headers: { 'content-type': contentType }, payload: Buffer.from(xml, 'utf8') });
      return { status: reply.statusCode, body: reply.body };
    },
    async close() {
      await envelope.app.close();
      await testDb.dispose();
    },
  };
}

/** A client certificate for a PC, as the enrollment issues one (CN = its DeviceID, EKU clientAuth). */
export interface PcCertificate {
  certificatePem: string;
  privateKeyPem: string;
  der: Buffer;
}

const ecAlgorithm = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;

export async function issuePcCertificate(ca: TestCa, windowsDeviceId: string): Promise<PcCertificate> {
  const keys = (await webcrypto.subtle.generateKey(ecAlgorithm, true, ['sign', 'verify'])) as webcrypto.CryptoKeyPair;
  const certificate = await x509.X509CertificateGenerator.create({
    serialNumber: randomBytes(8).toString('hex').replace(/^[89a-f]/, '1'),
    subject: `CN=${windowsDeviceId}`,
    issuer: ca.certificate.subject,
    notBefore: new Date(Date.now() - 3600_000),
    notAfter: new Date(Date.now() + 365 * 24 * 3600_000),
    signingAlgorithm: ecAlgorithm,
    publicKey: keys.publicKey as never,
    signingKey: ca.keys.privateKey as never,
    extensions: [new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.clientAuth])],
  }, webcrypto as never);
  const pkcs8 = Buffer.from(await webcrypto.subtle.exportKey('pkcs8', keys.privateKey));
  return { certificatePem: certificate.toString('pem'), privateKeyPem: x509.PemConverter.encode(pkcs8, 'PRIVATE KEY'), der: Buffer.from(certificate.rawData) };
}

/**
 * Enrolls a PC the way the MS-MDE2 enrollment leaves it: a managed device of the user and a
 * `windows_enrollments` row with the client certificate's SHA-256 and a sealed DIGEST secret.
 */
export async function enrollTestPc(
  env: WindowsTestEnvelope,
  options: { userId: string | null; operatingSystem?: 'Windows' | 'WindowsPhone'; ca?: TestCa; transport?: (certificate: PcCertificate) => Transport },
): Promise<{ pc: TestWindowsPc; certificate: PcCertificate }> {
  const created = await env.request('POST', '/graph/beta/deviceManagement/managedDevices', {
    deviceName: `PC-${randomBytes(3).toString('hex')}`,
    operatingSystem: options.operatingSystem ?? 'Windows',
    osVersion: '10.0.22631.4460',
    ...(options.userId === null ? {} : { userId: options.userId }),
  });
  assert.equal(created.status, 201, JSON.stringify(created.body));
  const deviceId = created.body.id as string;
  const [{ tenant_id: tenantId }] = await env.query<{ tenant_id: string }>('SELECT tenant_id FROM managed_devices WHERE id = $1', [deviceId]) as [{ tenant_id: string }];
  const windowsDeviceId = randomBytes(16).toString('hex').toUpperCase();
  const certificate = await issuePcCertificate(options.ca ?? (await createTestCa('Envelope test PC CA')), windowsDeviceId);
  const digestUserName = `pc-${windowsDeviceId.slice(0, 12)}`;
  const digestSecret = randomBytes(18).toString('base64url');
  const sealed = new SecretBox(env.secretKey).seal(Buffer.from(digestSecret), digestSecretContext(tenantId, deviceId));
  await env.query(
    `INSERT INTO windows_enrollments (tenant_id, device_id, windows_device_id, hw_dev_id, enrollment_type, certificate_sha256, certificate_serial,
       certificate_not_after, digest_username, sealed_digest_secret)
     VALUES ($1, $2, $3, $4, 'Full', $5, $6, $7, $8, $9)`,
    [tenantId, deviceId, windowsDeviceId, `HW-${windowsDeviceId}`, createHash('sha256').update(certificate.der).digest(), new X509Certificate(certificate.der).serialNumber,
      new Date(Date.now() + 365 * 24 * 3600_000), digestUserName, sealed],
  );
  const pc = new TestWindowsPc({ deviceId, windowsDeviceId, digestUserName, digestSecret, transport: options.transport?.(certificate) ?? env.inject, serverUrl: `${env.origin}${windowsManagementPath}` });
  return { pc, certificate };
}

/** Posts over real HTTPS, presenting `certificate` as the TLS client certificate (none when null). */
export function httpsTransport(origin: string, serverCaPem: string, certificate: PcCertificate | null): Transport {
  return (xml, contentType = 'application/vnd.syncml.dm+xml') => new Promise((resolve, reject) => {
    const body = Buffer.from(xml, 'utf8');
    const request = httpsRequest(`${origin}${windowsManagementPath}`, {
      method: 'POST',
      ca: serverCaPem,
      ...(certificate === null ? {} : { cert: certificate.certificatePem, key: certificate.privateKeyPem }),
      headers: { 'content-type': contentType, 'content-length': String(body.length) },
      agent: false,
    }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
    });
    request.on('error', reject);
    request.end(body);
  });
}
