import { XMLBuilder } from 'fast-xml-parser';
import type { SyncMlCommand, SyncMlGet, SyncMlNodeCommand } from './syncml-commands.ts';

/**
 * `SyncHdr` values of a server-to-device message (MS-MDM / OMA-DM 1.2). `VerDTD` 1.2 and
 * `VerProto` DM/1.2 are fixed. https://learn.microsoft.com/windows/client-management/oma-dm-protocol-support
 */
export interface SyncMlHeader {
  SessionID: string;
  /** Unique and increasing within the session. */
  MsgID: number;
  /** `Target/LocURI`: the device id. */
  Target: string;
  /** `Source/LocURI`: the management server URL. */
  Source: string;
}

export interface RenderSyncMlOptions {
  /** Indent for humans (golden files, previews); devices get the compact form. */
  pretty?: boolean;
}

/** fast-xml-parser's ordered-node form: element order matters in SyncML (e.g. `Delete` before `Atomic`). */
type OrderedNode = { [tag: string]: OrderedNode[] | string | Record<string, string> };

/**
 * Text is escaped by `text()` below rather than by the builder (`processEntities: false`): the
 * builder's entity pass costs about a third of the render time, and every variable text node goes
 * through `text()` anyway. Attributes and `Format` are constants.
 */
const builderOptions = {
  preserveOrder: true,
  ignoreAttributes: false,
  attributeNamePrefix: '@_',
  suppressEmptyNode: true,
  processEntities: false,
};
const compact = new XMLBuilder(builderOptions);
const pretty = new XMLBuilder({ ...builderOptions, format: true, indentBy: '  ' });

/**
 * The commands as they go inside `SyncBody`, in order, without `Final`: the OMA-DM layer puts its
 * `Status` replies before them. Text is XML-escaped (`&`, `<`, `>`); values are sent verbatim otherwise.
 */
export function renderSyncBodyCommands(commands: readonly SyncMlCommand[], options: RenderSyncMlOptions = {}): string {
  return build(commands.map(commandNode), options);
}

/** A complete server message: `SyncHdr`, then `SyncBody` with the commands and `<Final/>`. */
export function renderSyncMlMessage(
  header: SyncMlHeader,
  commands: readonly SyncMlCommand[],
  options: RenderSyncMlOptions = {},
): string {
  const message: OrderedNode = {
    SyncML: [
      {
        SyncHdr: [
          text('VerDTD', '1.2'),
          text('VerProto', 'DM/1.2'),
          text('SessionID', header.SessionID),
          text('MsgID', String(header.MsgID)),
          { Target: [text('LocURI', header.Target)] },
          { Source: [text('LocURI', header.Source)] },
        ],
      },
      { SyncBody: [...commands.map(commandNode), { Final: [] }] },
    ],
    ':@': { '@_xmlns': 'SYNCML:SYNCML1.2' },
  };
  return build([message], options);
}

function build(nodes: OrderedNode[], options: RenderSyncMlOptions): string {
  // The formatting builder opens with a newline; a file should start with its root element.
  return options.pretty ? pretty.build(nodes).trimStart() : compact.build(nodes);
}

function commandNode(command: SyncMlCommand): OrderedNode {
  if (command.command === 'Atomic') {
    return { Atomic: [text('CmdID', String(command.CmdID)), ...command.commands.map(nodeCommandNode)] };
  }
  return nodeCommandNode(command);
}

function nodeCommandNode(command: SyncMlNodeCommand | SyncMlGet): OrderedNode {
  const item: OrderedNode[] = [{ Target: [text('LocURI', command.LocURI)] }];
  if (command.command === 'Add' || command.command === 'Replace') {
    item.push({ Meta: [{ Format: [{ '#text': command.Format }], ':@': { '@_xmlns': 'syncml:metinf' } }] });
    item.push(text('Data', command.Data));
  }
  return { [command.command]: [text('CmdID', String(command.CmdID)), { Item: item }] };
}

function text(tag: string, value: string): OrderedNode {
  return { [tag]: [{ '#text': escapeXmlText(value) }] };
}

/** Characters XML 1.0 cannot carry at all, escaped or not. */
const xmlIllegal = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]/;

/**
 * Escapes character data: `&` and `<` must be, `>` is so that `]]>` can never appear. Throws a
 * TypeError for text XML cannot represent (control characters, lone surrogates) rather than send a
 * message the device would reject whole; validated profiles and directory values never contain it.
 */
function escapeXmlText(value: string): string {
  if (xmlIllegal.test(value) || !value.isWellFormed()) throw new TypeError(`Text not representable in XML: ${JSON.stringify(value)}.`);
  return /[&<>]/.test(value) ? value.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;') : value;
}
