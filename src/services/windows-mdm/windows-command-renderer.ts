import type { DeliveryOperationKind } from '../../domain/delivery/index.ts';
import { notFound, unprocessable } from '../../domain/errors.ts';
import { isEmailProfileType, platformFamilyOf, settingsOf } from '../../domain/profiles/index.ts';
import { accountLocUri, activeSyncRootFor, windowsAccountRef, type WindowsAccountRef } from '../../payloads/windows/activesync-account.ts';
import { installAccountCommands, recreateAccountCommands, removeAccountCommands, updateAccountCommands } from '../../payloads/windows/activesync-commands.ts';
import { requiresRecreate } from '../../payloads/windows/leaf-lifecycle.ts';
import { installCertificateCommands, isUserScopedLocUri, removeCertificateCommands, windowsCertificateNode, type CertificateDestinationStore } from '../../payloads/windows/root-certificate-commands.ts';
import { nextCmdId, type SyncMlCommand } from '../../payloads/windows/syncml-commands.ts';
import { windowsAccountLeavesForUser, type CspLeaf } from '../../payloads/windows/windows-account-leaves.ts';
import type { WindowsEasEmailSettings } from '../../payloads/windows/windows-eas-settings.ts';
import type { Stores } from '../../store/postgres/stores.ts';
import type { WindowsProfileState } from '../../store/postgres/windows-mdm-store.ts';
import type { DeliveryCommand } from '../delivery/delivery-service.ts';
import type { DeliveryDetail, NativeState, ProbeDetail, ScanDetail, SentNode } from './sent-units.ts';

/** A delivery command as SyncML for one message, and what its answers are checked against. */
export type RenderedUnit =
  | { kind: 'delivery'; commands: SyncMlCommand[]; detail: DeliveryDetail; userScoped: boolean }
  | { kind: 'probe'; commands: SyncMlCommand[]; detail: ProbeDetail; userScoped: boolean }
  | { kind: 'scan'; commands: SyncMlCommand[]; detail: ScanDetail; userScoped: boolean }
  /** Nothing to send (an update that changes no leaf, a removal of what is not there): acknowledge now. */
  | { kind: 'nothing'; confirm: NativeState | null };

/**
 * Renders delivery commands for a Windows PC with the compilers of `payloads/windows`, at the moment
 * the PC takes them (delivery renders nothing up front, decision 0011), from the profile as it is
 * now and the native state the PC last confirmed (`windows_mdm_profile_state`):
 * - email install: the install `Atomic` under the account GUID the ledger assigned; update: only the
 *   leaves that differ from the confirmed ones; replace: `Delete` of the old GUID outside the
 *   `Atomic`, then the install under the new GUID; remove: `Delete` of the account node;
 * - an Add to an account GUID the PC may already hold (an Add went there before without a confirmed
 *   outcome, or the PC confirmed it once) is never sent blind: the account is read back first (probe);
 * - a first install lists the PC's accounts first (scan): a user-made account for the same server
 *   and address is deleted before the install, which then reports that it replaced it;
 * - `windows81TrustedRootCertificate`: an Add of `EncodedCertificate` in the chosen store; a changed
 *   certificate or store deletes the old node first.
 * Throws a 404 EnvelopeError when the profile, user or device is gone and 422s the compilers raise;
 * the caller records those as the command's failure.
 */
export class WindowsCommandRenderer {
  readonly #stores: Pick<Stores, 'profiles' | 'users' | 'devices'>;

  constructor(deps: { stores: Pick<Stores, 'profiles' | 'users' | 'devices'> }) {
    this.#stores = deps.stores;
  }

  async render(tenantId: string, command: DeliveryCommand, state: WindowsProfileState<NativeState> | null, firstCmdId: number): Promise<RenderedUnit> {
    if (platformFamilyOf(command.odataType) !== 'windows') {
      throw unprocessable('NotWindowsProfile', `'${command.odataType}' is not a Windows profile type.`);
    }
    return isEmailProfileType(command.odataType)
      ? this.#renderAccount(tenantId, command, state, firstCmdId)
      : this.#renderCertificate(tenantId, command, state, firstCmdId);
  }

