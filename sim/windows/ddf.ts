import { readFileSync } from 'node:fs';
import { child, childrenNamed, parseXml, type XmlElement } from './xml.ts';

/**
 * A node of a CSP's Device Description Framework file (OMA DM DDF 1.2 with Microsoft's `MSFT:`
 * extensions, DDFv2Msft.xsd): what the node is called, its format, which operations it allows and
 * which values it takes. `name` is '' for a dynamic node (an account GUID, a content type GUID).
 */
export interface DdfNode {
  name: string;
  /** `node`, `chr`, `int`, `bool`, `b64`… (DFFormat). */
  format: string;
  access: ReadonlySet<'Add' | 'Delete' | 'Get' | 'Replace' | 'Exec'>;
  occurrence: string;
  defaultValue?: string;
  allowed?: { type: 'ENUM'; values: string[] } | { type: 'Range'; min: number; max: number } | { type: 'RegEx'; pattern: RegExp };
  atomicRequired: boolean;
  children: DdfNode[];
}

export interface DdfTree {
  /** Where the root node sits, e.g. `./User/Vendor/MSFT`. */
  path: string;
  root: DdfNode;
}

/** Where the vendor DDF copies live (byte-for-byte from pl4nty/windows-ddf; see the SOURCES.md beside them). */
export const windowsDdfDirectory = new URL('../../test/fixtures/vendor-schemas/windows-ddf/', import.meta.url);

const cache = new Map<string, DdfTree>();

/** Reads and parses a DDF file from `windowsDdfDirectory` once per process. */
export function loadDdf(fileName: string): DdfTree {
  let tree = cache.get(fileName);
  if (!tree) {
    tree = parseDdf(readFileSync(new URL(fileName, windowsDdfDirectory), 'utf8'));
    cache.set(fileName, tree);
  }
  return tree;
}

/** Parses a DDF document whose MgmtTree holds one top-level Node. Throws on a document of another shape. */
export function parseDdf(xml: string): DdfTree {
  // The DOCTYPE's internal subset (a processing instruction) is not needed and trips strict readers.
  const root = parseXml(xml.replace(/^\uFEFF/, '').replace(/<!DOCTYPE[\s\S]*?\]>/, ''));
  const top = child(root, 'Node');
  if (root.name !== 'MgmtTree' || !top) throw new Error('not a DDF MgmtTree with a Node');
  return { path: child(top, 'Path')?.text ?? '.', root: readNode(top) };
}

function readNode(element: XmlElement): DdfNode {
  const properties = child(element, 'DFProperties');
  const accessNames = (child(properties, 'AccessType')?.children ?? []).map((item) => item.name);
  const format = child(properties, 'DFFormat')?.children[0]?.name ?? 'node';
  const node: DdfNode = {
    name: child(element, 'NodeName')?.text ?? '',
    format,
    access: new Set(accessNames.filter((name): name is 'Add' | 'Delete' | 'Get' | 'Replace' | 'Exec' => ['Add', 'Delete', 'Get', 'Replace', 'Exec'].includes(name))),
    occurrence: child(properties, 'Occurrence')?.children[0]?.name ?? 'One',
    atomicRequired: child(properties, 'AtomicRequired') !== undefined,
    children: childrenNamed(element, 'Node').map(readNode),
  };
  const defaultValue = child(properties, 'DefaultValue');
  if (defaultValue) node.defaultValue = defaultValue.text;
  const allowed = child(properties, 'AllowedValues');
  const type = allowed?.attributes.ValueType;
  if (allowed && type === 'ENUM') {
    node.allowed = { type, values: childrenNamed(allowed, 'Enum').map((item) => child(item, 'Value')?.text ?? '') };
  } else if (allowed && type === 'Range') {
    const range = /^\[\(?(-?\d+)\)?-\(?(-?\d+)\)?\]$/.exec(child(allowed, 'Value')?.text ?? '');
    if (range) node.allowed = { type, min: Number(range[1]), max: Number(range[2]) };
  } else if (allowed && type === 'RegEx') {
    node.allowed = { type, pattern: new RegExp(`^(?:${child(allowed, 'Value')?.text ?? ''})$`) };
  }
  return node;
}

/**
 * The schema node at `segments` below `root` (decoded node names), or undefined when the DDF has no
 * such node. A dynamic node matches any name its RegEx allows; `dynamicName` may narrow it further.
 */
export function findDdfNode(root: DdfNode, segments: readonly string[], dynamicName?: (parent: DdfNode, name: string) => boolean): DdfNode | undefined {
  let node = root;
  for (const segment of segments) {
    const named = node.children.find((item) => item.name !== '' && item.name === segment);
    if (named) {
      node = named;
      continue;
    }
    const dynamic = node.children.find((item) => item.name === '');
    if (!dynamic) return undefined;
    if (dynamic.allowed?.type === 'RegEx' && !dynamic.allowed.pattern.test(segment)) return undefined;
    if (dynamicName && !dynamicName(node, segment)) return undefined;
    node = dynamic;
  }
  return node;
}

/** Checks a value against the node's allowed values; a reason when it is refused. */
export function checkDdfValue(node: DdfNode, value: string): string | undefined {
  const allowed = node.allowed;
  if (!allowed) return undefined;
  if (allowed.type === 'ENUM' && !allowed.values.includes(value)) return `must be one of ${allowed.values.join(', ')}`;
  if (allowed.type === 'Range' && (!/^-?\d+$/.test(value) || Number(value) < allowed.min || Number(value) > allowed.max)) return `must be a whole number from ${allowed.min} to ${allowed.max}`;
  if (allowed.type === 'RegEx' && !allowed.pattern.test(value)) return `must match ${allowed.pattern.source}`;
  return undefined;
}
