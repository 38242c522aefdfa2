import type { DeliveryError, DeliveryOperationKind } from '../../domain/delivery/index.ts';
import type { ActiveSyncRoot } from '../../payloads/windows/activesync-account.ts';
import type { CspLeaf } from '../../payloads/windows/windows-account-leaves.ts';
import { isSyncMlSuccess, syncMlStatus, syncMlStatusMeaning } from '../../protocols/omadm/index.ts';

/**
 * What the PC holds of one profile, in its native form: the ActiveSync account (CSP root, GUID and
 * the leaves it was given) or a certificate's `{CertHash}` node. Kept per (PC, profile) once confirmed.
 */
export type NativeState =
  | { kind: 'account'; root: ActiveSyncRoot; accountGuid: string; leaves: CspLeaf[] }
  | { kind: 'certificate'; nodeLocUri: string };

/** One command of a unit as sent: its CmdID, verb and target; `previous` marks the removal of the old account or certificate of a replace. */
export interface SentNode {
  cmdId: number;
  verb: 'Add' | 'Replace' | 'Delete' | 'Get' | 'Atomic';
  locUri: string | null;
  previous: boolean;
}

/** A delivery command's SyncML: once every command succeeds the PC holds `confirm` (null: removed). */
export interface DeliveryDetail {
  kind: DeliveryOperationKind;
  nodes: SentNode[];
  confirm: NativeState | null;
  /** The account node an Add creates (an answer 418 there means the account already exists). */
  addNode: string | null;
  /** Added to the status message on success (a user-made account was replaced). */
  note?: string;
}

/**
 * Before a first install: the Get of the `Accounts` node (`listCmdId`), then Gets of `ServerName`
 * and `EmailAddress` of the accounts Envelope did not make (`reads`), to find a user-made account
 * for the same server and address, which the install then replaces (SPEC seed rule).
 */
export interface ScanDetail {
  kind: DeliveryOperationKind;
  account: { root: ActiveSyncRoot; accountGuid: string };
  desired: CspLeaf[];
  listCmdId: number | null;
  reads: { cmdId: number; guid: string; path: 'ServerName' | 'EmailAddress' }[];
}

/**
 * Gets that read an account back before any Add to it (re-adding a live account GUID deletes the
 * account): sent when an Add there went out before without a confirmed outcome, or answered 418.
 * With a replace, the Delete of the previous account goes along (`previous`).
 */
export interface ProbeDetail {
  kind: DeliveryOperationKind;
  account: { root: ActiveSyncRoot; accountGuid: string };
  desired: CspLeaf[];
  gets: { cmdId: number; path: string }[];
  previous: SentNode | null;
}

/** A verification round: Gets of what each confirmed profile wrote (`expected` null: presence only), answered in the same session. */
export interface VerifyDetail {
  sentAt: number;
  gets: { cmdId: number; profileId: string; locUri: string; expected: string | null }[];
}

/**
 * The session's own reads (ChannelURI, the Windows build, and the PC's WNS Package Family Name when
 * the tenant has one), or the write of the tenant's PFN with a fresh read of the ChannelURI after it.
 */
export interface ReadDetail {
  reads: { cmdId: number; what: 'channelUri' | 'softwareVersion' | 'pfn' }[];
  /** The tenant's PFN when the session reads or writes the PC's. */
  pfn?: string;
  /** The `Add` (the PC has none) or `Replace` (another one) of the PFN. */
  pfnWrite?: { cmdId: number; verb: 'Add' | 'Replace' };
}

/** The device's answer to one of our commands: a Status code, and the Results data of a Get. */
export interface CommandAnswer {
  code: number | null;
  /** Results `Data` of a Get (the first item's). */
  data: string | null;
  hasResults: boolean;
}

export type DeliveryOutcome =
  | { kind: 'unanswered' }
  | { kind: 'succeeded' }
  /** The account Add answered 418: read the account back instead of sending the Add again. */
  | { kind: 'alreadyExists' }
  | { kind: 'failed'; error: DeliveryError };

/** Codes with which a removal reached its goal: done, or already not there. */
function isRemoved(code: number): boolean {
  return isSyncMlSuccess(code) || code === syncMlStatus.notFound;
}

/**
 * The outcome of a delivery command from the statuses the device returned for its commands. Only
 * 200 and 202 count as success (214, 215 and 216 are not). A Delete — a removal, or the removal of
 * the previous account of a replace — also succeeds with 404 (nothing left to remove). A 418 on an
 * account Add is `alreadyExists`; on a certificate Add it is success (the same certificate is in the
 * store: its node name is its thumbprint). The failure names the first command that failed for a
 * reason of its own (not 216, "rolled back because another failed"), else the Atomic's code.
 */
export function deliveryOutcome(detail: DeliveryDetail, answers: ReadonlyMap<number, CommandAnswer>): DeliveryOutcome {
  const answered = detail.nodes.filter((node) => answers.get(node.cmdId)?.code != null);
  if (answered.length === 0) return { kind: 'unanswered' };
  const codeOf = (node: SentNode) => answers.get(node.cmdId)?.code ?? null;
  const isAccountAdd = detail.confirm?.kind === 'account';
  if (isAccountAdd && detail.nodes.some((node) => node.verb === 'Add' && !node.previous && codeOf(node) === syncMlStatus.alreadyExists)) {
    return { kind: 'alreadyExists' };
  }
  const accepts = (node: SentNode, code: number) =>
    isSyncMlSuccess(code)
    || (node.verb === 'Delete' && isRemoved(code))
    || (node.verb === 'Add' && !isAccountAdd && code === syncMlStatus.alreadyExists);
  const failures = answered.filter((node) => !accepts(node, codeOf(node)!));
  if (failures.length === 0) return { kind: 'succeeded' };
  const own = failures.find((node) => node.verb !== 'Atomic' && codeOf(node) !== syncMlStatus.atomicRolledBack) ?? failures.find((node) => node.verb === 'Atomic') ?? failures[0]!;
  const rolledBack = failures.filter((node) => codeOf(node) === syncMlStatus.atomicRolledBack).length;
  return { kind: 'failed', error: syncMlFailure(codeOf(own)!, own, rolledBack) };
}

