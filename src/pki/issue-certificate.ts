import { webcrypto } from 'node:crypto';
import * as asn1js from 'asn1js';
import {
  AlgorithmIdentifier,
  AttributeTypeAndValue,
  AuthorityKeyIdentifier,
  BasicConstraints,
  Certificate,
  ExtKeyUsage,
  Extension,
  RelativeDistinguishedNames,
  Time,
} from 'pkijs';
import type { IssuingCa } from './ca-certificate.ts';
import { subjectValueEncoding } from './subject-attributes.ts';
import type { SubjectAltNames, SubjectAttribute } from './subject-name.ts';

/** Clock and randomness, injected so tests can pin validity, serial numbers and PKCS#12 passwords. */
export interface IssuanceEnvironment {
  now(): Date;
  randomBytes(length: number): Uint8Array;
}

export const systemIssuanceEnvironment: IssuanceEnvironment = {
  now: () => new Date(),
  randomBytes: (length) => webcrypto.getRandomValues(new Uint8Array(length)),
};

/** The key pairs Envelope generates for the certificates it issues (always with SHA-256). */
export type IssuedKeyType = 'rsa-2048' | 'ecdsa-p256';

const keyAlgorithms: Readonly<Record<IssuedKeyType, webcrypto.RsaHashedKeyGenParams | webcrypto.EcKeyGenParams>> = {
  'rsa-2048': { name: 'RSASSA-PKCS1-v1_5', modulusLength: 2048, publicExponent: new Uint8Array([1, 0, 1]), hash: 'SHA-256' },
  'ecdsa-p256': { name: 'ECDSA', namedCurve: 'P-256' },
};

/** A fresh key pair whose private key is extractable (it is wrapped into PKCS#12 or sealed; never persist it in clear). */
export async function generateIssuedKeys(type: IssuedKeyType): Promise<webcrypto.CryptoKeyPair> {
  return (await webcrypto.subtle.generateKey(keyAlgorithms[type], true, ['sign', 'verify'])) as webcrypto.CryptoKeyPair;
}

/** The key usage bits Envelope's end-entity certificates use (RFC 5280 §4.2.1.3). */
export type KeyUsage = 'digitalSignature' | 'keyEncipherment';

const keyUsageBits: Readonly<Record<KeyUsage, number>> = { digitalSignature: 0x80, keyEncipherment: 0x20 };

export const extendedKeyUsages = {
  clientAuth: '1.3.6.1.5.5.7.3.2',
  emailProtection: '1.3.6.1.5.5.7.3.4',
} as const;

export interface CertificateRequest {
  ca: IssuingCa;
  /** RDNs in order, one attribute each; never empty. */
  subject: readonly SubjectAttribute[];
  altNames?: SubjectAltNames;
  publicKey: webcrypto.CryptoKey;
  /** From `validityWithin`. */
  notBefore: Date;
  notAfter: Date;
  keyUsage: readonly KeyUsage[];
  /** EKU OIDs, in order, without duplicates. */
  extendedKeyUsages: readonly string[];
}

const oids = {
  upn: '1.3.6.1.4.1.311.20.2.3',
  sha256WithRsaEncryption: '1.2.840.113549.1.1.11',
  subjectKeyIdentifier: '2.5.29.14',
  keyUsage: '2.5.29.15',
  subjectAltName: '2.5.29.17',
  basicConstraints: '2.5.29.19',
  authorityKeyIdentifier: '2.5.29.35',
  extKeyUsage: '2.5.29.37',
} as const;

/** Devices with a slightly slow clock would reject a certificate that starts "now". */
const clockSkewMs = 5 * 60 * 1000;

/**
 * The validity of a certificate issued now: from five minutes before now (clock skew, now truncated to
 * the second) until `endOf(now)`, never past the CA's own `notAfter`. Throws if the CA has expired.
 */
