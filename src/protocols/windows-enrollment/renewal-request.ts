import * as asn1js from 'asn1js';
import { Certificate, ContentInfo, SignedData } from 'pkijs';
import { authenticationFault, certificateRequestFault, messageFormatFault } from './enrollment-fault.ts';
import { tokenTypes } from './mde2-names.ts';
import { attributeOf, firstOf, isNode, textOf, type SoapEnvelope, type XmlNode } from './soap-envelope.ts';

/**
 * The names of a renewal RST (certificate-renewal-windows-mdm.md, "Automatic certificate renewal
 * request"; [MS-WSTEP] §3.1.4.1.2.3 `RequestType` Renew).
 */
export const renewalNames = {
  /** `wst:RequestType` of a renewal. */
  renew: 'http://docs.oasis-open.org/ws-sx/ws-trust/200512/Renew',
  /**
   * `ValueType` of a PKCS#7 `BinarySecurityToken`. Microsoft's ROBO example writes the WS-Security
   * namespace; [MS-WSTEP] and Fleet's constants use the enrollment namespace. Both are read.
   */
  pkcs7: [
    'http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd#PKCS7',
    'http://schemas.microsoft.com/windows/pki/2009/01/enrollment#PKCS7',
  ],
} as const;

const signedDataOid = '1.2.840.113549.1.7.2';
const dataOid = '1.2.840.113549.1.7.1';

/** A renewal RST as read, before anything is verified. */
export interface RenewalRequestMessage {
  /** `pkcs7`: a SignedData over the PKCS#10, signed with the certificate being renewed; `pkcs10`: a bare PKCS#10. */
  format: 'pkcs7' | 'pkcs10';
  /** The decoded `BinarySecurityToken`. */
  token: Uint8Array;
  /** `DeviceID` when the PC sent one (Microsoft's example sends only DeviceType and ApplicationVersion). */
  deviceId: string | null;
}

/** Whether the envelope's RST asks for a renewal (`wst:RequestType` Renew); the enrollment service dispatches on it. */
export function isRenewalRequest(envelope: SoapEnvelope): boolean {
  const rst = firstOf(envelope.body.RequestSecurityToken);
  return isNode(rst) && textOf(rst.RequestType) === renewalNames.renew;
}

/**
 * Reads `s:Body/wst:RequestSecurityToken` of a renewal. Faults with `s:messageformat` naming the
 * element: no RST, a `TokenType` other than DeviceEnrollmentToken, a `RequestType` other than
 * Renew, no `BinarySecurityToken`, a `ValueType` that is neither PKCS#7 nor PKCS#10, content that is
 * not base64. With automatic renewal the PKCS#7 is base64 once, not twice as with manual renewal
 * (certificate-renewal-windows-mdm.md); a token that decodes to base64 text again is unwrapped once
 * more, leniently.
 */
export function readRenewalRequest(envelope: SoapEnvelope): RenewalRequestMessage {
  const rst = firstOf(envelope.body.RequestSecurityToken);
  if (!isNode(rst)) throw messageFormatFault('The SOAP body has no wst:RequestSecurityToken element.');
  const tokenType = textOf(rst.TokenType);
  if (tokenType !== tokenTypes.deviceEnrollmentToken) {
    throw messageFormatFault(`wst:TokenType is '${(tokenType ?? '').slice(0, 200)}'; the enrollment service issues '${tokenTypes.deviceEnrollmentToken}'.`);
  }
  const requestType = textOf(rst.RequestType);
  if (requestType !== renewalNames.renew) throw messageFormatFault(`wst:RequestType is '${(requestType ?? '').slice(0, 200)}'; a renewal is '${renewalNames.renew}'.`);
  const token = firstOf(rst.BinarySecurityToken);
  if (token === undefined) throw messageFormatFault('wst:RequestSecurityToken has no wsse:BinarySecurityToken with the renewal request.');
  const valueType = attributeOf(token, 'ValueType') ?? '';
  const format = (renewalNames.pkcs7 as readonly string[]).includes(valueType) ? 'pkcs7' : valueType === tokenTypes.pkcs10 ? 'pkcs10' : null;
  if (format === null) {
    throw messageFormatFault(`wsse:BinarySecurityToken has ValueType '${valueType.slice(0, 200)}'; a renewal carries '${renewalNames.pkcs7[0]}' or '${tokenTypes.pkcs10}'.`);
  }
  let bytes = decodeBase64(textOf(token) ?? '');
  if (bytes === null) throw messageFormatFault('wsse:BinarySecurityToken does not hold base64 content.');
  // Manual renewal base64-encodes the PKCS#7 once more; a DER structure never starts with a base64 letter.
  const inner = bytes[0] !== 0x30 ? decodeBase64(Buffer.from(bytes).toString('latin1')) : null;
  if (inner !== null) bytes = inner;
  return { format, token: bytes, deviceId: deviceIdOf(rst) };
}

