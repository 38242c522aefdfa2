import { child, childrenNamed, escapeXml, parseXml, path, XmlSyntaxError, type XmlElement } from './xml.ts';

/**
 * SyncML 1.2 as a Windows PC speaks it to its MDM server ([MS-MDM] §2.2, §4; OMA DM RepPro 1.2;
 * https://learn.microsoft.com/windows/client-management/oma-dm-protocol-support): the device-side
 * reader of server messages and writer of device messages. No I/O.
 */
export const syncMlNamespace = 'SYNCML:SYNCML1.2';
export const syncMlContentType = 'application/vnd.syncml.dm+xml';
export const metInfNamespace = 'syncml:metinf';

/** The commands a server may send a Windows DM client (oma-dm-protocol-support, "DM protocol commands"). */
export const serverCommandNames = ['Add', 'Replace', 'Delete', 'Get', 'Exec', 'Alert', 'Atomic', 'Sequence'] as const;

export interface SyncMlItem {
  target?: string;
  source?: string;
  format?: string;
  type?: string;
  data?: string;
}

/** A command of a server message, nested ones under `children` (Atomic, Sequence). */
export interface ServerCommand {
  name: string;
  /** Absent when the server left it out (a protocol violation: the device answers 400 with a blank CmdRef). */
  cmdId: string | undefined;
  items: SyncMlItem[];
  /** Alert code, for `Alert`. */
  data?: string;
  children: ServerCommand[];
  /** A CDATA section was used in this command (Windows does not support CDATA in SyncML data). */
  cdata: boolean;
}

export interface Challenge {
  type: string;
  format: string;
  nextNonce: string;
}

export interface ServerStatus {
  cmdId: string | undefined;
  msgRef: string | undefined;
  cmdRef: string | undefined;
  cmd: string | undefined;
  code: number;
  chal?: Challenge;
}

export interface ServerMessage {
  verDtd: string;
  verProto: string;
  sessionId: string;
  msgId: string;
  target: string;
  source: string;
  statuses: ServerStatus[];
  /** Commands in document order (Status and Results excluded). */
  commands: ServerCommand[];
  final: boolean;
  /** Problems found while reading that do not stop reading (unknown elements in SyncBody…). */
  notes: string[];
}

/** The server's bytes are not a SyncML message at all. */
export class SyncMlFormatError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SyncMlFormatError';
  }
}

function text(element: XmlElement | undefined): string | undefined {
  return element === undefined ? undefined : element.text;
}

function readItem(item: XmlElement, commandMeta: XmlElement | undefined): SyncMlItem {
  const meta = child(item, 'Meta') ?? commandMeta;
  const result: SyncMlItem = {};
  const target = text(path(item, 'Target', 'LocURI'));
  const source = text(path(item, 'Source', 'LocURI'));
  const format = text(child(meta, 'Format'));
  const type = text(child(meta, 'Type'));
  const data = child(item, 'Data');
  if (target !== undefined) result.target = target;
  if (source !== undefined) result.source = source;
  if (format !== undefined) result.format = format;
  if (type !== undefined) result.type = type;
  if (data !== undefined) result.data = data.text;
  return result;
}

function hasCdata(element: XmlElement): boolean {
  return element.cdata || element.children.some(hasCdata);
}

function readCommand(element: XmlElement): ServerCommand {
  const nested = element.name === 'Atomic' || element.name === 'Sequence';
  const command: ServerCommand = {
    name: element.name,
    cmdId: text(child(element, 'CmdID')),
    items: childrenNamed(element, 'Item').map((item) => readItem(item, child(element, 'Meta'))),
    children: nested ? element.children.filter((item) => !['CmdID', 'Meta', 'NoResp'].includes(item.name)).map(readCommand) : [],
    cdata: hasCdata(element),
  };
  const data = child(element, 'Data');
  if (element.name === 'Alert' && data) command.data = data.text;
  return command;
}

function readStatus(element: XmlElement): ServerStatus {
  const code = Number(text(child(element, 'Data')));
  const status: ServerStatus = {
    cmdId: text(child(element, 'CmdID')),
    msgRef: text(child(element, 'MsgRef')),
    cmdRef: text(child(element, 'CmdRef')),
    cmd: text(child(element, 'Cmd')),
    code: Number.isInteger(code) ? code : 0,
  };
  const chal = path(element, 'Chal', 'Meta');
  if (chal) status.chal = { type: text(child(chal, 'Type')) ?? '', format: text(child(chal, 'Format')) ?? '', nextNonce: text(child(chal, 'NextNonce')) ?? '' };
  return status;
}

/**
 * Reads a server message. Throws `SyncMlFormatError` when the bytes are not XML or not a SyncML
 * document with a SyncHdr and SyncBody; everything else is returned for `checkServerMessage` to judge.
 */
