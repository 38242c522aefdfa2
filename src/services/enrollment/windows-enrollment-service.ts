import { createHash, randomBytes, randomUUID, webcrypto } from 'node:crypto';
import { isEnvelopeError } from '../../domain/errors.ts';
import * as x509 from '../../lib/x509.ts';
import type { IssuingCa } from '../../pki/ca-certificate.ts';
import { extendedKeyUsages, issueCertificate, validityWithin } from '../../pki/issue-certificate.ts';
import { deviceIdentityLifetimeMs } from '../../pki/issue-device-identity.ts';
import { subjectOids } from '../../pki/subject-attributes.ts';
import {
  authenticationFault,
  authorizationFault,
  buildProvisioningDocument,
  buildRenewalProvisioningDocument,
  EnrollmentFault,
  enrollmentServerFault,
  internalServiceFault,
  isEnrollmentFault,
  isRenewalRequest,
  openRenewalPkcs7,
  parseSoapEnvelope,
  readCertificateRequest,
  readDiscoverRequest,
  readRenewalRequest,
  readRequestSecurityToken,
  readUsernameToken,
  renderDiscoverResponse,
  renderFault,
  renderGetPoliciesResponse,
  renderRequestSecurityTokenResponse,
  requireGetPolicies,
  requireServiceRequest,
  responseActionOf,
  type EnrollmentService,
  type RequestSecurityTokenMessage,
  type SoapEnvelope,
  type UsernameToken,
} from '../../protocols/windows-enrollment/index.ts';
import type { DeviceFields } from '../../store/postgres/device-store.ts';
import type { EnrollmentTokenRecord } from '../../store/postgres/enrollment-token-store.ts';
import type { WindowsEnrollmentRecord } from '../../store/postgres/windows-enrollment-store.ts';
import type { Stores, Transactor } from '../../store/postgres/stores.ts';
import type { TenantCaService } from '../certificates/tenant-ca.ts';
import type { SecretBox } from '../secrets/secret-box.ts';
import { hashEnrollmentToken } from './enrollment-token-service.ts';
import { windowsMdmProviderId, windowsMdmUrlsOrThrow } from './enrollment-urls.ts';

/** What the HTTP skin sends: a SOAP envelope (a response or a fault) with its status. */
export interface WindowsEnrollmentReply {
  status: number;
  /** SOAP 1.2 XML; sent whole, with Content-Length (the services must not chunk). */
  body: string;
  retryAfterSeconds?: number;
}

export interface WindowsEnrollmentLog {
  info(details: object, message: string): void;
  warn(details: object, message: string): void;
  error(details: object, message: string): void;
}

export interface WindowsEnrollmentServiceDeps {
  /** Read-only lookups outside the enrollment transaction. */
  stores: Pick<Stores, 'enrollmentTokens' | 'users' | 'tenants' | 'windowsEnrollments'>;
  transact: Transactor;
  tenantCa: TenantCaService;
  /** Seals the per-device DIGEST secret (`windowsDigestSecretContext`). */
  box: SecretBox;
  /** ENVELOPE_PUBLIC_URL: the policy, enrollment and management URLs are built on it. */
  publicUrl: string | null;
  newId: () => string;
  now?: () => Date;
  log: WindowsEnrollmentLog;
}

/**
 * The SecretBox context of a PC's DIGEST secret: bound to the tenant and the managed device, so a
 * sealed secret copied to another row fails to open. The OMA-DM endpoint opens it with the same context.
 */
export function windowsDigestSecretContext(tenantId: string, deviceId: string): string {
  return `tenant:${tenantId}:windowsDigestSecret:${deviceId}`;
}

/** A token that passed every check that needs no lock: its tenant, and the user it was issued to. */
interface AuthenticatedToken {
  tenantId: string;
  token: EnrollmentTokenRecord;
}

/**
 * Windows enrollment over MS-MDE2 with the OnPremise policy (docs/decisions/0016): discovery, the
 * MS-XCEP policy service and the MS-WSTEP enrollment service. The user name is the user's UPN and
 * the password an enrollment token for the Windows platform. Every answer is a SOAP envelope: a
 * response, or a fault with the subcode and HTTP status of `EnrollmentFault` (a bad request changes
 * nothing). Unexpected failures are logged with a trace id, which the fault repeats.
 */
export class WindowsEnrollmentService {
  readonly #deps: WindowsEnrollmentServiceDeps;
  readonly #now: () => Date;

