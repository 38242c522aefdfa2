import { webcrypto } from 'node:crypto';
import * as asn1js from 'asn1js';
import {
  AlgorithmIdentifier,
  Attribute,
  AuthenticatedSafe,
  CertBag,
  ContentInfo,
  DigestInfo,
  EncryptedContentInfo,
  EncryptedData,
  MacData,
  PBES2Params,
  PBKDF2Params,
  PFX,
  PKCS8ShroudedKeyBag,
  SafeBag,
  SafeContents,
  getCrypto,
} from 'pkijs';

/**
 * PKCS#12 (RFC 7292) files for identities Envelope issues, protected by a random transport password.
 *
 * Algorithms: the layout of OpenSSL 3's `openssl pkcs12 -export` default, structure for structure.
 * - Certificates go in an EncryptedData and the key in a PKCS8ShroudedKeyBag. Both use PBES2 (RFC 8018)
 *   with PBKDF2-HMAC-SHA256 and AES-256-CBC, 2048 iterations and 8-byte salts.
 * - Integrity: an HMAC-SHA-256 MAC keyed by the PKCS#12 KDF (RFC 7292 appendix B), 2048 iterations,
 *   8-byte salt.
 *
 * iOS compatibility. WebCrypto has no 3DES, no RC2 and none of the PKCS#12 PBE ciphers, so it cannot
 * write the "legacy" files (`openssl pkcs12 -legacy`); PBES2/AES is the only encryption it can produce.
 * Apple documents no version from which its importer accepts PBES2/AES. Field reports:
 * - AES files rejected as "password incorrect": iPadOS 17 (7ritn/VaulTLS#176), iOS in late 2022
 *   (gunnarhaslinger/SMIME-OpenSSL-CA#1), SecPKCS12Import (openssl/openssl#19871). The
 *   setup-ipsec-vpn scripts still export 3DES for iOS compatibility (hwdsl2/setup-ipsec-vpn#1552, 2024).
 * - The same files accepted: current iOS (7ritn/VaulTLS#176, 2026) and macOS 26
 *   (tauri-apps/tauri#15844).
 * So we copy OpenSSL 3's exact parameters, which are what Apple's importer meets in practice. Evidence
 * that details matter: an AES/SHA-256 file with a 16-byte MAC salt would not import into the macOS
 * keychain, while OpenSSL's file with an 8-byte salt did (ca.stable.confirm.ch/pkcs12.html).
 * pkijs' own PFX helpers use 64-byte salts, so the structures are built by hand here.
 * The password is random (192 bits), so the low iteration count costs no security and only spares the
 * device work.
 */

export interface Pkcs12Contents {
  /** The identity's private key; must be extractable (exported as PKCS#8 to be encrypted). */
  privateKey: webcrypto.CryptoKey;
  certificateDer: Uint8Array;
  /** Issuer certificates, nearest first; carried so the device can present and build the chain. */
  chainDer?: readonly Uint8Array[];
  /** `friendlyName` of the key and its certificate (BMPString), e.g. the profile's display name. */
  friendlyName: string;
}

export interface Pkcs12File {
  bytes: Uint8Array;
  /** Random per call, 32 base64url characters (192 bits); unlocks this file and nothing else. */
  password: string;
}

export type RandomBytes = (length: number) => Uint8Array;

const defaultRandomBytes: RandomBytes = (length) => webcrypto.getRandomValues(new Uint8Array(length));

const oids = {
  data: '1.2.840.113549.1.7.1',
  encryptedData: '1.2.840.113549.1.7.6',
  pbes2: '1.2.840.113549.1.5.13',
  pbkdf2: '1.2.840.113549.1.5.12',
  hmacWithSha256: '1.2.840.113549.2.9',
  aes256Cbc: '2.16.840.1.101.3.4.1.42',
  sha256: '2.16.840.1.101.3.4.2.1',
  x509Certificate: '1.2.840.113549.1.9.22.1',
  shroudedKeyBag: '1.2.840.113549.1.12.10.1.2',
  certBag: '1.2.840.113549.1.12.10.1.3',
  friendlyName: '1.2.840.113549.1.9.20',
  localKeyId: '1.2.840.113549.1.9.21',
} as const;

const iterations = 2048;
const saltLength = 8;
const passwordBytes = 24;

/**
 * One identity (key + certificate, paired by the same `localKeyID` and `friendlyName`) plus its chain,
 * in a PKCS#12 file under a fresh random password. `randomBytes` feeds the password, salts and IVs.
 */
