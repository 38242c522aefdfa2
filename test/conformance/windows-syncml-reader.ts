import { XMLParser } from 'fast-xml-parser';

/**
 * A SyncML command as read back from XML, in the shape of the compiler's `SyncMlCommand` for
 * well-formed input (so a round trip compares with `deepEqual`), but loose enough to carry whatever a
 * broken message contains. Keys are present only when the XML has them.
 */
export interface ReadSyncMlCommand {
  command: string;
  CmdID: number;
  LocURI?: string;
  Format?: string;
  Data?: string;
  commands?: ReadSyncMlCommand[];
}

export interface ReadSyncMl {
  commands: ReadSyncMlCommand[];
  /** Structural faults found while reading (missing CmdID, several Items, Format outside `syncml:metinf`…). */
  problems: string[];
}

type Ordered = Record<string, unknown>;

const parser = new XMLParser({
  preserveOrder: true,
  ignoreAttributes: false,
  attributeNamePrefix: '@_',
  parseTagValue: false,
  trimValues: false,
});

/** Body elements that are not commands addressed to the device tree. */
const ignoredBodyElements = new Set(['Final', 'Status', 'Results']);

/** Reads a full `SyncML` message or a bare sequence of commands (the `SyncBody` content). */
export function readSyncMl(xml: string): ReadSyncMl {
  const problems: string[] = [];
  let top = elements(parser.parse(xml) as unknown);
  const syncMl = top.find((node) => tagOf(node) === 'SyncML');
  if (syncMl) {
    const body = elements(syncMl.SyncML).find((node) => tagOf(node) === 'SyncBody');
    if (!body) problems.push('SyncML message without SyncBody.');
    top = body ? elements(body.SyncBody) : [];
  }
  const commands = top.filter((node) => !ignoredBodyElements.has(tagOf(node))).map((node) => readCommand(node, problems));
  return { commands, problems };
}

function readCommand(node: Ordered, problems: string[]): ReadSyncMlCommand {
  const tag = tagOf(node);
  const children = elements(node[tag]);
  const cmdIdText = textOf(children, 'CmdID');
  const CmdID = Number(cmdIdText);
  if (cmdIdText === undefined || !/^\d+$/.test(cmdIdText)) problems.push(`${tag} without a numeric CmdID.`);
  if (tag === 'Atomic' || tag === 'Sequence') {
    const inner = children.filter((child) => tagOf(child) !== 'CmdID').map((child) => readCommand(child, problems));
    return { command: tag, CmdID, commands: inner };
  }
  const items = children.filter((child) => tagOf(child) === 'Item');
  if (items.length !== 1) problems.push(`${tag} ${cmdIdText ?? '?'} has ${items.length} Items; Envelope sends exactly one.`);
  const command: ReadSyncMlCommand = { command: tag, CmdID };
  const item = items[0] ? elements(items[0].Item) : [];
  const target = item.find((child) => tagOf(child) === 'Target');
  const locUri = target ? textOf(elements(target.Target), 'LocURI') : undefined;
  if (locUri !== undefined) command.LocURI = locUri;
  const meta = item.find((child) => tagOf(child) === 'Meta');
  const format = meta ? elements(meta.Meta).find((child) => tagOf(child) === 'Format') : undefined;
  if (format) {
    command.Format = textOf([format], 'Format') ?? '';
    const namespace = (format[':@'] as Record<string, string> | undefined)?.['@_xmlns'];
    if (namespace !== 'syncml:metinf') problems.push(`${tag} ${cmdIdText ?? '?'}: Format is not in namespace syncml:metinf.`);
  }
  const data = textOf(item, 'Data');
  if (data !== undefined) command.Data = data;
  return command;
}

/** Child elements of an ordered node, without whitespace-only text between them. */
function elements(value: unknown): Ordered[] {
  if (!Array.isArray(value)) return [];
  return value.filter((node): node is Ordered => typeof node === 'object' && node !== null && !('#text' in node));
}

function tagOf(node: Ordered): string {
  return Object.keys(node).find((key) => key !== ':@') ?? '';
}

/** Text of the first `tag` child: '' for an empty element, undefined when there is none. */
function textOf(nodes: Ordered[], tag: string): string | undefined {
  const node = nodes.find((child) => tagOf(child) === tag);
  if (!node) return undefined;
  const parts = node[tag];
  if (!Array.isArray(parts)) return '';
  return parts.map((part: Ordered) => (typeof part['#text'] === 'string' ? part['#text'] : '')).join('');
}
