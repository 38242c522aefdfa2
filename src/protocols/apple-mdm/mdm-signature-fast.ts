import { createHash, timingSafeEqual, verify, X509Certificate, type KeyObject } from 'node:crypto';
import forge from 'node-forge';

/**
 * The common case of an `Mdm-Signature` checked fast: a DER SignedData with one signer identified by
 * issuer and serial number, signed attributes, an RSA PKCS#1 v1.5 or ECDSA signature. node-forge
 * parses the DER (about 6 µs for a device's signature, against about 7 ms through asn1js + pkijs,
 * which made the signature check cost more than all the rest of an idle check-in); node:crypto checks
 * the digest and the signature. Every other shape returns null and `verifyMdmSignature` takes the
 * pkijs path, which also produces the precise error for malformed input; the two paths are held
 * together by a property test (mdm-signature-fast.test.ts).
 */

const { asn1 } = forge;
const UNIVERSAL = asn1.Class.UNIVERSAL;
const CONTEXT = asn1.Class.CONTEXT_SPECIFIC;

/** The CMS object identifiers both signature paths check. */
export const cmsOid = {
  data: '1.2.840.113549.1.7.1',
  signedData: '1.2.840.113549.1.7.2',
  contentType: '1.2.840.113549.1.9.3',
  messageDigest: '1.2.840.113549.1.9.4',
} as const;
const oid = cmsOid;

/**
 * Digests a device may use. SHA-1 is accepted because Apple documents none; the enrollment binding
 * rests on the certificate hash, which is SHA-256 regardless.
 */
export const digestByOid: Readonly<Record<string, string>> = {
  '1.3.14.3.2.26': 'sha1',
  '2.16.840.1.101.3.4.2.1': 'sha256',
  '2.16.840.1.101.3.4.2.2': 'sha384',
  '2.16.840.1.101.3.4.2.3': 'sha512',
};

/**
 * Signature algorithms whose verification is the key's default (PKCS#1 v1.5 for RSA, DER ECDSA), with
 * the digest they name; null: the signer info's digest algorithm applies.
 */
const plainSignatureOids: ReadonlyMap<string, string | null> = new Map([
  ['1.2.840.113549.1.1.1', null], ['1.2.840.113549.1.1.5', 'sha1'], ['1.2.840.113549.1.1.11', 'sha256'], ['1.2.840.113549.1.1.12', 'sha384'],
  ['1.2.840.113549.1.1.13', 'sha512'], ['1.2.840.10045.2.1', null], ['1.2.840.10045.4.1', 'sha1'], ['1.2.840.10045.4.3.2', 'sha256'],
  ['1.2.840.10045.4.3.3', 'sha384'], ['1.2.840.10045.4.3.4', 'sha512'],
]);

/** Thrown for a signature the fast path fully understood and found wrong. */
export class FastSignatureFailure extends Error {
  readonly code: 'wrong-content' | 'bad-signature';

  constructor(code: 'wrong-content' | 'bad-signature', message: string) {
    super(message);
    this.code = code;
  }
}

type Node = forge.asn1.Asn1;

function children(node: Node | undefined): Node[] | null {
  return node !== undefined && Array.isArray(node.value) ? (node.value as Node[]) : null;
}

/** The children of a constructed universal SEQUENCE (or SET), else null. */
function sequence(node: Node | undefined, type: number = asn1.Type.SEQUENCE): Node[] | null {
  return isTag(node, UNIVERSAL, type) ? children(node) : null;
}

function isTag(node: Node | undefined, tagClass: number, type: number): node is Node {
  return node !== undefined && node.tagClass === tagClass && node.type === type;
}

/** The OID of an AlgorithmIdentifier whose parameters are absent or NULL (all the algorithms read here), else null. */
function algorithmOf(node: Node | undefined): string | null {
  const parts = sequence(node);
  if (!parts || parts.length < 1 || parts.length > 2) return null;
  if (parts.length === 2 && !(isTag(parts[1], UNIVERSAL, asn1.Type.NULL) && parts[1].value === '')) return null;
  return oidOf(parts[0]);
}

function oidOf(node: Node | undefined): string | null {
  return isTag(node, UNIVERSAL, asn1.Type.OID) && typeof node.value === 'string' ? asn1.derToOid(node.value) : null;
}

function bytesOf(node: Node | undefined): Buffer | null {
  return node !== undefined && typeof node.value === 'string' ? Buffer.from(node.value, 'binary') : null;
}

function der(node: Node): Buffer {
  return Buffer.from(asn1.toDer(node).getBytes(), 'binary');
}

const keys = new Map<string, KeyObject>();

function publicKeyOf(certificateDer: Buffer, sha256: string): KeyObject {
  let key = keys.get(sha256);
  if (key === undefined) {
    key = new X509Certificate(certificateDer).publicKey;
    if (keys.size >= 10_000) keys.delete(keys.keys().next().value as string);
    keys.set(sha256, key);
  }
  return key;
}

/**
 * Verifies the DER of an `Mdm-Signature` over `body`: the signer certificate (DER) and its SHA-256
 * hex when it verifies; null when the structure is not the common case (the caller falls back);
 * throws `FastSignatureFailure` when it is and the digest or signature is wrong.
 */
