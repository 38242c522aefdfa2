import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import {
  decodeCommand,
  encodeCheckinMessage,
  encodeCommandResult,
  signMdmMessage,
  type CommandResult,
  type ErrorChainItem,
  type MdmCommand,
  type MdmSigningIdentity,
  type ProfileListItem,
} from '../../src/protocols/apple-mdm/index.ts';
import { download, openEnrollmentProfile, tenantCaPem, type EnrollmentSetup } from './apple-enrollment.ts';
import type { TestApp } from './test-app.ts';

export interface MdmReply {
  status: number;
  body: Buffer;
  headers: Record<string, unknown>;
  /** The command in a 200 body; null for an empty body. */
  command: MdmCommand | null;
}

/**
 * A minimal device written against Apple's protocol with the codec, through `app.inject` (no TLS):
 * for endpoint tests that need exact control of each request. The HTTPS simulator in sim/ios is what
 * end-to-end tests use.
 */
export class TestAppleDevice {
  readonly udid = randomUUID().toUpperCase();
  readonly token = randomBytes(32);
  readonly pushMagic = randomUUID().toUpperCase();
  readonly #t: TestApp;
  readonly identity: MdmSigningIdentity & { certificateSha256: string };
  readonly topic: string;

  constructor(t: TestApp, identity: MdmSigningIdentity & { certificateSha256: string }, topic: string) {
    this.#t = t;
    this.identity = identity;
    this.topic = topic;
  }

  /** Downloads and opens an enrollment profile for `setup`'s token (verifying its signature). */
  static async enroll(t: TestApp, setup: EnrollmentSetup, admin: string = t.adminToken, remoteAddress?: string): Promise<TestAppleDevice> {
    const profile = await download(t, setup.enrollmentUrl, remoteAddress);
    assert.equal(profile.status, 200);
    const opened = await openEnrollmentProfile(profile.bytes, await tenantCaPem(t, admin));
    const device = new TestAppleDevice(t, opened.identity, opened.mdmPayload.Topic as string);
    assert.equal((await device.checkIn({ MessageType: 'Authenticate', UDID: device.udid, Topic: device.topic, OSVersion: '17.5', ProductName: 'iPhone15,2', SerialNumber: `SN${device.udid.slice(0, 8)}` })).status, 200);
    assert.equal((await device.checkIn({ MessageType: 'TokenUpdate', UDID: device.udid, Topic: device.topic, Token: device.token, PushMagic: device.pushMagic })).status, 200);
    return device;
  }

  checkIn(message: Parameters<typeof encodeCheckinMessage>[0], options: { signer?: MdmSigningIdentity | null } = {}): Promise<MdmReply> {
    return this.put('/mdm/apple/checkin', encodeCheckinMessage(message), options);
  }

  /** An `Idle` (or a result) on the server URL; returns the next command. */
  report(result: Omit<CommandResult, 'UDID'> & { UDID?: string }, options: { signer?: MdmSigningIdentity | null } = {}): Promise<MdmReply> {
    return this.put('/mdm/apple/server', encodeCommandResult({ UDID: this.udid, ...result }), options);
  }

  idle(): Promise<MdmReply> {
    return this.report({ Status: 'Idle' });
  }

  acknowledge(command: MdmCommand, extra: { ProfileList?: ProfileListItem[] } = {}): Promise<MdmReply> {
    return this.report({ Status: 'Acknowledged', CommandUUID: command.CommandUUID, ...extra });
  }

  fail(command: MdmCommand, chain: ErrorChainItem[]): Promise<MdmReply> {
    return this.report({ Status: 'Error', CommandUUID: command.CommandUUID, ErrorChain: chain });
  }

  /** PUT of `body` signed by this device (or `signer`; `null` sends it unsigned). */
  async put(path: string, body: Uint8Array, options: { signer?: MdmSigningIdentity | null } = {}): Promise<MdmReply> {
    const signer = options.signer === undefined ? this.identity : options.signer;
    const headers: Record<string, string> = { 'content-type': path.endsWith('checkin') ? 'application/x-apple-aspen-mdm-checkin' : 'application/x-apple-aspen-mdm' };
    if (signer !== null) headers['mdm-signature'] = await signMdmMessage(body, signer);
    const reply = await this.#t.envelope.app.inject({ method: 'PUT', url: path, headers, payload: Buffer.from(body), remoteAddress: '198.51.100.20' });
    const raw = reply.rawPayload;
    return { status: reply.statusCode, body: raw, headers: reply.headers, command: reply.statusCode === 200 && raw.length > 0 ? decodeCommand(raw) : null };
  }
}