/**
 * A device status as a delivery error with a message an admin can act on, e.g. `SyncML 405`:
 * "Add ./User/…/Options/UseSSL answered 405: command not allowed …". Terminal when the command
 * itself cannot succeed on this PC as it is (malformed, not allowed, unsupported, no permission, a
 * node that does not exist for a write); transient otherwise (generic failures, cancelled, rolled back).
 */
export function syncMlFailure(code: number, node: Pick<SentNode, 'verb' | 'locUri'>, rolledBack = 0): DeliveryError {
  const terminal = [400, 403, 405, 406, 415, 425].includes(code) || (code === syncMlStatus.notFound && node.verb !== 'Delete');
  const target = node.locUri === null ? node.verb : `${node.verb} ${node.locUri}`;
  const others = rolledBack > 0 ? `; ${rolledBack} other command${rolledBack === 1 ? ' was' : 's were'} rolled back (216), so nothing of it is on the PC` : '';
  return { errorClass: terminal ? 'terminal' : 'transient', code: `SyncML ${code}`, message: `${target} answered ${code}: ${syncMlStatusMeaning(code)}${others}` };
}

/**
 * What a read-back found: `absent` when every leaf answered 404 (the account is not there),
 * `present` with the leaves found otherwise, `unanswered` while a Get has no answer, `failed` when a
 * Get failed for another reason or the previous account's Delete failed.
 */
export type ProbeOutcome =
  | { kind: 'unanswered' }
  | { kind: 'absent' }
  | { kind: 'present'; leaves: CspLeaf[] }
  | { kind: 'failed'; error: DeliveryError };

export function probeOutcome(detail: ProbeDetail, answers: ReadonlyMap<number, CommandAnswer>): ProbeOutcome {
  if (detail.previous !== null) {
    const code = answers.get(detail.previous.cmdId)?.code ?? null;
    if (code !== null && !isRemoved(code)) return { kind: 'failed', error: syncMlFailure(code, detail.previous) };
  }
  const found: CspLeaf[] = [];
  let absent = 0;
  for (const get of detail.gets) {
    const answer = answers.get(get.cmdId);
    if (answer === undefined || (answer.code === null && !answer.hasResults)) return { kind: 'unanswered' };
    if (answer.hasResults && (answer.code === null || isSyncMlSuccess(answer.code))) found.push({ path: get.path, value: (answer.data ?? '').trim() });
    else if (answer.code === syncMlStatus.notFound) absent += 1;
    else return { kind: 'failed', error: syncMlFailure(answer.code!, { verb: 'Get', locUri: get.path }) };
  }
  return absent === detail.gets.length ? { kind: 'absent' } : { kind: 'present', leaves: found };
}

/** `listed`: the accounts other than Envelope's (first step); `checked`: those that duplicate the profile's account (second step). */
export type ScanOutcome =
  | { kind: 'unanswered' }
  | { kind: 'listed'; foreign: string[] }
  | { kind: 'checked'; duplicates: string[] };

const guidPattern = /[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}/g;

/**
 * What a scan found. The `Accounts` node's Results list child names, URI-encoded and separated by
 * `/` (https://learn.microsoft.com/windows/client-management/oma-dm-protocol-support, `Get`); GUIDs
 * are compared upper-case. An account duplicates the profile's when its server and address equal
 * the profile's, ignoring case (host names and addresses are case-insensitive). A list or read that
 * fails (404: no accounts; anything else) finds nothing: the install goes ahead.
 */
export function scanOutcome(detail: ScanDetail, answers: ReadonlyMap<number, CommandAnswer>, envelopeGuids: ReadonlySet<string>): ScanOutcome {
  if (detail.reads.length === 0) {
    const answer = detail.listCmdId === null ? undefined : answers.get(detail.listCmdId);
    if (answer === undefined || (answer.code === null && !answer.hasResults)) return { kind: 'unanswered' };
    const own = detail.account.accountGuid.replace(/[{}]/g, '').toUpperCase();
    const listed = answer.hasResults ? [...decodeURIComponentSafe(answer.data ?? '').matchAll(guidPattern)].map((m) => m[0].toUpperCase()) : [];
    return { kind: 'listed', foreign: [...new Set(listed)].filter((guid) => guid !== own && !envelopeGuids.has(guid)) };
  }
  if (detail.reads.some((read) => answers.get(read.cmdId) === undefined)) return { kind: 'unanswered' };
  const desired = (path: string) => detail.desired.find((leaf) => leaf.path === path)?.value.toLowerCase() ?? null;
  const value = (guid: string, path: string) => {
    const read = detail.reads.find((r) => r.guid === guid && r.path === path);
    const answer = read === undefined ? undefined : answers.get(read.cmdId);
    return answer?.hasResults ? (answer.data ?? '').trim().toLowerCase() : null;
  };
  const guids = [...new Set(detail.reads.map((read) => read.guid))];
  return { kind: 'checked', duplicates: guids.filter((guid) => value(guid, 'ServerName') === desired('ServerName') && value(guid, 'EmailAddress') === desired('EmailAddress')) };
}

function decodeURIComponentSafe(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}
