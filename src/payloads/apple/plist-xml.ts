/**
 * A small, strict XML property-list serializer (Apple's "PropertyList-1.0" DTD).
 *
 * Why not `plist.build`: it goes through a generic XML builder and, on its own, manages only
 * ~9,000–24,000 iOS profiles/s (S/MIME vs. password profile), short of the ≥ 20,000 renders/s
 * budget for the whole compiler. This writer appends strings directly: ~115,000–295,000/s on the
 * same documents. Parsing stays with libraries (`plist`, and `fast-xml-parser` in the conformance
 * tests, which read every rendered profile with both).
 *
 * Mapping (JS → plist): string → `<string>`, integer number → `<integer>`, other finite number →
 * `<real>`, boolean → `<true/>`/`<false/>`, `Uint8Array` → `<data>` (base64, one line), `Date` →
 * `<date>` (UTC, second precision, as Apple writes it), array → `<array>`, plain object → `<dict>`
 * in insertion order. A dictionary entry whose value is `undefined` is omitted, so builders can
 * write optional keys inline.
 *
 * Contract: output is well-formed XML that any plist reader decodes to the same values. Input that
 * XML 1.0 cannot carry (control characters other than tab/LF/CR, lone surrogates, U+FFFE/U+FFFF),
 * non-finite numbers, integers beyond ±2^53 and invalid dates throw `TypeError` instead of
 * producing a document a device would reject. `&`, `<` and `>` are escaped. CR, NEL (U+0085) and
 * the Unicode line/paragraph separators are written as character references, which no parser
 * rewrites: XML normalises a raw CR to LF, and some parsers (XML 1.1 rules, `@xmldom/xmldom`) also
 * turn NEL, U+2028 and U+2029 into LF.
 */

export type PlistValue = string | number | boolean | Date | Uint8Array | PlistArray | PlistDict | PlistXmlFragment;
export type PlistArray = readonly PlistValue[];
export interface PlistDict {
  readonly [key: string]: PlistValue | undefined;
}

const header =
  '<?xml version="1.0" encoding="UTF-8"?>\n' +
  '<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">\n' +
  '<plist version="1.0">\n';

/**
 * A value already serialized by this module at a given nesting depth. It lets a caller render part
 * of a document once, hash it (e.g. for a content-derived `PayloadUUID`) and splice it into the
 * enclosing document without serializing it twice. Only fragments made by `serializePlistFragment`
 * are spliced; any other object of this shape is an ordinary dictionary.
 */
export interface PlistXmlFragment {
  readonly xml: string;
  readonly depth: number;
}

const issuedFragments = new WeakSet<PlistXmlFragment>();

/** Serializes `root` as a complete XML plist document (with XML declaration and DOCTYPE). */
export function buildPlistXml(root: PlistValue): string {
  return header + writeValue(root, 0) + '</plist>\n';
}

/**
 * Serializes `value` as it will appear at nesting `depth` of a document (the root value is depth
 * 0; the values of a root dictionary are depth 1). Splicing the fragment at any other depth throws.
 */
export function serializePlistFragment(value: PlistValue, depth: number): PlistXmlFragment {
  const fragment: PlistXmlFragment = Object.freeze({ xml: writeValue(value, depth), depth });
  issuedFragments.add(fragment);
  return fragment;
}

const indents: string[] = [''];
function indent(depth: number): string {
  while (indents.length <= depth) indents.push(indents[indents.length - 1] + '\t');
  return indents[depth] as string;
}

/** Writes one value, starting at the current line's indentation and ending with a newline. */
function writeValue(value: PlistValue, depth: number): string {
  const pad = indent(depth);
  switch (typeof value) {
    case 'string':
      return pad + '<string>' + escapeText(value) + '</string>\n';
    case 'boolean':
      return pad + (value ? '<true/>\n' : '<false/>\n');
    case 'number':
      return pad + writeNumber(value) + '\n';
    default:
      break;
  }
  if (value instanceof Uint8Array) {
    return pad + '<data>' + Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('base64') + '</data>\n';
  }
  if (value instanceof Date) return pad + '<date>' + writeDate(value) + '</date>\n';
  if (Array.isArray(value)) return writeArray(value as PlistArray, depth, pad);
  if (typeof value === 'object' && value !== null) {
    if (!issuedFragments.has(value as PlistXmlFragment)) return writeDict(value as PlistDict, depth, pad);
    const fragment = value as PlistXmlFragment;
    if (fragment.depth !== depth) throw new TypeError(`plist fragment rendered for depth ${fragment.depth}, spliced at ${depth}`);
    return fragment.xml;
  }
  throw new TypeError(`not a plist value: ${String(value)}`);
}

function writeArray(items: PlistArray, depth: number, pad: string): string {
  if (items.length === 0) return pad + '<array/>\n';
  let out = pad + '<array>\n';
  for (const item of items) {
    if (item === undefined || item === null) throw new TypeError('plist arrays cannot hold undefined or null');
    out += writeValue(item, depth + 1);
  }
  return out + pad + '</array>\n';
}

function writeDict(dict: PlistDict, depth: number, pad: string): string {
  const inner = indent(depth + 1);
  let out = '';
  for (const key in dict) {
    if (!Object.hasOwn(dict, key)) continue;
    const entry = dict[key];
    if (entry === undefined) continue;
    if (entry === null) throw new TypeError(`plist dictionaries cannot hold null (key '${key}')`);
    out += inner + '<key>' + escapeText(key) + '</key>\n' + writeValue(entry, depth + 1);
  }
  return out === '' ? pad + '<dict/>\n' : pad + '<dict>\n' + out + pad + '</dict>\n';
}

function writeNumber(value: number): string {
  if (!Number.isFinite(value)) throw new TypeError(`plist numbers must be finite, got ${value}`);
  if (Number.isInteger(value)) {
    if (!Number.isSafeInteger(value)) throw new TypeError(`plist integer out of the exact range: ${value}`);
    return '<integer>' + String(value) + '</integer>';
  }
  return '<real>' + String(value) + '</real>';
}

function writeDate(value: Date): string {
  const time = value.getTime();
  if (Number.isNaN(time)) throw new TypeError('plist dates must be valid');
  return new Date(Math.floor(time / 1000) * 1000).toISOString().replace('.000Z', 'Z');
}

// Characters XML 1.0 cannot represent at all (even as character references).
const forbiddenXmlChars = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]/;
const needsEscape = /[&<>\r\u0085\u2028\u2029]/;
const escapeChars = /[&<>\r\u0085\u2028\u2029]/g;
const escapes: Readonly<Record<string, string>> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '\r': '&#13;',
  '\u0085': '&#x85;',
  '\u2028': '&#x2028;',
  '\u2029': '&#x2029;',
};

function escapeText(text: string): string {
  if (forbiddenXmlChars.test(text) || !text.isWellFormed()) {
    throw new TypeError(`string cannot be carried by an XML plist (control character or lone surrogate): ${JSON.stringify(text)}`);
  }
  return needsEscape.test(text) ? text.replace(escapeChars, (c) => escapes[c] as string) : text;
}