export function validityWithin(ca: IssuingCa, env: IssuanceEnvironment, endOf: (issuedAt: Date) => Date): { notBefore: Date; notAfter: Date } {
  const issuedAt = new Date(Math.floor(env.now().getTime() / 1000) * 1000);
  const caEnd = ca.certificate.notAfter;
  if (caEnd <= issuedAt) throw new Error(`The CA expired on ${caEnd.toISOString()}; it cannot issue.`);
  const requestedEnd = endOf(issuedAt);
  return { notBefore: new Date(issuedAt.getTime() - clockSkewMs), notAfter: requestedEnd > caEnd ? caEnd : requestedEnd };
}

/**
 * An X.509 v3 end-entity certificate for `publicKey`, signed by the CA with sha256WithRSAEncryption
 * (the CA key must be RSASSA-PKCS1-v1_5; every Envelope CA is). Extensions: basic constraints CA:false
 * (critical), the key usage asked for (critical), the EKUs, the SAN when there is one, subject and
 * authority key identifiers. Serial: 16 random bytes, positive (top bit cleared, second bit set so the
 * encoding is always 16 bytes). Returns the DER.
 */
export async function issueCertificate(request: CertificateRequest, env: IssuanceEnvironment): Promise<Uint8Array> {
  const { ca } = request;
  if (ca.privateKey.algorithm.name !== 'RSASSA-PKCS1-v1_5') throw new Error(`CA keys are RSASSA-PKCS1-v1_5, not ${ca.privateKey.algorithm.name}.`);
  const issuer = Certificate.fromBER(new Uint8Array(ca.certificate.rawData));
  const certificate = new Certificate();
  certificate.version = 2;
  certificate.serialNumber = new asn1js.Integer({ valueHex: serialNumber(env) });
  certificate.issuer = issuer.subject;
  certificate.subject = distinguishedName(request.subject);
  certificate.notBefore = time(request.notBefore);
  certificate.notAfter = time(request.notAfter);
  await certificate.subjectPublicKeyInfo.importKey(request.publicKey);

  const usageByte = request.keyUsage.reduce((byte, usage) => byte | keyUsageBits[usage], 0);
  certificate.extensions = [
    extension(oids.basicConstraints, true, new BasicConstraints({ cA: false }).toSchema()),
    extension(oids.keyUsage, true, new asn1js.BitString({ valueHex: new Uint8Array([usageByte]).buffer, unusedBits: unusedBits(usageByte) })),
    extension(oids.extKeyUsage, false, new ExtKeyUsage({ keyPurposes: [...request.extendedKeyUsages] }).toSchema()),
    ...subjectAltName(request.altNames ?? { email: null, userPrincipalName: null }),
    extension(oids.subjectKeyIdentifier, false, new asn1js.OctetString({ valueHex: await keyIdentifier(certificate) })),
    extension(
      oids.authorityKeyIdentifier,
      false,
      new AuthorityKeyIdentifier({ keyIdentifier: new asn1js.OctetString({ valueHex: await authorityKeyIdentifier(issuer) }) }).toSchema(),
    ),
  ];
  await signWithNullParameters(certificate, ca.privateKey);
  return new Uint8Array(certificate.toSchema().toBER(false));
}

/**
 * Signs the certificate with its `signature` AlgorithmIdentifier as RFC 4055 §5 and OpenSSL write it,
 * sha256WithRSAEncryption with NULL parameters; pkijs' own `Certificate.sign` leaves them absent.
 */
async function signWithNullParameters(certificate: Certificate, caKey: webcrypto.CryptoKey): Promise<void> {
  const algorithm = new AlgorithmIdentifier({ algorithmId: oids.sha256WithRsaEncryption, algorithmParams: new asn1js.Null() });
  certificate.signature = algorithm;
  certificate.signatureAlgorithm = algorithm;
  certificate.tbsView = new Uint8Array(certificate.encodeTBS().toBER(false));
  const signature = await webcrypto.subtle.sign({ name: 'RSASSA-PKCS1-v1_5' }, caKey, certificate.tbsView);
  certificate.signatureValue = new asn1js.BitString({ valueHex: signature });
}

