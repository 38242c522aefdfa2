import { createHash, generateKeyPairSync, sign, webcrypto, type KeyObject } from 'node:crypto';
import * as x509 from '../src/lib/x509.ts';
import type { IosEnrollment } from '../sim/ios/enroll.ts';

/**
 * Device identities for the fleet benchmark, made fast: one P-256 key shared by every simulated
 * device (the server binds an enrollment to the SHA-256 of its certificate, never to the key), and
 * one certificate per device issued by a throwaway bench CA. A template certificate comes from
 * @peculiar/x509; each device's copy differs in its serial number and is signed again by the CA with
 * node:crypto (about 50 µs, against 1.6 ms for a @peculiar/x509 certificate).
 *
 * `signMdmMessageFast` makes the `Mdm-Signature` a device sends: the same detached CMS SignedData as
 * `signMdmMessage` (one signer by issuer and serial, signed content-type and message-digest
 * attributes, the certificate included), encoded by hand and signed with node:crypto. pkijs costs
 * about 2.4 ms per request on the benchmark machine, which would make the simulated fleet, not the
 * server, the bottleneck.
 */

/** DER tag-length-value. */
export function tlv(tag: number, ...parts: Uint8Array[]): Buffer {
  const content = Buffer.concat(parts);
  const n = content.length;
  const length = n < 0x80 ? Buffer.from([n]) : n < 0x100 ? Buffer.from([0x81, n]) : n < 0x10000 ? Buffer.from([0x82, n >> 8, n & 0xff]) : Buffer.from([0x83, n >> 16, (n >> 8) & 0xff, n & 0xff]);
  return Buffer.concat([Buffer.from([tag]), length, content]);
}

interface Element {
  tag: number;
  /** Offsets of the whole element and of its content, in the buffer read. */
  start: number;
  contentStart: number;
  end: number;
}

function readElement(der: Uint8Array, offset: number): Element {
  const tag = der[offset]!;
  let length = der[offset + 1]!;
  let contentStart = offset + 2;
  if (length & 0x80) {
    const bytes = length & 0x7f;
    length = 0;
    for (let i = 0; i < bytes; i++) length = length * 256 + der[offset + 2 + i]!;
    contentStart += bytes;
  }
  return { tag, start: offset, contentStart, end: contentStart + length };
}

function childrenOf(der: Uint8Array, parent: Element): Element[] {
  const result: Element[] = [];
  for (let offset = parent.contentStart; offset < parent.end;) {
    const child = readElement(der, offset);
    result.push(child);
    offset = child.end;
  }
  return result;
}

const oid = (dotted: string): Buffer => {
  const parts = dotted.split('.').map(Number);
  const bytes = [40 * parts[0]! + parts[1]!];
  for (const part of parts.slice(2)) {
    const base128 = [part & 0x7f];
    for (let rest = Math.floor(part / 128); rest > 0; rest = Math.floor(rest / 128)) base128.unshift((rest & 0x7f) | 0x80);
    bytes.push(...base128);
  }
  return tlv(0x06, Buffer.from(bytes));
};

const oids = {
  data: oid('1.2.840.113549.1.7.1'),
  signedData: oid('1.2.840.113549.1.7.2'),
  contentType: oid('1.2.840.113549.1.9.3'),
  messageDigest: oid('1.2.840.113549.1.9.4'),
  sha256: oid('2.16.840.1.101.3.4.2.1'),
  ecdsaWithSha256: oid('1.2.840.10045.4.3.2'),
};
const sequence = (...parts: Uint8Array[]) => tlv(0x30, ...parts);
const set = (...parts: Uint8Array[]) => tlv(0x31, ...parts);
const integerOne = Buffer.from([0x02, 0x01, 0x01]);
const sha256Algorithm = sequence(oids.sha256);
const ecdsaAlgorithm = sequence(oids.ecdsaWithSha256);
const contentTypeAttribute = sequence(oids.contentType, set(oids.data));

export interface BenchIdentities {
  /** The shared device key, as node:crypto and as WebCrypto (what `IosEnrollment['identity']` holds). */
  key: KeyObject;
  cryptoKey: webcrypto.CryptoKey;
  caCertificatePem: string;
  /** Certificate `i` of device `i`, DER. */
  certificate(i: number): Buffer;
}

const ecAlgorithm = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;
type X509Crypto = NonNullable<Parameters<typeof x509.X509CertificateGenerator.createSelfSigned>[1]>;

/**
 * A bench CA and a device key; certificates are made on demand (`certificate(i)`, the same `i`
 * giving a new signature but the same serial: call it once per device).
 */