export function readServerMessage(xml: string): ServerMessage {
  let root: XmlElement;
  try {
    root = parseXml(xml);
  } catch (error) {
    if (error instanceof XmlSyntaxError) throw new SyncMlFormatError(error.message);
    throw error;
  }
  if (root.name !== 'SyncML') throw new SyncMlFormatError(`the root element is <${root.name}>, not <SyncML>`);
  if (root.ns !== syncMlNamespace) throw new SyncMlFormatError(`<SyncML> is in namespace "${root.ns}", not ${syncMlNamespace}`);
  const header = child(root, 'SyncHdr');
  const body = child(root, 'SyncBody');
  if (!header || !body) throw new SyncMlFormatError('the message lacks SyncHdr or SyncBody');
  const notes: string[] = [];
  const statuses: ServerStatus[] = [];
  const commands: ServerCommand[] = [];
  let final = false;
  for (const element of body.children) {
    if (element.name === 'Status') statuses.push(readStatus(element));
    else if (element.name === 'Final') final = true;
    else if (element.name === 'Results') notes.push('the server sent Results, which only a device sends');
    else commands.push(readCommand(element));
  }
  return {
    verDtd: text(child(header, 'VerDTD')) ?? '',
    verProto: text(child(header, 'VerProto')) ?? '',
    sessionId: text(child(header, 'SessionID')) ?? '',
    msgId: text(child(header, 'MsgID')) ?? '',
    target: text(path(header, 'Target', 'LocURI')) ?? '',
    source: text(path(header, 'Source', 'LocURI')) ?? '',
    statuses,
    commands,
    final,
    notes,
  };
}

/** A command the device sends: Alert, Replace (DevInfo), Status, Results. */
export type DeviceCommand =
  | { kind: 'Alert'; cmdId: number; code: string; items?: SyncMlItem[] }
  | { kind: 'Replace'; cmdId: number; items: SyncMlItem[] }
  | { kind: 'Status'; cmdId: number; msgRef: string; cmdRef: string; cmd: string; code: number; targetRef?: string }
  | { kind: 'Results'; cmdId: number; msgRef: string; cmdRef: string; items: SyncMlItem[] };

export interface DeviceCredential {
  type: 'syncml:auth-md5';
  data: string;
}

export interface DeviceMessage {
  sessionId: string;
  msgId: number;
  /** The management server URL (w7 ADDR). */
  target: string;
  /** The device id. */
  source: string;
  cred?: DeviceCredential;
  commands: DeviceCommand[];
  final: boolean;
}

function encodeItem(item: SyncMlItem): string {
  const parts: string[] = [];
  if (item.target !== undefined) parts.push(`<Target><LocURI>${escapeXml(item.target)}</LocURI></Target>`);
  if (item.source !== undefined) parts.push(`<Source><LocURI>${escapeXml(item.source)}</LocURI></Source>`);
  if (item.format !== undefined || item.type !== undefined) {
    parts.push(`<Meta>${item.format !== undefined ? `<Format xmlns="${metInfNamespace}">${escapeXml(item.format)}</Format>` : ''}${item.type !== undefined ? `<Type xmlns="${metInfNamespace}">${escapeXml(item.type)}</Type>` : ''}</Meta>`);
  }
  if (item.data !== undefined) parts.push(`<Data>${escapeXml(item.data)}</Data>`);
  return `<Item>${parts.join('')}</Item>`;
}

function encodeCommand(command: DeviceCommand): string {
  const id = `<CmdID>${command.cmdId}</CmdID>`;
  switch (command.kind) {
    case 'Alert':
      return `<Alert>${id}<Data>${escapeXml(command.code)}</Data>${(command.items ?? []).map(encodeItem).join('')}</Alert>`;
    case 'Replace':
      return `<Replace>${id}${command.items.map(encodeItem).join('')}</Replace>`;
    case 'Status':
      return `<Status>${id}<MsgRef>${escapeXml(command.msgRef)}</MsgRef><CmdRef>${escapeXml(command.cmdRef)}</CmdRef><Cmd>${escapeXml(command.cmd)}</Cmd>` +
        `${command.targetRef !== undefined ? `<TargetRef>${escapeXml(command.targetRef)}</TargetRef>` : ''}<Data>${command.code}</Data></Status>`;
    case 'Results':
      return `<Results>${id}<MsgRef>${escapeXml(command.msgRef)}</MsgRef><CmdRef>${escapeXml(command.cmdRef)}</CmdRef>${command.items.map(encodeItem).join('')}</Results>`;
  }
}

/** The XML of a device message, as the PC posts it to the management URL. */
export function encodeDeviceMessage(message: DeviceMessage): string {
  const cred = message.cred
    ? `<Cred><Meta><Format xmlns="${metInfNamespace}">b64</Format><Type xmlns="${metInfNamespace}">${message.cred.type}</Type></Meta><Data>${escapeXml(message.cred.data)}</Data></Cred>`
    : '';
  return `<?xml version="1.0" encoding="UTF-8"?>\n<SyncML xmlns="${syncMlNamespace}"><SyncHdr><VerDTD>1.2</VerDTD><VerProto>DM/1.2</VerProto>` +
    `<SessionID>${escapeXml(message.sessionId)}</SessionID><MsgID>${message.msgId}</MsgID>` +
    `<Target><LocURI>${escapeXml(message.target)}</LocURI></Target><Source><LocURI>${escapeXml(message.source)}</LocURI></Source>${cred}</SyncHdr>` +
    `<SyncBody>${message.commands.map(encodeCommand).join('')}${message.final ? '<Final/>' : ''}</SyncBody></SyncML>`;
}
