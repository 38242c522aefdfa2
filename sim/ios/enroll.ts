import { createHash, webcrypto } from 'node:crypto';
import forge from 'node-forge';
import type { MdmSigningIdentity } from '../../src/protocols/apple-mdm/index.ts';
import { parseConfigurationProfile, type ConfigurationProfile } from './configuration-profile.ts';
import { DeviceCommandError } from './device-errors.ts';
import type { DeviceHttp } from './device-http.ts';
import { unwrapProfile, ProfileUnwrapError } from './signed-profile.ts';

/**
 * The `com.apple.mdm` payload's settings the device acts on.
 * https://developer.apple.com/documentation/devicemanagement/mdm
 */
export interface MdmSettings {
  ServerURL: string;
  /** Check-in messages go here; Apple's default (when absent) is `ServerURL`. */
  CheckInURL: string;
  Topic: string;
  /** Send `Mdm-Signature` with every request (default false). */
  SignMessage: boolean;
  IdentityCertificateUUID: string;
  AccessRights: number;
  /** Send `CheckOut` when the enrollment profile is removed (default false). */
  CheckOutWhenRemoved: boolean;
}

/** What installing an enrollment profile leaves on the device. */
export interface IosEnrollment {
  /** The identity from the `com.apple.security.pkcs12` payload named by `IdentityCertificateUUID`. */
  identity: MdmSigningIdentity & { certificateSha256: string };
  mdm: MdmSettings;
  /** The enrollment profile itself, installed by the user (it appears in `ProfileList`, not managed); payload dictionaries emptied. */
  profile: ConfigurationProfile;
  signerCertificates: Uint8Array[];
  /** The profile's signer chains to one of `trustedProfileRootsDer` ("Verified" in Settings). */
  verified: boolean;
  contentSha256: string;
}

/**
 * - `rate-limited`: HTTP 429 (the enrollment endpoint allows 60 downloads a minute per address);
 *   `retryAfterSeconds` from `Retry-After` when sent.
 * - `http`: any other non-200 answer, or not `application/x-apple-aspen-config` (Safari would not
 *   hand it to the profile installer).
 * - `profile`: the profile cannot be installed (signature, plist, payloads, PKCS#12).
 */
export type EnrollmentErrorCode = 'rate-limited' | 'http' | 'profile';

export class EnrollmentError extends Error {
  readonly code: EnrollmentErrorCode;
  readonly status: number | undefined;
  readonly retryAfterSeconds: number | undefined;

  constructor(code: EnrollmentErrorCode, message: string, details: { status?: number; retryAfterSeconds?: number } = {}) {
    super(message);
    this.name = 'EnrollmentError';
    this.code = code;
    this.status = details.status;
    this.retryAfterSeconds = details.retryAfterSeconds;
  }
}

/** The media type Safari hands to the profile installer. */
export const enrollmentProfileContentType = 'application/x-apple-aspen-config';

/** What Safari on iOS 17.5 sends with a page request. */
export const safariHeaders = Object.freeze({
  'user-agent': 'Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1',
  accept: 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8',
  'accept-language': 'en-US,en;q=0.9',
});

/**
 * Downloads the enrollment profile at `enrollmentUrl` as Safari does and installs it as the profile
 * installer does (`openEnrollmentProfile`). Rejects with `EnrollmentError`, or `DeviceNetworkError`
 * when the server gave no answer (TLS refused, timeout).
 */
