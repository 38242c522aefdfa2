import { conflict, notFound } from '../../domain/errors.ts';
import { parsePushCertificate, type PushCertificateUpload } from '../../protocols/apns/push-certificate.ts';
import type { StoredPushCertificateInfo } from '../../store/postgres/apple-push-certificate-store.ts';
import type { Stores, Transactor } from '../../store/postgres/stores.ts';
import type { SecretBox } from '../secrets/secret-box.ts';

export interface PushCertificateServiceDeps {
  stores: Pick<Stores, 'applePushCertificates'>;
  transact: Transactor;
  box: SecretBox;
  now?: () => Date;
}

/** The sealing context of a tenant's push certificate key: a sealed key copied to another tenant fails to open. */
export function pushCertificateKeyContext(tenantId: string): string {
  return `tenant:${tenantId}:applePushCertificate`;
}

/**
 * Each tenant's Apple MDM push certificate (delivery-protocols a.6): the APNs client identity, whose
 * subject UID is the `Topic` of every enrollment profile. The private key is stored sealed with the
 * server's secret key and never returned.
 */
export class PushCertificateService {
  readonly #stores: Pick<Stores, 'applePushCertificates'>;
  readonly #transact: Transactor;
  readonly #box: SecretBox;
  readonly #now: () => Date;

  constructor(deps: PushCertificateServiceDeps) {
    this.#stores = deps.stores;
    this.#transact = deps.transact;
    this.#box = deps.box;
    this.#now = deps.now ?? (() => new Date());
  }

  /**
   * Stores an uploaded certificate and key (first upload or renewal; the version counts up). 400 naming
   * `certificate` or `privateKey` for what `parsePushCertificate` refuses. A certificate with a topic
   * other than the stored one is refused with 409 while any device is enrolled: their enrollment
   * profiles name the old topic, which can never change, so they would all have to enroll again.
   */
  async put(tenantId: string, upload: PushCertificateUpload): Promise<StoredPushCertificateInfo> {
    const parsed = parsePushCertificate(upload, this.#now());
    const sealedPrivateKey = this.#box.seal(Buffer.from(parsed.privateKeyPem, 'utf8'), pushCertificateKeyContext(tenantId));
    return this.#transact(async (stores) => {
      const current = await stores.applePushCertificates.lockInfo(tenantId);
      if (current && current.topic !== parsed.topic) {
        const enrolled = await stores.appleEnrollments.countEnabled(tenantId);
        if (enrolled > 0) {
          throw conflict(
            `This certificate's topic '${parsed.topic}' differs from the current '${current.topic}', and ${enrolled} device${enrolled === 1 ? ' is' : 's are'} enrolled with it. ` +
              'An enrolled device keeps its topic for good: with a new topic every device would have to enroll again. Renew the existing certificate in Apple\'s Push Certificates Portal (same Apple ID, "Renew") instead.',
            'certificate',
          );
        }
      }
      return stores.applePushCertificates.put(tenantId, {
        topic: parsed.topic,
        certificatePem: parsed.certificatePem,
        sealedPrivateKey,
        subject: parsed.subject,
        issuer: parsed.issuer,
        serialNumber: parsed.serialNumber,
        notBefore: parsed.notBefore.toISOString(),
        notAfter: parsed.notAfter.toISOString(),
      });
    });
  }

  /** The tenant's certificate (never its key); 404 when none was uploaded. */
  async getOrThrow(tenantId: string): Promise<StoredPushCertificateInfo> {
    const info = await this.#stores.applePushCertificates.getInfo(tenantId);
    if (!info) throw notFound('Apple push certificate', 'applePushCertificate');
    return info;
  }
}
