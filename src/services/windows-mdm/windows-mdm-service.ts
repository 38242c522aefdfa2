import { randomBytes as cryptoRandomBytes } from 'node:crypto';
import { EnvelopeError } from '../../domain/errors.ts';
import type { ProfileType } from '../../domain/profiles/index.ts';
import { accountLocUri, windowsAccountRef } from '../../payloads/windows/activesync-account.ts';
import { nextCmdId, type SyncMlCommand } from '../../payloads/windows/syncml-commands.ts';
import {
  decodeDeviceMessage,
  encodeServerMessage,
  firstCommandCmdId,
  isDeviceAlert,
  isDeviceResults,
  isDeviceStatus,
  isSyncMlDecodeError,
  loginStatusAlertType,
  parseLoginStatus,
  syncMlAlert,
  syncMlStatus,
  unenrollmentAlertType,
  type DeviceMessage,
  type DeviceSyncHdr,
  type LoginStatus,
  type ServerStatus,
} from '../../protocols/omadm/index.ts';
import type { WindowsMdmEnrollment, WindowsMdmStore, WindowsProfileState } from '../../store/postgres/windows-mdm-store.ts';
import type { WindowsPushSettingsStore } from '../../store/postgres/windows-push-settings-store.ts';
import type { DeliveryCommand, DeliveryService } from '../delivery/delivery-service.ts';
import type { SecretBox } from '../secrets/secret-box.ts';
import type { NativeState, VerifyDetail } from './sent-units.ts';
import { SessionAnswers } from './session-answers.ts';
import { sessionReads } from './session-reads.ts';
import { outgoingOf, type Exchange, type Outgoing, type Sent } from './session-exchange.ts';
import { WindowsMdmAuthenticator } from './windows-mdm-auth.ts';
import type { RenderedUnit, WindowsCommandRenderer } from './windows-command-renderer.ts';
import { syncMlWbxmlContentType, syncMlXmlContentType } from './windows-mdm-constants.ts';

/** One HTTP request to the management endpoint. */
export interface WindowsMdmRequest {
  body: Uint8Array;
  contentType: string | undefined;
  /** The TLS client certificate (DER) when TLS ended at Envelope and the PC sent one. */
  clientCertificateDer: Uint8Array | null;
}

/**
 * What the HTTP skin sends: a SyncML message (200, also for an authentication challenge, whose
 * SyncHdr status is 401 or 407 with `Chal`), or a plain-text refusal without SyncML (400 unreadable
 * or out of session, 415 not XML).
 */
export type WindowsMdmReply =
  | { kind: 'syncml'; status: 200; body: string }
  | { kind: 'error'; status: 400 | 415; message: string };

export interface WindowsMdmOptions {
  /** How long a nonce from a challenge may open a session. */
  nonceTtlMs: number;
  /** A session idle this long is over; a message naming it starts a new one. */
  sessionIdleMs: number;
  /** Delivery commands (plus follow-ups) per server message. */
  maxDeliveriesPerMessage: number;
  /** Confirmed profiles are read back at least this often (and in the session after each change). */
  verifyEveryMs: number;
  /** Raw messages kept per PC, and the bytes kept of each. */
  keepMessages: number;
  keepMessageBytes: number;
}

export const defaultWindowsMdmOptions: Readonly<WindowsMdmOptions> = Object.freeze({
  nonceTtlMs: 5 * 60_000,
  sessionIdleMs: 10 * 60_000,
  maxDeliveriesPerMessage: 8,
  verifyEveryMs: 24 * 60 * 60_000,
  keepMessages: 20,
  keepMessageBytes: 64 * 1024,
});

interface Logger {
  info(details: object, message: string): void;
  warn(details: object, message: string): void;
}

/** Profile types whose commands go to `./Device` paths and may be sent while no user is logged in. */
const deviceScopedTypes: readonly ProfileType[] = ['windows81TrustedRootCertificate'];

