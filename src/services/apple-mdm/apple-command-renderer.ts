import { notFound } from '../../domain/errors.ts';
import { isEmailProfileType, platformFamilyOf, profileKindOf, type Profile, type ProfileType } from '../../domain/profiles/index.ts';
import type { AppleCertificateMaterial } from '../../payloads/apple/certificate-material.ts';
import type { IssuingCa } from '../../pki/ca-certificate.ts';
import { iosEmailProfileInputOf } from '../../payloads/apple/ios-email-profile-input.ts';
import { iosCertificateProfileIdentifier, iosProfileIdentifier } from '../../payloads/apple/ios-payload-ids.ts';
import { renderIosCertificateProfile } from '../../payloads/apple/render-ios-certificate-profile.ts';
import { renderIosProfile } from '../../payloads/apple/render-ios-profile.ts';
import { signProfile } from '../../payloads/apple/sign-profile.ts';
import type { Stores } from '../../store/postgres/stores.ts';
import { appleMaterialFor, trustedRootMaterial } from '../certificates/certificate-material.ts';
import { CaPkcs12IdentityIssuer, type Pkcs12IdentityIssuer } from '../certificates/identity-issuer.ts';
import { PersistentPkcs12IdentityIssuer } from '../certificates/persistent-identity-issuer.ts';
import type { ProfileSigningService } from '../certificates/profile-signing.ts';
import type { TenantCaService } from '../certificates/tenant-ca.ts';
import type { SecretBox } from '../secrets/secret-box.ts';
import type { DeliveryCommand } from '../delivery/delivery-service.ts';
import { envelopeUuidNamespace, linkedCertificateProfiles } from '../rendering/render-inputs.ts';

/** What a profile install sends: the signed `.mobileconfig` and the identifier `ProfileList` reports it under. */
export interface RenderedInstall {
  payload: Uint8Array;
  payloadIdentifier: string;
}

/**
 * The top-level `PayloadIdentifier` a delivered profile has on the device: the email profile's is per
 * (profile, user), a certificate profile's per (profile, user) or per device for a trusted root.
 */
export function appleProfileIdentifier(odataType: ProfileType, profileId: string, userId: string | null): string | null {
  if (platformFamilyOf(odataType) !== 'ios') return null;
  if (isEmailProfileType(odataType)) return userId === null ? null : iosProfileIdentifier({}, profileId, userId);
  return iosCertificateProfileIdentifier(profileId, profileKindOf(odataType) === 'trustedRootCertificate' ? null : userId);
}

/**
 * Renders and signs the `.mobileconfig` an `InstallProfile` carries, at the moment the device fetches
 * it (delivery renders nothing up front, docs/decisions/0011). Signed bytes are kept per (tenant,
 * profile version, render key) — the render key names the user and every value of theirs in the
 * profile — in a bounded LRU, so a command re-offered, or a user's second device, costs no new
 * signature. Renders that carry a PKCS identity are per device and never cached (see `render`); the
 * identity itself is issued once per (device, certificate profile version, user) and kept sealed in
 * PostgreSQL (`PersistentPkcs12IdentityIssuer`), so the certificate profile and every email profile
 * embedding it carry the same key, from any process and on every re-offer.
 *
 * A command is rendered from the profile as it is now: when the profile changed after the command
 * was queued, the device gets the newer content and the next reconcile finds it up to date.
 */
export class AppleCommandRenderer {
  readonly #stores: Stores;
  readonly #tenantCa: TenantCaService;
  readonly #signing: ProfileSigningService;
  readonly #box: SecretBox;
  readonly #cache = new Map<string, RenderedInstall>();
  readonly #maxEntries: number;
  readonly #now: () => Date;
  /** Renders started, and how many were served from the cache (for benchmarks and metrics). */
  readonly stats = { renders: 0, cacheHits: 0 };

  constructor(deps: { stores: Stores; tenantCa: TenantCaService; signing: ProfileSigningService; box: SecretBox; maxEntries?: number; now?: () => Date }) {
    this.#stores = deps.stores;
    this.#tenantCa = deps.tenantCa;
    this.#signing = deps.signing;
    this.#box = deps.box;
    this.#maxEntries = deps.maxEntries ?? 2000;
    this.#now = deps.now ?? (() => new Date());
  }

