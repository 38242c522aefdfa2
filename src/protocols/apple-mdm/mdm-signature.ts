import { createHash, timingSafeEqual, type webcrypto } from 'node:crypto';
import * as asn1js from 'asn1js';
import { cmsOid as oid, digestByOid, FastSignatureFailure, verifyMdmSignatureFast } from './mdm-signature-fast.ts';
import { Attribute, Certificate, ContentInfo, EncapsulatedContentInfo, IssuerAndSerialNumber, SignedAndUnsignedAttributes, SignedData, SignedDataVerifyError, SignerInfo } from 'pkijs';

/**
 * The `Mdm-Signature` request header: base64 of a detached CMS SignedData over the exact body
 * bytes, made with the device's enrollment identity. Devices send it when the enrollment profile
 * sets `SignMessage`; it lets the server learn the identity behind a TLS-terminating proxy.
 * https://developer.apple.com/documentation/devicemanagement/managing-certificates-for-mdm-servers-and-devices
 * ("Pass an Identity Certificate Through a Proxy"); NanoMDM: `cryptoutil.VerifyMdmSignature`.
 */
export const mdmSignatureHeader = 'Mdm-Signature';

/**
 * - `missing-header`: no (or an empty) header.
 * - `not-base64`: not standard base64, or longer than `maxMdmSignatureLength`.
 * - `not-cms`: the bytes are not a DER/BER CMS ContentInfo holding SignedData.
 * - `wrong-content`: the signature is over other bytes than this body (digest mismatch, a
 *   different attached content, or content that is not `id-data`).
 * - `not-one-signer`: zero or several SignerInfos.
 * - `no-signer-certificate`: the signer's certificate is not in the SignedData.
 * - `bad-signature`: the signature does not verify with the signer certificate's key, or uses an
 *   algorithm that cannot be checked.
 * - `certificate-untrusted`: (with an issuer check) the certificate was not issued by the CA, or
 *   the CA is not valid at the given time.
 * - `certificate-expired`: (with an issuer check) the certificate is not valid at the given time.
 */
export type MdmSignatureErrorCode =
  | 'missing-header'
  | 'not-base64'
  | 'not-cms'
  | 'wrong-content'
  | 'not-one-signer'
  | 'no-signer-certificate'
  | 'bad-signature'
  | 'certificate-untrusted'
  | 'certificate-expired';

export class MdmSignatureError extends Error {
  readonly code: MdmSignatureErrorCode;

  constructor(code: MdmSignatureErrorCode, message: string) {
    super(message);
    this.name = 'MdmSignatureError';
    this.code = code;
  }
}

/** A device's signature holds one certificate, a few kilobytes; anything far larger is refused unparsed. */
export const maxMdmSignatureLength = 32 * 1024;

export interface VerifiedMdmSignature {
  /** The signer's certificate, DER, exactly as the device sent it. */
  certificateDer: Uint8Array;
  /** SHA-256 of `certificateDer`, lowercase hex: the key that binds the certificate to one enrollment. */
  certificateSha256: string;
}

export interface MdmSignatureIssuerCheck {
  /** The CA that issues device identities (DER); the signer certificate must be signed by it directly. */
  caCertificateDer: Uint8Array;
  /** The time at which both certificates must be valid (the injected clock's now). */
  at: Date;
}


/**
 * Verifies an `Mdm-Signature` header against the exact request body and returns the signer
 * certificate: parse, attach the body as content, require exactly one signer whose certificate is
 * included, check the message digest and the signature. With `issuer`, also requires that the
 * certificate was signed by that CA and that both are valid at `issuer.at`; without it, any
 * self-consistent signature passes — then the caller must bind `certificateSha256` to the
 * enrollment (as NanoMDM's certauth does) for the signature to mean anything.
 * Rejects with `MdmSignatureError`; never with anything else for any header or body. (A CA
 * certificate that does not parse is a configuration error and rejects with a plain `Error`.)
 */
