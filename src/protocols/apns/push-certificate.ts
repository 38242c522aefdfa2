import { X509Certificate as NodeX509Certificate, createPrivateKey, type KeyObject } from 'node:crypto';
import { badRequest, type EnvelopeError } from '../../domain/errors.ts';
import * as x509 from '../../lib/x509.ts';

/**
 * An organisation's MDM push certificate, as uploaded by an admin after Apple signed it
 * (identity.apple.com, "Apple Push Certificates Portal"). It is the TLS client identity for APNs and its
 * subject's UID is the `Topic` every enrollment profile names.
 * Apple: https://developer.apple.com/documentation/devicemanagement/implementing-device-management
 * and "Setting up push notifications for your MDM customers" (Apple Business Manager / MDM vendor guide).
 */
export interface PushCertificate {
  /** The subject UID, e.g. `com.apple.mgmt.External.<uuid>`; the APNs topic and the profile's `Topic`. */
  topic: string;
  notBefore: Date;
  /** Expiry; Apple push certificates live one year and must be renewed with the same topic. */
  notAfter: Date;
  /** Subject and issuer for display, in certificate order with OpenSSL's short names (`UID=…, CN=APSP:…, C=US`). */
  subject: string;
  issuer: string;
  /** Upper-case hex, as Apple's portal and `openssl x509 -serial` show it. */
  serialNumber: string;
  /** The certificate, re-encoded as one PEM block. */
  certificatePem: string;
  /** The private key, re-encoded as unencrypted PKCS#8 PEM whatever form was uploaded. */
  privateKeyPem: string;
}

/** The uploaded pair, field names as in `PUT /graph/beta/envelope/applePushCertificate`. */
export interface PushCertificateUpload {
  certificate: string;
  privateKey: string;
}

/** Subject attribute `userId` (RFC 4519 `UID`), where Apple writes the push topic. */
export const uidOid = '0.9.2342.19200300.100.1.1';

/** Every MDM push topic starts with this (NanoMDM `cryptoutil.TopicFromCert` checks the same). */
export const mdmTopicPrefix = 'com.apple.mgmt';

/** A 400 naming the upload field (`certificate` or `privateKey`) that is wrong. */
export function invalidPushCertificate(message: string, field: keyof PushCertificateUpload): EnvelopeError {
  return badRequest(message, field);
}

/**
 * Checks an uploaded MDM push certificate and its private key, and returns what APNs and the admin
 * console need. Throws `invalidPushCertificate` (400, `target` = the field) when:
 * - `certificate` is not exactly one PEM `CERTIFICATE` block of a parseable X.509 certificate, has no
 *   subject UID, its UID does not start with `com.apple.mgmt`, or `now` is outside its validity;
 * - `privateKey` is not exactly one unencrypted PEM key (PKCS#8 `PRIVATE KEY`, PKCS#1 `RSA PRIVATE KEY`
 *   or SEC1 `EC PRIVATE KEY`, optionally preceded by `EC PARAMETERS`), is neither RSA nor EC, or is not
 *   the key of the certificate.
 * The certificate is checked before the key, so a pair with two problems reports the certificate's.
 */
export function parsePushCertificate(upload: PushCertificateUpload, now: Date): PushCertificate {
  const certificateDer = certificateDerOrThrow(upload.certificate);
  const { node, peculiar } = decodeCertificateOrThrow(certificateDer);

  const topic = peculiar.subjectName.getField(uidOid)[0];
  if (topic === undefined) {
    throw invalidPushCertificate(
      `The certificate's subject has no UID (${uidOid}); an MDM push certificate signed by Apple carries its topic there.`,
      'certificate',
    );
  }
  if (!topic.startsWith(mdmTopicPrefix)) {
    throw invalidPushCertificate(`The certificate's topic '${topic}' is not an MDM push topic (it must start with '${mdmTopicPrefix}').`, 'certificate');
  }
  if (now.getTime() > peculiar.notAfter.getTime()) {
    throw invalidPushCertificate(`The certificate expired on ${peculiar.notAfter.toISOString()}; renew it with Apple (same topic) and upload the new one.`, 'certificate');
  }
  if (now.getTime() < peculiar.notBefore.getTime()) {
    throw invalidPushCertificate(`The certificate is not valid until ${peculiar.notBefore.toISOString()}.`, 'certificate');
  }

  const key = privateKeyOrThrow(upload.privateKey);
  if (!node.checkPrivateKey(key)) {
    throw invalidPushCertificate('The private key does not belong to the certificate (their public keys differ).', 'privateKey');
  }

  return {
    topic,
    notBefore: peculiar.notBefore,
    notAfter: peculiar.notAfter,
    subject: displayName(node.subject),
    issuer: displayName(node.issuer),
    serialNumber: peculiar.serialNumber.toUpperCase(),
    certificatePem: peculiar.toString('pem'),
    privateKeyPem: key.export({ type: 'pkcs8', format: 'pem' }) as string,
  };
}

