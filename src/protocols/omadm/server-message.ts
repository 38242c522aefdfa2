import { XMLBuilder } from 'fast-xml-parser';
import { renderSyncBodyCommands } from '../../payloads/windows/render-syncml.ts';
import type { SyncMlCommand } from '../../payloads/windows/syncml-commands.ts';
import { syncMlAuthMd5 } from './syncml-digest.ts';

/** `SyncHdr` of a server message: the device's `SessionID`, the server's own `MsgID`. */
export interface ServerSyncHdr {
  SessionID: string;
  /** Unique and increasing within the session, from 1. */
  MsgID: number;
  /** `Target/LocURI`: the device id (the device message's `Source`). */
  Target: string;
  /** `Source/LocURI`: the management server URL. */
  Source: string;
}

/** A `Status` the server returns for the device's SyncHdr (`CmdRef` 0) or one of its commands. */
export interface ServerStatus {
  MsgRef: number;
  /** The device's CmdID, or 0 for its SyncHdr. */
  CmdRef: string;
  Cmd: string;
  Data: number;
  /** An MD5 challenge: `NextNonce` is the nonce base64-encoded, as the device must use it next. */
  Chal?: { NextNonce: string };
}

export interface ServerMessage {
  SyncHdr: ServerSyncHdr;
  /** First the SyncHdr's, then one per device command in the device's order ([MS-MDM] §2.2.6.1). */
  statuses: readonly ServerStatus[];
  /** Commands for the device; their CmdIDs start at `firstCommandCmdId(statuses.length)`. */
  commands: readonly SyncMlCommand[];
}

/**
 * The statuses take CmdIDs 1…n in order, so the first command of a message with `statusCount`
 * statuses has CmdID n + 1; every CmdID, nested ones included, is unique within the message.
 */
export function firstCommandCmdId(statusCount: number): number {
  return statusCount + 1;
}

type Ordered = { [tag: string]: Ordered[] | string | Record<string, string> };

const builder = new XMLBuilder({ preserveOrder: true, ignoreAttributes: false, attributeNamePrefix: '@_', suppressEmptyNode: true });

/**
 * A complete server message: `SyncHdr`, then in `SyncBody` the statuses, the commands (rendered by
 * the Windows compilers' `renderSyncBodyCommands`) and `Final`. Throws a TypeError when two CmdIDs
 * collide or a command's CmdID falls among the statuses' — a bug in the caller, never sent.
 */
export function encodeServerMessage(message: ServerMessage): string {
  assertUniqueCmdIds(message);
  const header: Ordered[] = [
    text('VerDTD', '1.2'),
    text('VerProto', 'DM/1.2'),
    text('SessionID', message.SyncHdr.SessionID),
    text('MsgID', String(message.SyncHdr.MsgID)),
    { Target: [text('LocURI', message.SyncHdr.Target)] },
    { Source: [text('LocURI', message.SyncHdr.Source)] },
  ];
  const statuses = message.statuses.map((status, index) => statusNode(status, index + 1));
  return `<SyncML xmlns="SYNCML:SYNCML1.2">${builder.build([{ SyncHdr: header }])}<SyncBody>${builder.build(statuses)}`
    + `${renderSyncBodyCommands(message.commands)}<Final/></SyncBody></SyncML>`;
}

/** OMA DTD order: CmdID, MsgRef, CmdRef, Cmd, Chal, Data. */
function statusNode(status: ServerStatus, cmdId: number): Ordered {
  const children: Ordered[] = [text('CmdID', String(cmdId)), text('MsgRef', String(status.MsgRef)), text('CmdRef', status.CmdRef), text('Cmd', status.Cmd)];
  if (status.Chal) {
    children.push({
      Chal: [{
        Meta: [
          metinf('Type', syncMlAuthMd5),
          metinf('Format', 'b64'),
          metinf('NextNonce', status.Chal.NextNonce),
        ],
      }],
    });
  }
  children.push(text('Data', String(status.Data)));
  return { Status: children };
}

function metinf(tag: string, value: string): Ordered {
  return { [tag]: [{ '#text': safeText(value) }], ':@': { '@_xmlns': 'syncml:metinf' } };
}

function text(tag: string, value: string): Ordered {
  return { [tag]: [{ '#text': safeText(value) }] };
}

/** Echoed device values passed an XML parser, but a character reference can still smuggle in a control character XML 1.0 cannot carry. */
function safeText(value: string): string {
  return value.replace(/[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]/g, '\uFFFD');
}

function assertUniqueCmdIds(message: ServerMessage): void {
  const seen = new Set<number>();
  const visit = (command: SyncMlCommand) => {
    if (command.CmdID <= message.statuses.length || seen.has(command.CmdID)) {
      throw new TypeError(`CmdID ${command.CmdID} is not unique in the message.`);
    }
    seen.add(command.CmdID);
    if (command.command === 'Atomic') command.commands.forEach(visit);
  };
  message.commands.forEach(visit);
}