export function verifyMdmSignatureFast(signatureDer: Uint8Array, body: Uint8Array): { certificateDer: Uint8Array; certificateSha256: string } | null {
  let root: Node;
  try {
    // The typings know only the old boolean `strict` parameter; forge takes these options.
    const options = { strict: true, parseAllBytes: true, decodeBitStrings: false } as unknown as boolean;
    root = asn1.fromDer(forge.util.createBuffer(Buffer.from(signatureDer).toString('binary')), options);
  } catch {
    return null;
  }
  const contentInfo = sequence(root);
  if (!contentInfo || contentInfo.length !== 2 || oidOf(contentInfo[0]) !== oid.signedData || !isTag(contentInfo[1], CONTEXT, 0)) return null;
  const signedData = sequence(children(contentInfo[1])?.[0]);
  if (!signedData || signedData.length < 4 || !isTag(signedData[0], UNIVERSAL, asn1.Type.INTEGER)) return null;
  const digestAlgorithms = sequence(signedData[1], asn1.Type.SET);
  if (!digestAlgorithms || !digestAlgorithms.every((algorithm) => digestByOid[algorithmOf(algorithm) ?? ''] !== undefined)) return null;
  // version, digestAlgorithms, encapContentInfo, [0] certificates, [1] crls?, signerInfos
  const encap = sequence(signedData[2]);
  if (!encap || oidOf(encap[0]) !== oid.data || encap.length !== 1) return null; // attached content: the slow path compares it
  const certificatesNode = signedData[3];
  if (!isTag(certificatesNode, CONTEXT, 0)) return null;
  const certificates = children(certificatesNode) ?? [];
  if (!certificates.every((node) => sequence(node) !== null)) return null;
  const signerInfos = sequence(signedData[signedData.length - 1], asn1.Type.SET);
  if (!signerInfos || signerInfos.length !== 1 || signedData.length > 5) return null;
  const signerInfo = sequence(signerInfos[0]);
  // version, sid (IssuerAndSerialNumber), digestAlgorithm, [0] signedAttrs, signatureAlgorithm, signature
  if (!signerInfo || signerInfo.length < 6 || !isTag(signerInfo[0], UNIVERSAL, asn1.Type.INTEGER)) return null;
  const sid = sequence(signerInfo[1]);
  if (!sid || sid.length !== 2 || !isTag(sid[0], UNIVERSAL, asn1.Type.SEQUENCE) || !isTag(sid[1], UNIVERSAL, asn1.Type.INTEGER)) return null;
  const digestName = digestByOid[algorithmOf(signerInfo[2]) ?? ''];
  const signedAttrs = signerInfo[3];
  const signatureAlgorithm = algorithmOf(signerInfo[4]);
  const signature = bytesOf(signerInfo[5]);
  const namedDigest = signatureAlgorithm === null ? undefined : plainSignatureOids.get(signatureAlgorithm);
  if (!digestName || !isTag(signedAttrs, CONTEXT, 0) || namedDigest === undefined || (namedDigest !== null && namedDigest !== digestName) || !isTag(signerInfo[5], UNIVERSAL, asn1.Type.OCTETSTRING) || !signature) return null;

  const issuerDer = der(sid[0]);
  const serial = bytesOf(sid[1]);
  const certificate = certificates.find((node) => {
    const tbs = sequence(sequence(node)?.[0]);
    if (!tbs) return false;
    const offset = isTag(tbs[0], CONTEXT, 0) ? 1 : 0; // [0] EXPLICIT version
    const tbsSerial = bytesOf(tbs[offset]);
    const tbsIssuer = tbs[offset + 2];
    return tbsSerial !== null && serial !== null && tbsIssuer !== undefined && tbsSerial.equals(serial) && der(tbsIssuer).equals(issuerDer);
  });
  if (certificate === undefined) return null;

  let messageDigest: Buffer | null = null;
  let contentTypeOk = false;
  for (const attribute of children(signedAttrs) ?? []) {
    const [type, values] = sequence(attribute) ?? [];
    const first = sequence(values, asn1.Type.SET)?.[0];
    const attributeOid = oidOf(type);
    if (attributeOid === oid.messageDigest && isTag(first, UNIVERSAL, asn1.Type.OCTETSTRING)) messageDigest = bytesOf(first);
    if (attributeOid === oid.contentType) contentTypeOk = oidOf(first) === oid.data;
  }
  if (messageDigest === null || !contentTypeOk) return null;
  const digest = createHash(digestName).update(body).digest();
  if (messageDigest.length !== digest.length || !timingSafeEqual(messageDigest, digest)) {
    throw new FastSignatureFailure('wrong-content', 'the signature was made over other bytes than this body');
  }
  // The signature covers the attributes as a DER SET OF, not as the [0] IMPLICIT they travel in.
  const signedBytes = der({ ...signedAttrs, tagClass: UNIVERSAL, type: asn1.Type.SET });
  const certificateDer = der(certificate);
  const certificateSha256 = createHash('sha256').update(certificateDer).digest('hex');
  let valid: boolean;
  try {
    valid = verify(digestName, signedBytes, publicKeyOf(certificateDer, certificateSha256), signature);
  } catch {
    return null;
  }
  if (!valid) throw new FastSignatureFailure('bad-signature', 'the signature does not verify');
  return { certificateDer: new Uint8Array(certificateDer), certificateSha256 };
}