  async #renderAccount(tenantId: string, command: DeliveryCommand, state: WindowsProfileState<NativeState> | null, firstCmdId: number): Promise<RenderedUnit> {
    const confirmed = state?.confirmed?.kind === 'account' ? state.confirmed : null;
    const device = await this.#stores.devices.get(tenantId, command.deviceId);
    if (!device) throw notFound('Managed device', command.deviceId);
    const root = confirmed?.root ?? activeSyncRootFor(device.operatingSystem);
    if (command.kind === 'remove') {
      const guid = command.target.accountId ?? confirmed?.accountGuid ?? null;
      if (guid === null) return { kind: 'nothing', confirm: null };
      return deliveryUnit('remove', removeAccountCommands(windowsAccountRef(root, guid), firstCmdId), 0, null, null, true);
    }
    if (command.target.accountId === null) throw unprocessable('NoAccountId', 'The Windows email command carries no account GUID.');
    const leaves = await this.#leaves(tenantId, command);
    const account = windowsAccountRef(root, command.target.accountId);
    if (command.kind === 'update') return updateUnit(account, confirmed, leaves, firstCmdId);
    const previous = command.kind === 'replace' && command.previous?.accountId ? windowsAccountRef(root, command.previous.accountId) : null;
    if (mayHoldAccount(state, account)) return probeUnit(command.kind, account, leaves, previous, firstCmdId);
    if (previous === null) return scanUnit(command.kind, account, leaves, firstCmdId);
    return installUnit(command.kind, account, leaves, previous, firstCmdId);
  }

  async #renderCertificate(tenantId: string, command: DeliveryCommand, state: WindowsProfileState<NativeState> | null, firstCmdId: number): Promise<RenderedUnit> {
    const confirmed = state?.confirmed?.kind === 'certificate' ? state.confirmed.nodeLocUri : null;
    if (command.kind === 'remove') {
      if (confirmed === null) return { kind: 'nothing', confirm: null };
      return deliveryUnit('remove', removeCertificateCommands(confirmed, firstCmdId), 0, null, null, isUserScopedLocUri(confirmed));
    }
    const profile = await this.#stores.profiles.get(tenantId, command.profileId);
    if (!profile) throw notFound('Device configuration', command.profileId);
    const settings = settingsOf(profile, 'windows81TrustedRootCertificate');
    // The schema validated the enum; its TypeBox `Static` type widens it to a string (see windows-eas-settings.ts).
    const node = windowsCertificateNode(settings.trustedRootCertificate, settings.destinationStore as CertificateDestinationStore);
    const confirm: NativeState = { kind: 'certificate', nodeLocUri: node.nodeLocUri };
    if (confirmed === node.nodeLocUri) return { kind: 'nothing', confirm };
    const removal = confirmed === null ? [] : removeCertificateCommands(confirmed, firstCmdId);
    const commands = [...removal, ...installCertificateCommands(node, nextCmdId(removal, firstCmdId))];
    return deliveryUnit(command.kind, commands, removal.length, confirm, null, isUserScopedLocUri(node.nodeLocUri) || (confirmed !== null && isUserScopedLocUri(confirmed)));
  }

  /** The account's leaves for the command's user, from the profile as it is now. */
  async #leaves(tenantId: string, command: DeliveryCommand): Promise<CspLeaf[]> {
    const profile = await this.#stores.profiles.get(tenantId, command.profileId);
    if (!profile) throw notFound('Device configuration', command.profileId);
    const userId = command.target.userId;
    const user = userId === null ? null : await this.#stores.users.get(tenantId, userId);
    if (!user) throw notFound('User', String(userId));
    return windowsAccountLeavesForUser(profile.settings as unknown as WindowsEasEmailSettings, user);
  }
}

/**
 * Whether the PC may already hold `account`: an Add went to its node without a confirmed outcome
 * (a lost answer, a crash), or the PC confirmed this very GUID once. An Add there would delete it.
 */
function mayHoldAccount(state: WindowsProfileState<NativeState> | null, account: WindowsAccountRef): boolean {
  if (state === null) return false;
  if (state.addSentNode === accountLocUri(account)) return true;
  return state.confirmed?.kind === 'account' && state.confirmed.accountGuid.toUpperCase() === account.accountGuid.toUpperCase();
}

/**
 * The install `Atomic`, after the Delete of `previous` for a replace, or of user-made duplicates
 * (`replaced`, which the status then mentions). The Deletes stay outside the `Atomic`, so that one
 * already gone (404) cannot abort the create.
 */
export function installUnit(kind: DeliveryOperationKind, account: WindowsAccountRef, leaves: readonly CspLeaf[], previous: WindowsAccountRef | null, firstCmdId: number, replaced: readonly WindowsAccountRef[] = []): RenderedUnit {
  const removals = replaced.flatMap((duplicate, i) => removeAccountCommands(duplicate, firstCmdId + i));
  const first = nextCmdId(removals, firstCmdId);
  const install = previous === null ? installAccountCommands(account, leaves, first) : recreateAccountCommands(previous, account, leaves, first);
  const confirm: NativeState = { kind: 'account', root: account.root, accountGuid: account.accountGuid, leaves: [...leaves] };
  const unit = deliveryUnit(kind, [...removals, ...install], removals.length + (previous === null ? 0 : 1), confirm, accountLocUri(account), true);
  if (unit.kind === 'delivery' && replaced.length > 0) {
    unit.detail.note = `It replaced ${replaced.length === 1 ? 'an Exchange account' : `${replaced.length} Exchange accounts`} the user had set up on the PC for the same server and address (${replaced.map((r) => r.accountGuid).join(', ')}).`;
  }
  return unit;
}

