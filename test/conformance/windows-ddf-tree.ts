import { readFileSync } from 'node:fs';
import { XMLParser } from 'fast-xml-parser';

/**
 * A Microsoft DDF (OMA-DM Device Description Framework, with the `MSFT:` extensions of DDFv2Msft.xsd)
 * as a node tree, read from the vendor file at test time so the conformance checks follow the
 * schema, not a hand-copied list. https://learn.microsoft.com/windows/client-management/mdm/configuration-service-provider-ddf
 */
export interface DdfNode {
  /** Null for a dynamic node (empty `NodeName`): its name is chosen at run time. */
  name: string | null;
  /** Human path for messages, dynamic nodes shown as `{DFTitle}`. */
  path: string;
  /** `DFFormat`: `node` for interior nodes, `chr`, `int`, `bool`, `b64`… for leaves. */
  format: string;
  accessTypes: ReadonlySet<string>;
  defaultValue: string | null;
  /** `MSFT:AllowedValues`; on a `node` it constrains the node's name, on a leaf its value. */
  allowed: DdfAllowedValues | null;
  /** Names a dynamic node may take, when the DDF lists them (`MSFT:DynamicNodeNaming/MSFT:UniqueName`). */
  allowedNames: readonly string[] | null;
  /** `MSFT:AtomicRequired`: this node and its children must be sent inside `Atomic`. */
  atomicRequired: boolean;
  children: readonly DdfNode[];
}

export type DdfAllowedValues =
  | { kind: 'ENUM'; values: readonly string[] }
  | { kind: 'Range'; min: number; max: number }
  | { kind: 'RegEx'; pattern: RegExp };

export interface Ddf {
  /** The top node (e.g. `ActiveSync`). */
  root: DdfNode;
  /** LocURI segments of the top node itself, e.g. `['.', 'User', 'Vendor', 'MSFT', 'ActiveSync']`. */
  rootSegments: readonly string[];
}

type Raw = Record<string, unknown>;

const parser = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: '@_',
  parseTagValue: false,
  isArray: (name) => name === 'Node' || name === 'MSFT:Enum' || name === 'MSFT:Value',
});

/** The ActiveSync DDFs copied verbatim into `test/fixtures/vendor-schemas/windows-ddf/` (licences and sources beside them). */
export const ddfFiles = {
  current: new URL('../fixtures/vendor-schemas/windows-ddf/ActiveSync.xml', import.meta.url),
  legacy: new URL('../fixtures/vendor-schemas/windows-ddf/ActiveSyncCSP_DDF.xml', import.meta.url),
} as const;

/**
 * Reads a DDF file. The UTF-8 BOM and the DOCTYPE are dropped first: the DOCTYPE's internal subset
 * holds only the `<?oma-dm-ddf-ver?>` processing instruction, which fast-xml-parser rejects, and
 * declares no entities, so nothing is lost.
 */
export function loadDdf(file: URL): Ddf {
  const xml = readFileSync(file, 'utf8')
    .replace(/^\uFEFF/, '')
    .replace(/<!DOCTYPE[^[>]*(\[[\s\S]*?\])?\s*>/, '');
  const tree = record(record(parser.parse(xml)).MgmtTree);
  const top = list(tree.Node)[0];
  if (!top) throw new Error(`${file.pathname}: no top-level Node.`);
  const base = String(top.Path ?? '.');
  const root = toNode(top, base);
  return { root, rootSegments: [...base.split('/'), root.name ?? ''] };
}

function toNode(raw: Raw, parentPath: string): DdfNode {
  const props = record(raw.DFProperties);
  const name = typeof raw.NodeName === 'string' && raw.NodeName !== '' ? raw.NodeName : null;
  const path = `${parentPath}/${name ?? `{${String(props.DFTitle ?? 'dynamic')}}`}`;
  return {
    name,
    path,
    format: Object.keys(record(props.DFFormat))[0] ?? 'unknown',
    accessTypes: new Set(Object.keys(record(props.AccessType))),
    defaultValue: typeof props.DefaultValue === 'string' ? props.DefaultValue : null,
    allowed: allowedValues(record(props['MSFT:AllowedValues'])),
    allowedNames: uniqueNames(record(props['MSFT:DynamicNodeNaming'])),
    atomicRequired: 'MSFT:AtomicRequired' in props,
    children: list(raw.Node).map((child) => toNode(child, path)),
  };
}

function allowedValues(raw: Raw): DdfAllowedValues | null {
  const type = raw['@_ValueType'];
  const values = strings(raw['MSFT:Value']);
  switch (type) {
    case 'ENUM':
      return { kind: 'ENUM', values: list(raw['MSFT:Enum']).flatMap((entry) => strings(entry['MSFT:Value'])) };
    case 'RegEx':
      return { kind: 'RegEx', pattern: new RegExp(`^(?:${values[0] ?? ''})$`) };
    case 'Range':
      return parseRange(values[0] ?? '');
    case undefined:
    case 'None':
      return null;
    default:
      throw new Error(`Unsupported MSFT:AllowedValues ValueType '${String(type)}'.`);
  }
}

/** `[(-1)-4294967295]`: bounds may be parenthesised so that a minus sign is not read as the dash. */
function parseRange(text: string): DdfAllowedValues {
  const match = /^\[\(?(-?\d+)\)?-\(?(-?\d+)\)?\]$/.exec(text.trim());
  if (!match?.[1] || !match[2]) throw new Error(`Unreadable MSFT:AllowedValues Range '${text}'.`);
  return { kind: 'Range', min: Number(match[1]), max: Number(match[2]) };
}

/** The DDF states a dynamic node's allowed names in prose (`MSFT:UniqueName`); the GUIDs in it are the names. */
function uniqueNames(raw: Raw): string[] | null {
  const text = raw['MSFT:UniqueName'];
  if (typeof text !== 'string') return null;
  return text.match(/\{[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}\}/g) ?? [];
}

function record(value: unknown): Raw {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Raw) : {};
}

function strings(value: unknown): string[] {
  return Array.isArray(value) ? value.map(String) : [];
}

function list(value: unknown): Raw[] {
  return Array.isArray(value) ? value.map(record) : [];
}
