import type { webcrypto } from 'node:crypto';
import * as asn1js from 'asn1js';
import { AttributeTypeAndValue, BasicConstraints, Certificate, Extension } from 'pkijs';
import type { ProfileSigningIdentity } from '../sign-profile.ts';

export interface GeneratedSigningIdentity {
  identity: ProfileSigningIdentity;
  /** The self-signed CA that issued the signer, DER (also the last element of the chain). */
  caDer: Uint8Array;
}

type KeyKind = 'RSA' | 'ECDSA';

const keyAlgorithms: Record<KeyKind, webcrypto.RsaHashedKeyGenParams | webcrypto.EcKeyGenParams> = {
  RSA: { name: 'RSASSA-PKCS1-v1_5', modulusLength: 2048, publicExponent: new Uint8Array([1, 0, 1]), hash: 'SHA-256' },
  ECDSA: { name: 'ECDSA', namedCurve: 'P-256' },
};

/**
 * A throw-away profile-signing identity for tests and benchmarks: a self-signed CA and a leaf it
 * issued, generated with WebCrypto and pkijs (RSA-2048 by default). The chain is leaf first.
 * (`@peculiar/x509` would be shorter but needs a `reflect-metadata` polyfill that is not installed.)
 */
export async function generateSigningIdentity(kind: KeyKind = 'RSA'): Promise<GeneratedSigningIdentity> {
  const subtle = globalThis.crypto.subtle;
  const caKeys = (await subtle.generateKey(keyAlgorithms[kind], false, ['sign', 'verify'])) as webcrypto.CryptoKeyPair;
  const leafKeys = (await subtle.generateKey(keyAlgorithms[kind], false, ['sign', 'verify'])) as webcrypto.CryptoKeyPair;
  const ca = await issue({ serial: 1, subject: 'Envelope Test Profile CA', issuer: 'Envelope Test Profile CA', keys: caKeys, signer: caKeys.privateKey, isCa: true });
  const leaf = await issue({ serial: 2, subject: 'Envelope Test Profile Signer', issuer: 'Envelope Test Profile CA', keys: leafKeys, signer: caKeys.privateKey, isCa: false });
  return { identity: { certificateChainDer: [leaf, ca], privateKey: leafKeys.privateKey }, caDer: ca };
}

interface IssueParams {
  serial: number;
  subject: string;
  issuer: string;
  keys: webcrypto.CryptoKeyPair;
  signer: webcrypto.CryptoKey;
  isCa: boolean;
}

async function issue(params: IssueParams): Promise<Uint8Array> {
  const certificate = new Certificate();
  certificate.version = 2;
  certificate.serialNumber = new asn1js.Integer({ value: params.serial });
  certificate.issuer.typesAndValues.push(commonName(params.issuer));
  certificate.subject.typesAndValues.push(commonName(params.subject));
  certificate.notBefore.value = new Date(Date.now() - 60_000);
  certificate.notAfter.value = new Date(Date.now() + 86_400_000);
  // Key usage: keyCertSign + cRLSign for the CA, digitalSignature for the signer.
  const keyUsage = new asn1js.BitString({ valueHex: new Uint8Array([params.isCa ? 0x06 : 0x80]).buffer, unusedBits: params.isCa ? 1 : 7 });
  certificate.extensions = [
    new Extension({ extnID: '2.5.29.19', critical: true, extnValue: new BasicConstraints({ cA: params.isCa }).toSchema().toBER(false) }),
    new Extension({ extnID: '2.5.29.15', critical: true, extnValue: keyUsage.toBER(false) }),
  ];
  await certificate.subjectPublicKeyInfo.importKey(params.keys.publicKey);
  await certificate.sign(params.signer, 'SHA-256');
  return new Uint8Array(certificate.toSchema().toBER(false));
}

function commonName(value: string): AttributeTypeAndValue {
  return new AttributeTypeAndValue({ type: '2.5.4.3', value: new asn1js.Utf8String({ value }) });
}
