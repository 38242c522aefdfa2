import { createHash } from 'node:crypto';
import { conflict, forbidden, type EnvelopeError } from '../../domain/errors.ts';
import { renderEnrollmentProfile } from '../../payloads/apple/enrollment-profile.ts';
import { signProfile } from '../../payloads/apple/sign-profile.ts';
import { issueDeviceIdentity } from '../../pki/issue-device-identity.ts';
import type { Stores } from '../../store/postgres/stores.ts';
import type { ProfileSigningService } from '../certificates/profile-signing.ts';
import type { TenantCaService } from '../certificates/tenant-ca.ts';
import { envelopeUuidNamespace } from '../rendering/render-inputs.ts';
import { hashEnrollmentToken } from './enrollment-token-service.ts';
import { appleMdmUrlsOrThrow } from './enrollment-urls.ts';

/**
 * How long a served profile can still complete an enrollment: a user installs it right after the
 * download (Settings → "Profile Downloaded"); a day covers a download finished on another device.
 */
export const pendingEnrollmentLifetimeMs = 24 * 3600 * 1000;

export interface EnrollmentProfileServiceDeps {
  stores: Pick<Stores, 'enrollmentTokens' | 'applePushCertificates' | 'appleEnrollments' | 'tenants'>;
  tenantCa: TenantCaService;
  profileSigning: ProfileSigningService;
  /** ENVELOPE_PUBLIC_URL: the profile's ServerURL and CheckInURL are built on it. */
  publicUrl: string | null;
  newId: () => string;
  now?: () => Date;
}

/** The one answer to every unusable token: it says nothing about which check failed. */
export function enrollmentLinkInvalid(): EnvelopeError {
  return forbidden('This enrollment link is not valid. Ask your IT administrator for a new one.');
}

/**
 * Serves Apple enrollment profiles to devices (`GET /mdm/apple/enroll?token=…`).
 */
export class EnrollmentProfileService {
  readonly #deps: EnrollmentProfileServiceDeps;
  readonly #now: () => Date;

  constructor(deps: EnrollmentProfileServiceDeps) {
    this.#deps = deps;
    this.#now = deps.now ?? (() => new Date());
  }

  /**
   * The signed enrollment profile (DER CMS, tenant's profile-signing identity) for an iOS enrollment
   * token, with a new device identity from the tenant CA (`issueDeviceIdentity`), and a pending
   * enrollment recorded for that identity's certificate hash.
   *
   * Refusals (nothing is written): an unknown, non-iOS, expired, revoked or used-up token → 403 with
   * one plain message (`enrollmentLinkInvalid`); no push certificate, or an expired one → 409 saying
   * the admin must upload one; ENVELOPE_PUBLIC_URL unset or not https → 409 naming it.
   */
  async serve(token: string): Promise<Uint8Array> {
    const { stores } = this.#deps;
    const now = this.#now();
    const found = await stores.enrollmentTokens.findByHash(hashEnrollmentToken(token));
    if (
      !found || found.platform !== 'iOS' || found.revokedDateTime !== null ||
      Date.parse(found.expirationDateTime) <= now.getTime() || found.usedCount >= found.maxDevices
    ) {
      throw enrollmentLinkInvalid();
    }
    const { tenantId } = found;
    const push = await stores.applePushCertificates.getInfo(tenantId);
    if (!push) {
      throw conflict('Apple device enrollment is not set up yet: the administrator must upload the organisation\'s Apple MDM push certificate first (PUT /graph/beta/envelope/applePushCertificate, or envelope apple push-certificate set).');
    }
    if (Date.parse(push.notAfter) <= now.getTime()) {
      throw conflict(`The organisation's Apple MDM push certificate expired on ${push.notAfter}; the administrator must renew it with Apple and upload it again.`);
    }
    const urls = appleMdmUrlsOrThrow(this.#deps.publicUrl);
    const tenant = await stores.tenants.findById(tenantId);
    if (!tenant) throw enrollmentLinkInvalid();

    const pendingId = this.#deps.newId();
    const ca = await this.#deps.tenantCa.ensure(tenantId, tenant.name);
    const identity = await issueDeviceIdentity({ ca, enrollmentId: pendingId }, { now: this.#now, randomBytes: (length) => globalThis.crypto.getRandomValues(new Uint8Array(length)) });
    const rendered = renderEnrollmentProfile({
      namespace: envelopeUuidNamespace,
      tenantId,
      organization: tenant.name,
      identity: { pkcs12: identity.bytes, password: identity.password, payloadUUID: pendingId.toUpperCase() },
      topic: push.topic,
      ...urls,
    });
    const signer = await this.#deps.profileSigning.ensure(tenantId, tenant.name);
    const signed = await signProfile(Buffer.from(rendered.xml, 'utf8'), signer, { signingTime: now });
    // Written last, so that any failure above leaves nothing behind.
    await stores.appleEnrollments.insertPending(tenantId, {
      id: pendingId,
      tokenId: found.id,
      userId: found.userId,
      certificateSha256: createHash('sha256').update(identity.certificateDer).digest(),
      topic: push.topic,
      expiresAt: new Date(now.getTime() + pendingEnrollmentLifetimeMs),
    });
    return signed;
  }
}
