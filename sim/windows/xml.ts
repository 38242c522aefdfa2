import { XMLParser, XMLValidator } from 'fast-xml-parser';

/**
 * One XML element with its namespace resolved: `name` is the local name (prefix removed), `ns` the
 * namespace URI in scope for its prefix (or the default namespace), `prefix` as written. Children keep
 * document order, which SyncML needs: commands run in the order the server wrote them.
 */
export interface XmlElement {
  name: string;
  prefix: string;
  ns: string;
  attributes: Record<string, string>;
  children: XmlElement[];
  /** The element's own text, joined and trimmed (character data between child elements included). */
  text: string;
  /** A CDATA section occurs directly in this element. */
  cdata: boolean;
}

export class XmlSyntaxError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'XmlSyntaxError';
  }
}

const parser = new XMLParser({
  preserveOrder: true,
  ignoreAttributes: false,
  attributeNamePrefix: '',
  parseTagValue: false,
  parseAttributeValue: false,
  trimValues: true,
  cdataPropName: '#cdata',
  processEntities: true,
  htmlEntities: false,
});

type OrderedNode = Record<string, unknown>;

/**
 * Parses a whole document and returns its root element. Throws `XmlSyntaxError` when the text is not
 * well-formed XML or has no single root element.
 */
export function parseXml(text: string): XmlElement {
  const valid = XMLValidator.validate(text);
  if (valid !== true) throw new XmlSyntaxError(`not well-formed XML: ${valid.err.msg} (line ${valid.err.line})`);
  const nodes = parser.parse(text) as OrderedNode[];
  const roots = nodes.filter((node) => elementName(node) !== undefined && !elementName(node)!.startsWith('?'));
  if (roots.length !== 1) throw new XmlSyntaxError(`expected one root element, found ${roots.length}`);
  return toElement(roots[0]!, new Map([['xml', 'http://www.w3.org/XML/1998/namespace']]));
}

function elementName(node: OrderedNode): string | undefined {
  return Object.keys(node).find((key) => key !== ':@' && key !== '#text' && key !== '#cdata');
}

function toElement(node: OrderedNode, scope: Map<string, string>): XmlElement {
  const qualified = elementName(node)!;
  const attributes = { ...((node[':@'] as Record<string, string> | undefined) ?? {}) };
  const inScope = new Map(scope);
  for (const [key, value] of Object.entries(attributes)) {
    if (key === 'xmlns') inScope.set('', value);
    else if (key.startsWith('xmlns:')) inScope.set(key.slice(6), value);
  }
  const colon = qualified.indexOf(':');
  const prefix = colon >= 0 ? qualified.slice(0, colon) : '';
  const name = colon >= 0 ? qualified.slice(colon + 1) : qualified;
  const children: XmlElement[] = [];
  const texts: string[] = [];
  let cdata = false;
  for (const child of (node[qualified] as OrderedNode[]) ?? []) {
    if ('#text' in child) texts.push(String(child['#text']));
    else if ('#cdata' in child) {
      cdata = true;
      for (const part of (child['#cdata'] as OrderedNode[]) ?? []) texts.push(String(part['#text'] ?? ''));
    } else if (elementName(child) !== undefined) children.push(toElement(child, inScope));
  }
  return { name, prefix, ns: inScope.get(prefix) ?? '', attributes, children, text: texts.join('').trim(), cdata };
}

/** The first child named `name` (local name), and optionally in namespace `ns`. */
export function child(element: XmlElement | undefined, name: string, ns?: string): XmlElement | undefined {
  return element?.children.find((item) => item.name === name && (ns === undefined || item.ns === ns));
}

/** Every child named `name`. */
export function childrenNamed(element: XmlElement | undefined, name: string, ns?: string): XmlElement[] {
  return element?.children.filter((item) => item.name === name && (ns === undefined || item.ns === ns)) ?? [];
}

/** Follows a path of local names (first match at each step). */
export function path(element: XmlElement | undefined, ...names: string[]): XmlElement | undefined {
  let current = element;
  for (const name of names) current = child(current, name);
  return current;
}

/** Every element below `element` (depth first, document order) with this local name. */
export function descendants(element: XmlElement, name: string): XmlElement[] {
  const found: XmlElement[] = [];
  const walk = (node: XmlElement) => {
    for (const item of node.children) {
      if (item.name === name) found.push(item);
      walk(item);
    }
  };
  walk(element);
  return found;
}

/** Escapes text for an element's content or a double-quoted attribute. */
export function escapeXml(value: string): string {
  return value.replace(/[<>&"']/g, (char) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;', "'": '&apos;' })[char]!);
}
