import { XMLParser } from 'fast-xml-parser';

/**
 * An XML-plist reader built on `fast-xml-parser`, independent of both Envelope's serializer and the
 * `plist` package (which uses `@xmldom/xmldom`). Conformance tests read every rendered profile with
 * both and require identical values, so a serializer bug cannot hide behind one parser's quirks.
 *
 * It is strict where devices are: unknown elements, stray text, non-alternating dictionaries, bad
 * integers or base64 throw. Values: string, number, boolean, Date, Uint8Array, array, plain object.
 */
export type PlistReadValue = string | number | boolean | Date | Uint8Array | PlistReadValue[] | { [key: string]: PlistReadValue };

type OrderedNode = { [tag: string]: OrderedNode[] } & { '#text'?: string };

const parser = new XMLParser({
  preserveOrder: true,
  ignoreAttributes: true,
  ignoreDeclaration: true,
  trimValues: false,
  parseTagValue: false,
  // Decodes numeric character references (`&#13;`) besides the five XML entities.
  htmlEntities: true,
});

export function readPlistXml(xml: string): PlistReadValue {
  const document = parser.parse(xml) as OrderedNode[];
  const root = elements(document).filter((node) => tagOf(node) !== '!DOCTYPE');
  if (root.length !== 1 || tagOf(root[0] as OrderedNode) !== 'plist') throw new Error('document element must be <plist>');
  const values = elements(children(root[0] as OrderedNode));
  if (values.length !== 1) throw new Error(`<plist> must hold exactly one value, found ${values.length}`);
  return readValue(values[0] as OrderedNode);
}

function readValue(node: OrderedNode): PlistReadValue {
  const tag = tagOf(node);
  const content = children(node);
  switch (tag) {
    case 'dict':
      return readDict(elements(content));
    case 'array':
      return elements(content).map(readValue);
    case 'string':
      return text(content);
    case 'integer': {
      const value = text(content).trim();
      if (!/^[+-]?\d+$/.test(value)) throw new Error(`bad <integer> ${JSON.stringify(value)}`);
      return Number(value);
    }
    case 'real': {
      const value = Number(text(content).trim());
      if (Number.isNaN(value)) throw new Error('bad <real>');
      return value;
    }
    case 'true':
    case 'false':
      if (content.length !== 0) throw new Error(`<${tag}/> must be empty`);
      return tag === 'true';
    case 'data': {
      const base64 = text(content).replace(/\s+/g, '');
      if (!/^[A-Za-z0-9+/]*={0,2}$/.test(base64) || base64.length % 4 !== 0) throw new Error('bad base64 in <data>');
      return new Uint8Array(Buffer.from(base64, 'base64'));
    }
    case 'date': {
      const date = new Date(text(content).trim());
      if (Number.isNaN(date.getTime())) throw new Error('bad <date>');
      return date;
    }
    default:
      throw new Error(`unexpected element <${tag}>`);
  }
}

function readDict(nodes: OrderedNode[]): { [key: string]: PlistReadValue } {
  if (nodes.length % 2 !== 0) throw new Error('<dict> must alternate <key> and value');
  const dict: { [key: string]: PlistReadValue } = {};
  for (let i = 0; i < nodes.length; i += 2) {
    const keyNode = nodes[i] as OrderedNode;
    if (tagOf(keyNode) !== 'key') throw new Error(`expected <key>, found <${tagOf(keyNode)}>`);
    const key = text(children(keyNode));
    if (Object.hasOwn(dict, key)) throw new Error(`duplicate key ${JSON.stringify(key)}`);
    Object.defineProperty(dict, key, { value: readValue(nodes[i + 1] as OrderedNode), enumerable: true, writable: true, configurable: true });
  }
  return dict;
}

function tagOf(node: OrderedNode): string {
  const tag = Object.keys(node).find((key) => key !== ':@');
  if (tag === undefined) throw new Error('empty node');
  return tag;
}

function children(node: OrderedNode): OrderedNode[] {
  return node[tagOf(node)] ?? [];
}

/** Element children; whitespace between elements is allowed, any other text is not. */
function elements(nodes: OrderedNode[]): OrderedNode[] {
  return nodes.filter((node) => {
    if (tagOf(node) !== '#text') return true;
    if ((node['#text'] ?? '').trim() !== '') throw new Error(`unexpected text ${JSON.stringify(node['#text'])}`);
    return false;
  });
}

function text(nodes: OrderedNode[]): string {
  return nodes
    .map((node) => {
      if (tagOf(node) !== '#text') throw new Error(`unexpected element <${tagOf(node)}> in text`);
      return String(node['#text']);
    })
    .join('');
}
