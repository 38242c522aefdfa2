/**
 * Certificate material for one device, keyed by the id of the certificate profile it realises
 * (the ids the email profile's `identityCertificate`, `smimeSigningCertificate` and
 * `smimeEncryptionCertificate` links hold). The certificate service produces it — issuing PKCS#12
 * files, minting SCEP challenges, resolving subject variables for the user — and the renderer only
 * places it into Apple payloads, treating all bytes as opaque.
 *
 * Apple payloads: `com.apple.security.pkcs12` / `com.apple.security.scep` / `com.apple.security.root`
 * (https://github.com/apple/device-management, `mdm/profiles/`).
 */
export type AppleCertificateMaterial = Pkcs12CertificateMaterial | ScepCertificateMaterial | RootCertificateMaterial;

export type AppleCertificateMaterialById = ReadonlyMap<string, AppleCertificateMaterial>;

interface CertificateMaterialBase {
  /** `PayloadDisplayName` of the certificate payload, shown in the profile's detail screen. */
  displayName?: string | null;
  /**
   * The trusted-root certificate profile (Graph `rootCertificate`) whose payload must travel in
   * the same profile, so the device trusts the chain of this identity. Must name `root` material.
   */
  rootCertificateId?: string | null;
}

/** An identity issued by Envelope (Graph `iosPkcsCertificateProfile`): certificate + private key. */
export interface Pkcs12CertificateMaterial extends CertificateMaterialBase {
  kind: 'pkcs12';
  /** PKCS#12 bytes holding exactly one identity (Apple: "Only one certificate may be included"). */
  bytes: Uint8Array;
  /**
   * The transport password that protects `bytes`, written to the pkcs12 payload's own `Password`
   * key. It is generated per device by the certificate service and unlocks nothing but this file;
   * it is never the user's mail password. Without it a device cannot import the identity during a
   * non-interactive MDM install. `null` when the file is not password-protected.
   */
  password: string | null;
  /** `PayloadCertificateFileName`, e.g. `jane.p12`. */
  fileName?: string | null;
}

/** One relative distinguished name: its `[oid, value]` attribute pairs (usually exactly one). */
export type ScepRdn = ReadonlyArray<readonly [oid: string, value: string]>;

/** `SubjectAltName` of a SCEP request; each entry a single string, as Apple's schema types it. */
export interface ScepSubjectAltName {
  rfc822Name?: string | null;
  dNSName?: string | null;
  uniformResourceIdentifier?: string | null;
  ntPrincipalName?: string | null;
}

/** A device-generated key enrolled over SCEP (Graph `iosScepCertificateProfile`), already resolved for the user. */
export interface ScepCertificateMaterial extends CertificateMaterialBase {
  kind: 'scep';
  url: string;
  /** Apple `Name`: distinguishes CAs behind one SCEP server. */
  caName?: string | null;
  /** X.500 subject as a sequence of RDNs, e.g. `[[['CN', 'Jane']], [['O', 'Contoso']]]`. */
  subject: readonly ScepRdn[];
  /** SCEP preshared secret (often one-time, per device); omitted when absent. */
  challenge?: string | null;
  keySize: 1024 | 2048 | 4096;
  /** Bitmask: 1 signing, 4 encryption, 5 both, 0 unspecified. */
  keyUsage: 0 | 1 | 4 | 5;
  subjectAltName?: ScepSubjectAltName | null;
  /** Fingerprint of the CA certificate (Apple `CAFingerprint`). */
  caFingerprint?: Uint8Array | null;
  retries?: number | null;
  retryDelaySeconds?: number | null;
}

/** A trusted root (Graph `iosTrustedRootCertificate`): DER certificate, no key. */
export interface RootCertificateMaterial {
  kind: 'root';
  der: Uint8Array;
  /** `PayloadCertificateFileName`, e.g. `contoso-root.cer`. */
  fileName?: string | null;
  displayName?: string | null;
}
