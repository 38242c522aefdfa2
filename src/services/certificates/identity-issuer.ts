import type { DirectoryUser, ManagedDevice } from '../../domain/directory.ts';
import { profileKindOf, type Profile } from '../../domain/profiles/index.ts';
import { systemIssuanceEnvironment, type IssuanceEnvironment } from '../../pki/issue-certificate.ts';
import { issueIdentity, type IdentitySettings } from '../../pki/issue-identity.ts';
import { buildPkcs12 } from '../../pki/pkcs12.ts';
import type { IssuingCa } from '../../pki/ca-certificate.ts';

export interface Pkcs12IdentityRequest {
  /** A PKCS certificate profile (`iosPkcsCertificateProfile` or one of the Android PKCS types). */
  certificateProfile: Profile;
  user: DirectoryUser;
  device: ManagedDevice;
}

/** An issued identity as a device receives it, plus what a cache needs to decide when to renew it. */
export interface Pkcs12Identity {
  /** PKCS#12: the key, its certificate and the CA chain. */
  bytes: Uint8Array;
  /** The file's random transport password (see `buildPkcs12`). */
  password: string;
  certificateDer: Uint8Array;
  notBefore: Date;
  notAfter: Date;
}

/**
 * Where certificate material gets PKCS identities. Issuing is expensive (RSA key generation), each
 * identity belongs to one device, and every profile carrying it must carry the same one, so delivery
 * wraps `CaPkcs12IdentityIssuer` in `PersistentPkcs12IdentityIssuer`: one identity per (device,
 * certificate profile version, user), kept sealed in PostgreSQL until `renewalThresholdPercentage`
 * of its validity remains. The material code never caches.
 */
export interface Pkcs12IdentityIssuer {
  issue(request: Pkcs12IdentityRequest): Promise<Pkcs12Identity>;
}

/** Issues a new identity from one tenant's CA on every call (see `issueIdentity` and `buildPkcs12`). */
export class CaPkcs12IdentityIssuer implements Pkcs12IdentityIssuer {
  readonly #ca: IssuingCa;
  readonly #env: IssuanceEnvironment;

  constructor(ca: IssuingCa, env: IssuanceEnvironment = systemIssuanceEnvironment) {
    this.#ca = ca;
    this.#env = env;
  }

  async issue({ certificateProfile, user, device }: Pkcs12IdentityRequest): Promise<Pkcs12Identity> {
    if (profileKindOf(certificateProfile.odataType) !== 'pkcsCertificate') {
      throw new Error(`Expected a PKCS certificate profile, got a ${certificateProfile.odataType}.`);
    }
    // Every PKCS type's settings carry the fields IdentitySettings reads (certificate-schemas.ts).
    const settings = certificateProfile.settings as unknown as IdentitySettings;
    const identity = await issueIdentity({ ca: this.#ca, settings, user, device }, this.#env);
    const file = await buildPkcs12(
      {
        privateKey: identity.privateKey,
        certificateDer: identity.certificateDer,
        chainDer: [new Uint8Array(this.#ca.certificate.rawData)],
        friendlyName: certificateProfile.displayName,
      },
      // Phones and tablets (iOS ≤ 17, Android ≤ 13) refuse the AES layout; see pkcs12.ts.
      'legacy',
      this.#env.randomBytes,
    );
    return { ...file, certificateDer: identity.certificateDer, notBefore: identity.notBefore, notAfter: identity.notAfter };
  }
}
