import { randomBytes, webcrypto } from 'node:crypto';
import * as x509 from '../../src/lib/x509.ts';
import { uidOid } from '../../src/protocols/apns/push-certificate.ts';

/**
 * Throwaway certificates for the APNs stand-in and its clients: a test CA playing Apple's roots (it
 * signs both the stand-in's TLS server certificate and the MDM push certificates it trusts), a server
 * certificate for 127.0.0.1 and localhost, and push certificates with the topic in the subject UID as
 * Apple issues them. Everything is generated in memory; nothing here is fit for production.
 */

type X509Crypto = NonNullable<Parameters<typeof x509.X509CertificateGenerator.createSelfSigned>[1]>;
const x509Crypto = webcrypto as unknown as X509Crypto;

const ecAlgorithm = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;
/** Apple's MDM push certificates are RSA-2048 / SHA-256. */
const rsaAlgorithm = { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256', publicExponent: new Uint8Array([1, 0, 1]), modulusLength: 2048 } as const;

export interface TestCa {
  certificate: x509.X509Certificate;
  certificatePem: string;
  keys: webcrypto.CryptoKeyPair;
}

/** A certificate and its private key, both PEM (the key as unencrypted PKCS#8). */
export interface TestIdentity {
  certificatePem: string;
  privateKeyPem: string;
  certificate: x509.X509Certificate;
}

const hour = 3600_000;
const year = 365 * 24 * hour;

function serialNumber(): string {
  // Positive 64-bit serial: clear the top bit so DER needs no sign byte.
  const bytes = randomBytes(8);
  bytes[0] = bytes[0]! & 0x7f;
  return bytes.toString('hex');
}

async function privateKeyPem(key: webcrypto.CryptoKey): Promise<string> {
  const der = Buffer.from(await webcrypto.subtle.exportKey('pkcs8', key));
  return x509.PemConverter.encode(der, 'PRIVATE KEY');
}

async function generateKeys(algorithm: typeof ecAlgorithm | typeof rsaAlgorithm): Promise<webcrypto.CryptoKeyPair> {
  return (await webcrypto.subtle.generateKey(algorithm, true, ['sign', 'verify'])) as webcrypto.CryptoKeyPair;
}

/** A self-signed EC P-256 CA, `CN=<name>`, valid from an hour ago for ten years. */
export async function createTestCa(name = 'APNs Stand-in Test CA'): Promise<TestCa> {
  const keys = await generateKeys(ecAlgorithm);
  const certificate = await x509.X509CertificateGenerator.createSelfSigned(
    {
      serialNumber: serialNumber(),
      name: `CN=${name}`,
      notBefore: new Date(Date.now() - hour),
      notAfter: new Date(Date.now() + 10 * year),
      signingAlgorithm: ecAlgorithm,
      keys: keys as never,
      extensions: [
        new x509.BasicConstraintsExtension(true, 0, true),
        new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      ],
    },
    x509Crypto,
  );
  return { certificate, certificatePem: certificate.toString('pem'), keys };
}

async function issue(
  ca: TestCa,
  options: { name: string; keyAlgorithm: 'ec' | 'rsa'; notBefore: Date; notAfter: Date; extensions: x509.Extension[] },
): Promise<TestIdentity> {
  const keys = await generateKeys(options.keyAlgorithm === 'rsa' ? rsaAlgorithm : ecAlgorithm);
  const certificate = await x509.X509CertificateGenerator.create(
    {
      serialNumber: serialNumber(),
      subject: options.name,
      issuer: ca.certificate.subject,
      notBefore: options.notBefore,
      notAfter: options.notAfter,
      signingAlgorithm: ecAlgorithm,
      publicKey: keys.publicKey as never,
      signingKey: ca.keys.privateKey as never,
      extensions: options.extensions,
    },
    x509Crypto,
  );
  return { certificate, certificatePem: certificate.toString('pem'), privateKeyPem: await privateKeyPem(keys.privateKey) };
}

/** The stand-in's TLS server certificate: `CN=localhost`, SANs `localhost` and `127.0.0.1`, EKU serverAuth. */
export async function issueServerCertificate(ca: TestCa): Promise<TestIdentity> {
  return issue(ca, {
    name: 'CN=localhost',
    keyAlgorithm: 'ec',
    notBefore: new Date(Date.now() - hour),
    notAfter: new Date(Date.now() + year),
    extensions: [
      new x509.SubjectAlternativeNameExtension([
        { type: 'dns', value: 'localhost' },
        { type: 'ip', value: '127.0.0.1' },
      ]),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
    ],
  });
}

/**
 * An MDM push certificate shaped like Apple's: subject `UID=<topic>, CN=APSP:<id>, C=US`, EKU clientAuth,
 * RSA-2048 unless `keyAlgorithm: 'ec'`. `notBefore`/`notAfter` default to an hour ago / a year ahead.
 */
export async function issuePushCertificate(
  ca: TestCa,
  options: { topic?: string; keyAlgorithm?: 'ec' | 'rsa'; notBefore?: Date; notAfter?: Date; withoutUid?: boolean } = {},
): Promise<TestIdentity> {
  const id = webcrypto.randomUUID();
  const topic = options.topic ?? `com.apple.mgmt.External.${id}`;
  const notBefore = options.notBefore ?? new Date(Date.now() - hour);
  return issue(ca, {
    name: options.withoutUid ? `CN=APSP:${id}, C=US` : `${uidOid}=${topic}, CN=APSP:${id}, C=US`,
    keyAlgorithm: options.keyAlgorithm ?? 'rsa',
    notBefore,
    notAfter: options.notAfter ?? new Date(notBefore.getTime() + year),
    extensions: [new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.clientAuth])],
  });
}
