import { findCommandViolations, runCommands, type ProtocolViolation } from './command-runner.ts';
import type { DmTree, LoginStatus } from './dm-tree.ts';
import type { PcHttp, PcResponse } from './pc-http.ts';
import { decodeNonce, syncMlMd5Credential } from './syncml-digest.ts';
import {
  encodeDeviceMessage, readServerMessage, SyncMlFormatError, syncMlContentType, type DeviceCommand, type DeviceMessage, type ServerMessage,
} from './syncml.ts';

/**
 * One OMA DM session of a Windows PC ([MS-MDM] §3.1.5.1.2 and §4; oma-dm-protocol-support.md,
 * "Device management session"): package 1 (Alert 1201, or 1200 after a push; Alert 1224 LoginStatus;
 * Replace of ./DevInfo), then an answer to each server message until the server sends no command.
 * The server's messages are checked as a client would; rule breaks end the session with
 * `SyncMlProtocolError` (strict, the default) or are answered with the documented codes (lenient).
 */
export class SyncMlProtocolError extends Error {
  readonly violations: ProtocolViolation[];

  constructor(violations: ProtocolViolation[]) {
    super(`the server broke the OMA DM protocol: ${violations.map((violation) => violation.detail).join('; ')}`);
    this.name = 'SyncMlProtocolError';
    this.violations = violations;
  }
}

/** A non-200 HTTP answer to a SyncML message. */
export class SessionHttpError extends Error {
  readonly status: number;

  constructor(status: number, body: string) {
    super(`the management server answered HTTP ${status}${body ? `: ${body.slice(0, 200)}` : ''}`);
    this.name = 'SessionHttpError';
    this.status = status;
  }
}

/** The server kept refusing our credentials (SyncHdr status 401/407), or challenged a PC without DIGEST credentials. */
export class SyncMlAuthenticationError extends Error {
  readonly code: number;

  constructor(code: number, message: string) {
    super(message);
    this.name = 'SyncMlAuthenticationError';
    this.code = code;
  }
}

export interface SessionIdentity {
  deviceId: string;
  managementUrl: string;
  identity?: { certificatePem: string; privateKeyPem: string };
  digest?: { name: string; secret: string };
}

export interface SessionOptions extends SessionIdentity {
  http: PcHttp;
  tree: DmTree;
  sessionId: string;
  trigger: 'poll' | 'push' | 'login' | 'enrollment';
  loginStatus: LoginStatus;
  devInfo: { man: string; mod: string; dmV: string; lang: string };
  /** Alerts added to package 1 (e.g. 1226 user unenrollment). */
  extraAlerts?: { code: string; type: string; format: string; data: string }[];
  /** When to send a DIGEST Cred: only after a 401/407 challenge (default), in every message, or never. */
  sendCredential?: 'on-challenge' | 'always' | 'never';
  /** The nonce for the next Cred (provisioned AAUTHDATA, or the last NextNonce), base64; updated by Chal. */
  nonce: { value: string | undefined };
  strict: boolean;
  maxMessages?: number;
  onViolation?: (violation: ProtocolViolation) => void;
  onRefused?: (event: { command: string; target: string | undefined; code: number; reason: string | undefined }) => void;
  onMessage?: (direction: 'sent' | 'received', xml: string) => void;
}

export interface SessionReport {
  messages: number;
  commands: number;
  /** Status codes the device answered, per code. */
  codes: Record<number, number>;
  /** Rule breaks answered with documented codes (lenient mode only; strict mode throws). */
  violations: ProtocolViolation[];
  unenroll: boolean;
  authenticatedBy: 'certificate' | 'digest';
}

