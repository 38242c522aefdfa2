import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { messageFormatFault } from './enrollment-fault.ts';
import { requestActionOf, type EnrollmentService } from './mde2-names.ts';

/** An element as fast-xml-parser gives it: text, or an object of children and `@_`-prefixed attributes. */
export type XmlValue = string | XmlNode | XmlValue[];
export interface XmlNode {
  [name: string]: XmlValue;
}

/** A SOAP 1.2 request, read but not yet checked against a service. */
export interface SoapEnvelope {
  /** `a:Action`, trimmed; '' when absent. */
  action: string;
  /** `a:MessageID`, what the answer's `a:RelatesTo` repeats; null when absent. */
  messageId: string | null;
  header: XmlNode;
  body: XmlNode;
}

/** The largest request body read: an RST with a 4096-bit CSR and every context item is under 16 KiB. */
export const maxSoapRequestBytes = 256 * 1024;

/**
 * Namespace prefixes are dropped and elements matched by local name: Windows writes `s:`, `a:`,
 * `wsse:`, `wst:` and `ac:` prefixes, other clients bind other ones, and no two elements Envelope
 * reads share a local name within their parent. Values are kept as text (`parseTagValue: false`),
 * trimmed (Microsoft's samples wrap values in whitespace), and repeated context items and
 * authentication policies always come as arrays.
 */
const parser = new XMLParser({
  removeNSPrefix: true,
  ignoreAttributes: false,
  attributeNamePrefix: '@_',
  parseTagValue: false,
  parseAttributeValue: false,
  trimValues: true,
  ignoreDeclaration: true,
  ignorePiTags: true,
  isArray: (name) => name === 'ContextItem' || name === 'AuthPolicy',
});

/**
 * Reads a SOAP 1.2 envelope from request bytes. Throws an `s:messageformat` fault naming the problem
 * when the body is empty or too large, not UTF-8, carries a document type declaration (SOAP 1.2 Part 1
 * §5 forbids one; refusing it also rules out entity expansion), is not well-formed XML (the parser's
 * own message, with line and column), or is not an `Envelope` with a `Header` and a `Body`.
 */
export function parseSoapEnvelope(bytes: Uint8Array): SoapEnvelope {
  if (bytes.length === 0) throw messageFormatFault('The request body is empty; a SOAP 1.2 envelope was expected.');
  if (bytes.length > maxSoapRequestBytes) throw messageFormatFault(`The request body is ${bytes.length} bytes; at most ${maxSoapRequestBytes} are read.`);
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw messageFormatFault('The request body is not UTF-8 text.');
  }
  if (/<!DOCTYPE/i.test(text)) throw messageFormatFault('The request carries a document type declaration, which SOAP 1.2 forbids.');
  const valid = XMLValidator.validate(text);
  if (valid !== true) {
    throw messageFormatFault(`The request is not well-formed XML: ${valid.err.msg} (line ${valid.err.line}, column ${valid.err.col}).`);
  }
  let document: XmlNode;
  try {
    document = parser.parse(text) as XmlNode;
  } catch (error) {
    throw messageFormatFault(`The request could not be read as XML: ${(error as Error).message}`);
  }
  const envelope = document.Envelope;
  if (!isNode(envelope)) throw messageFormatFault('The request is not a SOAP envelope: its root element is not Envelope.');
  const header = elementNode(envelope.Header);
  const body = elementNode(envelope.Body);
  if (!isNode(header)) throw messageFormatFault('The SOAP envelope has no Header; a:Action and a:MessageID go there.');
  if (!isNode(body)) throw messageFormatFault('The SOAP envelope has no Body.');
  return {
    action: textOf(header.Action) ?? '',
    messageId: textOf(header.MessageID) ?? null,
    header,
    body,
  };
}

/**
 * Checks that the envelope is the one request `service` accepts ([MS-WSTEP] §3.1.4.2: any other
 * action is answered with a fault) and that it carries the `a:MessageID` the answer relates to.
 * Returns the message id.
 */
export function requireServiceRequest(envelope: SoapEnvelope, service: EnrollmentService): string {
  const expected = requestActionOf[service];
  if (envelope.action === '') throw messageFormatFault(`The SOAP header has no a:Action; the ${service} service accepts '${expected}'.`);
  if (envelope.action !== expected) throw messageFormatFault(`The SOAP action '${envelope.action}' is not served here; the ${service} service accepts '${expected}'.`);
  if (envelope.messageId === null || envelope.messageId === '') throw messageFormatFault('The SOAP header has no a:MessageID; the answer relates to it.');
  return envelope.messageId;
}

/** An element as a node: an empty element (`<Body/>`, parsed as '') is one without children. */
function elementNode(value: XmlValue | undefined): XmlNode | undefined {
  const element = firstOf(value);
  if (element === '') return {};
  return isNode(element) ? element : undefined;
}

export function isNode(value: XmlValue | undefined): value is XmlNode {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The element itself, or the first of repeated elements. */
export function firstOf(value: XmlValue | undefined): XmlValue | undefined {
  return Array.isArray(value) ? value[0] : value;
}

/** The element's text (an element with attributes keeps it in `#text`); undefined when absent. */
export function textOf(value: XmlValue | undefined): string | undefined {
  const element = firstOf(value);
  if (typeof element === 'string') return element;
  if (isNode(element)) {
    const text = element['#text'];
    return typeof text === 'string' ? text : '';
  }
  return undefined;
}

/** An attribute's value by local name; undefined when absent. */
export function attributeOf(value: XmlValue | undefined, name: string): string | undefined {
  const element = firstOf(value);
  if (!isNode(element)) return undefined;
  const attribute = element[`@_${name}`];
  return typeof attribute === 'string' ? attribute : undefined;
}
