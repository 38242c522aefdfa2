import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { SyncMlDecodeError } from './syncml-decode-error.ts';

/**
 * A SyncML DM 1.2 message from a Windows PC, as [MS-MDM] §2.2 and the OMA DM representation
 * protocol define it, with the element names of the wire. Only what a management server reads is
 * kept; other elements are ignored. https://learn.microsoft.com/openspecs/windows_protocols/ms-mdm
 */
export interface DeviceMessage {
  SyncHdr: DeviceSyncHdr;
  /** The body's commands in document order (Status and Results included). */
  commands: DeviceCommand[];
  /** `Final` present: the device's package ends with this message. */
  Final: boolean;
}

export interface DeviceSyncHdr {
  VerDTD: string;
  VerProto: string;
  /** Chosen by the device per session (Windows: a short hex number, reused over time). */
  SessionID: string;
  /** Unique and increasing within the session, from 1. */
  MsgID: number;
  /** `Target/LocURI`: the management server URL the device was given. */
  Target: string;
  /** `Source/LocURI`: the device id (MS-MDE2 DeviceID). */
  Source: string;
  /** `Source/LocName`: the user name for MD5 authentication, when the device sends one. */
  SourceLocName: string | null;
  Cred: SyncMlCred | null;
}

/** `SyncHdr/Cred`: `Meta/Type` (`syncml:auth-md5`, `syncml:auth-basic`), `Meta/Format` (`b64`), `Data`. */
export interface SyncMlCred {
  Type: string | null;
  Format: string | null;
  Data: string;
}

/** An `Item`: `Source`/`Target` LocURIs, `Meta/Type`, `Meta/Format`, and `Data` as text. */
export interface SyncMlItem {
  Source: string | null;
  Target: string | null;
  Type: string | null;
  Format: string | null;
  /** Text content (entities decoded, CDATA included); null when there is no `Data` element. */
  Data: string | null;
}

/** `Alert`: `Data` is the alert code (1200, 1201, 1222, 1223, 1224, 1226 …). */
export interface DeviceAlert {
  verb: 'Alert';
  CmdID: string;
  Data: string;
  Items: SyncMlItem[];
}

/** `Status` for one server command: `MsgRef`/`CmdRef` name it, `Data` is the SyncML status code. */
export interface DeviceStatus {
  verb: 'Status';
  CmdID: string;
  MsgRef: number;
  /**
   * The server command's CmdID; 0 for the server's SyncHdr. Null when the device left it blank,
   * which Windows does for a command that had no CmdID (it answers that with 400).
   */
  CmdRef: number | null;
  Cmd: string;
  Data: number;
  Items: SyncMlItem[];
}

/** `Results` of a server `Get`; `MsgRef` may be left out (it is then the server's last message). */
export interface DeviceResults {
  verb: 'Results';
  CmdID: string;
  MsgRef: number | null;
  CmdRef: number;
  Items: SyncMlItem[];
}

/** Any other command the device sends (`Replace` of `./DevInfo` in the first message, …). */
export interface DeviceOtherCommand {
  verb: string;
  CmdID: string;
  Items: SyncMlItem[];
}

export type DeviceCommand = DeviceAlert | DeviceStatus | DeviceResults | DeviceOtherCommand;

export function isDeviceStatus(command: DeviceCommand): command is DeviceStatus {
  return command.verb === 'Status';
}

export function isDeviceResults(command: DeviceCommand): command is DeviceResults {
  return command.verb === 'Results';
}

export function isDeviceAlert(command: DeviceCommand): command is DeviceAlert {
  return command.verb === 'Alert';
}

export interface SyncMlLimits {
  maxBytes: number;
  /** Commands in the body (Status and Results included). */
  maxCommands: number;
  maxItemsPerCommand: number;
  /** Characters of one `Data` value. */
  maxDataLength: number;
}

/**
 * Windows sends a few kilobytes per message (its default MaxMsgSize is 64 KiB); the limits leave
 * room for large `Results` without letting one request hold much memory.
 */
export const defaultSyncMlLimits: Readonly<SyncMlLimits> = Object.freeze({
  maxBytes: 512 * 1024,
  maxCommands: 1000,
  maxItemsPerCommand: 200,
  maxDataLength: 128 * 1024,
});

type Ordered = Record<string, unknown>;

const parser = new XMLParser({
  preserveOrder: true,
  ignoreAttributes: true,
  removeNSPrefix: true,
  parseTagValue: false,
  trimValues: false,
  ignoreDeclaration: true,
  ignorePiTags: true,
  maxNestedTags: 32,
});

/**
 * Reads a device message. Total: every problem is a `SyncMlDecodeError` naming the element
 * (never another exception). The size is checked before anything else, the bytes must be UTF-8,
 * the XML must be well-formed and carry no DTD (no entity expansion), and nesting is bounded.
 * Required: `VerDTD` 1.2, `VerProto` DM/1.2, `SessionID`, a positive `MsgID`, `Target` and
 * `Source` LocURIs, and a `CmdID` on every command; `Status` needs `MsgRef`, `Cmd` and a
 * three-digit code, `Results` a `CmdRef`, `Alert` its code.
 */
