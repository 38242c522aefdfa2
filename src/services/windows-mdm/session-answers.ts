import type { DeliveryResult, DeliveryService } from '../delivery/delivery-service.ts';
import { EnvelopeError } from '../../domain/errors.ts';
import { accountLocUri, windowsAccountRef } from '../../payloads/windows/activesync-account.ts';
import { isDeviceResults, isDeviceStatus, syncMlStatus, type DeviceMessage } from '../../protocols/omadm/index.ts';
import type { WindowsMdmStore, WindowsProfileState } from '../../store/postgres/windows-mdm-store.ts';
import {
  deliveryOutcome,
  probeOutcome,
  scanOutcome,
  type CommandAnswer,
  type DeliveryDetail,
  type NativeState,
  type ProbeDetail,
  type ReadDetail,
  type ScanDetail,
  type VerifyDetail,
} from './sent-units.ts';
import { outgoingOf, type Exchange } from './session-exchange.ts';
import { pfnWriteNeeded, pfnWriteUnit } from './session-reads.ts';
import { installUnit, probeUnit, scanReadsUnit, updateUnit, type RenderedUnit } from './windows-command-renderer.ts';

/** The device's answers in one message, by (server MsgID, CmdID). */
type Answers = Map<number, Map<number, CommandAnswer>>;

interface Logger {
  info(details: object, message: string): void;
  warn(details: object, message: string): void;
}

/**
 * What a PC's Status and Results mean for what was sent in its session (`windows_mdm_sent`): the
 * outcome of a delivery command goes to the ledger (`DeliveryService.recordResult`), with the native
 * state the PC now holds; a read-back, an account list or a verification round decides the next
 * step, which goes out as a follow-up in the same answer. A command answered before, or superseded,
 * is left alone: a repeated Status changes nothing.
 */
export class SessionAnswers {
  readonly #store: WindowsMdmStore;
  readonly #delivery: DeliveryService;
  readonly #log: Logger;

  constructor(deps: { store: WindowsMdmStore; delivery: DeliveryService; log: Logger }) {
    this.#store = deps.store;
    this.#delivery = deps.delivery;
    this.#log = deps.log;
  }

  /** Maps the device's Status and Results back to the units sent under those (MsgRef, CmdRef) and acts on them; next steps go to `exchange.followUps`. */
  async apply(exchange: Exchange, message: DeviceMessage): Promise<void> {
    const answers: Answers = new Map();
    const answer = (msgRef: number, cmdRef: number) => {
      const byCmd = answers.get(msgRef) ?? new Map<number, CommandAnswer>();
      answers.set(msgRef, byCmd);
      const existing = byCmd.get(cmdRef) ?? { code: null, data: null, hasResults: false };
      byCmd.set(cmdRef, existing);
      return existing;
    };
    for (const command of message.commands) {
      if (isDeviceStatus(command) && command.CmdRef !== null && command.CmdRef > 0) {
        answer(command.MsgRef, command.CmdRef).code = command.Data;
      } else if (isDeviceResults(command)) {
        // Without MsgRef, Results answer the server's previous message, which carried the PC's previous MsgID.
        const entry = answer(command.MsgRef ?? exchange.header.MsgID - 1, command.CmdRef);
        entry.hasResults = true;
        entry.data = command.Items[0]?.Data ?? null;
      }
    }
    if (answers.size === 0) return;
    const units = await this.#store.sentUnits(exchange.tenantId, exchange.deviceId, exchange.header.SessionID, [...answers.keys()]);
    const order = { read: 0, verify: 1, scan: 2, probe: 3, delivery: 4 } as const;
    for (const unit of units.sort((a, b) => order[a.purpose] - order[b.purpose])) {
      const unitAnswers = new Map([...(answers.get(unit.msgId) ?? [])].filter(([cmdId]) => cmdId >= unit.firstCmdId && cmdId <= unit.lastCmdId));
      if (unitAnswers.size === 0) continue;
      switch (unit.purpose) {
        case 'read':
          await this.#applyReads(exchange, unit.detail as ReadDetail, unitAnswers);
          break;
        case 'verify':
          await this.#applyVerify(exchange, unit.detail as VerifyDetail, unitAnswers);
          break;
        case 'probe':
          await this.#applyProbe(exchange, unit.commandId!, unit.profileId!, unit.detail as ProbeDetail, unitAnswers);
          break;
        case 'scan':
          await this.#applyScan(exchange, unit.commandId!, unit.profileId!, unit.detail as ScanDetail, unitAnswers);
          break;
        case 'delivery':
          await this.#applyDelivery(exchange, unit.commandId!, unit.profileId!, unit.detail as DeliveryDetail, unitAnswers);
          break;
      }
    }
  }

