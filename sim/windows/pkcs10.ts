import { randomBytes, randomUUID, webcrypto } from 'node:crypto';
import * as asn1js from 'asn1js';
import { AttributeTypeAndValue, CertificationRequest } from 'pkijs';

const commonNameOid = '2.5.4.3';

export interface DeviceKeyPair {
  privateKey: webcrypto.CryptoKey;
  publicKey: webcrypto.CryptoKey;
  /** SubjectPublicKeyInfo DER, to compare with the certificate the server issues. */
  spkiDer: Uint8Array;
  /** PKCS#8 DER of the private key, for the TLS client identity (kept in memory only). */
  pkcs8Der: Uint8Array;
}

/** A fresh RSA-2048 key, as the Windows enrollment client makes for its MDM certificate (MS-XCEP minimalKeyLength 2048). */
export async function generateDeviceKey(): Promise<DeviceKeyPair> {
  const keys = (await webcrypto.subtle.generateKey(
    { name: 'RSASSA-PKCS1-v1_5', modulusLength: 2048, publicExponent: new Uint8Array([1, 0, 1]), hash: 'SHA-256' },
    true,
    ['sign', 'verify'],
  )) as webcrypto.CryptoKeyPair;
  return {
    privateKey: keys.privateKey,
    publicKey: keys.publicKey,
    spkiDer: new Uint8Array(await webcrypto.subtle.exportKey('spki', keys.publicKey)),
    pkcs8Der: new Uint8Array(await webcrypto.subtle.exportKey('pkcs8', keys.privateKey)),
  };
}

/**
 * The subject common name a real Windows enrollment client writes: a PrintableString that carries
 * `!` and NUL bytes, which PrintableString does not allow (fleetdm/fleet
 * `server/mdm/microsoft/microsoft_csr.go`: "F717C0F0-5F68-4AC3-A341-01B254!4219DFB0A902F747A9C4FD43C8CE36CE",
 * plus NULs). Strict parsers reject it; the server must not.
 */
export function windowsStyleCommonName(): string {
  return `${randomUUID().toUpperCase().slice(0, 30)}!${randomBytes(16).toString('hex').toUpperCase()}\u0000`;
}

/**
 * A PKCS#10 request signed with SHA-256/RSA by `keys`, subject `CN=<commonName>`. With
 * `printableString` the CN is encoded as a PrintableString byte-for-byte (as Windows does, `!` and NUL
 * included); otherwise as a UTF8String.
 */
export async function createPkcs10(keys: DeviceKeyPair, commonName: string, options: { printableString?: boolean } = {}): Promise<Uint8Array> {
  const request = new CertificationRequest();
  request.version = 0;
  const value = options.printableString
    ? new asn1js.PrintableString({ valueHex: new Uint8Array(Buffer.from(commonName, 'latin1')) } as never)
    : new asn1js.Utf8String({ value: commonName });
  request.subject.typesAndValues.push(new AttributeTypeAndValue({ type: commonNameOid, value }));
  await request.subjectPublicKeyInfo.importKey(keys.publicKey);
  await request.sign(keys.privateKey, 'SHA-256');
  return new Uint8Array(request.toSchema().toBER(false));
}