function serialNumber(env: IssuanceEnvironment): ArrayBuffer {
  const bytes = new Uint8Array(env.randomBytes(16));
  bytes[0] = ((bytes[0] ?? 0) & 0x7f) | 0x40;
  return bytes.buffer;
}

/** DER BIT STRING: trailing zero bits of the last byte are unused. */
function unusedBits(byte: number): number {
  let unused = 0;
  while (unused < 7 && (byte & (1 << unused)) === 0) unused++;
  return unused;
}

/**
 * One attribute per RDN, encoded here because pkijs' RelativeDistinguishedNames would put all attributes
 * into a single multi-valued RDN (`CN=… + E=…`); parsed back so pkijs keeps exactly these bytes.
 */
function distinguishedName(attributes: readonly SubjectAttribute[]): RelativeDistinguishedNames {
  const rdns = attributes.map(
    (attribute) => new asn1js.Set({ value: [new AttributeTypeAndValue({ type: attribute.oid, value: stringValue(attribute) }).toSchema()] }),
  );
  return RelativeDistinguishedNames.fromBER(new asn1js.Sequence({ value: rdns }).toBER(false));
}

function stringValue({ oid, value }: SubjectAttribute): asn1js.BaseStringBlock {
  switch (subjectValueEncoding(oid)) {
    case 'printable':
      return new asn1js.PrintableString({ value });
    case 'ia5':
      return new asn1js.IA5String({ value });
    case 'utf8':
      return new asn1js.Utf8String({ value });
  }
}

/** X.509 requires UTCTime through 2049 and GeneralizedTime from 2050 (RFC 5280 §4.1.2.5). */
function time(value: Date): Time {
  return new Time({ type: value.getUTCFullYear() < 2050 ? 0 : 1, value });
}

function extension(extnID: string, critical: boolean, value: asn1js.BaseBlock): Extension {
  return new Extension({ extnID, critical, extnValue: value.toBER(false) });
}

/** rfc822Name `[1] IA5String` and otherName UPN `[0] { OID, [0] EXPLICIT UTF8String }`, in that order. */
function subjectAltName(altNames: SubjectAltNames): Extension[] {
  const names: asn1js.BaseBlock[] = [];
  if (altNames.email !== null) {
    names.push(new asn1js.Primitive({ idBlock: { tagClass: 3, tagNumber: 1 }, valueHex: new TextEncoder().encode(altNames.email) }));
  }
  if (altNames.userPrincipalName !== null) {
    names.push(
      new asn1js.Constructed({
        idBlock: { tagClass: 3, tagNumber: 0 },
        value: [
          new asn1js.ObjectIdentifier({ value: oids.upn }),
          new asn1js.Constructed({ idBlock: { tagClass: 3, tagNumber: 0 }, value: [new asn1js.Utf8String({ value: altNames.userPrincipalName })] }),
        ],
      }),
    );
  }
  return names.length === 0 ? [] : [extension(oids.subjectAltName, false, new asn1js.Sequence({ value: names }))];
}

/** RFC 5280 §4.2.1.2 method 1: SHA-1 of the subjectPublicKey bits. */
async function keyIdentifier(certificate: Certificate): Promise<ArrayBuffer> {
  return webcrypto.subtle.digest('SHA-1', certificate.subjectPublicKeyInfo.subjectPublicKey.valueBlock.valueHexView);
}

/** The CA's own subject key identifier when it has one (so chain builders match), else computed the same way. */
async function authorityKeyIdentifier(issuer: Certificate): Promise<ArrayBuffer> {
  const ski = issuer.extensions?.find((ext) => ext.extnID === oids.subjectKeyIdentifier);
  if (ski) {
    const parsed = asn1js.fromBER(ski.extnValue.valueBlock.valueHexView).result;
    if (parsed instanceof asn1js.OctetString) return parsed.valueBlock.valueHexView.slice().buffer;
  }
  return keyIdentifier(issuer);
}
