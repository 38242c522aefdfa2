import type { webcrypto } from 'node:crypto';
import * as asn1js from 'asn1js';
import { Attribute, Certificate, ContentInfo, EncapsulatedContentInfo, IssuerAndSerialNumber, SignedAndUnsignedAttributes, SignedData, SignerInfo } from 'pkijs';

/** The profile-signing identity: DER certificates leaf first (then its chain), and the leaf's private key. */
export interface ProfileSigningIdentity {
  certificateChainDer: readonly Uint8Array[];
  /** A WebCrypto signing key (RSASSA-PKCS1-v1_5, RSA-PSS or ECDSA) matching the leaf certificate. */
  privateKey: webcrypto.CryptoKey;
}

export interface SignProfileOptions {
  /** Adds a `signingTime` signed attribute; omitted when absent, which keeps the output deterministic. */
  signingTime?: Date;
}

const oid = {
  data: '1.2.840.113549.1.7.1',
  signedData: '1.2.840.113549.1.7.2',
  contentType: '1.2.840.113549.1.9.3',
  messageDigest: '1.2.840.113549.1.9.4',
  signingTime: '1.2.840.113549.1.9.5',
} as const;

/**
 * Signs a profile as Apple expects a signed `.mobileconfig` (payload-formats §1.6): a DER CMS
 * `ContentInfo` wrapping `SignedData` with the plist **attached** as `id-data` content, a SHA-256
 * digest, one signer identified by issuer and serial number, signed attributes (content type,
 * message digest, optional signing time) and the whole certificate chain in `certificates`.
 *
 * Signed attributes are emitted in DER `SET OF` order (sorted by encoding): verifiers such as
 * OpenSSL re-encode them before checking the signature, so any other order fails verification.
 * Uses `globalThis.crypto` (WebCrypto) through pkijs; no other I/O.
 */
export async function signProfile(content: Uint8Array, identity: ProfileSigningIdentity, options: SignProfileOptions = {}): Promise<Uint8Array> {
  const { certificates, leaf } = parsedChain(identity);

  const digest = await globalThis.crypto.subtle.digest('SHA-256', content);
  const attributes = [
    new Attribute({ type: oid.contentType, values: [new asn1js.ObjectIdentifier({ value: oid.data })] }),
    new Attribute({ type: oid.messageDigest, values: [new asn1js.OctetString({ valueHex: digest })] }),
  ];
  if (options.signingTime) {
    attributes.push(new Attribute({ type: oid.signingTime, values: [new asn1js.UTCTime({ valueDate: options.signingTime })] }));
  }

  const signedData = new SignedData({
    version: 1,
    encapContentInfo: new EncapsulatedContentInfo({ eContentType: oid.data, eContent: new asn1js.OctetString({ valueHex: content }) }),
    signerInfos: [
      new SignerInfo({
        version: 1,
        sid: new IssuerAndSerialNumber({ issuer: leaf.issuer, serialNumber: leaf.serialNumber }),
        signedAttrs: new SignedAndUnsignedAttributes({ type: 0, attributes: sortedByDerEncoding(attributes) }),
      }),
    ],
    certificates,
  });
  await signedData.sign(identity.privateKey, 0, 'SHA-256');

  const contentInfo = new ContentInfo({ contentType: oid.signedData, content: signedData.toSchema(true) });
  return new Uint8Array(contentInfo.toSchema().toBER(false));
}

interface ParsedChain {
  certificates: Certificate[];
  leaf: Certificate;
}

/**
 * Parsed certificates per identity object. Parsing a certificate with pkijs costs about as much
 * as the RSA signature itself, and an identity signs many profiles; the cache holds the identity
 * weakly, so a rotated identity and its certificates are simply collected.
 */
const parsedChains = new WeakMap<ProfileSigningIdentity, ParsedChain>();

function parsedChain(identity: ProfileSigningIdentity): ParsedChain {
  let parsed = parsedChains.get(identity);
  if (!parsed) {
    if (identity.certificateChainDer.length === 0) throw new TypeError('signing identity has no certificate');
    const certificates = identity.certificateChainDer.map((der) => Certificate.fromBER(der));
    parsed = { certificates, leaf: certificates[0] as Certificate };
    parsedChains.set(identity, parsed);
  }
  return parsed;
}

function sortedByDerEncoding(attributes: Attribute[]): Attribute[] {
  const encoded = attributes.map((attribute) => ({ attribute, der: Buffer.from(attribute.toSchema().toBER(false)) }));
  return encoded.sort((a, b) => Buffer.compare(a.der, b.der)).map(({ attribute }) => attribute);
}
