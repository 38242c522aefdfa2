import { createHash, webcrypto } from 'node:crypto';
import * as asn1js from 'asn1js';
import { Attribute, Certificate, ContentInfo, EncapsulatedContentInfo, IssuerAndSerialNumber, SignedAndUnsignedAttributes, SignedData, SignerInfo } from 'pkijs';
import type { DeviceRequestHeader } from './device-messages.ts';
import { namespaces, soapActions, tokenTypes } from './mde2-names.ts';
import { renewalNames } from './renewal-request.ts';
import { buildXml, type XmlElement } from './soap-response.ts';

/**
 * The PC's side of an automatic (ROBO) renewal, for the tests and the Windows simulator, as
 * certificate-renewal-windows-mdm.md shows it: an RST with `RequestType` Renew whose
 * `BinarySecurityToken` is a PKCS#7 over the new PKCS#10, signed with the certificate being renewed
 * (which the PC also presents as its TLS client certificate); the `UsernameToken` carries the user
 * name and an empty password.
 */
export function buildRenewalRequestSecurityToken(
  header: DeviceRequestHeader,
  request: { token: Uint8Array; valueType?: string; username?: string; password?: string; context?: Readonly<Record<string, string>>; now?: Date },
): string {
  const now = request.now ?? new Date();
  const context = request.context ?? { DeviceType: 'CIMClient_Windows', ApplicationVersion: '10.0.26100.1' };
  const soapHeader: XmlElement = {
    'a:Action': { '@_s:mustUnderstand': '1', '#text': soapActions.requestSecurityToken },
    'a:MessageID': header.messageId,
    'a:ReplyTo': { 'a:Address': 'http://www.w3.org/2005/08/addressing/anonymous' },
    'a:To': { '@_s:mustUnderstand': '1', '#text': header.to },
    'wsse:Security': {
      '@_s:mustUnderstand': '1',
      'u:Timestamp': { '@_u:Id': '_0', 'u:Created': now.toISOString(), 'u:Expires': new Date(now.getTime() + 5 * 60_000).toISOString() },
      'wsse:UsernameToken': {
        '@_u:Id': 'uuid-2a734df6-b227-4e60-82a8-ed53c574b718-5',
        'wsse:Username': request.username ?? 'user@contoso.com',
        'wsse:Password': { '@_wsse:Type': tokenTypes.passwordText, '#text': request.password ?? '' },
      },
    },
  };
  return buildXml({
    's:Envelope': {
      '@_xmlns:s': namespaces.soap,
      '@_xmlns:a': namespaces.addressing,
      '@_xmlns:u': namespaces.securityUtility,
      '@_xmlns:wsse': namespaces.securityExtensions,
      's:Header': soapHeader,
      's:Body': {
        RequestSecurityToken: {
          '@_xmlns': namespaces.wsTrust,
          TokenType: tokenTypes.deviceEnrollmentToken,
          RequestType: renewalNames.renew,
          BinarySecurityToken: {
            '@_ValueType': request.valueType ?? renewalNames.pkcs7[0],
            '@_EncodingType': tokenTypes.base64Binary,
            '@_xmlns': namespaces.securityExtensions,
            '#text': Buffer.from(request.token).toString('base64'),
          },
          AdditionalContext: {
            '@_xmlns': namespaces.authorization,
            ContextItem: Object.entries(context).map(([name, value]) => ({ '@_Name': name, Value: value })),
          },
        },
      },
    },
  });
}

/**
 * A PKCS#7 SignedData (DER) carrying `certificateRequestDer` as id-data content, signed with SHA-256
 * by `signer` (its certificate identified by issuer and serial number, and included), with the
 * content-type and message-digest signed attributes, as certenroll's renewal request is built.
 */
export async function createRenewalPkcs7(certificateRequestDer: Uint8Array, signer: { certificateDer: Uint8Array; privateKey: webcrypto.CryptoKey }): Promise<Uint8Array> {
  const certificate = Certificate.fromBER(signer.certificateDer);
  const attributes = [
    new Attribute({ type: '1.2.840.113549.1.9.3', values: [new asn1js.ObjectIdentifier({ value: '1.2.840.113549.1.7.1' })] }),
    new Attribute({ type: '1.2.840.113549.1.9.4', values: [new asn1js.OctetString({ valueHex: createHash('sha256').update(certificateRequestDer).digest() })] }),
  ];
  const signedData = new SignedData({
    version: 1,
    encapContentInfo: new EncapsulatedContentInfo({ eContentType: '1.2.840.113549.1.7.1', eContent: new asn1js.OctetString({ valueHex: certificateRequestDer }) }),
    signerInfos: [new SignerInfo({
      version: 1,
      sid: new IssuerAndSerialNumber({ issuer: certificate.issuer, serialNumber: certificate.serialNumber }),
      signedAttrs: new SignedAndUnsignedAttributes({ type: 0, attributes }),
    })],
    certificates: [certificate],
  });
  await signedData.sign(signer.privateKey, 0, 'SHA-256');
  return new Uint8Array(new ContentInfo({ contentType: '1.2.840.113549.1.7.2', content: signedData.toSchema(true) }).toSchema().toBER(false));
}
