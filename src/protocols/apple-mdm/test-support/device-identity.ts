import { webcrypto } from 'node:crypto';
import * as x509 from '../../../lib/x509.ts';
import type { MdmSigningIdentity } from '../mdm-signature.ts';

type X509Crypto = NonNullable<Parameters<typeof x509.X509CertificateGenerator.create>[1]>;
const x509Crypto = webcrypto as unknown as X509Crypto;

export type KeyKind = 'RSA' | 'ECDSA';

const algorithms: Record<KeyKind, { generate: webcrypto.RsaHashedKeyGenParams | webcrypto.EcKeyGenParams; sign: webcrypto.RsaHashedImportParams | webcrypto.EcdsaParams }> = {
  RSA: {
    generate: { name: 'RSASSA-PKCS1-v1_5', modulusLength: 2048, publicExponent: new Uint8Array([1, 0, 1]), hash: 'SHA-256' },
    sign: { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' },
  },
  ECDSA: { generate: { name: 'ECDSA', namedCurve: 'P-256' }, sign: { name: 'ECDSA', hash: 'SHA-256' } },
};

export interface TestCa {
  certificateDer: Uint8Array;
  keys: webcrypto.CryptoKeyPair;
  name: string;
  kind: KeyKind;
}

export const testValidity = { notBefore: new Date('2026-01-01T00:00:00Z'), notAfter: new Date('2027-01-01T00:00:00Z') };

/** A throw-away device-identity CA, valid through `testValidity` unless told otherwise. */
export async function createTestCa(kind: KeyKind, name = 'Envelope Test Device CA', validity = testValidity): Promise<TestCa> {
  const keys = (await webcrypto.subtle.generateKey(algorithms[kind].generate, false, ['sign', 'verify'])) as webcrypto.CryptoKeyPair;
  const certificate = await x509.X509CertificateGenerator.createSelfSigned(
    {
      serialNumber: '01',
      name: `CN=${name}`,
      ...validity,
      signingAlgorithm: algorithms[kind].sign,
      keys: keys as never,
      extensions: [new x509.BasicConstraintsExtension(true, 0, true), new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign, true)],
    },
    x509Crypto,
  );
  return { certificateDer: new Uint8Array(certificate.rawData), keys, name, kind };
}

let serial = 0x1000;

/** A device identity (certificate issued by `ca`, key of the CA's kind), as an enrollment would install. */
export async function issueDeviceIdentity(ca: TestCa, subject: string, validity = testValidity): Promise<MdmSigningIdentity> {
  const keys = (await webcrypto.subtle.generateKey(algorithms[ca.kind].generate, false, ['sign', 'verify'])) as webcrypto.CryptoKeyPair;
  serial += 1;
  const certificate = await x509.X509CertificateGenerator.create(
    {
      serialNumber: serial.toString(16),
      subject: `CN=${subject}`,
      issuer: `CN=${ca.name}`,
      ...validity,
      signingAlgorithm: algorithms[ca.kind].sign,
      publicKey: keys.publicKey as never,
      signingKey: ca.keys.privateKey as never,
      extensions: [new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true)],
    },
    x509Crypto,
  );
  return { certificateDer: new Uint8Array(certificate.rawData), privateKey: keys.privateKey };
}