export function decodeDeviceMessage(body: Uint8Array, limits: SyncMlLimits = defaultSyncMlLimits): DeviceMessage {
  if (body.byteLength === 0) throw new SyncMlDecodeError('empty-body', 'the body is empty');
  if (body.byteLength > limits.maxBytes) throw new SyncMlDecodeError('body-too-large', `the body is ${body.byteLength} bytes, over the limit of ${limits.maxBytes}`);
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(body);
  } catch {
    throw new SyncMlDecodeError('malformed-xml', 'the body is not valid UTF-8');
  }
  if (/<!DOCTYPE|<!ENTITY/i.test(text)) throw new SyncMlDecodeError('malformed-xml', 'a DTD is not accepted in SyncML messages');
  const valid = XMLValidator.validate(text);
  if (valid !== true) throw new SyncMlDecodeError('malformed-xml', `not well-formed XML: ${valid.err.msg} (line ${valid.err.line})`);
  let document: unknown;
  try {
    document = parser.parse(text);
  } catch (error) {
    throw new SyncMlDecodeError('malformed-xml', error instanceof Error ? error.message : 'the XML could not be parsed');
  }
  const roots = elements(document);
  const syncMl = roots.length === 1 && tagOf(roots[0]!) === 'SyncML' ? roots[0]! : undefined;
  if (!syncMl) throw new SyncMlDecodeError('not-syncml', 'the document element must be SyncML');
  const parts = elements(syncMl.SyncML);
  const header = parts.find((node) => tagOf(node) === 'SyncHdr');
  const bodyNode = parts.find((node) => tagOf(node) === 'SyncBody');
  if (!header) throw new SyncMlDecodeError('not-syncml', 'SyncHdr is missing', 'SyncHdr');
  if (!bodyNode) throw new SyncMlDecodeError('not-syncml', 'SyncBody is missing', 'SyncBody');
  const SyncHdr = readHeader(elements(header.SyncHdr));
  const bodyChildren = elements(bodyNode.SyncBody);
  const commandNodes = bodyChildren.filter((node) => tagOf(node) !== 'Final');
  if (commandNodes.length > limits.maxCommands) throw new SyncMlDecodeError('too-many', `${commandNodes.length} commands, over the limit of ${limits.maxCommands}`, 'SyncBody');
  const counts = new Map<string, number>();
  const commands = commandNodes.map((node) => {
    const verb = tagOf(node);
    const index = (counts.get(verb) ?? 0) + 1;
    counts.set(verb, index);
    return readCommand(verb, elements(node[verb]), `SyncBody/${verb}[${index}]`, limits);
  });
  return { SyncHdr, commands, Final: bodyChildren.some((node) => tagOf(node) === 'Final') };
}

function readHeader(children: Ordered[]): DeviceSyncHdr {
  const VerDTD = requiredText(children, 'VerDTD', 'SyncHdr/VerDTD', 16);
  const VerProto = requiredText(children, 'VerProto', 'SyncHdr/VerProto', 16);
  if (VerDTD !== '1.2' || VerProto !== 'DM/1.2') {
    throw new SyncMlDecodeError('unsupported-version', `VerDTD '${VerDTD}' and VerProto '${VerProto}': Envelope speaks SyncML DM 1.2 (VerDTD 1.2, VerProto DM/1.2)`, 'SyncHdr');
  }
  const target = child(children, 'Target');
  const source = child(children, 'Source');
  if (!target) throw new SyncMlDecodeError('missing-field', 'missing', 'SyncHdr/Target');
  if (!source) throw new SyncMlDecodeError('missing-field', 'missing', 'SyncHdr/Source');
  const sourceChildren = elements(source.Source);
  const cred = child(children, 'Cred');
  let Cred: SyncMlCred | null = null;
  if (cred) {
    const credChildren = elements(cred.Cred);
    const meta = metaOf(credChildren);
    Cred = { Type: meta.Type, Format: meta.Format, Data: requiredText(credChildren, 'Data', 'SyncHdr/Cred/Data', 256) };
  }
  return {
    VerDTD,
    VerProto,
    SessionID: requiredText(children, 'SessionID', 'SyncHdr/SessionID', 64),
    MsgID: requiredInteger(children, 'MsgID', 'SyncHdr/MsgID', 1),
    Target: requiredText(elements(target.Target), 'LocURI', 'SyncHdr/Target/LocURI', 2048),
    Source: requiredText(sourceChildren, 'LocURI', 'SyncHdr/Source/LocURI', 128),
    SourceLocName: optionalText(sourceChildren, 'LocName', 'SyncHdr/Source/LocName', 128),
    Cred,
  };
}