/** The first step of a scan: a Get of the `Accounts` node (its children are the accounts' GUIDs). */
export function scanUnit(kind: DeliveryOperationKind, account: WindowsAccountRef, leaves: readonly CspLeaf[], firstCmdId: number): RenderedUnit {
  return {
    kind: 'scan',
    commands: [{ command: 'Get', CmdID: firstCmdId, LocURI: `${account.root}/Accounts` }],
    detail: { kind, account: { root: account.root, accountGuid: account.accountGuid }, desired: [...leaves], listCmdId: firstCmdId, reads: [] },
    userScoped: true,
  };
}

/** The second step of a scan: Gets of the server and address of the accounts Envelope did not make. */
export function scanReadsUnit(detail: ScanDetail, guids: readonly string[], firstCmdId: number): RenderedUnit {
  let cmdId = firstCmdId;
  const reads = guids.flatMap((guid) => (['ServerName', 'EmailAddress'] as const).map((path) => ({ cmdId: cmdId++, guid, path })));
  const commands: SyncMlCommand[] = reads.map((read) => ({ command: 'Get', CmdID: read.cmdId, LocURI: accountLocUri(windowsAccountRef(detail.account.root, read.guid), read.path) }));
  return { kind: 'scan', commands, detail: { ...detail, listCmdId: null, reads }, userScoped: true };
}

/**
 * An in-place update from the leaves the PC holds to `leaves`: only what differs, in one `Atomic`.
 * Without a confirmed state (it should not happen: the state is written with every acknowledgement)
 * every leaf but the creation-only ones is written again, which is correct whatever the PC holds.
 */
export function updateUnit(account: WindowsAccountRef, confirmed: Extract<NativeState, { kind: 'account' }> | null, leaves: readonly CspLeaf[], firstCmdId: number): RenderedUnit {
  const previous = confirmed?.leaves ?? leaves.filter((leaf) => requiresRecreate(leaf.path, true));
  const changed = new Set([...previous, ...leaves].map((leaf) => leaf.path).filter((path) => previous.find((l) => l.path === path)?.value !== leaves.find((l) => l.path === path)?.value));
  const frozen = [...changed].find((path) => requiresRecreate(path, true));
  if (frozen !== undefined) {
    throw unprocessable('AccountMustBeRecreated', `'${frozen}' of account ${account.accountGuid} cannot change in place; the change must be delivered as a replace under a new GUID.`);
  }
  const commands = updateAccountCommands(account, previous, leaves, firstCmdId);
  const confirm: NativeState = { kind: 'account', root: account.root, accountGuid: account.accountGuid, leaves: [...leaves] };
  if (commands.length === 0) return { kind: 'nothing', confirm };
  return deliveryUnit('update', commands, 0, confirm, null, true);
}

/** Gets of every leaf of `account` (and the Delete of `previous` for a replace), to decide from what is there. */
export function probeUnit(kind: DeliveryOperationKind, account: WindowsAccountRef, leaves: readonly CspLeaf[], previous: WindowsAccountRef | null, firstCmdId: number): RenderedUnit {
  const commands: SyncMlCommand[] = previous === null ? [] : removeAccountCommands(previous, firstCmdId);
  let cmdId = nextCmdId(commands, firstCmdId);
  const gets = leaves.map((leaf) => ({ cmdId: cmdId++, path: leaf.path }));
  commands.push(...gets.map((get) => ({ command: 'Get' as const, CmdID: get.cmdId, LocURI: accountLocUri(account, get.path) })));
  const removal: SentNode | null = previous === null ? null : { cmdId: firstCmdId, verb: 'Delete', locUri: accountLocUri(previous), previous: true };
  return {
    kind: 'probe',
    commands,
    detail: { kind, account: { root: account.root, accountGuid: account.accountGuid }, desired: [...leaves], gets, previous: removal },
    userScoped: true,
  };
}

/** A delivery unit; the first `previousCount` top-level commands remove the previous account or certificate. */
function deliveryUnit(kind: DeliveryOperationKind, commands: SyncMlCommand[], previousCount: number, confirm: NativeState | null, addNode: string | null, userScoped: boolean): RenderedUnit {
  const nodes: SentNode[] = [];
  commands.forEach((command, index) => {
    const previous = index < previousCount;
    if (command.command === 'Atomic') {
      nodes.push({ cmdId: command.CmdID, verb: 'Atomic', locUri: null, previous });
      for (const inner of command.commands) nodes.push({ cmdId: inner.CmdID, verb: inner.command, locUri: inner.LocURI, previous });
    } else {
      nodes.push({ cmdId: command.CmdID, verb: command.command, locUri: command.LocURI, previous });
    }
  });
  return { kind: 'delivery', commands, detail: { kind, nodes, confirm, addNode }, userScoped };
}
