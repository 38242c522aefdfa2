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
  PFX,
  PKCS8ShroudedKeyBag,
  SafeBag,
  SafeContents,
  getCrypto,
} from 'pkijs';
import {
  encryptPbes2Aes256,
  encryptPbeSha1TripleDes,
  passwordEncryptionIterations,
  passwordEncryptionSaltLength,
  type PasswordEncryption,
  type RandomBytes,
} from './password-encryption.ts';

/**
 * PKCS#12 (RFC 7292) files for identities Envelope issues, protected by a random transport password.
 * Structure, whatever the layout: certificates (leaf, then chain) in an EncryptedData, the key in a
 * PKCS8ShroudedKeyBag, key and leaf paired by `localKeyID` and `friendlyName`, then a password MAC, all
 * with 2048 iterations and 8-byte salts — OpenSSL's `openssl pkcs12 -export`, structure for structure.
 *
 * Two layouts (encryption of both bags + MAC):
 * - `legacy`: `pbeWithSHAAnd3-KeyTripleDES-CBC` for certificates and key, HMAC-SHA-1 MAC — what
 *   `openssl pkcs12 -export -legacy -certpbe PBE-SHA1-3DES` writes (OpenSSL 1.1's default differed only
 *   in RC2-40 for the certificates, which OpenSSL 3 keeps behind its legacy provider). Old and current
 *   iOS and Android import it. Use it for anything a phone or tablet installs.
 * - `aes`: PBES2 (PBKDF2-HMAC-SHA256, AES-256-CBC) for both, HMAC-SHA-256 MAC — OpenSSL 3's default.
 *   Use it for files that current desktop software opens, or where policy forbids 3DES and SHA-1.
 *
 * Why devices get `legacy`: Apple documents no version from which its importer accepts PBES2/AES.
 * - AES files rejected as "password incorrect": iPadOS 17 (7ritn/VaulTLS#176), iOS in late 2022
 *   (gunnarhaslinger/SMIME-OpenSSL-CA#1), SecPKCS12Import (openssl/openssl#19871); Android 12 and 13
 *   (strongswan/strongswan-docs#5, thevindu-w/clip_share_server#48). The setup-ipsec-vpn scripts
 *   still export 3DES for iOS (hwdsl2/setup-ipsec-vpn#1552, 2024).
 * - The same AES files accepted: current iOS (7ritn/VaulTLS#176, 2026) and macOS 26 (tauri-apps/tauri#15844).
 * Details matter too: an AES/SHA-256 file with a 16-byte MAC salt would not import into the macOS
 * keychain, while OpenSSL's file with an 8-byte salt did (ca.stable.confirm.ch/pkcs12.html); pkijs' own
 * PFX helpers use 64-byte salts, so the structures are built by hand here.
 *
 * Security: the password is random (192 bits), so the low iteration count costs nothing, nor does 3DES
 * (112-bit keys; its 64-bit block matters only for gigabytes under one key) or SHA-1 (used in an HMAC
 * and a KDF, where collisions do not matter).
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

/** See the module comment: `legacy` for devices, `aes` for current desktop software and strict policies. */
export type Pkcs12Layout = 'legacy' | 'aes';

const defaultRandomBytes: RandomBytes = (length) => webcrypto.getRandomValues(new Uint8Array(length));

const oids = {
  data: '1.2.840.113549.1.7.1',
  encryptedData: '1.2.840.113549.1.7.6',
  sha1: '1.3.14.3.2.26',
  sha256: '2.16.840.1.101.3.4.2.1',
  x509Certificate: '1.2.840.113549.1.9.22.1',
  shroudedKeyBag: '1.2.840.113549.1.12.10.1.2',
  certBag: '1.2.840.113549.1.12.10.1.3',
  friendlyName: '1.2.840.113549.1.9.20',
  localKeyId: '1.2.840.113549.1.9.21',
} as const;

interface LayoutAlgorithms {
  encrypt: PasswordEncryption;
  macHash: 'SHA-1' | 'SHA-256';
  macDigestOid: string;
}

const layouts: Readonly<Record<Pkcs12Layout, LayoutAlgorithms>> = {
  legacy: { encrypt: encryptPbeSha1TripleDes, macHash: 'SHA-1', macDigestOid: oids.sha1 },
  aes: { encrypt: encryptPbes2Aes256, macHash: 'SHA-256', macDigestOid: oids.sha256 },
};

const passwordBytes = 24;

/**
 * One identity (key + certificate, paired by the same `localKeyID` and `friendlyName`) plus its chain,
 * in a PKCS#12 file of the given layout under a fresh random password. `randomBytes` feeds the
 * password, salts and IVs, so injected randomness makes the output reproducible.
 */
export async function buildPkcs12(contents: Pkcs12Contents, layout: Pkcs12Layout, randomBytes: RandomBytes = defaultRandomBytes): Promise<Pkcs12File> {
  const algorithms = layouts[layout];
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
  const certificates = await algorithms.encrypt(new SafeContents({ safeBags: certificateBags }).toSchema().toBER(false), password, randomBytes);
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
  const key = await algorithms.encrypt(pkcs8, password, randomBytes);
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
  const macSalt = randomBytes(passwordEncryptionSaltLength);
  // The MAC key comes from the PKCS#12 KDF (RFC 7292 appendix B, ID 3) over the password as BMPString.
  const mac = await getCrypto(true).stampDataWithPassword({
    password: secret.buffer,
    hashAlgorithm: algorithms.macHash,
    salt: macSalt.slice().buffer,
    iterationCount: passwordEncryptionIterations,
    contentToStamp: authenticatedSafe,
  });
  const pfx = new PFX({
    version: 3,
    authSafe: new ContentInfo({ contentType: oids.data, content: new asn1js.OctetString({ valueHex: authenticatedSafe }) }),
    macData: new MacData({
      mac: new DigestInfo({
        digestAlgorithm: new AlgorithmIdentifier({ algorithmId: algorithms.macDigestOid, algorithmParams: new asn1js.Null() }),
        digest: new asn1js.OctetString({ valueHex: mac }),
      }),
      macSalt: new asn1js.OctetString({ valueHex: macSalt }),
      iterations: passwordEncryptionIterations,
    }),
  });
  return { bytes: new Uint8Array(pfx.toSchema().toBER(false)), password };
}

/** Bag attributes are a DER `SET OF`, ordered by encoding (OpenSSL writes them so, too). */
function sortedByDerEncoding(attributes: Attribute[]): Attribute[] {
  const encoded = attributes.map((attribute) => ({ attribute, der: Buffer.from(attribute.toSchema().toBER(false)) }));
  return encoded.sort((a, b) => Buffer.compare(a.der, b.der)).map(({ attribute }) => attribute);
}