function readCommand(verb: string, children: Ordered[], path: string, limits: SyncMlLimits): DeviceCommand {
  const CmdID = requiredText(children, 'CmdID', `${path}/CmdID`, 64);
  const itemNodes = children.filter((node) => tagOf(node) === 'Item');
  if (itemNodes.length > limits.maxItemsPerCommand) throw new SyncMlDecodeError('too-many', `${itemNodes.length} items, over the limit of ${limits.maxItemsPerCommand}`, path);
  const Items = itemNodes.map((node, i) => readItem(elements(node.Item), `${path}/Item[${i + 1}]`, limits));
  switch (verb) {
    case 'Alert':
      return { verb, CmdID, Data: requiredText(children, 'Data', `${path}/Data`, 16), Items };
    case 'Status': {
      const code = requiredText(children, 'Data', `${path}/Data`, 16);
      if (!/^\d{3}$/.test(code)) throw new SyncMlDecodeError('invalid-field', `'${code}' is not a SyncML status code`, `${path}/Data`);
      const cmdRef = optionalText(children, 'CmdRef', `${path}/CmdRef`, 16) ?? '';
      if (cmdRef !== '' && !/^\d{1,9}$/.test(cmdRef)) throw new SyncMlDecodeError('invalid-field', `'${cmdRef}' is not a CmdID Envelope sends`, `${path}/CmdRef`);
      return {
        verb,
        CmdID,
        MsgRef: requiredInteger(children, 'MsgRef', `${path}/MsgRef`, 0),
        CmdRef: cmdRef === '' ? null : Number(cmdRef),
        Cmd: requiredText(children, 'Cmd', `${path}/Cmd`, 32),
        Data: Number(code),
        Items,
      };
    }
    case 'Results': {
      const msgRef = child(children, 'MsgRef');
      return {
        verb,
        CmdID,
        MsgRef: msgRef ? requiredInteger(children, 'MsgRef', `${path}/MsgRef`, 0) : null,
        CmdRef: requiredInteger(children, 'CmdRef', `${path}/CmdRef`, 0),
        Items,
      };
    }
    default:
      return { verb, CmdID, Items };
  }
}

function readItem(children: Ordered[], path: string, limits: SyncMlLimits): SyncMlItem {
  const source = child(children, 'Source');
  const target = child(children, 'Target');
  const meta = metaOf(children);
  const data = child(children, 'Data');
  const Data = data ? textContent(data.Data) : null;
  if (Data !== null && Data.length > limits.maxDataLength) throw new SyncMlDecodeError('invalid-field', `longer than ${limits.maxDataLength} characters`, `${path}/Data`);
  return {
    Source: source ? optionalText(elements(source.Source), 'LocURI', `${path}/Source/LocURI`, 2048) : null,
    Target: target ? optionalText(elements(target.Target), 'LocURI', `${path}/Target/LocURI`, 2048) : null,
    Type: meta.Type,
    Format: meta.Format,
    Data,
  };
}

function metaOf(children: Ordered[]): { Type: string | null; Format: string | null } {
  const meta = child(children, 'Meta');
  if (!meta) return { Type: null, Format: null };
  const metaChildren = elements(meta.Meta);
  return { Type: optionalText(metaChildren, 'Type', 'Meta/Type', 256), Format: optionalText(metaChildren, 'Format', 'Meta/Format', 64) };
}

/** Child elements of an ordered node, without text, comments and CDATA between them. */
function elements(value: unknown): Ordered[] {
  if (!Array.isArray(value)) return [];
  return value.filter((node): node is Ordered => typeof node === 'object' && node !== null && tagOf(node as Ordered) !== '#text');
}

function tagOf(node: Ordered): string {
  return Object.keys(node).find((key) => key !== ':@') ?? '';
}

function child(children: Ordered[], tag: string): Ordered | undefined {
  return children.find((node) => tagOf(node) === tag);
}

/** The text of an element: its text and CDATA children joined (elements inside are skipped). */
function textContent(value: unknown): string {
  if (!Array.isArray(value)) return '';
  let text = '';
  for (const node of value) {
    if (typeof node === 'object' && node !== null && '#text' in node) text += String((node as { '#text': unknown })['#text']);
  }
  return text;
}

function optionalText(children: Ordered[], tag: string, path: string, maxLength: number): string | null {
  const node = child(children, tag);
  if (!node) return null;
  const text = textContent(node[tag]).trim();
  if (text.length > maxLength) throw new SyncMlDecodeError('invalid-field', `longer than ${maxLength} characters`, path);
  return text;
}

function requiredText(children: Ordered[], tag: string, path: string, maxLength: number): string {
  const text = optionalText(children, tag, path, maxLength);
  if (text === null) throw new SyncMlDecodeError('missing-field', 'missing', path);
  if (text === '') throw new SyncMlDecodeError('missing-field', 'empty', path);
  return text;
}

function requiredInteger(children: Ordered[], tag: string, path: string, min: number): number {
  const text = requiredText(children, tag, path, 16);
  if (!/^\d{1,9}$/.test(text) || Number(text) < min) throw new SyncMlDecodeError('invalid-field', `'${text}' is not an integer ≥ ${min}`, path);
  return Number(text);
}
