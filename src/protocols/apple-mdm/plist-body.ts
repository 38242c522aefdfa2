import * as plist from 'plist';
import { MdmDecodeError } from './mdm-decode-error.ts';

/** Limits applied to a device's body before any parsing; both are deliberately generous for real traffic. */
export interface PlistBodyLimits {
  /** Largest body accepted, in bytes. */
  maxBytes: number;
  /** Deepest element nesting accepted (`<plist>` counts as 1; a ProfileList response needs 7). */
  maxDepth: number;
}

/**
 * Check-ins and command results are a few kilobytes; a `ProfileList` response with signer
 * certificates for dozens of profiles stays well under a megabyte.
 */
export const defaultPlistBodyLimits: Readonly<PlistBodyLimits> = Object.freeze({ maxBytes: 1024 * 1024, maxDepth: 32 });

/** A property-list dictionary as the `plist` package yields it (own keys only). */
export type PlistDictionary = Record<string, unknown>;

const binaryMagic = 'bplist';

/**
 * Reads a device's XML property-list body whose root value is a dictionary.
 *
 * Hostile bodies are refused with a `MdmDecodeError`, never a crash or a hang: the size is checked
 * first, the bytes must be UTF-8, and a linear well-formedness scan (`checkWellFormed`) runs before
 * the `plist` package sees the text. The scan bounds nesting depth (the package's reader recurses
 * once per element and would exhaust the stack), refuses DTD internal subsets (entity expansion)
 * and undeclared entities, and guarantees that the XML parser underneath (`@xmldom/xmldom`) meets
 * only well-formed input — on malformed input it writes to the console, which a device must not be
 * able to trigger. Binary property lists are refused (`binary-plist`): Apple's devices send XML,
 * and the `plist` package's binary reader follows object references without cycle or fan-out
 * limits.
 */
export function readPlistBody(body: Uint8Array, limits: PlistBodyLimits = defaultPlistBodyLimits): PlistDictionary {
  if (body.byteLength === 0) throw new MdmDecodeError('empty-body', 'the body is empty');
  if (body.byteLength > limits.maxBytes) {
    throw new MdmDecodeError('body-too-large', `the body is ${body.byteLength} bytes, over the limit of ${limits.maxBytes}`);
  }
  if (startsWithAscii(body, binaryMagic)) throw new MdmDecodeError('binary-plist', 'binary property lists are not accepted; send an XML property list');
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(body);
  } catch {
    throw new MdmDecodeError('malformed-plist', 'the body is not valid UTF-8');
  }
  checkWellFormed(text, limits.maxDepth);
  let value: unknown;
  try {
    value = plist.parse(text);
  } catch (error) {
    throw new MdmDecodeError('malformed-plist', `not an Apple property list: ${error instanceof Error ? error.message : String(error)}`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value) || value instanceof Uint8Array || value instanceof Date) {
    throw new MdmDecodeError('not-a-dictionary', 'the property list must hold exactly one <dict>');
  }
  return value as PlistDictionary;
}

/**
 * Serializes `dictionary` as an XML property list (UTF-8 bytes, with declaration and DOCTYPE), in
 * key insertion order. Values: string, number (integral → `<integer>`, else `<real>`), boolean,
 * Date, `Uint8Array` (`<data>`), arrays and plain objects of these; `undefined` entries are left
 * out. Typed as `object` so the message interfaces can be passed as they are.
 */
export function writePlistBody(dictionary: object): Uint8Array {
  return new TextEncoder().encode(plist.build(dictionary as plist.PlistValue));
}

function startsWithAscii(bytes: Uint8Array, prefix: string): boolean {
  if (bytes.byteLength < prefix.length) return false;
  for (let i = 0; i < prefix.length; i++) if (bytes[i] !== prefix.charCodeAt(i)) return false;
  return true;
}