/** Runs the session to its end. Rejects with the typed errors above or `PcNetworkError`. */
export async function runOmaDmSession(options: SessionOptions): Promise<SessionReport> {
  const report: SessionReport = { messages: 0, commands: 0, codes: {}, violations: [], unenroll: false, authenticatedBy: 'certificate' };
  let cmdId = 0;
  const nextCmdId = () => ++cmdId;
  const mode = options.sendCredential ?? 'on-challenge';
  let sendCred = mode === 'always';
  let sessionAuthenticated = false;
  let challenges = 0;
  let lastServerMsgId = 0;
  let msgId = 1;
  let commands: DeviceCommand[] = [
    { kind: 'Alert', cmdId: nextCmdId(), code: options.trigger === 'push' ? '1200' : '1201' },
    { kind: 'Alert', cmdId: nextCmdId(), code: '1224', items: [{ type: 'com.microsoft/MDM/LoginStatus', format: 'chr', data: options.loginStatus }] },
    ...(options.extraAlerts ?? []).map((alert): DeviceCommand => ({ kind: 'Alert', cmdId: nextCmdId(), code: alert.code, items: [{ type: alert.type, format: alert.format, data: alert.data }] })),
    {
      kind: 'Replace', cmdId: nextCmdId(), items: [
        { source: './DevInfo/DevId', data: options.deviceId }, { source: './DevInfo/Man', data: options.devInfo.man },
        { source: './DevInfo/Mod', data: options.devInfo.mod }, { source: './DevInfo/DmV', data: options.devInfo.dmV },
        { source: './DevInfo/Lang', data: options.devInfo.lang },
      ],
    },
  ];
  const fail = (violations: ProtocolViolation[]) => {
    for (const violation of violations) options.onViolation?.(violation);
    return new SyncMlProtocolError(violations);
  };
  for (;;) {
    if (report.messages >= (options.maxMessages ?? 50)) throw fail([{ rule: 'header', detail: `the session did not end within ${options.maxMessages ?? 50} messages` }]);
    const message: DeviceMessage = { sessionId: options.sessionId, msgId, target: options.managementUrl, source: options.deviceId, commands, final: true };
    if (sendCred && !sessionAuthenticated) {
      if (!options.digest) throw new SyncMlAuthenticationError(401, 'the server asked for DIGEST credentials, but the provisioning document gave none');
      message.cred = { type: 'syncml:auth-md5', data: syncMlMd5Credential(options.digest.name, options.digest.secret, decodeNonce(options.nonce.value ?? '')) };
      report.authenticatedBy = 'digest';
    }
    const xml = encodeDeviceMessage(message);
    options.onMessage?.('sent', xml);
    const response = await options.http({
      method: 'POST', url: options.managementUrl, headers: { 'content-type': syncMlContentType, accept: syncMlContentType, 'user-agent': 'MSFT OMA DM Client/1.2.0.1' }, body: xml,
      ...(options.identity ? { identity: options.identity } : {}),
    });
    report.messages++;
    options.onMessage?.('received', response.body);
    const server = readAnswer(response, fail);
    const problems: ProtocolViolation[] = [];
    checkHeader(server, options, msgId, lastServerMsgId, problems);
    lastServerMsgId = Number(server.msgId);
    const headerStatus = server.statuses.find((status) => status.cmdRef === '0' && status.cmd === 'SyncHdr');
    for (const status of server.statuses) if (status.chal?.nextNonce) options.nonce.value = status.chal.nextNonce;
    if (headerStatus && (headerStatus.code === 401 || headerStatus.code === 407)) {
      // OMA DM: the message was not processed; answer the challenge by sending the package again with a Cred.
      if (problems.length > 0) throw fail(problems);
      if (mode === 'never' || !headerStatus.chal || ++challenges > 2) throw new SyncMlAuthenticationError(headerStatus.code, `the server refused our credentials (SyncHdr status ${headerStatus.code}${headerStatus.chal ? '' : ', no Chal'})`);
      sendCred = true;
      msgId++;
      continue;
    }
    if (headerStatus?.code === 212) sessionAuthenticated = true;
    else if (headerStatus && headerStatus.code !== 200) throw new SyncMlAuthenticationError(headerStatus.code, `the server answered our SyncHdr with ${headerStatus.code}`);
    checkStatuses(server, commands, msgId, problems);
    const commandProblems = findCommandViolations(server.commands);
    if (options.strict && (problems.length > 0 || commandProblems.length > 0)) throw fail([...problems, ...commandProblems]);
    if (problems.length > 0) throw fail(problems);
    for (const violation of commandProblems) {
      options.onViolation?.(violation);
      report.violations.push(violation);
    }
    if (server.commands.length === 0 && server.final) return report;
    cmdId = 0;
    const outcome = runCommands(server.commands, { tree: options.tree, loginStatus: options.loginStatus, serverMsgId: server.msgId, nextCmdId, ...(options.onRefused ? { onRefused: options.onRefused } : {}) });
    report.commands += server.commands.length;
    for (const { code } of outcome.codes) report.codes[code] = (report.codes[code] ?? 0) + 1;
    if (outcome.unenroll) report.unenroll = true;
    const headerAnswer: DeviceCommand = { kind: 'Status', cmdId: 0, msgRef: server.msgId, cmdRef: '0', cmd: 'SyncHdr', code: 200 };
    commands = [headerAnswer, ...outcome.answers];
    // A message without Final: the server has more to send; ask for it (Alert 1222, "next message").
    if (!server.final) commands.push({ kind: 'Alert', cmdId: 0, code: '1222' });
    commands = commands.map((command, index) => ({ ...command, cmdId: index + 1 }));
    cmdId = commands.length;
    msgId++;
  }
}