/** Node prints one attribute per line; a display string wants them on one. */
function displayName(lines: string): string {
  return lines.split('\n').join(', ');
}

interface PemBlock {
  label: string;
  headers: string;
  body: string;
}

const pemBlockPattern = /-----BEGIN ([A-Z0-9 ]+)-----([\s\S]*?)-----END \1-----/g;

/** The PEM blocks of `text`, in order; text between blocks (openssl's "Bag Attributes" lines) is ignored. */
function pemBlocks(text: string): PemBlock[] {
  return [...text.matchAll(pemBlockPattern)].map((match) => {
    const content = match[2] ?? '';
    // RFC 1421 headers (`Proc-Type: 4,ENCRYPTED`) end at the first blank line.
    const split = /^([\s\S]*?:[^\n]*\n)\s*\n([\s\S]*)$/.exec(content.trimStart());
    return { label: match[1] ?? '', headers: split?.[1] ?? '', body: split?.[2] ?? content };
  });
}

function describeBlocks(blocks: PemBlock[]): string {
  return blocks.length === 0 ? 'no PEM block' : blocks.map((block) => `a '${block.label}' block`).join(' and ');
}

function base64DerOrThrow(block: PemBlock, field: keyof PushCertificateUpload): Buffer {
  const base64 = block.body.replace(/\s+/g, '');
  if (base64 === '' || !/^[A-Za-z0-9+/]+={0,2}$/.test(base64)) {
    throw invalidPushCertificate(`The ${field} PEM block '${block.label}' is not valid base64.`, field);
  }
  return Buffer.from(base64, 'base64');
}

function certificateDerOrThrow(pem: string): Buffer {
  const blocks = pemBlocks(pem);
  const certificates = blocks.filter((block) => block.label === 'CERTIFICATE');
  if (certificates.length !== 1 || blocks.length !== 1) {
    throw invalidPushCertificate(`The certificate must be exactly one PEM 'CERTIFICATE' block; found ${describeBlocks(blocks)}.`, 'certificate');
  }
  return base64DerOrThrow(certificates[0]!, 'certificate');
}

function decodeCertificateOrThrow(der: Buffer): { node: NodeX509Certificate; peculiar: x509.X509Certificate } {
  try {
    return { node: new NodeX509Certificate(der), peculiar: new x509.X509Certificate(der) };
  } catch {
    throw invalidPushCertificate('The certificate PEM block does not hold a valid X.509 certificate.', 'certificate');
  }
}

const keyLabels = new Set(['PRIVATE KEY', 'RSA PRIVATE KEY', 'EC PRIVATE KEY']);

function privateKeyOrThrow(pem: string): KeyObject {
  const blocks = pemBlocks(pem).filter((block) => block.label !== 'EC PARAMETERS');
  if (blocks.some((block) => block.label === 'ENCRYPTED PRIVATE KEY' || /ENCRYPTED/.test(block.headers))) {
    throw invalidPushCertificate('The private key is encrypted; upload it without a passphrase (e.g. `openssl pkey -in key.pem -out plain.pem`).', 'privateKey');
  }
  const block = blocks[0];
  if (blocks.length !== 1 || block === undefined || !keyLabels.has(block.label)) {
    throw invalidPushCertificate(
      `The private key must be exactly one PEM 'PRIVATE KEY', 'RSA PRIVATE KEY' or 'EC PRIVATE KEY' block; found ${describeBlocks(blocks)}.`,
      'privateKey',
    );
  }
  const der = base64DerOrThrow(block, 'privateKey');
  let key: KeyObject;
  try {
    const type = block.label === 'RSA PRIVATE KEY' ? 'pkcs1' : block.label === 'EC PRIVATE KEY' ? 'sec1' : 'pkcs8';
    key = createPrivateKey({ key: der, format: 'der', type });
  } catch {
    throw invalidPushCertificate(`The private key PEM block '${block.label}' does not hold a valid key.`, 'privateKey');
  }
  if (key.asymmetricKeyType !== 'rsa' && key.asymmetricKeyType !== 'ec') {
    throw invalidPushCertificate(`The private key is ${key.asymmetricKeyType ?? 'of an unknown type'}; an APNs certificate key is RSA or EC.`, 'privateKey');
  }
  return key;
}