// One start or end tag; attribute values may not contain '<' (XML 1.0 §3.1). Names have no ':' —
// property lists use no namespaces, and a prefix without one makes the DOM builder complain.
const tagPattern = /<(\/?)([A-Za-z_][\w.-]*)((?:\s+[A-Za-z_][\w.-]*\s*=\s*(?:"[^"<]*"|'[^'<]*'))*)\s*(\/?)>/y;
// A DOCTYPE with an external identifier at most: an internal subset ('[') could declare entities.
// Public identifiers are limited to XML's PubidChar set (§2.3).
const doctypePattern = /<!DOCTYPE\s+plist(?:\s+(?:PUBLIC\s+(?:"[\x20\r\na-zA-Z0-9\-'()+,./:=?;!*#@$_%]*"|'[\x20\r\na-zA-Z0-9\-()+,./:=?;!*#@$_%]*')\s+(?:"[^"]*"|'[^']*')|SYSTEM\s+(?:"[^"]*"|'[^']*')))?\s*>/y;
// The XML declaration, if any: version 1.x, UTF-8 (the bytes were decoded as UTF-8).
const xmlDeclarationPattern = /<\?xml\s+version\s*=\s*(["'])1\.[0-9]+\1(?:\s+encoding\s*=\s*(["'])[Uu][Tt][Ff]-8\2)?(?:\s+standalone\s*=\s*(["'])(?:yes|no)\3)?\s*\?>/y;
// '&' must start one of XML's five predefined entities or a character reference.
const strayAmpersand = /&(?!(?:amp|lt|gt|quot|apos|#[0-9]+|#x[0-9A-Fa-f]+);)/;

/**
 * A single linear pass over the document: an optional XML declaration, an optional DOCTYPE without
 * internal subset, balanced and properly nested tags, one root element, no text outside it, known
 * entities only, comments and CDATA skipped whole, no other processing instructions, and depth at
 * most `maxDepth`. Throws `malformed-plist` or `too-deep`.
 */
function checkWellFormed(text: string, maxDepth: number): void {
  const open: string[] = [];
  let rootClosed = false;
  let seenRoot = false;
  let position = 0;
  const malformed = (reason: string): MdmDecodeError => new MdmDecodeError('malformed-plist', `not well-formed XML: ${reason}`);

  for (;;) {
    const lt = text.indexOf('<', position);
    const between = text.slice(position, lt === -1 ? text.length : lt);
    if (open.length === 0 && between.trim() !== '') throw malformed('text outside the root element');
    if (strayAmpersand.test(between)) throw malformed('an undeclared entity or a stray "&"');
    if (lt === -1) break;

    if (text.startsWith('<!--', lt)) {
      position = skipPast(text, lt + 4, '-->', malformed);
    } else if (text.startsWith('<![CDATA[', lt)) {
      if (open.length === 0) throw malformed('CDATA outside the root element');
      position = skipPast(text, lt + 9, ']]>', malformed);
    } else if (text.startsWith('<?', lt)) {
      xmlDeclarationPattern.lastIndex = lt;
      if (lt !== 0 || !xmlDeclarationPattern.test(text)) throw malformed('processing instructions other than a leading UTF-8 XML declaration');
      position = xmlDeclarationPattern.lastIndex;
    } else if (text.startsWith('<!', lt)) {
      doctypePattern.lastIndex = lt;
      if (seenRoot || !doctypePattern.test(text)) throw malformed('only a DOCTYPE without an internal subset may precede the root element');
      position = doctypePattern.lastIndex;
    } else {
      tagPattern.lastIndex = lt;
      const tag = tagPattern.exec(text);
      if (!tag) throw malformed(`a bad tag at offset ${lt}`);
      const [, slash, name, attributes, selfClosing] = tag as unknown as [string, string, string, string, string];
      if (strayAmpersand.test(attributes)) throw malformed('an undeclared entity or a stray "&" in an attribute');
      const names = [...attributes.matchAll(/([A-Za-z_][\w.-]*)\s*=/g)].map((match) => match[1]);
      if (new Set(names).size !== names.length) throw malformed(`a repeated attribute in <${name}>`);
      if (slash) {
        if (selfClosing || attributes) throw malformed(`a bad end tag </${name}>`);
        if (open.pop() !== name) throw malformed(`</${name}> does not close the open element`);
        if (open.length === 0) rootClosed = true;
      } else {
        if (rootClosed || (open.length === 0 && seenRoot)) throw malformed('more than one root element');
        seenRoot = true;
        if (open.length + 1 > maxDepth) throw new MdmDecodeError('too-deep', `elements are nested deeper than ${maxDepth}`);
        if (selfClosing) {
          if (open.length === 0) rootClosed = true;
        } else {
          open.push(name);
        }
      }
      position = tagPattern.lastIndex;
    }
  }
  if (!seenRoot) throw malformed('no root element');
  if (open.length > 0) throw malformed(`<${open[open.length - 1]}> is not closed`);
}

function skipPast(text: string, from: number, terminator: string, malformed: (reason: string) => MdmDecodeError): number {
  const end = text.indexOf(terminator, from);
  if (end === -1) throw malformed(`an unterminated construct (no "${terminator}")`);
  return end + terminator.length;
}
