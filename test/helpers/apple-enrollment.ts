import assert from 'node:assert/strict';
import { createHash, createPrivateKey, webcrypto, X509Certificate } from 'node:crypto';
import { createTestCa, issuePushCertificate } from '../../sim/apns/apns-test-pki.ts';
import { openssl, withFiles } from '../../src/pki/test-support/openssl.ts';
import type { MdmSigningIdentity } from '../../src/protocols/apple-mdm/index.ts';
import { readPlistXml } from '../conformance/apple-plist-reader.ts';
import type { TestApp } from './test-app.ts';

export type Dict = Record<string, unknown>;

/** A tenant ready to enroll iPhones: a push certificate, a user, and that user's iOS token. */
export interface EnrollmentSetup {
  topic: string;
  userId: string;
  tokenId: string;
  token: string;
  enrollmentUrl: string;
}

/** Uploads a push certificate with `topic` (a fresh one unless given) with the admin token `admin`. */
export async function uploadPushCertificate(t: TestApp, admin: string = t.adminToken, topic?: string): Promise<string> {
  const push = await issuePushCertificate(await createTestCa('Apple test CA'), topic === undefined ? {} : { topic });
  const reply = await t.request('PUT', '/graph/beta/envelope/applePushCertificate', { body: { certificate: push.certificatePem, privateKey: push.privateKeyPem }, token: admin });
  assert.equal(reply.status, 200, JSON.stringify(reply.body));
  return reply.body.topic as string;
}

export async function createUser(t: TestApp, userPrincipalName: string, admin: string = t.adminToken): Promise<string> {
  const reply = await t.request('POST', '/graph/beta/users', { body: { displayName: userPrincipalName, userPrincipalName }, token: admin });
  assert.equal(reply.status, 201, JSON.stringify(reply.body));
  return reply.body.id as string;
}

export async function createEnrollmentToken(t: TestApp, body: Dict, admin: string = t.adminToken): Promise<{ id: string; token: string; enrollmentUrl: string }> {
  const reply = await t.request('POST', '/graph/beta/envelope/enrollmentTokens', { body, token: admin });
  assert.equal(reply.status, 201, JSON.stringify(reply.body));
  return reply.body;
}

/** GET of an enrollment URL as a device's browser sends it: no bearer token, from `remoteAddress`. */
export async function download(t: TestApp, url: string, remoteAddress = '198.51.100.10') {
  const reply = await t.envelope.app.inject({ method: 'GET', url: url.replace(/^https:\/\/envelope\.test/, ''), remoteAddress });
  return { status: reply.statusCode, headers: reply.headers, bytes: reply.rawPayload, json: () => JSON.parse(reply.body) as { error: { code: string; message: string; target?: string } } };
}

/** The tenant CA certificate (PEM) of the tenant `admin` belongs to. */
export async function tenantCaPem(t: TestApp, admin: string = t.adminToken): Promise<string> {
  const reply = await t.request('GET', '/graph/beta/envelope/certificateAuthority', { token: admin });
  return new X509Certificate(Buffer.from(reply.body.certificate, 'base64')).toString();
}

/** A signed profile opened as a device would: signature verified against the tenant CA, PKCS#12 opened with the profile's password. */
export interface OpenedEnrollmentProfile {
  xml: string;
  profile: Dict;
  pkcs12Payload: Dict;
  mdmPayload: Dict;
  identity: MdmSigningIdentity & { certificateSha256: string; certificatePem: string };
}

/**
 * Verifies the CMS signature with `openssl cms -verify` against `caPem` (failing the test if it does
 * not verify), reads the plist, and opens the identity with `openssl pkcs12 -legacy` and the password
 * the profile carries.
 */
export async function openEnrollmentProfile(signed: Uint8Array, caPem: string): Promise<OpenedEnrollmentProfile> {
  const xml = withFiles({ 'profile.der': signed, 'ca.pem': caPem }, (path) => {
    const verified = openssl(['cms', '-verify', '-inform', 'DER', '-in', path('profile.der'), '-CAfile', path('ca.pem')]);
    assert.equal(verified.status, 0, verified.stderr);
    assert.match(verified.stderr, /Verification successful/);
    return verified.stdout;
  });
  const profile = readPlistXml(xml) as Dict;
  const payloads = profile.PayloadContent as Dict[];
  const pkcs12Payload = payloads.find((p) => p.PayloadType === 'com.apple.security.pkcs12')!;
  const mdmPayload = payloads.find((p) => p.PayloadType === 'com.apple.mdm')!;
  const { certificatePem, keyPem } = withFiles({ 'identity.p12': pkcs12Payload.PayloadContent as Uint8Array }, (path) => {
    const pass = `pass:${pkcs12Payload.Password as string}`;
    const leaf = openssl(['pkcs12', '-legacy', '-in', path('identity.p12'), '-passin', pass, '-nokeys', '-clcerts']);
    assert.equal(leaf.status, 0, leaf.stderr);
    const key = openssl(['pkcs12', '-legacy', '-in', path('identity.p12'), '-passin', pass, '-nocerts', '-nodes']);
    assert.equal(key.status, 0, key.stderr);
    return { certificatePem: /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/.exec(leaf.stdout)![0], keyPem: key.stdout };
  });
  const certificateDer = new Uint8Array(new X509Certificate(certificatePem).raw);
  const pkcs8 = createPrivateKey(keyPem).export({ type: 'pkcs8', format: 'der' });
  const privateKey = await webcrypto.subtle.importKey('pkcs8', pkcs8, { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' }, false, ['sign']);
  return {
    xml,
    profile,
    pkcs12Payload,
    mdmPayload,
    identity: { certificateDer, privateKey, certificatePem, certificateSha256: createHash('sha256').update(certificateDer).digest('hex') },
  };
}

/** Push certificate, user and iOS token in the tenant of `admin`. */
export async function setUpEnrollment(t: TestApp, options: { admin?: string; userPrincipalName?: string; maxDevices?: number } = {}): Promise<EnrollmentSetup> {
  const admin = options.admin ?? t.adminToken;
  const topic = await uploadPushCertificate(t, admin);
  const userId = await createUser(t, options.userPrincipalName ?? 'jane@contoso.com', admin);
  const created = await createEnrollmentToken(t, { userId, platform: 'iOS', ...(options.maxDevices ? { maxDevices: options.maxDevices } : {}) }, admin);
  return { topic, userId, tokenId: created.id, token: created.token, enrollmentUrl: created.enrollmentUrl };
}