  /**
   * The signed profile for an install, update or replace command. Throws a 404 EnvelopeError when
   * the profile, the user or the device no longer exists, and the renderers' 422s (a user attribute
   * missing, a setting iOS cannot take): the caller records those as the command's failure.
   */
  async render(tenantId: string, command: DeliveryCommand): Promise<RenderedInstall> {
    const profile = await this.#stores.profiles.get(tenantId, command.profileId);
    if (!profile) throw notFound('Device configuration', command.profileId);
    const key = `${tenantId}|${profile.id}|${profile.version}|${command.target.renderKey}`;
    const cached = this.#cache.get(key);
    if (cached) {
      this.#cache.delete(key);
      this.#cache.set(key, cached);
      this.stats.cacheHits += 1;
      return cached;
    }
    this.stats.renders += 1;
    const tenant = await this.#stores.tenants.findById(tenantId);
    if (!tenant) throw notFound('Tenant', tenantId);
    const { rendered, perDevice } = await this.#renderXml(tenantId, tenant.name, profile, command);
    const signer = await this.#signing.ensure(tenantId, tenant.name);
    const payload = await signProfile(Buffer.from(rendered.xml, 'utf8'), signer, { signingTime: this.#now() });
    const result = { payload, payloadIdentifier: rendered.payloadIdentifier };
    // Renders carrying a PKCS identity stay uncached. The cache key names no device, so a cached one
    // would hand this device's key to the user's other devices; with the device added to the key, the
    // bytes would outlive a renewal stored by another process, and one entry per device would evict
    // the shared ones. The stored identity already spares the costly part (RSA key generation): what
    // is left is one read and one signature.
    if (!perDevice) {
      this.#cache.set(key, result);
      if (this.#cache.size > this.#maxEntries) this.#cache.delete(this.#cache.keys().next().value as string);
    }
    return result;
  }

  async #renderXml(tenantId: string, tenantName: string, profile: Profile, command: DeliveryCommand): Promise<{ rendered: { xml: string; payloadIdentifier: string }; perDevice: boolean }> {
    const device = await this.#stores.devices.get(tenantId, command.deviceId);
    if (!device) throw notFound('Managed device', command.deviceId);
    const userId = command.target.userId;
    const user = userId === null ? null : await this.#stores.users.get(tenantId, userId);
    if (userId !== null && !user) throw notFound('User', userId);
    const ids = { namespace: envelopeUuidNamespace, tenantId };
    let perDevice = false;
    let identities: PersistentPkcs12IdentityIssuer | null = null;
    const materialFor = async (certificateProfile: Profile): Promise<AppleCertificateMaterial> => {
      if (profileKindOf(certificateProfile.odataType) === 'trustedRootCertificate') return trustedRootMaterial(certificateProfile);
      if (profileKindOf(certificateProfile.odataType) === 'pkcsCertificate') perDevice = true;
      if (!user) throw notFound('User', String(userId));
      identities ??= new PersistentPkcs12IdentityIssuer({
        tenantId,
        store: this.#stores.issuedIdentities,
        box: this.#box,
        issuer: issuerOpeningCa(() => this.#tenantCa.ensure(tenantId, tenantName)),
        now: this.#now,
      });
      return appleMaterialFor({ certificateProfile, user, device }, { mode: 'deliver', identities });
    };

    if (isEmailProfileType(profile.odataType)) {
      if (!user) throw notFound('User', String(userId));
      const certificates = new Map<string, AppleCertificateMaterial>();
      for (const certificateProfile of await linkedCertificateProfiles(this.#stores.profiles, tenantId, profile)) {
        certificates.set(certificateProfile.id, await materialFor(certificateProfile));
      }
      const rendered = renderIosProfile({ profile: iosEmailProfileInputOf(profile), user, device, certificates, ids });
      return { rendered, perDevice };
    }
    const material = await materialFor(profile);
    const rendered = renderIosCertificateProfile({ certificateProfileId: profile.id, displayName: profile.displayName, userId, material, ids });
    return { rendered, perDevice };
  }
}

/** Issues from the CA that `open` loads, loading it only once an identity must really be issued. */
function issuerOpeningCa(open: () => Promise<IssuingCa>): Pkcs12IdentityIssuer {
  let issuer: Promise<CaPkcs12IdentityIssuer> | null = null;
  return {
    async issue(request) {
      issuer ??= open().then((ca) => new CaPkcs12IdentityIssuer(ca));
      return (await issuer).issue(request);
    },
  };
}