function readAnswer(response: PcResponse, fail: (violations: ProtocolViolation[]) => Error): ServerMessage {
  if (response.status !== 200) throw new SessionHttpError(response.status, response.body);
  const type = String(response.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
  if (type !== syncMlContentType) throw fail([{ rule: 'http', detail: `the answer's Content-Type is "${response.headers['content-type'] ?? ''}", not ${syncMlContentType}` }]);
  try {
    return readServerMessage(response.body);
  } catch (error) {
    if (error instanceof SyncMlFormatError) throw fail([{ rule: 'header', detail: error.message }]);
    throw error;
  }
}

function checkHeader(server: ServerMessage, options: SessionOptions, ourMsgId: number, lastServerMsgId: number, problems: ProtocolViolation[]): void {
  const add = (detail: string) => problems.push({ rule: 'header', detail });
  if (server.verDtd !== '1.2') add(`VerDTD is "${server.verDtd}", not 1.2`);
  if (server.verProto !== 'DM/1.2') add(`VerProto is "${server.verProto}", not DM/1.2`);
  if (server.sessionId !== options.sessionId) add(`SessionID is "${server.sessionId}", not this session's ${options.sessionId}`);
  // "All messages from the server must have a MsgID that is unique within the session, starting at 1 … increasing by an increment of 1."
  if (server.msgId !== String(lastServerMsgId + 1)) add(`MsgID is "${server.msgId}", expected ${lastServerMsgId + 1}`);
  if (server.target !== options.deviceId) add(`Target LocURI is "${server.target}", not this device's id ${options.deviceId}`);
  if (!server.statuses.some((status) => status.cmdRef === '0' && status.cmd === 'SyncHdr')) add('no Status for our SyncHdr (CmdRef 0, Cmd SyncHdr)');
  for (const status of server.statuses) {
    if (status.msgRef !== String(ourMsgId)) add(`a Status refers to MsgRef ${status.msgRef ?? '(none)'}, not our message ${ourMsgId}`);
  }
}

/** [MS-MDM] §4: the server answers each of our commands (except Status and Results) with a Status. */
function checkStatuses(server: ServerMessage, sent: readonly DeviceCommand[], ourMsgId: number, problems: ProtocolViolation[]): void {
  for (const command of sent) {
    if (command.kind === 'Status' || command.kind === 'Results') continue;
    const status = server.statuses.find((item) => item.cmdRef === String(command.cmdId) && item.msgRef === String(ourMsgId));
    if (!status) problems.push({ rule: 'status', detail: `no Status for our ${command.kind} (CmdID ${command.cmdId})` });
    else if (status.cmd !== command.kind) problems.push({ rule: 'status', detail: `the Status for our CmdID ${command.cmdId} names Cmd ${status.cmd ?? '(none)'}, not ${command.kind}` });
  }
}