export async function enrollIphone(options: { enrollmentUrl: string; http: DeviceHttp; trustedProfileRootsDer?: readonly Uint8Array[] }): Promise<IosEnrollment> {
  const response = await options.http({ method: 'GET', url: options.enrollmentUrl, headers: { ...safariHeaders } });
  if (response.status === 429) {
    const retryAfter = Number(response.headers['retry-after']);
    throw new EnrollmentError('rate-limited', `the enrollment endpoint answered 429 Too Many Requests${Number.isFinite(retryAfter) ? ` (retry after ${retryAfter} s)` : ''}`, {
      status: 429,
      ...(Number.isFinite(retryAfter) ? { retryAfterSeconds: retryAfter } : {}),
    });
  }
  if (response.status !== 200) {
    throw new EnrollmentError('http', `the enrollment endpoint answered ${response.status}: ${errorText(response.body)}`, { status: response.status });
  }
  const type = String(response.headers['content-type'] ?? '').split(';')[0]!.trim();
  if (type !== enrollmentProfileContentType) throw new EnrollmentError('http', `the enrollment endpoint answered ${type || 'no content type'}, not ${enrollmentProfileContentType}`, { status: 200 });
  return openEnrollmentProfile(response.body, options);
}

/**
 * Installs an enrollment profile (signed DER or XML): verifies the CMS signature with the signer
 * certificate inside it, reads the plist, opens the PKCS#12 payload named by the MDM payload's
 * `IdentityCertificateUUID` with its `Password` (legacy 3DES/SHA-1 or whatever node-forge reads), and
 * imports the key for signing (RSA PKCS#1 v1.5, SHA-256). Throws `EnrollmentError` `profile`.
 */
export async function openEnrollmentProfile(bytes: Uint8Array, options: { trustedProfileRootsDer?: readonly Uint8Array[] } = {}): Promise<IosEnrollment> {
  let unwrapped;
  let profile: ConfigurationProfile;
  try {
    unwrapped = await unwrapProfile(bytes, options.trustedProfileRootsDer ? { trustedRootsDer: options.trustedProfileRootsDer } : {});
    profile = parseConfigurationProfile(unwrapped.content);
  } catch (error) {
    if (error instanceof ProfileUnwrapError || error instanceof DeviceCommandError) throw new EnrollmentError('profile', `the enrollment profile cannot be installed: ${error.message}`);
    throw error;
  }
  const mdmPayloads = profile.payloads.filter((payload) => payload.PayloadType === 'com.apple.mdm');
  if (mdmPayloads.length !== 1) throw new EnrollmentError('profile', `the enrollment profile has ${mdmPayloads.length} com.apple.mdm payloads, not one`);
  const mdm = readMdmSettings(mdmPayloads[0]!.dictionary);
  const identityPayload = profile.payloads.find((payload) => payload.PayloadUUID === mdm.IdentityCertificateUUID);
  if (!identityPayload || identityPayload.PayloadType !== 'com.apple.security.pkcs12') {
    throw new EnrollmentError('profile', `IdentityCertificateUUID ${mdm.IdentityCertificateUUID} names no com.apple.security.pkcs12 payload in the profile`);
  }
  const content = identityPayload.dictionary.PayloadContent;
  const password = identityPayload.dictionary.Password;
  if (!(content instanceof Uint8Array)) throw new EnrollmentError('profile', 'the identity payload has no PKCS#12 PayloadContent');
  if (typeof password !== 'string') throw new EnrollmentError('profile', 'the identity payload has no Password (a device would ask the user)');
  return {
    identity: await openPkcs12(content, password),
    mdm,
    // Payload dictionaries are dropped once read: the PKCS#12 and its password would otherwise stay in
    // memory for every device of a fleet.
    profile: { ...profile, payloads: profile.payloads.map((payload) => ({ ...payload, dictionary: {} })) },
    signerCertificates: unwrapped.signerCertificates,
    verified: unwrapped.verified,
    contentSha256: createHash('sha256').update(unwrapped.content).digest('hex'),
  };
}

