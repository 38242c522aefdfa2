import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { webcrypto } from 'node:crypto';
import * as x509 from '../../src/lib/x509.ts';
import { uidOid } from '../../src/protocols/apns/push-certificate.ts';
import { createTestCa, issuePushCertificate, issueServerCertificate, type TestCa, type TestIdentity } from '../apns/apns-test-pki.ts';

/** The files `envelope simulate ios` keeps in its output directory, so a restart keeps the push topic. */
export const standInFileNames = Object.freeze({
  caCertificate: 'apns-ca.pem',
  caKey: 'apns-ca.key',
  pushCertificate: 'push.pem',
  pushKey: 'push.key',
});

export interface StandInPki {
  ca: TestCa;
  /** The stand-in's TLS identity for 127.0.0.1 and localhost (new on every start). */
  server: TestIdentity;
  push: { certificatePem: string; privateKeyPem: string; topic: string };
  /** True when the CA and push certificate were made now, false when read from `dir`. */
  created: boolean;
  paths: Record<keyof typeof standInFileNames, string>;
}

/**
 * Reads the stand-in's CA and push certificate from `dir`, or creates and writes them (keys mode
 * 0600). The CA plays Apple: it signs the stand-in's server certificate (the MDM server must trust
 * it) and the push certificate (which the stand-in demands from the MDM server).
 */
export async function loadOrCreateStandInPki(dir: string): Promise<StandInPki> {
  mkdirSync(dir, { recursive: true });
  const paths = Object.fromEntries(Object.entries(standInFileNames).map(([key, name]) => [key, join(dir, name)])) as StandInPki['paths'];
  const created = !existsSync(paths.caCertificate) || !existsSync(paths.caKey) || !existsSync(paths.pushCertificate) || !existsSync(paths.pushKey);
  let ca: TestCa;
  let push: StandInPki['push'];
  if (created) {
    ca = await createTestCa('Envelope simulator APNs CA');
    const issued = await issuePushCertificate(ca);
    push = { certificatePem: issued.certificatePem, privateKeyPem: issued.privateKeyPem, topic: topicOf(issued.certificate) };
    const caKeyDer = Buffer.from(await webcrypto.subtle.exportKey('pkcs8', ca.keys.privateKey));
    writeFileSync(paths.caCertificate, ca.certificatePem);
    writeFileSync(paths.caKey, x509.PemConverter.encode(caKeyDer, 'PRIVATE KEY'), { mode: 0o600 });
    writeFileSync(paths.pushCertificate, push.certificatePem);
    writeFileSync(paths.pushKey, push.privateKeyPem, { mode: 0o600 });
  } else {
    const certificate = new x509.X509Certificate(readFileSync(paths.caCertificate, 'utf8'));
    const keyDer = x509.PemConverter.decodeFirst(readFileSync(paths.caKey, 'utf8'));
    const privateKey = await webcrypto.subtle.importKey('pkcs8', keyDer, { name: 'ECDSA', namedCurve: 'P-256' }, true, ['sign']);
    const publicKey = await certificate.publicKey.export({ name: 'ECDSA', namedCurve: 'P-256' }, ['verify'], webcrypto as never);
    ca = { certificate, certificatePem: certificate.toString('pem'), keys: { privateKey, publicKey } as webcrypto.CryptoKeyPair };
    const pushCertificatePem = readFileSync(paths.pushCertificate, 'utf8');
    push = { certificatePem: pushCertificatePem, privateKeyPem: readFileSync(paths.pushKey, 'utf8'), topic: topicOf(new x509.X509Certificate(pushCertificatePem)) };
  }
  return { ca, server: await issueServerCertificate(ca), push, created, paths };
}

function topicOf(certificate: x509.X509Certificate): string {
  const topic = certificate.subjectName.getField(uidOid)[0];
  if (!topic) throw new Error('the push certificate has no UID (topic) in its subject');
  return topic;
}