export async function verifyMdmSignature(header: string | undefined, body: Uint8Array, issuer?: MdmSignatureIssuerCheck): Promise<VerifiedMdmSignature> {
  if (!header) throw new MdmSignatureError('missing-header', `no ${mdmSignatureHeader} header`);
  const signatureDer = decodeBase64(header);
  if (!issuer) {
    let fast;
    try {
      fast = verifyMdmSignatureFast(signatureDer, body);
    } catch (error) {
      if (error instanceof FastSignatureFailure) throw new MdmSignatureError(error.code, error.message);
      throw error;
    }
    // Damage inside a certificate can make the two parsers disagree about it, but never about its
    // key and hash: a changed certificate has another SHA-256, bound to no enrollment (callers accept
    // a signer only by that hash), so the fast answer stands without a second opinion.
    if (fast !== null) return fast;
  }
  return verifyWithPkijs(signatureDer, body, issuer);
}

/**
 * The complete check through pkijs, for every shape of SignedData and with the issuer check; the
 * fast path above answers the common case. Exported for the test that holds the two together.
 */
export async function verifyWithPkijs(signatureDer: Uint8Array, body: Uint8Array, issuer?: MdmSignatureIssuerCheck): Promise<VerifiedMdmSignature> {
  const signedData = parseSignedData(signatureDer);
  if (signedData.signerInfos.length !== 1) {
    throw new MdmSignatureError('not-one-signer', `the signature must have exactly one signer, it has ${signedData.signerInfos.length}`);
  }
  try {
    checkContent(signedData, body);
  } catch (error) {
    // pkijs leaves odd shapes (an eContent that is not an OCTET STRING) for the caller to trip over.
    if (error instanceof MdmSignatureError) throw error;
    throw new MdmSignatureError('not-cms', `not a CMS SignedData: ${error instanceof Error ? error.message : String(error)}`);
  }
  const signerCertificate = await verifySigner(signedData, body);
  const certificateDer = new Uint8Array(signerCertificate.toSchema().toBER(false));
  if (issuer) await checkIssuer(signerCertificate, issuer);
  return { certificateDer, certificateSha256: createHash('sha256').update(certificateDer).digest('hex') };
}

/** A device's enrollment identity: its certificate (DER) and the matching WebCrypto private key (RSA PKCS#1 v1.5 or ECDSA). */
export interface MdmSigningIdentity {
  certificateDer: Uint8Array;
  privateKey: webcrypto.CryptoKey;
}

/**
 * Device side: the `Mdm-Signature` header value for `body` — base64 (no line breaks) of a
 * detached CMS SignedData with SHA-256, one signer identified by issuer and serial number,
 * signed attributes (content type, message digest) and the signer certificate included.
 */
export async function signMdmMessage(body: Uint8Array, identity: MdmSigningIdentity): Promise<string> {
  const certificate = Certificate.fromBER(identity.certificateDer);
  const digest = createHash('sha256').update(body).digest();
  // Already in DER SET OF order: the content-type attribute encodes shorter, so it sorts first.
  const attributes = [
    new Attribute({ type: oid.contentType, values: [new asn1js.ObjectIdentifier({ value: oid.data })] }),
    new Attribute({ type: oid.messageDigest, values: [new asn1js.OctetString({ valueHex: digest })] }),
  ];
  const signedData = new SignedData({
    version: 1,
    encapContentInfo: new EncapsulatedContentInfo({ eContentType: oid.data }),
    signerInfos: [
      new SignerInfo({
        version: 1,
        sid: new IssuerAndSerialNumber({ issuer: certificate.issuer, serialNumber: certificate.serialNumber }),
        signedAttrs: new SignedAndUnsignedAttributes({ type: 0, attributes }),
      }),
    ],
    certificates: [certificate],
  });
  await signedData.sign(identity.privateKey, 0, 'SHA-256', body);
  const contentInfo = new ContentInfo({ contentType: oid.signedData, content: signedData.toSchema(true) });
  return Buffer.from(contentInfo.toSchema().toBER(false)).toString('base64');
}

function decodeBase64(header: string): Uint8Array {
  if (header.length > maxMdmSignatureLength) throw new MdmSignatureError('not-base64', `the header is longer than ${maxMdmSignatureLength} characters`);
  if (header.length % 4 !== 0 || !/^[A-Za-z0-9+/]*={0,2}$/.test(header)) throw new MdmSignatureError('not-base64', 'the header is not standard base64');
  return new Uint8Array(Buffer.from(header, 'base64'));
}

