import { createPublicKey, verify, type KeyObject } from 'node:crypto';
import { CertificationRequest } from 'pkijs';
import { certificateRequestFault } from './enrollment-fault.ts';

/** What Envelope takes from a PC's PKCS#10: the key the certificate is issued for, nothing else. */
export interface WindowsCertificateRequest {
  /** The request's SubjectPublicKeyInfo, DER, exactly as the PC sent it. */
  publicKeySpki: Uint8Array;
  publicKey: KeyObject;
  modulusBits: number;
}

/** The smallest RSA modulus accepted; the policy service asks for it (`minimalKeyLength`). */
export const minimumRsaModulusBits = 2048;
const maximumRsaModulusBits = 16384;

/** RSA PKCS#1 v1.5 signature algorithms a CSR may be signed with, by OID (RFC 4055 §5, RFC 8017 A.2.4). */
const signatureHashes: Readonly<Record<string, string>> = {
  '1.2.840.113549.1.1.5': 'sha1',
  '1.2.840.113549.1.1.11': 'sha256',
  '1.2.840.113549.1.1.12': 'sha384',
  '1.2.840.113549.1.1.13': 'sha512',
};

/**
 * Reads the PKCS#10 a PC sends in the RST ([MS-WSTEP] §3.1.4.2.1) and proves it: returns the public
 * key once the request's signature verifies with it. Throws an `s:certificaterequest` fault naming
 * the problem when the bytes are not a PKCS#10, the key is not RSA or is under 2048 bits, the signature
 * algorithm is not RSA PKCS#1 v1.5 with SHA-1 or SHA-2, or the signature does not verify.
 *
 * Lenient by design: the subject, attributes and extensions are never interpreted (the certificate's
 * subject is the DeviceID from the RST, not the request's). Windows writes its CN as a PrintableString
 * holding `!` and NUL bytes, which PrintableString does not allow; Go's parser refuses such requests
 * and Fleet had to fork it (fleetdm/fleet `server/mdm/microsoft/wstep_csr.go`). pkijs decodes them,
 * and the signature is checked over the request's own bytes (`tbsView`), never a re-encoding. SHA-1
 * is accepted because the signature only proves possession of the key: a collision buys nothing.
 */
export function readCertificateRequest(der: Uint8Array): WindowsCertificateRequest {
  let request: CertificationRequest;
  try {
    request = CertificationRequest.fromBER(der);
  } catch (error) {
    throw certificateRequestFault(`The BinarySecurityToken is not a DER PKCS#10 certificate request: ${(error as Error).message}`);
  }
  const spki = request.subjectPublicKeyInfo;
  if (spki.algorithm.algorithmId !== '1.2.840.113549.1.1.1') {
    throw certificateRequestFault(`The certificate request's key is not RSA (algorithm ${spki.algorithm.algorithmId}); Envelope issues for RSA keys of ${minimumRsaModulusBits} bits or more.`);
  }
  const publicKeySpki = new Uint8Array(spki.toSchema().toBER(false));
  let publicKey: KeyObject;
  try {
    publicKey = createPublicKey({ key: Buffer.from(publicKeySpki), format: 'der', type: 'spki' });
  } catch (error) {
    throw certificateRequestFault(`The certificate request's RSA public key cannot be read: ${(error as Error).message}`);
  }
  const modulusBits = publicKey.asymmetricKeyDetails?.modulusLength ?? 0;
  if (modulusBits < minimumRsaModulusBits || modulusBits > maximumRsaModulusBits) {
    throw certificateRequestFault(`The certificate request's RSA key has ${modulusBits} bits; the policy asks for ${minimumRsaModulusBits} to ${maximumRsaModulusBits}.`);
  }
  const algorithm = request.signatureAlgorithm.algorithmId;
  const hash = signatureHashes[algorithm];
  if (hash === undefined) {
    throw certificateRequestFault(`The certificate request is signed with algorithm ${algorithm}; Envelope accepts RSA PKCS#1 v1.5 with SHA-1, SHA-256, SHA-384 or SHA-512.`);
  }
  if (!signatureVerifies(request, hash, publicKey)) {
    throw certificateRequestFault('The certificate request\'s signature does not verify with its own public key.');
  }
  return { publicKeySpki, publicKey, modulusBits };
}

function signatureVerifies(request: CertificationRequest, hash: string, publicKey: KeyObject): boolean {
  const { valueBlock } = request.signatureValue;
  if (valueBlock.unusedBits !== 0) return false;
  try {
    return verify(hash, request.tbsView, publicKey, valueBlock.valueHexView);
  } catch {
    // A signature of the wrong length for the key, for one.
    return false;
  }
}
