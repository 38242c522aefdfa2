import { createHash } from 'node:crypto';
import * as asn1js from 'asn1js';
import { Certificate, ContentInfo, SignedData } from 'pkijs';

/**
 * How iOS opens a `.mobileconfig` before it reads it: a plain XML property list, or a CMS
 * SignedData with the property list attached (the usual form, Apple's *Configuration Profile
 * Reference*, "Signing and Encrypting Profiles"). The signature must verify with the signer
 * certificate the CMS carries; whether the chain ends at a trusted root only decides whether
 * Settings shows the profile as "Verified" — iOS installs unverified signed profiles too.
 */
export interface UnwrappedProfile {
  /** The property-list bytes. */
  content: Uint8Array;
  signed: boolean;
  /** The CMS's certificates, DER, signer first (empty when unsigned): ProfileList's `SignerCertificates`. */
  signerCertificates: Uint8Array[];
  /** The signer chains to one of the trusted roots given (false when unsigned or none were given). */
  verified: boolean;
}

export type ProfileUnwrapErrorKind = 'malformed' | 'bad-signature' | 'encrypted';

export class ProfileUnwrapError extends Error {
  readonly kind: ProfileUnwrapErrorKind;

  constructor(kind: ProfileUnwrapErrorKind, message: string) {
    super(message);
    this.name = 'ProfileUnwrapError';
    this.kind = kind;
  }
}

const oid = { data: '1.2.840.113549.1.7.1', signedData: '1.2.840.113549.1.7.2', envelopedData: '1.2.840.113549.1.7.3' } as const;

/**
 * Opens a profile. XML (optionally after a UTF-8 BOM and whitespace) is returned as is; DER/BER is
 * read as a CMS ContentInfo. Throws `ProfileUnwrapError`: `encrypted` for EnvelopedData (the
 * simulator holds no decryption identity), `bad-signature` when the signature does not verify with
 * the included signer certificate, `malformed` for anything else unreadable.
 */
export async function unwrapProfile(bytes: Uint8Array, options: { trustedRootsDer?: readonly Uint8Array[] } = {}): Promise<UnwrappedProfile> {
  if (looksLikeXml(bytes)) return { content: bytes, signed: false, signerCertificates: [], verified: false };
  // A simulated fleet receives the same signed bytes on every device of a user (and on every
  // re-offer): they are checked once per process, so the simulator's CPU goes to the protocol, not to
  // re-verifying identical signatures. Only successful unwraps with no trusted roots given are kept.
  const key = options.trustedRootsDer === undefined ? createHash('sha256').update(bytes).digest('hex') : null;
  const known = key === null ? undefined : unwrapped.get(key);
  if (known !== undefined) return known;
  const result = await unwrapSignedProfile(bytes, options);
  if (key !== null) {
    if (unwrapped.size >= 1000) unwrapped.delete(unwrapped.keys().next().value as string);
    unwrapped.set(key, result);
  }
  return result;
}

const unwrapped = new Map<string, UnwrappedProfile>();

async function unwrapSignedProfile(bytes: Uint8Array, options: { trustedRootsDer?: readonly Uint8Array[] }): Promise<UnwrappedProfile> {
  let contentInfo: ContentInfo;
  try {
    const parsed = asn1js.fromBER(bytes);
    if (parsed.offset === -1) throw new Error(parsed.result.error);
    contentInfo = new ContentInfo({ schema: parsed.result });
  } catch (error) {
    throw new ProfileUnwrapError('malformed', `neither an XML property list nor CMS: ${messageOf(error)}`);
  }
  if (contentInfo.contentType === oid.envelopedData) throw new ProfileUnwrapError('encrypted', 'the profile is encrypted (CMS EnvelopedData)');
  if (contentInfo.contentType !== oid.signedData) throw new ProfileUnwrapError('malformed', `CMS content type ${contentInfo.contentType} is not SignedData`);
  let signedData: SignedData;
  let content: Uint8Array;
  try {
    signedData = new SignedData({ schema: contentInfo.content });
    const { eContentType, eContent } = signedData.encapContentInfo;
    if (eContentType !== oid.data || !eContent) throw new Error('the signed content is not attached id-data');
    content = new Uint8Array(eContent.getValue());
  } catch (error) {
    throw new ProfileUnwrapError('malformed', `unreadable SignedData: ${messageOf(error)}`);
  }
  if (signedData.signerInfos.length === 0) throw new ProfileUnwrapError('bad-signature', 'the SignedData has no signer');
  try {
    const result = await signedData.verify({ signer: 0, checkChain: false, extendedMode: true });
    if (result.signatureVerified !== true) throw new Error('the signature does not match');
  } catch (error) {
    throw new ProfileUnwrapError('bad-signature', messageOf(error));
  }
  const certificates = (signedData.certificates ?? []).filter((certificate): certificate is Certificate => certificate instanceof Certificate);
  return {
    content,
    signed: true,
    signerCertificates: certificates.map((certificate) => new Uint8Array(certificate.toSchema().toBER(false))),
    verified: options.trustedRootsDer?.length ? await chainsToTrustedRoot(signedData, options.trustedRootsDer) : false,
  };
}

async function chainsToTrustedRoot(signedData: SignedData, trustedRootsDer: readonly Uint8Array[]): Promise<boolean> {
  try {
    const trustedCerts = trustedRootsDer.map((der) => Certificate.fromBER(der));
    const result = await signedData.verify({ signer: 0, checkChain: true, trustedCerts, extendedMode: true });
    return result.signatureVerified === true;
  } catch {
    return false;
  }
}

function looksLikeXml(bytes: Uint8Array): boolean {
  let index = bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf ? 3 : 0;
  while (index < bytes.length && (bytes[index] === 0x20 || bytes[index] === 0x09 || bytes[index] === 0x0a || bytes[index] === 0x0d)) index++;
  return bytes[index] === 0x3c; // '<'
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