export async function createBenchIdentities(): Promise<BenchIdentities> {
  const caKeys = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const deviceKeys = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const crypto = webcrypto as unknown as X509Crypto;
  const caCrypto = {
    privateKey: await webcrypto.subtle.importKey('pkcs8', caKeys.privateKey.export({ type: 'pkcs8', format: 'der' }), ecAlgorithm, false, ['sign']),
    publicKey: await webcrypto.subtle.importKey('spki', caKeys.publicKey.export({ type: 'spki', format: 'der' }), ecAlgorithm, true, ['verify']),
  };
  const devicePublic = await webcrypto.subtle.importKey('spki', deviceKeys.publicKey.export({ type: 'spki', format: 'der' }), ecAlgorithm, true, ['verify']);
  const now = Date.now();
  const ca = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: '01', name: 'CN=Envelope fleet bench CA', notBefore: new Date(now - 3600_000), notAfter: new Date(now + 10 * 365 * 86400_000),
    signingAlgorithm: ecAlgorithm, keys: caCrypto as never,
    extensions: [new x509.BasicConstraintsExtension(true, 0, true), new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign, true)],
  }, crypto);
  // Serial 0x10 followed by 7 bytes: every device's serial has the same length, so only its bytes change.
  const template = await x509.X509CertificateGenerator.create({
    serialNumber: '1000000000000000', subject: 'CN=Envelope fleet bench device', issuer: ca.subject,
    notBefore: new Date(now - 3600_000), notAfter: new Date(now + 365 * 86400_000),
    signingAlgorithm: ecAlgorithm, publicKey: devicePublic as never, signingKey: caCrypto.privateKey as never,
    extensions: [new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true)],
  }, crypto);
  const templateDer = Buffer.from(template.rawData);
  const certificate = readElement(templateDer, 0);
  const [tbs] = childrenOf(templateDer, certificate);
  const tbsParts = childrenOf(templateDer, tbs!);
  const serial = tbsParts[1]!;
  const before = templateDer.subarray(tbs!.contentStart, serial.contentStart);
  const after = templateDer.subarray(serial.end, tbs!.end);
  if (serial.end - serial.contentStart !== 8) throw new Error('unexpected template serial length');
  return {
    key: deviceKeys.privateKey,
    cryptoKey: await webcrypto.subtle.importKey('pkcs8', deviceKeys.privateKey.export({ type: 'pkcs8', format: 'der' }), ecAlgorithm, false, ['sign']),
    caCertificatePem: ca.toString('pem'),
    certificate(i: number): Buffer {
      const serialBytes = Buffer.alloc(8);
      serialBytes[0] = 0x10;
      serialBytes.writeUIntBE(i, 2, 6);
      const tbsDer = tlv(0x30, before, serialBytes, after);
      const signature = sign('sha256', tbsDer, caKeys.privateKey);
      return sequence(tbsDer, ecdsaAlgorithm, tlv(0x03, Buffer.from([0]), signature));
    },
  };
}

/** The identity `SimulatedIphone` signs with: certificate `der`, the shared key. */
export function benchIdentity(der: Buffer, identities: BenchIdentities): IosEnrollment['identity'] {
  return { certificateDer: der, privateKey: identities.cryptoKey, certificateSha256: createHash('sha256').update(der).digest('hex') };
}

/**
 * `Mdm-Signature` for `body`, signed with `key` (the shared bench key: the identity's WebCrypto key is
 * not used). Same structure as `signMdmMessage`'s, ECDSA with SHA-256.
 */
export function signMdmMessageFast(body: Uint8Array, certificateDer: Uint8Array, key: KeyObject): string {
  const certificate = readElement(certificateDer, 0);
  const tbsParts = childrenOf(certificateDer, childrenOf(certificateDer, certificate)[0]!);
  // TBSCertificate: [0] version, serialNumber, signature, issuer, …
  const serial = tbsParts[1]!;
  const issuer = tbsParts[3]!;
  const issuerAndSerial = sequence(certificateDer.subarray(issuer.start, issuer.end), certificateDer.subarray(serial.start, serial.end));
  const digest = createHash('sha256').update(body).digest();
  const attributes = [contentTypeAttribute, sequence(oids.messageDigest, set(tlv(0x04, digest)))];
  const signature = sign('sha256', set(...attributes), key);
  const signerInfo = sequence(integerOne, issuerAndSerial, sha256Algorithm, tlv(0xa0, ...attributes), ecdsaAlgorithm, tlv(0x04, signature));
  const signedData = sequence(integerOne, set(sha256Algorithm), sequence(oids.data), tlv(0xa0, certificateDer.subarray(certificate.start, certificate.end)), set(signerInfo));
  return sequence(oids.signedData, tlv(0xa0, signedData)).toString('base64');
}