export async function buildPkcs12(contents: Pkcs12Contents, randomBytes: RandomBytes = defaultRandomBytes): Promise<Pkcs12File> {
  const password = Buffer.from(randomBytes(passwordBytes)).toString('base64url');
  const secret = new TextEncoder().encode(password);
  // localKeyID = SHA-1 of the certificate, as OpenSSL writes it.
  const localKeyId = await webcrypto.subtle.digest('SHA-1', contents.certificateDer);
  const identityAttributes = () =>
    sortedByDerEncoding([
      new Attribute({ type: oids.friendlyName, values: [new asn1js.BmpString({ value: contents.friendlyName })] }),
      new Attribute({ type: oids.localKeyId, values: [new asn1js.OctetString({ valueHex: localKeyId })] }),
    ]);

  const certificateBags = [contents.certificateDer, ...(contents.chainDer ?? [])].map(
    (der, index) =>
      new SafeBag({
        bagId: oids.certBag,
        bagValue: new CertBag({ certId: oids.x509Certificate, certValue: new asn1js.OctetString({ valueHex: der }) }),
        ...(index === 0 ? { bagAttributes: identityAttributes() } : {}),
      }),
  );
  const certificates = await pbes2Encrypt(new SafeContents({ safeBags: certificateBags }).toSchema().toBER(false), secret, randomBytes);
  const certificatesInfo = new ContentInfo({
    contentType: oids.encryptedData,
    content: new EncryptedData({
      version: 0,
      encryptedContentInfo: new EncryptedContentInfo({
        contentType: oids.data,
        contentEncryptionAlgorithm: certificates.algorithm,
        encryptedContent: new asn1js.OctetString({ valueHex: certificates.ciphertext }),
        disableSplit: true,
      }),
    }).toSchema(),
  });

  const pkcs8 = await webcrypto.subtle.exportKey('pkcs8', contents.privateKey);
  const key = await pbes2Encrypt(pkcs8, secret, randomBytes);
  new Uint8Array(pkcs8).fill(0);
  const keyBag = new SafeBag({
    bagId: oids.shroudedKeyBag,
    bagValue: new PKCS8ShroudedKeyBag({ encryptionAlgorithm: key.algorithm, encryptedData: new asn1js.OctetString({ valueHex: key.ciphertext }) }),
    bagAttributes: identityAttributes(),
  });
  const keyInfo = new ContentInfo({
    contentType: oids.data,
    content: new asn1js.OctetString({ valueHex: new SafeContents({ safeBags: [keyBag] }).toSchema().toBER(false) }),
  });

  const authenticatedSafe = new AuthenticatedSafe({ safeContents: [certificatesInfo, keyInfo] }).toSchema().toBER(false);
  const macSalt = randomBytes(saltLength);
  const mac = await getCrypto(true).stampDataWithPassword({
    password: secret.buffer,
    hashAlgorithm: 'SHA-256',
    salt: macSalt.slice().buffer,
    iterationCount: iterations,
    contentToStamp: authenticatedSafe,
  });
  const pfx = new PFX({
    version: 3,
    authSafe: new ContentInfo({ contentType: oids.data, content: new asn1js.OctetString({ valueHex: authenticatedSafe }) }),
    macData: new MacData({
      mac: new DigestInfo({
        digestAlgorithm: new AlgorithmIdentifier({ algorithmId: oids.sha256, algorithmParams: new asn1js.Null() }),
        digest: new asn1js.OctetString({ valueHex: mac }),
      }),
      macSalt: new asn1js.OctetString({ valueHex: macSalt }),
      iterations,
    }),
  });
  return { bytes: new Uint8Array(pfx.toSchema().toBER(false)), password };
}

interface Pbes2Ciphertext {
  algorithm: AlgorithmIdentifier;
  ciphertext: ArrayBuffer;
}

/** PBES2: AES-256-CBC under a key from PBKDF2-HMAC-SHA256 over the UTF-8 password (RFC 8018 §6.2). */
async function pbes2Encrypt(plaintext: ArrayBuffer, secret: Uint8Array, randomBytes: RandomBytes): Promise<Pbes2Ciphertext> {
  const salt = randomBytes(saltLength);
  const iv = randomBytes(16);
  const base = await webcrypto.subtle.importKey('raw', secret, 'PBKDF2', false, ['deriveKey']);
  const key = await webcrypto.subtle.deriveKey(
    { name: 'PBKDF2', hash: 'SHA-256', salt, iterations },
    base,
    { name: 'AES-CBC', length: 256 },
    false,
    ['encrypt'],
  );
  const ciphertext = await webcrypto.subtle.encrypt({ name: 'AES-CBC', iv }, key, plaintext);
  const kdf = new PBKDF2Params({
    salt: new asn1js.OctetString({ valueHex: salt }),
    iterationCount: iterations,
    prf: new AlgorithmIdentifier({ algorithmId: oids.hmacWithSha256, algorithmParams: new asn1js.Null() }),
  });
  const parameters = new PBES2Params({
    keyDerivationFunc: new AlgorithmIdentifier({ algorithmId: oids.pbkdf2, algorithmParams: kdf.toSchema() }),
    encryptionScheme: new AlgorithmIdentifier({ algorithmId: oids.aes256Cbc, algorithmParams: new asn1js.OctetString({ valueHex: iv }) }),
  });
  return { algorithm: new AlgorithmIdentifier({ algorithmId: oids.pbes2, algorithmParams: parameters.toSchema() }), ciphertext };
}

/** Bag attributes are a DER `SET OF`, ordered by encoding (OpenSSL writes them so, too). */
function sortedByDerEncoding(attributes: Attribute[]): Attribute[] {
  const encoded = attributes.map((attribute) => ({ attribute, der: Buffer.from(attribute.toSchema().toBER(false)) }));
  return encoded.sort((a, b) => Buffer.compare(a.der, b.der)).map(({ attribute }) => attribute);
}