/**
 * Opens the PKCS#7 of a renewal and returns the PKCS#10 it carries, once its signature verifies with
 * `signerCertificateDer` — the certificate being renewed, which the PC also presented in TLS. The
 * signer named in the SignedData must be that certificate (certificates the SignedData carries are
 * ignored). Faults: `s:certificaterequest` when the bytes are not a SignedData over id-data with
 * content; `s:authentication` when it has not exactly one signer or the signature does not verify
 * with that certificate.
 */
export async function openRenewalPkcs7(pkcs7Der: Uint8Array, signerCertificateDer: Uint8Array): Promise<Uint8Array> {
  let signedData: SignedData;
  let content: Uint8Array;
  try {
    const parsed = asn1js.fromBER(pkcs7Der);
    if (parsed.offset === -1) throw new Error(parsed.result.error);
    const contentInfo = new ContentInfo({ schema: parsed.result });
    if (contentInfo.contentType !== signedDataOid) throw new Error(`its content type is ${contentInfo.contentType}, not SignedData`);
    signedData = new SignedData({ schema: contentInfo.content });
    const { eContentType, eContent } = signedData.encapContentInfo;
    if (eContentType !== dataOid) throw new Error(`its signed content type is ${eContentType}, not id-data`);
    if (!eContent) throw new Error('it carries no content');
    content = new Uint8Array(eContent.getValue());
  } catch (error) {
    throw certificateRequestFault(`The renewal's BinarySecurityToken is not a PKCS#7 SignedData holding the certificate request: ${(error as Error).message}`);
  }
  if (signedData.signerInfos.length !== 1) throw authenticationFault(`The renewal's PKCS#7 must have exactly one signer; it has ${signedData.signerInfos.length}.`);
  signedData.certificates = [Certificate.fromBER(signerCertificateDer)];
  let verified = false;
  try {
    verified = await signedData.verify({ signer: 0, checkChain: false });
  } catch {
    verified = false;
  }
  if (!verified) throw authenticationFault('The renewal\'s PKCS#7 is not signed with the client certificate presented in TLS.');
  return content;
}

function deviceIdOf(rst: XmlNode): string | null {
  const additional = firstOf(rst.AdditionalContext);
  const items = isNode(additional) && Array.isArray(additional.ContextItem) ? additional.ContextItem : [];
  for (const item of items) {
    if (attributeOf(item, 'Name') !== 'DeviceID') continue;
    const value = isNode(item) ? textOf(item.Value) : undefined;
    return value === undefined || value === '' ? null : value.slice(0, 256);
  }
  return null;
}

function decodeBase64(text: string): Uint8Array | null {
  const compact = text.replace(/\s+/g, '');
  if (compact === '' || compact.length % 4 !== 0 || !/^[A-Za-z0-9+/]+={0,2}$/.test(compact)) return null;
  return new Uint8Array(Buffer.from(compact, 'base64'));
}