  constructor(deps: WindowsEnrollmentServiceDeps) {
    this.#deps = deps;
    this.#now = deps.now ?? (() => new Date());
  }

  /**
   * `Discover`: the policy and enrollment URLs under ENVELOPE_PUBLIC_URL, `AuthPolicy` OnPremise.
   * Any `RequestVersion` from 4.0 up. No authentication: the answer is the same for everyone.
   */
  discover(body: Uint8Array): Promise<WindowsEnrollmentReply> {
    return this.#serve('discovery', body, async (envelope, messageId, traceId) => {
      readDiscoverRequest(envelope);
      const urls = windowsMdmUrlsOrThrow(this.#deps.publicUrl);
      return renderDiscoverResponse({ enrollmentPolicyServiceUrl: urls.policyUrl, enrollmentServiceUrl: urls.enrollmentUrl }, { relatesTo: messageId, activityId: traceId });
    });
  }

  /**
   * `GetPolicies`: checks the credential (nothing is consumed or written) and answers the one policy.
   * A PC renewing its certificate may ask for the policy first, authenticated by its TLS client
   * certificate instead of a token (the ROBO request carries an empty password): when
   * `clientCertificateDer` is the current certificate of an enabled enrollment, the `UsernameToken`
   * is not read.
   */
  getPolicies(body: Uint8Array, clientCertificateDer: Uint8Array | null = null): Promise<WindowsEnrollmentReply> {
    return this.#serve('policy', body, async (envelope, messageId) => {
      requireGetPolicies(envelope);
      if (!(await this.#isRenewing(clientCertificateDer))) await this.#authenticate(readUsernameToken(envelope));
      return renderGetPoliciesResponse({ relatesTo: messageId });
    });
  }

  /**
   * The RST: in this order, the credential, the request and its PKCS#10 are checked (faults write
   * nothing), the PC's certificate is issued from the tenant CA (created on first need), and then in
   * one transaction: the token is locked and checked again, the tenant's earlier enrollments of the
   * same PC (same HWDevID, or same DeviceID) are deleted with their managed devices, the new managed
   * device and enrollment are created, and the token's use is counted. Two PCs racing for a token's
   * last slot are serialised by the lock: one enrolls, the other gets `DeviceCapReached`.
   *
   * An RST with `RequestType` Renew is a certificate renewal (`#renew`), authenticated by
   * `clientCertificateDer`, the TLS client certificate (null when there was none).
   */
  enroll(body: Uint8Array, clientCertificateDer: Uint8Array | null = null): Promise<WindowsEnrollmentReply> {
    return this.#serve('enrollment', body, async (envelope, messageId) =>
      isRenewalRequest(envelope) ? this.#renew(envelope, messageId, clientCertificateDer) : this.#enroll(envelope, messageId));
  }

  /**
   * Automatic (ROBO) renewal of a PC's MDM client certificate (certificate-renewal-windows-mdm.md;
   * docs/decisions/0016). Authenticated by the TLS client certificate alone: it must be the current
   * certificate (by SHA-256) of an enabled enrollment and not expired; an enrollment token in the
   * `UsernameToken` is ignored, never accepted instead. A PKCS#7 token must be signed with that same
   * certificate; a DeviceID, when sent, must be the PC's. The new key's PKCS#10 is checked as at
   * enrollment, and the new certificate (same template, `CN=<DeviceID>`, one year) replaces the old
   * one on the enrollment if it still holds the old one; the managed device, its ledger and its
   * DIGEST credential stay. Faults change nothing.
   */
  async #renew(envelope: SoapEnvelope, messageId: string, clientCertificateDer: Uint8Array | null): Promise<string> {
    const message = readRenewalRequest(envelope);
    if (clientCertificateDer === null) {
      throw authenticationFault('A certificate renewal is authenticated by the PC\'s current MDM client certificate in TLS, and this request carried none. If TLS ends before Envelope, enroll the PC again.');
    }
    const { enrollment, currentSha256 } = await this.#renewingEnrollment(clientCertificateDer);
    if (message.deviceId !== null && message.deviceId !== enrollment.windowsDeviceId) {
      throw authorizationFault('The DeviceID of the renewal is not the PC the TLS client certificate was issued to.');
    }
    const certificateRequest = message.format === 'pkcs7' ? await openRenewalPkcs7(message.token, clientCertificateDer) : message.token;
    const request = readCertificateRequest(certificateRequest);
    const { tenantId, deviceId } = enrollment;
    const tenant = await this.#deps.stores.tenants.findById(tenantId);
    if (!tenant) throw authenticationFault('The TLS client certificate is not the current MDM certificate of an enrolled PC. Enroll the PC again.');
    const ca = await this.#deps.tenantCa.ensure(tenantId, tenant.name);
    const certificate = await this.#issueClientCertificate(ca, request.publicKeySpki, enrollment.windowsDeviceId);
    const renewed = await this.#deps.stores.windowsEnrollments.replaceCertificate(tenantId, deviceId, currentSha256, {
      certificateSha256: createHash('sha256').update(certificate.der).digest(),
      certificateSerial: certificate.serial,
      certificateNotAfter: certificate.notAfter,
    });
    if (!renewed) throw authenticationFault('This PC\'s certificate was renewed or its enrollment disabled while this request ran; nothing was changed by it.');
    this.#deps.log.info({ tenantId, deviceId, windowsDeviceId: enrollment.windowsDeviceId, serial: certificate.serial, notAfter: certificate.notAfter }, 'windows: client certificate renewed');
    const provisioningDocument = buildRenewalProvisioningDocument({
      caCertificateDer: new Uint8Array(ca.certificate.rawData),
      clientCertificateDer: certificate.der,
      enrollmentType: enrollment.enrollmentType,
      providerId: windowsMdmProviderId,
    });
    return renderRequestSecurityTokenResponse(provisioningDocument, { relatesTo: messageId, now: this.#now() });
  }

  async #enroll(envelope: SoapEnvelope, messageId: string): Promise<string> {
    const credentials = readUsernameToken(envelope);
    const message = readRequestSecurityToken(envelope);
    const request = readCertificateRequest(message.certificateRequest);
    const urls = windowsMdmUrlsOrThrow(this.#deps.publicUrl);
    const { tenantId, token } = await this.#authenticate(credentials);
    const tenant = await this.#deps.stores.tenants.findById(tenantId);
    if (!tenant) throw authenticationFault(invalidTokenReason);

    const deviceId = this.#deps.newId();
    const ca = await this.#deps.tenantCa.ensure(tenantId, tenant.name);
    const certificate = await this.#issueClientCertificate(ca, request.publicKeySpki, message.deviceId);
    const digest = { username: `envelope-${randomBytes(16).toString('hex')}`, secret: randomBytes(32).toString('base64url') };
    const sealedDigestSecret = this.#deps.box.seal(Buffer.from(digest.secret, 'utf8'), windowsDigestSecretContext(tenantId, deviceId));

    const replaced = await this.#deps.transact(async (stores) => {
      const locked = await stores.enrollmentTokens.lockForUpdate(tenantId, token.id);
      if (!locked) throw authenticationFault(invalidTokenReason);
      this.#checkUsable(locked);
      const previous = await stores.windowsEnrollments.lockSamePc(tenantId, message.hwDevId, message.deviceId);
      for (const enrollment of previous) await stores.devices.delete(tenantId, enrollment.deviceId);
      await stores.devices.insert(tenantId, deviceId, deviceFieldsOf(message, token.userId));
      await stores.windowsEnrollments.insert(tenantId, {
        deviceId,
        windowsDeviceId: message.deviceId,
        hwDevId: message.hwDevId,
        enrollmentType: message.enrollmentType,
        tokenId: token.id,
        certificateSha256: createHash('sha256').update(certificate.der).digest(),
        certificateSerial: certificate.serial,
        certificateNotAfter: certificate.notAfter,
        digestUsername: digest.username,
        sealedDigestSecret,
      });
      if (!(await stores.enrollmentTokens.incrementUsed(tenantId, token.id))) throw deviceCapReached();
      return previous.map((enrollment) => enrollment.deviceId);
    });
    this.#deps.log.info({ tenantId, deviceId, windowsDeviceId: message.deviceId, enrollmentType: message.enrollmentType, replacedDeviceIds: replaced }, 'windows: PC enrolled');

    const provisioningDocument = buildProvisioningDocument({
      caCertificateDer: new Uint8Array(ca.certificate.rawData),
      clientCertificateDer: certificate.der,
      enrollmentType: message.enrollmentType,
      certificateCommonName: message.deviceId,
      providerId: windowsMdmProviderId,
      managementUrl: urls.managementUrl,
      digest,
      entDmId: deviceId,
    });
    return renderRequestSecurityTokenResponse(provisioningDocument, { relatesTo: messageId, now: this.#now() });
  }

  /**
   * The enrollment whose current client certificate (by SHA-256) is `clientCertificateDer`; faults
   * when there is none (`s:authentication`), when it is disabled (`s:authorization`), or when the
   * certificate has expired (`s:authentication`: Windows does not renew an expired certificate
   * automatically, certificate-renewal-windows-mdm.md, so there is no grace period). Reads only.
   */
  async #renewingEnrollment(clientCertificateDer: Uint8Array): Promise<{ enrollment: WindowsEnrollmentRecord; currentSha256: Buffer }> {
    const currentSha256 = createHash('sha256').update(clientCertificateDer).digest();
    const enrollment = await this.#deps.stores.windowsEnrollments.findByCertificate(currentSha256);
    if (!enrollment) throw authenticationFault('The TLS client certificate is not the current MDM certificate of an enrolled PC. Enroll the PC again.');
    if (!enrollment.enabled) throw authorizationFault('This PC\'s enrollment is disabled; its certificate is not renewed.');
    if (Date.parse(enrollment.certificateNotAfter) <= this.#now().getTime()) {
      throw authenticationFault(`The MDM client certificate expired on ${enrollment.certificateNotAfter}; an expired certificate is not renewed. Enroll the PC again.`);
    }
    return { enrollment, currentSha256 };
  }

  /** Whether `clientCertificateDer` authenticates a renewing PC; a refusal is no answer, a failure (the database) is thrown. */
  async #isRenewing(clientCertificateDer: Uint8Array | null): Promise<boolean> {
    if (clientCertificateDer === null) return false;
    try {
      await this.#renewingEnrollment(clientCertificateDer);
      return true;
    } catch (error) {
      if (isEnrollmentFault(error)) return false;
      throw error;
    }
  }

  /**
   * The OnPremise credential: the password must be a Windows enrollment token that exists, is neither
   * revoked nor expired, and was issued to the user whose UPN is the user name (case-insensitive);
   * the token must have a device left. Reads only.
   */
  async #authenticate(credentials: UsernameToken): Promise<AuthenticatedToken> {
    const { stores } = this.#deps;
    const found = await stores.enrollmentTokens.findByHash(hashEnrollmentToken(credentials.password));
    if (!found) throw authenticationFault(invalidTokenReason);
    if (found.platform !== 'Windows') {
      throw authenticationFault(`This enrollment token is for ${found.platform} devices, not Windows. Ask your IT administrator for a Windows enrollment token.`);
    }
    const user = await stores.users.get(found.tenantId, found.userId);
    if (!user || user.userPrincipalName.toLowerCase() !== credentials.username.toLowerCase()) {
      throw authenticationFault('This enrollment token was issued to another user: sign in with the work account (user principal name) it was issued for.');
    }
    this.#checkUsable(found);
    return { tenantId: found.tenantId, token: found };
  }

  #checkUsable(token: EnrollmentTokenRecord): void {
    if (token.revokedDateTime !== null) throw authenticationFault('This enrollment token was revoked. Ask your IT administrator for a new one.');
    if (Date.parse(token.expirationDateTime) <= this.#now().getTime()) {
      throw authenticationFault(`This enrollment token expired on ${token.expirationDateTime}. Ask your IT administrator for a new one.`);
    }
    if (token.usedCount >= token.maxDevices) throw deviceCapReached();
  }

  /**
   * The PC's client certificate (Fleet's template, delivery-protocols b.2): subject `CN=<DeviceID>`,
   * the PC's own key, from five minutes ago for one year (never past the CA), SHA-256 with RSA, key
   * usage digitalSignature and keyEncipherment, EKU clientAuth, a random 16-byte serial.
   */
  async #issueClientCertificate(ca: IssuingCa, publicKeySpki: Uint8Array, commonName: string): Promise<{ der: Uint8Array; serial: string; notAfter: Date }> {
    const env = { now: this.#now, randomBytes: (length: number) => new Uint8Array(randomBytes(length)) };
    let validity: { notBefore: Date; notAfter: Date };
    try {
      validity = validityWithin(ca, env, (issuedAt) => new Date(issuedAt.getTime() + deviceIdentityLifetimeMs));
    } catch (error) {
      throw enrollmentServerFault(`The organisation's certificate authority cannot issue: ${(error as Error).message}`);
    }
    const publicKey = await webcrypto.subtle.importKey('spki', publicKeySpki, { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' }, true, ['verify']);
    const der = await issueCertificate(
      {
        ca,
        subject: [{ oid: subjectOids.CN, value: commonName }],
        publicKey,
        notBefore: validity.notBefore,
        notAfter: validity.notAfter,
        keyUsage: ['digitalSignature', 'keyEncipherment'],
        extendedKeyUsages: [extendedKeyUsages.clientAuth],
      },
      env,
    );
    return { der, serial: new x509.X509Certificate(der).serialNumber.toUpperCase(), notAfter: validity.notAfter };
  }

  /**
   * The fault for a request refused before the service read it (a body over the limit, the rate
   * limit): `s:messageformat` for a 4xx, `s:enrollmentserver` for 429 and 5xx, with `httpStatus`.
   */
  refuse(service: EnrollmentService, httpStatus: number, reason: string): WindowsEnrollmentReply {
    const fault = new EnrollmentFault(httpStatus === 429 || httpStatus >= 500 ? 's:enrollmentserver' : 's:messageformat', reason, { httpStatus });
    const traceId = randomUUID();
    this.#deps.log.info({ service, traceId, subcode: fault.subcode, reason, status: httpStatus }, 'windows: enrollment request refused');
    return { status: httpStatus, body: renderFault(fault, { action: responseActionOf[service], relatesTo: null, traceId }) };
  }

  /**
   * Reads the envelope, checks the action and message id, runs `handle`, and turns every failure
   * into a fault: an `EnrollmentFault` as it is; the database unreachable (503) as a retryable
   * `s:enrollmentserver`; another EnvelopeError (ENVELOPE_PUBLIC_URL unset, a user deleted mid-way)
   * as `s:enrollmentserver` with its message; anything else as `s:internalservicefault`, logged.
   */
  async #serve(service: EnrollmentService, body: Uint8Array, handle: (envelope: SoapEnvelope, messageId: string, traceId: string) => Promise<string>): Promise<WindowsEnrollmentReply> {
    const traceId = randomUUID();
    let relatesTo: string | null = null;
    try {
      const envelope = parseSoapEnvelope(body);
      relatesTo = envelope.messageId;
      const messageId = requireServiceRequest(envelope, service);
      return { status: 200, body: await handle(envelope, messageId, traceId) };
    } catch (error) {
      const fault = this.#faultOf(error, service, traceId);
      const reply: WindowsEnrollmentReply = { status: fault.httpStatus, body: renderFault(fault, { action: responseActionOf[service], relatesTo, traceId }) };
      if (fault.retryAfterSeconds !== undefined) reply.retryAfterSeconds = fault.retryAfterSeconds;
      return reply;
    }
  }

  #faultOf(error: unknown, service: EnrollmentService, traceId: string): EnrollmentFault {
    if (isEnrollmentFault(error)) {
      this.#deps.log.info({ service, traceId, subcode: error.subcode, reason: error.message }, 'windows: enrollment request refused');
      return error;
    }
    if (isEnvelopeError(error)) {
      this.#deps.log.warn({ service, traceId, err: error }, 'windows: enrollment request failed');
      return error.status === 503
        ? enrollmentServerFault(`${error.message} Try again shortly.`, { retryAfterSeconds: error.retryAfterSeconds ?? 5 })
        : enrollmentServerFault(error.message);
    }
    this.#deps.log.error({ service, traceId, err: error }, 'windows: enrollment request failed unexpectedly');
    return internalServiceFault(`The enrollment server failed unexpectedly; quote trace id ${traceId} to your IT administrator.`);
  }
}

const invalidTokenReason = 'The enrollment token is not valid. Check what you typed as the password, or ask your IT administrator for a new one.';

function deviceCapReached(): EnrollmentFault {
  return authorizationFault('This enrollment token has enrolled all the devices it may. Remove an old device or ask your IT administrator for a new token.', 'DeviceCapReached');
}

/** The managed device a PC becomes: its name and Windows version from the RST, the token's user as primary user. */
function deviceFieldsOf(message: RequestSecurityTokenMessage, userId: string): DeviceFields {
  return {
    deviceName: (message.deviceName ?? `Windows PC ${message.deviceId.slice(0, 8)}`).slice(0, 256),
    operatingSystem: 'Windows',
    osVersion: (message.osVersion ?? 'unknown').slice(0, 64),
    model: null,
    androidManagementMode: null,
    userId,
  };
}
