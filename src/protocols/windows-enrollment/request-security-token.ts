import { messageFormatFault } from './enrollment-fault.ts';
import { namespaces, soapActions, tokenTypes } from './mde2-names.ts';
import { attributeOf, firstOf, isNode, textOf, type SoapEnvelope, type XmlNode } from './soap-envelope.ts';
import { renderSoapEnvelope } from './soap-response.ts';

/** `EnrollmentType`: `Full` (a user's enrollment, certificate in the user store) or `Device` (device-wide, system store). */
export type WindowsEnrollmentType = 'Device' | 'Full';

/** The RST of a first enrollment ([MS-WSTEP] §3.1.4.2.1; context items: [MS-MDE2] §2.2.9). */
export interface RequestSecurityTokenMessage {
  /** The DER PKCS#10 from `wsse:BinarySecurityToken`, not yet verified (see `readCertificateRequest`). */
  certificateRequest: Uint8Array;
  /** `DeviceID`: the id the PC then sends as `SyncHdr/Source`; the issued certificate's CN. */
  deviceId: string;
  /** `HWDevID`: the hardware id; a PC enrolling again carries the same one. */
  hwDevId: string | null;
  enrollmentType: WindowsEnrollmentType;
  deviceName: string | null;
  osVersion: string | null;
  /** Every context item, first value by name (`OSEdition`, `NotInOobe`, `UXInitiated`, …), for logs and support. */
  context: Readonly<Record<string, string>>;
}

/** X.520 `ub-common-name`: the DeviceID becomes the certificate's CN. */
const maxDeviceIdLength = 64;
const maxHwDevIdLength = 256;
const maxContextValueLength = 1024;

/**
 * Reads `s:Body/wst:RequestSecurityToken`. Faults with `s:messageformat` naming the element or
 * context item: no RequestSecurityToken; a `TokenType` other than DeviceEnrollmentToken; a
 * `RequestType` other than Issue (a renewal, `…/Renew`, is read by `readRenewalRequest` instead); no
 * `BinarySecurityToken`, one whose `ValueType` is not PKCS#10 or whose content is not base64; no
 * `DeviceID`, or a DeviceID or HWDevID that is too long or holds control characters; an
 * `EnrollmentType` other than Device or Full (absent means Full, as before version 3.0).
 */
export function readRequestSecurityToken(envelope: SoapEnvelope): RequestSecurityTokenMessage {
  const rst = firstOf(envelope.body.RequestSecurityToken);
  if (!isNode(rst)) throw messageFormatFault('The SOAP body has no wst:RequestSecurityToken element.');
  const tokenType = textOf(rst.TokenType);
  if (tokenType !== tokenTypes.deviceEnrollmentToken) {
    throw messageFormatFault(`wst:TokenType is '${(tokenType ?? '').slice(0, 200)}'; the enrollment service issues '${tokenTypes.deviceEnrollmentToken}'.`);
  }
  const requestType = textOf(rst.RequestType);
  if (requestType !== tokenTypes.issue) {
    throw messageFormatFault(`wst:RequestType is '${(requestType ?? '').slice(0, 200)}'; a first enrollment is '${tokenTypes.issue}'.`);
  }
  const certificateRequest = readBinarySecurityToken(rst);
  const context = readContext(rst);
  const deviceId = context.DeviceID;
  if (deviceId === undefined || deviceId === '') throw messageFormatFault('ac:AdditionalContext has no DeviceID item.');
  checkIdentifier('DeviceID', deviceId, maxDeviceIdLength);
  const hwDevId = context.HWDevID === undefined || context.HWDevID === '' ? null : context.HWDevID;
  if (hwDevId !== null) checkIdentifier('HWDevID', hwDevId, maxHwDevIdLength);
  const enrollmentType = context.EnrollmentType ?? 'Full';
  if (enrollmentType !== 'Full' && enrollmentType !== 'Device') {
    throw messageFormatFault(`The EnrollmentType item is '${enrollmentType.slice(0, 64)}'; it must be Full or Device.`);
  }
  return {
    certificateRequest,
    deviceId,
    hwDevId,
    enrollmentType,
    deviceName: printable(context.DeviceName),
    osVersion: printable(context.OSVersion),
    context,
  };
}