/**
 * The OMA-DM management endpoint for Windows PCs ([MS-MDM]; docs/decisions/0017), below HTTP. A
 * session is several messages; everything a later message needs is in PostgreSQL
 * (`WindowsMdmStore`), so any server process can take any message. Per message: authenticate
 * (TLS client certificate or SyncML DIGEST), answer the header and each device command with a
 * Status, map the device's Status and Results back to what was sent under those CmdIDs and record
 * the outcomes in the delivery ledger, then fill the answer with commands from
 * `DeliveryService.checkIn`, rendered by the Windows compilers.
 */
export class WindowsMdmService {
  readonly #store: WindowsMdmStore;
  readonly #delivery: DeliveryService;
  readonly #renderer: WindowsCommandRenderer;
  readonly #auth: WindowsMdmAuthenticator;
  readonly #answers: SessionAnswers;
  readonly #pushSettings: Pick<WindowsPushSettingsStore, 'getInfo'> | null;
  readonly #options: WindowsMdmOptions;
  readonly #log: Logger;
  readonly #now: () => number;

  constructor(deps: {
    store: WindowsMdmStore;
    delivery: DeliveryService;
    renderer: WindowsCommandRenderer;
    box: SecretBox;
    /** The tenant's WNS settings, whose Package Family Name each session gives the PC (none: no PFN is written). */
    pushSettings?: Pick<WindowsPushSettingsStore, 'getInfo'>;
    options?: Partial<WindowsMdmOptions>;
    log?: Logger;
    now?: () => number;
    randomBytes?: (size: number) => Buffer;
  }) {
    this.#store = deps.store;
    this.#delivery = deps.delivery;
    this.#renderer = deps.renderer;
    this.#pushSettings = deps.pushSettings ?? null;
    this.#options = { ...defaultWindowsMdmOptions, ...deps.options };
    this.#auth = new WindowsMdmAuthenticator({ store: deps.store, box: deps.box, randomBytes: deps.randomBytes ?? cryptoRandomBytes, options: this.#options });
    this.#log = deps.log ?? { info: () => undefined, warn: () => undefined };
    this.#answers = new SessionAnswers({ store: deps.store, delivery: deps.delivery, log: this.#log });
    this.#now = deps.now ?? Date.now;
  }

