import { X509Certificate } from 'node:crypto';
import type { IssuedIdentityKey, IssuedIdentityStore, SealedIssuedIdentity } from '../../store/postgres/issued-identity-store.ts';
import type { SecretBox } from '../secrets/secret-box.ts';
import type { Pkcs12Identity, Pkcs12IdentityIssuer, Pkcs12IdentityRequest } from './identity-issuer.ts';

/**
 * Keeps one identity per (device, certificate profile version, user) of one tenant in PostgreSQL
 * (`issued_identities`), so every profile that carries it — the standalone PKCS certificate profile
 * and each email profile embedding it (Apple resolves `PayloadCertificateUUID` only inside the same
 * profile) — a re-offered command, and every server process hand out the same key and certificate.
 *
 * `issue` returns the stored identity, byte for byte, while `now` is before its renewal point; from
 * then on (or when none is stored) it issues one through `issuer` and stores it in place of the old
 * one. Renewal point: the moment `renewalThresholdPercentage` (1–99, default 20) percent of the
 * validity remains, as Intune defines its "Renewal threshold (%)": "the percentage of the certificate
 * lifetime that remains before the device requests renewal … if you enter 20, the renewal of the
 * certificate will be attempted when the certificate is 80% expired"
 * (https://learn.microsoft.com/mem/intune/protect/certificates-profile-scep). A new profile version
 * gets a new identity, and storing it deletes the older versions' identities for the device.
 *
 * Concurrency: two callers racing for one key (here or in another process) both issue, the store
 * keeps the first and both return it; the loser's identity is discarded unseen. The file and its
 * password are sealed with `box`, bound to the key and the certificate's serial, so a sealed value
 * copied to another row fails to open (and `issue` throws).
 *
 * Not covered: a user whose name or address changes keeps the identity issued for the old values
 * until the profile's next version or the renewal point (delivery does not re-send certificate
 * profiles for user changes either).
 */
export class PersistentPkcs12IdentityIssuer implements Pkcs12IdentityIssuer {
  readonly #tenantId: string;
  readonly #store: IssuedIdentityStore;
  readonly #box: SecretBox;
  readonly #issuer: Pkcs12IdentityIssuer;
  readonly #now: () => Date;

  constructor(deps: { tenantId: string; store: IssuedIdentityStore; box: SecretBox; issuer: Pkcs12IdentityIssuer; now?: () => Date }) {
    this.#tenantId = deps.tenantId;
    this.#store = deps.store;
    this.#box = deps.box;
    this.#issuer = deps.issuer;
    this.#now = deps.now ?? (() => new Date());
  }

  async issue(request: Pkcs12IdentityRequest): Promise<Pkcs12Identity> {
    const { certificateProfile, user, device } = request;
    const key: IssuedIdentityKey = {
      tenantId: this.#tenantId,
      deviceId: device.id,
      profileId: certificateProfile.id,
      profileVersion: certificateProfile.version,
      userId: user.id,
    };
    const stored = await this.#store.get(key);
    const threshold = (certificateProfile.settings as { renewalThresholdPercentage: number }).renewalThresholdPercentage;
    if (stored !== null && this.#now() < renewalPointOf(stored, threshold)) return this.#open(key, stored);

    const issued = await this.#issuer.issue(request);
    const serialNumber = new X509Certificate(issued.certificateDer).serialNumber.toLowerCase();
    const winner = await this.#store.put(
      key,
      {
        sealedPkcs12: this.#box.seal(issued.bytes, context(key, serialNumber, 'pkcs12')),
        sealedPassword: this.#box.seal(Buffer.from(issued.password, 'utf8'), context(key, serialNumber, 'password')),
        certificateDer: Buffer.from(issued.certificateDer),
        serialNumber,
        notBefore: issued.notBefore,
        notAfter: issued.notAfter,
      },
      stored?.serialNumber ?? null,
    );
    return winner.serialNumber === serialNumber ? issued : this.#open(key, winner);
  }

  #open(key: IssuedIdentityKey, stored: SealedIssuedIdentity): Pkcs12Identity {
    return {
      bytes: new Uint8Array(this.#box.open(stored.sealedPkcs12, context(key, stored.serialNumber, 'pkcs12'))),
      password: this.#box.open(stored.sealedPassword, context(key, stored.serialNumber, 'password')).toString('utf8'),
      certificateDer: new Uint8Array(stored.certificateDer),
      notBefore: stored.notBefore,
      notAfter: stored.notAfter,
    };
  }
}

/** When `percentage` percent of the validity from `notBefore` to `notAfter` remains. */
function renewalPointOf({ notBefore, notAfter }: { notBefore: Date; notAfter: Date }, percentage: number): Date {
  const validity = notAfter.getTime() - notBefore.getTime();
  return new Date(notAfter.getTime() - (validity * percentage) / 100);
}

function context(key: IssuedIdentityKey, serialNumber: string, part: 'pkcs12' | 'password'): string {
  return `tenant:${key.tenantId}:issuedIdentity:${key.deviceId}:${key.profileId}:${key.profileVersion}:${key.userId}:${serialNumber}:${part}`;
}