function readBinarySecurityToken(rst: XmlNode): Uint8Array {
  const token = firstOf(rst.BinarySecurityToken);
  if (token === undefined) throw messageFormatFault('wst:RequestSecurityToken has no wsse:BinarySecurityToken with the certificate request.');
  const valueType = attributeOf(token, 'ValueType');
  if (valueType !== tokenTypes.pkcs10) {
    throw messageFormatFault(`wsse:BinarySecurityToken has ValueType '${(valueType ?? '').slice(0, 200)}'; Envelope reads '${tokenTypes.pkcs10}'.`);
  }
  const encodingType = attributeOf(token, 'EncodingType');
  if (encodingType !== undefined && !encodingType.endsWith('#base64binary')) {
    throw messageFormatFault(`wsse:BinarySecurityToken has EncodingType '${encodingType.slice(0, 200)}'; it must be base64binary.`);
  }
  const text = (textOf(token) ?? '').replace(/\s+/g, '');
  if (text === '' || !/^[A-Za-z0-9+/]+={0,2}$/.test(text) || text.length % 4 !== 0) {
    throw messageFormatFault('wsse:BinarySecurityToken does not hold a base64 certificate request.');
  }
  return new Uint8Array(Buffer.from(text, 'base64'));
}

function readContext(rst: XmlNode): Record<string, string> {
  const additional = firstOf(rst.AdditionalContext);
  const items = isNode(additional) && Array.isArray(additional.ContextItem) ? additional.ContextItem : [];
  const context: Record<string, string> = Object.create(null) as Record<string, string>;
  for (const item of items) {
    const name = attributeOf(item, 'Name');
    if (name === undefined || name === '' || name in context) continue;
    const value = isNode(item) ? textOf(item.Value) : undefined;
    if (value !== undefined) context[name] = value.slice(0, maxContextValueLength);
  }
  return context;
}

function checkIdentifier(name: string, value: string, maxLength: number): void {
  if (value.length > maxLength) throw messageFormatFault(`The ${name} item is ${value.length} characters long; at most ${maxLength} are accepted.`);
  if (/[\u0000-\u001f\u007f]/.test(value) || !value.isWellFormed()) throw messageFormatFault(`The ${name} item holds control characters or is not valid Unicode.`);
}

/** A display value: control characters dropped, surrounding space trimmed; null when nothing is left. */
function printable(value: string | undefined): string | null {
  if (value === undefined) return null;
  const cleaned = value.toWellFormed().replace(/[\u0000-\u001f\u007f]/g, '').trim();
  return cleaned === '' ? null : cleaned;
}

/** How long the RSTRC's WS-Security timestamp is valid (Fleet: five minutes). */
const timestampLifetimeMs = 5 * 60 * 1000;

/**
 * The RSTRC ([MS-WSTEP] §3.1.4.2.2; on-premise-authentication-device-enrollment.md, "Enrollment web
 * service"): `TokenType` DeviceEnrollmentToken, an empty `DispositionMessage`, the provisioning
 * document base64 in `RequestedSecurityToken/BinarySecurityToken` (ValueType
 * DeviceEnrollmentProvisionDoc, EncodingType base64binary), `RequestID` 0, and a WS-Security
 * timestamp from `now` for five minutes.
 */
export function renderRequestSecurityTokenResponse(provisioningDocument: string, header: { relatesTo: string; now: Date }): string {
  return renderSoapEnvelope(
    {
      action: soapActions.requestSecurityTokenResponse,
      relatesTo: header.relatesTo,
      timestamp: { created: header.now, expires: new Date(header.now.getTime() + timestampLifetimeMs) },
    },
    {
      RequestSecurityTokenResponseCollection: {
        '@_xmlns': namespaces.wsTrust,
        RequestSecurityTokenResponse: {
          TokenType: tokenTypes.deviceEnrollmentToken,
          DispositionMessage: { '@_xmlns': namespaces.enrollment },
          RequestedSecurityToken: {
            BinarySecurityToken: {
              '@_ValueType': tokenTypes.provisioningDocument,
              '@_EncodingType': tokenTypes.base64Binary,
              '@_xmlns': namespaces.securityExtensions,
              '#text': Buffer.from(provisioningDocument, 'utf8').toString('base64'),
            },
          },
          RequestID: { '@_xmlns': namespaces.enrollment, '#text': '0' },
        },
      },
    },
  );
}
