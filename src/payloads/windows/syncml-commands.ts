/**
 * SyncML 1.2 commands as plain data, named as on the wire (OMA-DM / MS-MDM):
 * https://learn.microsoft.com/windows/client-management/oma-dm-protocol-support
 * Each command targets one node (one `Item`), so a device `Status` maps back to one node by `CmdID`.
 */
export interface SyncMlAdd {
  command: 'Add';
  CmdID: number;
  LocURI: string;
  /**
   * `Meta/Format` (namespace `syncml:metinf`): every ActiveSync CSP leaf is `chr`; a certificate
   * (`RootCATrustedCertificates/…/EncodedCertificate`) is `b64`.
   */
  Format: SyncMlFormat;
  Data: string;
}

export type SyncMlFormat = 'chr' | 'b64';

export interface SyncMlReplace {
  command: 'Replace';
  CmdID: number;
  LocURI: string;
  Format: SyncMlFormat;
  Data: string;
}

export interface SyncMlDelete {
  command: 'Delete';
  CmdID: number;
  LocURI: string;
}

/** All-or-nothing group; Windows rejects nested `Atomic` (500/507), so it holds only node commands. */
export interface SyncMlAtomic {
  command: 'Atomic';
  CmdID: number;
  commands: SyncMlNodeCommand[];
}

/**
 * Reads a node: a leaf's value, or an interior node's child names (URI-encoded, `/`-separated); the
 * device answers with `Results`, or with a `Status` such as 404 when the node does not exist. Not
 * allowed inside `Atomic` (the device answers 500).
 * https://learn.microsoft.com/windows/client-management/oma-dm-protocol-support
 */
export interface SyncMlGet {
  command: 'Get';
  CmdID: number;
  LocURI: string;
}

export type SyncMlNodeCommand = SyncMlAdd | SyncMlReplace | SyncMlDelete;
export type SyncMlCommand = SyncMlNodeCommand | SyncMlAtomic | SyncMlGet;

/**
 * The first CmdID free after `commands` (nested ones included), or `firstCmdId` when there are none;
 * lets a caller append more commands to the same message with unique, increasing ids.
 */
export function nextCmdId(commands: readonly SyncMlCommand[], firstCmdId: number): number {
  let next = firstCmdId;
  for (const command of commands) {
    next = Math.max(next, command.CmdID + 1);
    if (command.command === 'Atomic') next = nextCmdId(command.commands, next);
  }
  return next;
}
