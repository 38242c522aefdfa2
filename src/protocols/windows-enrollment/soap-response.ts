import { XMLBuilder } from 'fast-xml-parser';
import { EnrollmentFault } from './enrollment-fault.ts';
import { namespaces } from './mde2-names.ts';

/**
 * An element for fast-xml-parser's builder: children by qualified name (insertion order is output
 * order), attributes as `@_name`, text as `#text`. Text and attribute values are XML-escaped.
 */
export type XmlElement = { [name: string]: string | XmlElement | XmlElement[] };

const builder = new XMLBuilder({
  ignoreAttributes: false,
  // The default writes an attribute whose value is "true" as a bare name (`xsi:nil`), which is not XML.
  suppressBooleanAttributes: false,
  attributeNamePrefix: '@_',
  textNodeName: '#text',
  suppressEmptyNode: true,
  processEntities: true,
});

/** Renders one element tree to XML text (no declaration, no indentation). */
export function buildXml(root: XmlElement): string {
  return builder.build(root) as string;
}

export interface SoapResponseHeader {
  action: string;
  /** The request's `a:MessageID`; omitted when the request had none (a fault about exactly that). */
  relatesTo: string | null;
  /** WCF's diagnostics `ActivityId`, which Microsoft's servers send and support staff quote. */
  activityId?: string;
  /** A WS-Security timestamp (the RSTRC carries one: on-premise-authentication-device-enrollment.md). */
  timestamp?: { created: Date; expires: Date };
}

/**
 * A SOAP 1.2 response envelope as Microsoft's enrollment servers write it: `a:Action` with
 * `s:mustUnderstand="1"`, the diagnostics `ActivityId`, `a:RelatesTo`, then the optional
 * `o:Security/u:Timestamp` (`u:Id="_0"`), and `body` inside `s:Body` (which declares `xsi` and `xsd`).
 */
export function renderSoapEnvelope(header: SoapResponseHeader, body: XmlElement): string {
  const soapHeader: XmlElement = { 'a:Action': { '@_s:mustUnderstand': '1', '#text': header.action } };
  if (header.activityId !== undefined) {
    soapHeader.ActivityId = { '@_CorrelationId': header.activityId, '@_xmlns': namespaces.diagnostics, '#text': header.activityId };
  }
  if (header.relatesTo !== null) soapHeader['a:RelatesTo'] = header.relatesTo;
  if (header.timestamp !== undefined) {
    soapHeader['o:Security'] = {
      '@_s:mustUnderstand': '1',
      '@_xmlns:o': namespaces.securityExtensions,
      'u:Timestamp': {
        '@_u:Id': '_0',
        'u:Created': header.timestamp.created.toISOString(),
        'u:Expires': header.timestamp.expires.toISOString(),
      },
    };
  }
  return buildXml({
    's:Envelope': {
      '@_xmlns:s': namespaces.soap,
      '@_xmlns:a': namespaces.addressing,
      '@_xmlns:u': namespaces.securityUtility,
      's:Header': soapHeader,
      's:Body': { '@_xmlns:xsi': namespaces.xsi, '@_xmlns:xsd': namespaces.xsd, ...body },
    },
  });
}

/**
 * The fault envelope of [MS-MDE2] §2.2.10: code `s:Receiver` (Microsoft's examples use the receiver
 * code for every subcode), the subcode, the reason in `en-us`, and for `DeviceCapReached` and
 * `DeviceNotSupported` the `DeviceEnrollmentServiceError` detail with the trace id, which is also the
 * `ActivityId` and what Envelope logs.
 */
export function renderFault(fault: EnrollmentFault, header: { action: string; relatesTo: string | null; traceId: string }): string {
  const soapFault: XmlElement = {
    's:Code': { 's:Value': 's:Receiver', 's:Subcode': { 's:Value': fault.subcode } },
    's:Reason': { 's:Text': { '@_xml:lang': 'en-us', '#text': fault.message } },
  };
  if (fault.errorType !== undefined) {
    soapFault['s:Detail'] = {
      DeviceEnrollmentServiceError: {
        '@_xmlns': namespaces.enrollment,
        ErrorType: fault.errorType,
        Message: fault.message,
        TraceId: header.traceId,
      },
    };
  }
  return renderSoapEnvelope({ action: header.action, relatesTo: header.relatesTo, activityId: header.traceId }, { 's:Fault': soapFault });
}