  async handle(request: WindowsMdmRequest): Promise<WindowsMdmReply> {
    const mediaType = request.contentType?.split(';')[0]?.trim().toLowerCase();
    if (mediaType === syncMlWbxmlContentType) {
      return { kind: 'error', status: 415, message: `Envelope reads SyncML as XML only (${syncMlXmlContentType}); WBXML is not supported. Enrollment sets DEFAULTENCODING to ${syncMlXmlContentType}.` };
    }
    if (mediaType !== syncMlXmlContentType) {
      return { kind: 'error', status: 415, message: `Content-Type must be ${syncMlXmlContentType}.` };
    }
    let message: DeviceMessage;
    try {
      message = decodeDeviceMessage(request.body);
    } catch (error) {
      if (isSyncMlDecodeError(error)) return { kind: 'error', status: 400, message: `Unreadable SyncML message: ${error.message}` };
      throw error;
    }
    const header = message.SyncHdr;
    const now = this.#now();
    const auth = await this.#auth.authenticate(header, request.clientCertificateDer, now);
    if (auth.kind === 'challenge') {
      const status: ServerStatus = { MsgRef: header.MsgID, CmdRef: '0', Cmd: 'SyncHdr', Data: auth.status, Chal: { NextNonce: auth.nonce.toString('base64') } };
      // The challenge is SyncML's own (SyncHdr Status 401/407 with Chal) and travels, like every SyncML
      // package, in an HTTP 200 — as Fleet answers real PCs (decision 0017).
      return { kind: 'syncml', status: 200, body: this.#encode(header, [status], []) };
    }
    return this.#serve(auth.enrollment, auth.method, message, request.body, now);
  }

  async #serve(enrollment: WindowsMdmEnrollment, method: 'certificate' | 'digest', message: DeviceMessage, body: Uint8Array, now: number): Promise<WindowsMdmReply> {
    const { tenantId, deviceId } = enrollment;
    const header = message.SyncHdr;
    // A credential verified for the session stands for the rest of it (212) only where every message
    // is authenticated anyway, by the TLS certificate; DIGEST asks for the credential in each (200).
    const headerCode = method === 'certificate' && header.Cred !== null ? syncMlStatus.authenticationAccepted : syncMlStatus.ok;
    const exchange: Exchange = { tenantId, deviceId, header, now, statuses: [{ MsgRef: header.MsgID, CmdRef: '0', Cmd: 'SyncHdr', Data: headerCode }], followUps: [] };
    const session = await this.#store.session(tenantId, deviceId, header.SessionID);
    const open = session !== null && session.updatedAt > now - this.#options.sessionIdleMs;
    if (open && header.MsgID <= session.lastDeviceMsgId) {
      // The PC sent this message again (our answer was lost): it was processed; answer its commands, send nothing new.
      this.#answerCommands(exchange, message);
      return this.#reply(exchange);
    }
    if (!open) {
      if (message.commands.some((c) => (isDeviceStatus(c) && c.CmdRef !== null && c.CmdRef > 0) || isDeviceResults(c))) {
        return { kind: 'error', status: 400, message: `This PC has no open session ${header.SessionID}: the message answers commands Envelope did not send it in this session. Nothing was applied; start a new session.` };
      }
      await this.#store.startSession(tenantId, deviceId, header.SessionID, method, header.MsgID, now, now - this.#options.sessionIdleMs);
    }
    await this.#keepMessage(exchange, body);
    const alerts = this.#answerCommands(exchange, message);
    const loginStatus = alerts.loginStatus ?? session?.loginStatus ?? null;
    if (!open) await this.#store.recordSessionStart(tenantId, deviceId, alerts.loginStatus, now);
    await this.#store.recordDeviceMessage(tenantId, deviceId, header.SessionID, header.MsgID, alerts.loginStatus, now);
    if (alerts.devInfo !== null) await this.#store.recordInventory(tenantId, deviceId, { devInfo: alerts.devInfo }, now);
    if (alerts.unenrolled) {
      await this.#unenroll(exchange);
      return this.#reply(exchange);
    }
    await this.#answers.apply(exchange, message);
    if (alerts.aborted) return this.#reply(exchange);
    return this.#reply(exchange, await this.#outgoing(exchange, !open, loginStatus));
  }