  /**
   * The session's reads: a new ChannelURI or Windows build is stored; a PFN the PC lacks or holds
   * differently is written now (a follow-up, with the ChannelURI read again after it); the outcome
   * of such a write is logged (a failed one is tried again next session, which reads the PFN anew).
   */
  async #applyReads(exchange: Exchange, detail: ReadDetail, answers: ReadonlyMap<number, CommandAnswer>): Promise<void> {
    const { tenantId, deviceId } = exchange;
    if (detail.pfnWrite !== undefined) {
      const code = answers.get(detail.pfnWrite.cmdId)?.code ?? null;
      if (code === syncMlStatus.ok) this.#log.info({ tenantId, deviceId }, 'windows: the PC was given the WNS Package Family Name');
      else if (code !== null) this.#log.warn({ tenantId, deviceId, verb: detail.pfnWrite.verb, code }, 'windows: the PC refused the WNS Package Family Name; it is read and written again next session');
    }
    for (const read of detail.reads) {
      const answer = answers.get(read.cmdId);
      if (read.what === 'pfn') {
        const pfn = detail.pfn;
        const verb = pfn === undefined ? null : pfnWriteNeeded(answer, pfn);
        if (pfn !== undefined && verb !== null) exchange.followUps.push({ commandId: null, render: async (first) => pfnWriteUnit(pfn, verb, first) });
        continue;
      }
      const value = answer?.hasResults ? answer.data?.trim() ?? '' : '';
      if (value === '') continue;
      if (read.what === 'channelUri' && value.length <= 2048) {
        if (await this.#store.recordPushChannel(tenantId, deviceId, value, exchange.now)) {
          this.#log.info({ tenantId, deviceId }, 'windows: the PC reported a new WNS channel URI');
        }
      } else if (read.what === 'softwareVersion') {
        await this.#store.recordInventory(tenantId, deviceId, { softwareVersion: value }, exchange.now);
      }
    }
  }

  /**
   * A verification round's answers: a profile whose every written value reads back equal is
   * verified; one whose values are gone (404) or changed is missing, and delivery installs it again
   * (through a read-back, never a blind Add). A Get that failed otherwise proves nothing either way.
   */
  async #applyVerify(exchange: Exchange, detail: VerifyDetail, answers: ReadonlyMap<number, CommandAnswer>): Promise<void> {
    const verdicts = new Map<string, boolean>();
    for (const get of detail.gets) {
      const answer = answers.get(get.cmdId);
      if (answer === undefined) continue;
      const matches = answer.hasResults && (answer.code === null || answer.code === syncMlStatus.ok)
        && (get.expected === null || (answer.data ?? '').replace(/\s/g, '') === get.expected.replace(/\s/g, ''));
      const gone = answer.code === syncMlStatus.notFound || (answer.hasResults && !matches);
      if (gone) verdicts.set(get.profileId, false);
      else if (matches && !verdicts.has(get.profileId)) verdicts.set(get.profileId, true);
    }
    const counts = await this.#delivery.verifyInventory(exchange.tenantId, exchange.deviceId, (row) => verdicts.get(row.profileId) ?? true, exchange.now);
    await this.#store.finishVerify(exchange.tenantId, exchange.deviceId, detail.sentAt, exchange.now);
    if (counts.missing > 0) this.#log.info({ tenantId: exchange.tenantId, deviceId: exchange.deviceId, missing: counts.missing }, 'windows: profiles no longer on the PC are installed again');
  }

  async #applyDelivery(exchange: Exchange, commandId: string, profileId: string, detail: DeliveryDetail, answers: ReadonlyMap<number, CommandAnswer>): Promise<void> {
    const command = await this.#delivery.command(exchange.tenantId, exchange.deviceId, commandId);
    // Answered before (a repeated Status), or superseded: changes nothing.
    if (command === null || !command.active) return;
    const outcome = deliveryOutcome(detail, answers);
    switch (outcome.kind) {
      case 'unanswered':
        return;
      case 'succeeded':
        await this.acknowledge(exchange, commandId, profileId, detail.confirm, detail.note);
        return;
      case 'failed':
        await this.record(exchange, commandId, { kind: 'failed', error: outcome.error });
        return;
      case 'alreadyExists': {
        // 418: the account GUID is already on the PC. Adding it again would delete it: read it back.
        const confirm = detail.confirm as Extract<NativeState, { kind: 'account' }>;
        const account = windowsAccountRef(confirm.root, confirm.accountGuid);
        exchange.followUps.push({ commandId, render: async (first) => outgoingOf(probeUnit(detail.kind, account, confirm.leaves, null, first), commandId, profileId) });
        return;
      }
    }
  }

  /**
   * A read-back's answers: nothing there → the install `Atomic` goes out now; the account there with
   * the desired values → acknowledged without sending anything; there with other values → only the
   * differing leaves are written (in place); a creation-only leaf that differs cannot be fixed in place.
   */
  async #applyProbe(exchange: Exchange, commandId: string, profileId: string, detail: ProbeDetail, answers: ReadonlyMap<number, CommandAnswer>): Promise<void> {
    const command = await this.#delivery.command(exchange.tenantId, exchange.deviceId, commandId);
    if (command === null || !command.active) return;
    const outcome = probeOutcome(detail, answers);
    const account = windowsAccountRef(detail.account.root, detail.account.accountGuid);
    switch (outcome.kind) {
      case 'unanswered':
        return;
      case 'failed':
        await this.record(exchange, commandId, { kind: 'failed', error: outcome.error });
        return;
      case 'absent':
        exchange.followUps.push({
          commandId,
          render: async (first) => {
            await this.#store.markAddSent(exchange.tenantId, exchange.deviceId, profileId, accountLocUri(account), exchange.now);
            return outgoingOf(installUnit(detail.kind, account, detail.desired, null, first), commandId, profileId);
          },
        });
        return;
      case 'present': {
        const found: NativeState = { kind: 'account', root: account.root, accountGuid: account.accountGuid, leaves: outcome.leaves };
        let unit: RenderedUnit;
        try {
          unit = updateUnit(account, found, detail.desired, 1);
        } catch (error) {
          if (!(error instanceof EnvelopeError)) throw error;
          await this.record(exchange, commandId, { kind: 'failed', error: { errorClass: 'terminal', code: 'accountExistsDifferently', message: `account ${account.accountGuid} is already on the PC with other values: ${error.message} Remove the account on the PC, then resend` } });
          return;
        }
        if (unit.kind === 'nothing') {
          await this.acknowledge(exchange, commandId, profileId, unit.confirm);
          return;
        }
        exchange.followUps.push({ commandId, render: async (first) => outgoingOf(updateUnit(account, found, detail.desired, first), commandId, profileId) });
        return;
      }
    }
  }

  /**
   * A scan's answers: the PC's other accounts are read (server, address); then the install goes out,
   * after Deletes of those that duplicate the profile's account — the user's own account for the
   * same server and address is replaced, as the seed rule says, and the status says so.
   */
  async #applyScan(exchange: Exchange, commandId: string, profileId: string, detail: ScanDetail, answers: ReadonlyMap<number, CommandAnswer>): Promise<void> {
    const command = await this.#delivery.command(exchange.tenantId, exchange.deviceId, commandId);
    if (command === null || !command.active) return;
    const envelopeGuids = new Set<string>();
    for (const state of (await this.#store.profileStates(exchange.tenantId, exchange.deviceId)) as WindowsProfileState<NativeState>[]) {
      if (state.confirmed?.kind === 'account') envelopeGuids.add(state.confirmed.accountGuid.replace(/[{}]/g, '').toUpperCase());
      const sent = /%7B([0-9A-Fa-f-]{36})%7D$/.exec(state.addSentNode ?? '')?.[1];
      if (sent !== undefined) envelopeGuids.add(sent.toUpperCase());
    }
    const outcome = scanOutcome(detail, answers, envelopeGuids);
    if (outcome.kind === 'unanswered') return;
    if (outcome.kind === 'listed' && outcome.foreign.length > 0) {
      exchange.followUps.push({ commandId, render: async (first) => outgoingOf(scanReadsUnit(detail, outcome.foreign, first), commandId, profileId) });
      return;
    }
    const account = windowsAccountRef(detail.account.root, detail.account.accountGuid);
    const replaced = outcome.kind === 'checked' ? outcome.duplicates.map((guid) => windowsAccountRef(detail.account.root, guid)) : [];
    exchange.followUps.push({
      commandId,
      render: async (first) => {
        await this.#store.markAddSent(exchange.tenantId, exchange.deviceId, profileId, accountLocUri(account), exchange.now);
        return outgoingOf(installUnit(detail.kind, account, detail.desired, null, first, replaced), commandId, profileId);
      },
    });
  }

  /** The command took effect: the PC holds `confirm` (null: removed); read it back in a later session. */
  async acknowledge(exchange: Exchange, commandId: string, profileId: string, confirm: NativeState | null, note?: string): Promise<void> {
    await this.#store.confirmProfileState(exchange.tenantId, exchange.deviceId, profileId, confirm, exchange.now);
    await this.record(exchange, commandId, note === undefined ? { kind: 'acknowledged' } : { kind: 'acknowledged', note });
    if (confirm !== null) await this.#store.markVerifyDue(exchange.tenantId, exchange.deviceId, exchange.now);
  }

  record(exchange: Exchange, commandId: string, result: DeliveryResult): Promise<boolean> {
    return this.#delivery.recordResult(exchange.tenantId, exchange.deviceId, commandId, result, exchange.now);
  }
}
