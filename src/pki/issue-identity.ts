import { webcrypto } from 'node:crypto';
import * as asn1js from 'asn1js';
import {
  AttributeTypeAndValue,
  AuthorityKeyIdentifier,
  BasicConstraints,
  Certificate,
  ExtKeyUsage,
  Extension,
  RelativeDistinguishedNames,
  Time,
} from 'pkijs';
import type { DirectoryUser, ManagedDevice } from '../domain/directory.ts';
import { resolveCertificateNames, type CertificateNameSettings, type SubjectAltNames, type SubjectAttribute } from './subject-name.ts';
import { subjectValueEncoding } from './subject-attributes.ts';
import type { IssuingCa } from './ca-certificate.ts';

/** The settings of a PKCS certificate profile (iOS or Android) that shape the issued certificate. */
export interface IdentitySettings extends CertificateNameSettings {
  certificateValidityPeriodValue: number;
  certificateValidityPeriodScale: string;
  /** Android PKCS profiles only: EKUs added to Envelope's client authentication + email protection. */
  extendedKeyUsages?: ReadonlyArray<{ objectIdentifier: string }>;
}

/** Clock and randomness, injected so tests can pin validity and serial numbers. */
export interface IssuanceEnvironment {
  now(): Date;
  randomBytes(length: number): Uint8Array;
}

export const systemIssuanceEnvironment: IssuanceEnvironment = {
  now: () => new Date(),
  randomBytes: (length) => webcrypto.getRandomValues(new Uint8Array(length)),
};

export interface IssueIdentityRequest {
  ca: IssuingCa;
  settings: IdentitySettings;
  user: DirectoryUser;
  device: ManagedDevice;
}

export interface IssuedIdentity {
  certificateDer: Uint8Array;
  /** The new key pair's private key: extractable so it can be wrapped into PKCS#12; never persist it. */
  privateKey: webcrypto.CryptoKey;
  notBefore: Date;
  notAfter: Date;
}

const oids = {
  clientAuth: '1.3.6.1.5.5.7.3.2',
  emailProtection: '1.3.6.1.5.5.7.3.4',
  upn: '1.3.6.1.4.1.311.20.2.3',
  subjectKeyIdentifier: '2.5.29.14',
  keyUsage: '2.5.29.15',
  subjectAltName: '2.5.29.17',
  basicConstraints: '2.5.29.19',
  authorityKeyIdentifier: '2.5.29.35',
  extKeyUsage: '2.5.29.37',
} as const;

const rsa2048 = { name: 'RSASSA-PKCS1-v1_5', modulusLength: 2048, publicExponent: new Uint8Array([1, 0, 1]), hash: 'SHA-256' };

/** Devices with a slightly slow clock would reject a certificate that starts "now". */
const clockSkewMs = 5 * 60 * 1000;

/**
 * Issues a user identity from the tenant CA for a PKCS certificate profile: a fresh RSA-2048 key pair
 * and an X.509 v3 certificate signed by the CA with SHA-256.
 *
 * - Subject and SAN per `resolveCertificateNames` (throws its typed errors, e.g. MissingUserAttributeError).
 * - Validity: from five minutes before now (clock skew) until now + the profile's period (calendar months
 *   and years in UTC, clamped to the month's last day), never past the CA's own `notAfter`.
 * - Key usage digitalSignature + keyEncipherment (critical), EKU clientAuth + emailProtection (+ the
 *   profile's own EKUs), basic constraints CA:false (critical), subject and authority key identifiers.
 * - Serial: 16 random bytes, positive (top bit cleared, second bit set so the encoding is always 16 bytes).
 */
export async function issueIdentity(request: IssueIdentityRequest, env: IssuanceEnvironment = systemIssuanceEnvironment): Promise<IssuedIdentity> {
  const { ca, settings } = request;
  const names = resolveCertificateNames(settings, request.user, request.device);
  const issuer = Certificate.fromBER(new Uint8Array(ca.certificate.rawData));

  const issuedAt = new Date(Math.floor(env.now().getTime() / 1000) * 1000);
  const notBefore = new Date(issuedAt.getTime() - clockSkewMs);
  const requestedEnd = addPeriod(issuedAt, settings.certificateValidityPeriodValue, settings.certificateValidityPeriodScale);
  const caEnd = issuer.notAfter.value;
  if (caEnd <= issuedAt) throw new Error(`The tenant CA expired on ${caEnd.toISOString()}; it cannot issue.`);
  const notAfter = requestedEnd > caEnd ? caEnd : requestedEnd;

  const keys = (await webcrypto.subtle.generateKey(rsa2048, true, ['sign', 'verify'])) as webcrypto.CryptoKeyPair;
  const certificate = new Certificate();
  certificate.version = 2;
  certificate.serialNumber = new asn1js.Integer({ valueHex: serialNumber(env) });
  certificate.issuer = issuer.subject;
  certificate.subject = distinguishedName(names.subject);
  certificate.notBefore = time(notBefore);
  certificate.notAfter = time(notAfter);
  await certificate.subjectPublicKeyInfo.importKey(keys.publicKey);

  const extraUsages = (settings.extendedKeyUsages ?? []).map((usage) => usage.objectIdentifier);
  const keyPurposes = [...new Set([oids.clientAuth, oids.emailProtection, ...extraUsages])];
  certificate.extensions = [
    extension(oids.basicConstraints, true, new BasicConstraints({ cA: false }).toSchema()),
    // digitalSignature (bit 0) + keyEncipherment (bit 2): 1010 0000, five unused bits.
    extension(oids.keyUsage, true, new asn1js.BitString({ valueHex: new Uint8Array([0xa0]).buffer, unusedBits: 5 })),
    extension(oids.extKeyUsage, false, new ExtKeyUsage({ keyPurposes }).toSchema()),
    ...subjectAltName(names.altNames),
    extension(oids.subjectKeyIdentifier, false, new asn1js.OctetString({ valueHex: await keyIdentifier(certificate) })),
    extension(
      oids.authorityKeyIdentifier,
      false,
      new AuthorityKeyIdentifier({ keyIdentifier: new asn1js.OctetString({ valueHex: await authorityKeyIdentifier(issuer) }) }).toSchema(),
    ),
  ];
  await certificate.sign(ca.privateKey, 'SHA-256');
  return {
    certificateDer: new Uint8Array(certificate.toSchema().toBER(false)),
    privateKey: keys.privateKey,
    notBefore,
    notAfter,
  };
}

function serialNumber(env: IssuanceEnvironment): ArrayBuffer {
  const bytes = new Uint8Array(env.randomBytes(16));
  bytes[0] = ((bytes[0] ?? 0) & 0x7f) | 0x40;
  return bytes.buffer;
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

function addPeriod(start: Date, value: number, scale: string): Date {
  switch (scale) {
    case 'days':
      return new Date(start.getTime() + value * 24 * 3600 * 1000);
    case 'months':
      return addMonths(start, value);
    case 'years':
      return addMonths(start, value * 12);
    default:
      throw new Error(`Unknown certificateValidityPeriodScale '${scale}'.`);
  }
}

function addMonths(start: Date, months: number): Date {
  const target = new Date(start.getTime());
  target.setUTCDate(1);
  target.setUTCMonth(target.getUTCMonth() + months);
  const lastDay = new Date(Date.UTC(target.getUTCFullYear(), target.getUTCMonth() + 1, 0)).getUTCDate();
  target.setUTCDate(Math.min(start.getUTCDate(), lastDay));
  return target;
}