  /**
   * A Status for each device command but Status and Results ([MS-MDM] §2.2.6.1: in the device's
   * order), and what the alerts and the DevInfo Replace say.
   */
  #answerCommands(exchange: Exchange, message: DeviceMessage): { loginStatus: LoginStatus | null; unenrolled: boolean; aborted: boolean; devInfo: Record<string, string> | null } {
    const result = { loginStatus: null as LoginStatus | null, unenrolled: false, aborted: false, devInfo: null as Record<string, string> | null };
    for (const command of message.commands) {
      if (command.verb === 'Status' || command.verb === 'Results') continue;
      let code: number = syncMlStatus.ok;
      if (isDeviceAlert(command)) {
        if (command.Data === syncMlAlert.clientEvent) {
          const item = command.Items.find((i) => i.Type === loginStatusAlertType);
          if (item) result.loginStatus = parseLoginStatus(item.Data) ?? result.loginStatus;
        }
        if (command.Data === syncMlAlert.generic && command.Items.some((i) => i.Type === unenrollmentAlertType)) result.unenrolled = true;
        if (command.Data === syncMlAlert.sessionAbort) result.aborted = true;
      } else if (command.verb === 'Replace') {
        for (const item of command.Items) {
          const name = item.Source?.match(/^\.\/DevInfo\/(\w+)$/)?.[1];
          if (name !== undefined && item.Data !== null) (result.devInfo ??= {})[name] = item.Data.slice(0, 256);
        }
      } else {
        // A PC sends Alerts, the DevInfo Replace, Status and Results; anything else is not for a server.
        code = syncMlStatus.optionalFeatureNotSupported;
      }
      exchange.statuses.push({ MsgRef: exchange.header.MsgID, CmdRef: command.CmdID, Cmd: command.verb, Data: code });
    }
    return result;
  }

  /**
   * The commands of the answer, CmdIDs after the statuses': follow-ups first, then at a session's
   * start the reads (ChannelURI, SwV, the WNS PFN when the tenant has one) and a verification round when one is due, then delivery
   * commands while the message has room. `./User` commands wait while no user is logged in.
   */
  async #outgoing(exchange: Exchange, sessionStart: boolean, loginStatus: LoginStatus | null): Promise<Sent> {
    const sent: Sent = { units: [], commands: [] };
    let cmdId = firstCommandCmdId(exchange.statuses.length);
    const add = (outgoing: Outgoing | null) => {
      if (outgoing === null || outgoing.commands.length === 0) return;
      const next = nextCmdId(outgoing.commands, cmdId);
      sent.units.push({ ...outgoing.unit, msgId: exchange.header.MsgID, firstCmdId: cmdId, lastCmdId: next - 1 });
      sent.commands.push(...outgoing.commands);
      cmdId = next;
    };
    for (const followUp of exchange.followUps) add(await followUp.render(cmdId));
    if (sessionStart) {
      const pfn = (await this.#pushSettings?.getInfo(exchange.tenantId))?.packageFamilyName ?? null;
      add(sessionReads(cmdId, pfn));
      add(await this.#verification(exchange, cmdId));
    }
    const userLoggedIn = loginStatus === null || loginStatus === 'user';
    // A command this message already carries a step of is not handed out again in it.
    const handedOut = new Set(exchange.followUps.map((followUp) => followUp.commandId).filter((id) => id !== null));
    for (let i = exchange.followUps.length; i < this.#options.maxDeliveriesPerMessage; i++) {
      const command = userLoggedIn
        ? await this.#delivery.checkIn(exchange.tenantId, exchange.deviceId, exchange.now)
        : await this.#delivery.checkInFor(exchange.tenantId, exchange.deviceId, exchange.now, deviceScopedTypes);
      if (command === null || handedOut.has(command.commandId)) break;
      handedOut.add(command.commandId);
      add(await this.#render(exchange, command, cmdId, userLoggedIn));
    }
    return sent;
  }

  /** A delivery command as an outgoing unit; null when nothing goes out for it (acknowledged or failed here). */
  async #render(exchange: Exchange, command: DeliveryCommand, firstCmdId: number, userLoggedIn: boolean): Promise<Outgoing | null> {
    const { tenantId, deviceId } = exchange;
    const state = (await this.#store.profileState(tenantId, deviceId, command.profileId)) as WindowsProfileState<NativeState> | null;
    let unit: RenderedUnit;
    try {
      unit = await this.#renderer.render(tenantId, command, state, firstCmdId);
    } catch (error) {
      if (!(error instanceof EnvelopeError) || error.status === 503) throw error;
      // 404: the profile, user or device went away (the next reconcile settles it); 422: the admin must fix something.
      this.#log.warn({ tenantId, deviceId, commandId: command.commandId, code: error.code, message: error.message }, 'windows: command could not be rendered');
      await this.#answers.record(exchange, command.commandId, { kind: 'failed', error: { errorClass: error.status === 404 ? 'transient' : 'terminal', code: error.code, message: error.message } });
      return null;
    }
    if (unit.kind === 'nothing') {
      await this.#answers.acknowledge(exchange, command.commandId, command.profileId, unit.confirm);
      return null;
    }
    if (unit.userScoped && !userLoggedIn) {
      // A user-scoped certificate store; it waits (re-offered later) like the ./User email commands.
      return null;
    }
    if (unit.kind === 'delivery' && unit.detail.addNode !== null) {
      await this.#store.markAddSent(tenantId, deviceId, command.profileId, unit.detail.addNode, exchange.now);
    }
    return outgoingOf(unit, command.commandId, command.profileId);
  }

  /** Gets of every value the confirmed profiles wrote, when a read-back is due (after a change, and periodically). */
  async #verification(exchange: Exchange, firstCmdId: number): Promise<Outgoing | null> {
    const { tenantId, deviceId, now } = exchange;
    const due = await this.#store.deviceState(tenantId, deviceId);
    const isDue = (due.verifyDueAt !== null && due.verifyDueAt <= now) || (due.verifiedAt !== null && due.verifiedAt + this.#options.verifyEveryMs <= now);
    if (!isDue) return null;
    const gets: VerifyDetail['gets'] = [];
    let cmdId = firstCmdId;
    for (const state of (await this.#store.profileStates(tenantId, deviceId)) as WindowsProfileState<NativeState>[]) {
      const confirmed = state.confirmed;
      if (confirmed?.kind === 'account') {
        const account = windowsAccountRef(confirmed.root, confirmed.accountGuid);
        for (const leaf of confirmed.leaves) gets.push({ cmdId: cmdId++, profileId: state.profileId, locUri: accountLocUri(account, leaf.path), expected: leaf.value });
      } else if (confirmed?.kind === 'certificate') {
        gets.push({ cmdId: cmdId++, profileId: state.profileId, locUri: `${confirmed.nodeLocUri}/EncodedCertificate`, expected: null });
      }
    }
    if (gets.length === 0) {
      await this.#store.finishVerify(tenantId, deviceId, now, now);
      return null;
    }
    return {
      commands: gets.map((get) => ({ command: 'Get', CmdID: get.cmdId, LocURI: get.locUri })),
      unit: { purpose: 'verify', commandId: null, profileId: null, detail: { sentAt: now, gets } satisfies VerifyDetail },
    };
  }

  /**
   * Alert 1226: the enrollment is disabled, and the delivery core marks every profile the PC held
   * removed (Windows removes what the MDM configured when it unenrolls,
   * disconnecting-from-mdm-unenrollment) and drops its commands, those on their way included.
   */
  async #unenroll(exchange: Exchange): Promise<void> {
    const { tenantId, deviceId, now } = exchange;
    await this.#store.disableEnrollment(tenantId, deviceId);
    const rows = await this.#delivery.deviceUnenrolled(tenantId, deviceId, now);
    this.#log.info({ tenantId, deviceId, rows }, 'windows: the PC was unenrolled by its user');
  }

  /** Keeps the PC's message for support: credentials removed, cut at the byte limit, only the newest few. */
  async #keepMessage(exchange: Exchange, body: Uint8Array): Promise<void> {
    const text = Buffer.from(body).toString('utf8').replace(/(<(?:\w+:)?Cred\b[^>]*>)[\s\S]*?(<\/(?:\w+:)?Cred>)/g, '$1[removed]$2');
    const bytes = Buffer.from(text, 'utf8');
    const truncated = bytes.length > this.#options.keepMessageBytes;
    await this.#store.keepMessage(exchange.tenantId, exchange.deviceId, {
      sessionId: exchange.header.SessionID,
      msgId: exchange.header.MsgID,
      body: truncated ? bytes.subarray(0, this.#options.keepMessageBytes).toString('utf8') : text,
      truncated,
    }, exchange.now, this.#options.keepMessages);
  }

  /** Encodes the answer, then records what it sends (before it leaves: a later message may answer it at another process). */
  async #reply(exchange: Exchange, sent: Sent = { units: [], commands: [] }): Promise<WindowsMdmReply> {
    const body = this.#encode(exchange.header, exchange.statuses, sent.commands);
    if (sent.units.length > 0) await this.#store.recordSent(exchange.tenantId, exchange.deviceId, exchange.header.SessionID, sent.units);
    return { kind: 'syncml', status: 200, body };
  }

  /** Our message answering `header`: its SessionID, its MsgID (one answer per device message), addressed back to the PC. */
  #encode(header: DeviceSyncHdr, statuses: readonly ServerStatus[], commands: readonly SyncMlCommand[]): string {
    return encodeServerMessage({ SyncHdr: { SessionID: header.SessionID, MsgID: header.MsgID, Target: header.Source, Source: header.Target }, statuses, commands });
  }
}
