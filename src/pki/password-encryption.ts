import { createCipheriv, webcrypto } from 'node:crypto';
import * as asn1js from 'asn1js';
import forge from 'node-forge';
import { AlgorithmIdentifier, PBES2Params, PBKDF2Params } from 'pkijs';

/**
 * The two password-based encryption schemes Envelope's PKCS#12 files use for their key bag and their
 * certificates (RFC 7292 §5.2 and appendix C; RFC 8018 §6.2). Both take 2048 iterations and 8-byte
 * salts, OpenSSL's parameters; the passwords they protect are random (see `buildPkcs12`).
 */

export type RandomBytes = (length: number) => Uint8Array;

export interface PasswordCiphertext {
  /** The scheme and its parameters (salt, iterations, IV), as the bag or EncryptedData records them. */
  algorithm: AlgorithmIdentifier;
  ciphertext: ArrayBuffer;
}

export type PasswordEncryption = (plaintext: ArrayBuffer, password: string, randomBytes: RandomBytes) => Promise<PasswordCiphertext>;

export const passwordEncryptionIterations = 2048;
export const passwordEncryptionSaltLength = 8;

const oids = {
  pbes2: '1.2.840.113549.1.5.13',
  pbkdf2: '1.2.840.113549.1.5.12',
  hmacWithSha256: '1.2.840.113549.2.9',
  aes256Cbc: '2.16.840.1.101.3.4.1.42',
  pbeWithShaAnd3KeyTripleDesCbc: '1.2.840.113549.1.12.1.3',
} as const;

/** PBES2: AES-256-CBC under a key from PBKDF2-HMAC-SHA256 over the UTF-8 password (RFC 8018 §6.2). */
export const encryptPbes2Aes256: PasswordEncryption = async (plaintext, password, randomBytes) => {
  const salt = randomBytes(passwordEncryptionSaltLength);
  const iv = randomBytes(16);
  const base = await webcrypto.subtle.importKey('raw', new TextEncoder().encode(password), 'PBKDF2', false, ['deriveKey']);
  const key = await webcrypto.subtle.deriveKey(
    { name: 'PBKDF2', hash: 'SHA-256', salt, iterations: passwordEncryptionIterations },
    base,
    { name: 'AES-CBC', length: 256 },
    false,
    ['encrypt'],
  );
  const ciphertext = await webcrypto.subtle.encrypt({ name: 'AES-CBC', iv }, key, plaintext);
  const kdf = new PBKDF2Params({
    salt: new asn1js.OctetString({ valueHex: salt }),
    iterationCount: passwordEncryptionIterations,
    prf: new AlgorithmIdentifier({ algorithmId: oids.hmacWithSha256, algorithmParams: new asn1js.Null() }),
  });
  const parameters = new PBES2Params({
    keyDerivationFunc: new AlgorithmIdentifier({ algorithmId: oids.pbkdf2, algorithmParams: kdf.toSchema() }),
    encryptionScheme: new AlgorithmIdentifier({ algorithmId: oids.aes256Cbc, algorithmParams: new asn1js.OctetString({ valueHex: iv }) }),
  });
  return { algorithm: new AlgorithmIdentifier({ algorithmId: oids.pbes2, algorithmParams: parameters.toSchema() }), ciphertext };
};

/**
 * `pbeWithSHAAnd3-KeyTripleDES-CBC` (RFC 7292 appendix C): 3DES-CBC whose 24-byte key and 8-byte IV come
 * from the PKCS#12 KDF (appendix B.2, SHA-1, ID 1 for the key and 2 for the IV) over the password as a
 * NUL-terminated BMPString. Parameters: `pkcs-12PbeParams { salt, iterations }`.
 *
 * node-forge supplies the KDF, which neither WebCrypto nor node:crypto offers; 3DES itself is OpenSSL's
 * (`des-ede3-cbc` is in its default provider), with PKCS#7 padding.
 */
export const encryptPbeSha1TripleDes: PasswordEncryption = async (plaintext, password, randomBytes) => {
  const salt = randomBytes(passwordEncryptionSaltLength);
  const derive = (id: 1 | 2, length: number) =>
    Buffer.from(
      forge.pkcs12.generateKey(password, forge.util.createBuffer(Buffer.from(salt).toString('binary')), id, passwordEncryptionIterations, length).getBytes(),
      'binary',
    );
  const key = derive(1, 24);
  const iv = derive(2, 8);
  const cipher = createCipheriv('des-ede3-cbc', key, iv);
  const ciphertext = Buffer.concat([cipher.update(new Uint8Array(plaintext)), cipher.final()]);
  key.fill(0);
  const parameters = new asn1js.Sequence({
    value: [new asn1js.OctetString({ valueHex: salt }), new asn1js.Integer({ value: passwordEncryptionIterations })],
  });
  return {
    algorithm: new AlgorithmIdentifier({ algorithmId: oids.pbeWithShaAnd3KeyTripleDesCbc, algorithmParams: parameters }),
    ciphertext: ciphertext.buffer.slice(ciphertext.byteOffset, ciphertext.byteOffset + ciphertext.byteLength),
  };
};