function parseSignedData(der: Uint8Array): SignedData {
  try {
    const parsed = asn1js.fromBER(der);
    if (parsed.offset === -1) throw new Error(parsed.result.error);
    if (parsed.offset !== der.byteLength) throw new Error('trailing bytes after the ContentInfo');
    const contentInfo = new ContentInfo({ schema: parsed.result });
    if (contentInfo.contentType !== oid.signedData) throw new Error(`content type ${contentInfo.contentType} is not SignedData`);
    return new SignedData({ schema: contentInfo.content });
  } catch (error) {
    // asn1js and pkijs throw plain errors (or a RangeError on absurd nesting) for bad input.
    throw new MdmSignatureError('not-cms', `not a CMS SignedData: ${error instanceof Error ? error.message : String(error)}`);
  }
}

function checkContent(signedData: SignedData, body: Uint8Array): void {
  const { eContentType, eContent } = signedData.encapContentInfo;
  if (eContentType !== oid.data) throw new MdmSignatureError('wrong-content', `the signed content type is ${eContentType}, not id-data`);
  if (eContent) {
    // Detached is the norm; an attached copy is accepted only if it is this very body, because
    // pkijs would otherwise verify the attached bytes instead of the body.
    const attached = new Uint8Array(eContent.getValue());
    if (!equalBytes(attached, body)) throw new MdmSignatureError('wrong-content', 'the signature carries other content than the body');
  }
  const signerInfo = signedData.signerInfos[0] as SignerInfo;
  const digestName = digestByOid[signerInfo.digestAlgorithm.algorithmId];
  if (!digestName) throw new MdmSignatureError('bad-signature', `unsupported digest algorithm ${signerInfo.digestAlgorithm.algorithmId}`);
  const messageDigest = signerInfo.signedAttrs?.attributes.find((attribute) => attribute.type === oid.messageDigest)?.values[0];
  // Without signed attributes the signature covers the body directly: verifySigner catches a mismatch.
  if (signerInfo.signedAttrs && !(messageDigest instanceof asn1js.OctetString)) throw new MdmSignatureError('bad-signature', 'the signed attributes lack a message digest');
  if (messageDigest instanceof asn1js.OctetString) {
    const expected = new Uint8Array(messageDigest.valueBlock.valueHexView);
    if (!equalBytes(expected, createHash(digestName).update(body).digest())) {
      throw new MdmSignatureError('wrong-content', 'the signature was made over other bytes than this body');
    }
  }
}

async function verifySigner(signedData: SignedData, body: Uint8Array): Promise<Certificate> {
  let result: { signatureVerified?: boolean | null; signerCertificate?: Certificate | null };
  try {
    result = await signedData.verify({ signer: 0, data: toArrayBuffer(body), checkChain: false, extendedMode: true });
  } catch (error) {
    if (error instanceof SignedDataVerifyError && (error.code === 2 || error.code === 3)) {
      throw new MdmSignatureError('no-signer-certificate', "the signer's certificate is not included");
    }
    throw new MdmSignatureError('bad-signature', `the signature does not verify: ${error instanceof Error ? error.message : String(error)}`);
  }
  if (result.signatureVerified !== true || !result.signerCertificate) throw new MdmSignatureError('bad-signature', 'the signature does not verify');
  return result.signerCertificate;
}

async function checkIssuer(certificate: Certificate, issuer: MdmSignatureIssuerCheck): Promise<void> {
  const ca = Certificate.fromBER(issuer.caCertificateDer);
  let signedByCa = false;
  try {
    signedByCa = certificate.issuer.isEqual(ca.subject) && (await certificate.verify(ca));
  } catch {
    signedByCa = false;
  }
  if (!signedByCa) throw new MdmSignatureError('certificate-untrusted', 'the certificate was not issued by the device-identity CA');
  if (!isValidAt(ca, issuer.at)) throw new MdmSignatureError('certificate-untrusted', `the device-identity CA is not valid at ${issuer.at.toISOString()}`);
  if (!isValidAt(certificate, issuer.at)) throw new MdmSignatureError('certificate-expired', `the certificate is not valid at ${issuer.at.toISOString()}`);
}

function isValidAt(certificate: Certificate, at: Date): boolean {
  return certificate.notBefore.value.getTime() <= at.getTime() && at.getTime() <= certificate.notAfter.value.getTime();
}

function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.byteLength === b.byteLength && timingSafeEqual(a, b);
}

function toArrayBuffer(bytes: Uint8Array): ArrayBuffer {
  return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
}