function readMdmSettings(payload: Record<string, unknown>): MdmSettings {
  const text = (key: string, required: boolean): string | undefined => {
    const value = payload[key];
    if (value === undefined && !required) return undefined;
    if (typeof value !== 'string' || value === '') throw new EnrollmentError('profile', `the com.apple.mdm payload lacks ${key}`);
    return value;
  };
  const flag = (key: string): boolean => {
    const value = payload[key];
    if (value !== undefined && typeof value !== 'boolean') throw new EnrollmentError('profile', `the com.apple.mdm payload's ${key} is not a boolean`);
    return value === true;
  };
  const ServerURL = text('ServerURL', true)!;
  const Topic = text('Topic', true)!;
  for (const [key, url] of [['ServerURL', ServerURL], ['CheckInURL', text('CheckInURL', false)]] as const) {
    if (url !== undefined && !url.startsWith('https://')) throw new EnrollmentError('profile', `${key} must be https, got ${url}`);
  }
  if (!Topic.startsWith('com.apple.mgmt.')) throw new EnrollmentError('profile', `Topic ${Topic} does not start with com.apple.mgmt.`);
  const AccessRights = payload.AccessRights;
  if (!Number.isSafeInteger(AccessRights) || (AccessRights as number) <= 0) throw new EnrollmentError('profile', 'the com.apple.mdm payload needs non-zero AccessRights');
  return {
    ServerURL,
    CheckInURL: text('CheckInURL', false) ?? ServerURL,
    Topic,
    SignMessage: flag('SignMessage'),
    IdentityCertificateUUID: text('IdentityCertificateUUID', true)!,
    AccessRights: AccessRights as number,
    CheckOutWhenRemoved: flag('CheckOutWhenRemoved'),
  };
}

/** The identity in a PKCS#12 file: the certificate whose public key matches the one private key. */
async function openPkcs12(der: Uint8Array, password: string): Promise<IosEnrollment['identity']> {
  let key: forge.pki.rsa.PrivateKey | undefined;
  let certificates: forge.pki.Certificate[];
  try {
    const pkcs12 = forge.pkcs12.pkcs12FromAsn1(forge.asn1.fromDer(forge.util.createBuffer(Buffer.from(der).toString('binary'))), false, password);
    const keyBags = [
      ...(pkcs12.getBags({ bagType: forge.pki.oids.pkcs8ShroudedKeyBag })[forge.pki.oids.pkcs8ShroudedKeyBag!] ?? []),
      ...(pkcs12.getBags({ bagType: forge.pki.oids.keyBag })[forge.pki.oids.keyBag!] ?? []),
    ];
    certificates = (pkcs12.getBags({ bagType: forge.pki.oids.certBag })[forge.pki.oids.certBag!] ?? []).flatMap((bag) => (bag.cert ? [bag.cert] : []));
    if (keyBags.length !== 1 || !keyBags[0]!.key) throw new Error(`it holds ${keyBags.length} readable RSA keys, not one`);
    key = keyBags[0]!.key as forge.pki.rsa.PrivateKey;
  } catch (error) {
    throw new EnrollmentError('profile', `the identity's PKCS#12 cannot be opened: ${error instanceof Error ? error.message : String(error)}`);
  }
  const leaf = certificates.find((certificate) => {
    const publicKey = certificate.publicKey as forge.pki.rsa.PublicKey;
    return publicKey.n !== undefined && publicKey.n.equals(key.n) && publicKey.e.equals(key.e);
  });
  if (!leaf) throw new EnrollmentError('profile', "the identity's PKCS#12 holds no certificate for its key");
  const certificateDer = new Uint8Array(Buffer.from(forge.asn1.toDer(forge.pki.certificateToAsn1(leaf)).getBytes(), 'binary'));
  const pkcs8 = Buffer.from(forge.asn1.toDer(forge.pki.wrapRsaPrivateKey(forge.pki.privateKeyToAsn1(key))).getBytes(), 'binary');
  const privateKey = await webcrypto.subtle.importKey('pkcs8', pkcs8, { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' }, false, ['sign']);
  return { certificateDer, privateKey, certificateSha256: createHash('sha256').update(certificateDer).digest('hex') };
}

function errorText(body: Uint8Array): string {
  const text = Buffer.from(body).toString('utf8');
  try {
    const parsed = JSON.parse(text) as { error?: { message?: string } };
    if (typeof parsed.error?.message === 'string') return parsed.error.message;
  } catch {
    // not JSON: show the start of the text
  }
  return text.slice(0, 200) || '(empty body)';
}
