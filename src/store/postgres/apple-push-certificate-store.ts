import type { Queryable } from '../db.ts';
import { isoTime } from './list-sql.ts';

/** A tenant's MDM push certificate without its key (what the admin API and enrollment profiles need). */
export interface StoredPushCertificateInfo {
  topic: string;
  subject: string;
  issuer: string;
  serialNumber: string;
  notBefore: string;
  notAfter: string;
  /** 1 for the first upload, +1 for each replacement. */
  version: number;
  updatedDateTime: string;
}

/** The whole record, key sealed (the store never sees it in clear). */
export interface StoredPushCertificate extends StoredPushCertificateInfo {
  certificatePem: string;
  sealedPrivateKey: Buffer;
}

export type NewPushCertificate = Omit<StoredPushCertificate, 'version' | 'updatedDateTime'>;

interface PushRow {
  topic: string;
  subject: string;
  issuer: string;
  serial_number: string;
  not_before: Date | string;
  not_after: Date | string;
  version: number;
  updated_at: Date | string;
}

const infoColumns = 'topic, subject, issuer, serial_number, not_before, not_after, version, updated_at';

function toInfo(row: PushRow): StoredPushCertificateInfo {
  return {
    topic: row.topic,
    subject: row.subject,
    issuer: row.issuer,
    serialNumber: row.serial_number,
    notBefore: isoTime(row.not_before)!,
    notAfter: isoTime(row.not_after)!,
    version: row.version,
    updatedDateTime: isoTime(row.updated_at)!,
  };
}

/** One MDM push certificate per tenant, its private key sealed. */
export class ApplePushCertificateStore {
  readonly #db: Queryable;

  constructor(db: Queryable) {
    this.#db = db;
  }

  async getInfo(tenantId: string): Promise<StoredPushCertificateInfo | null> {
    const rows = await this.#db.query<PushRow>(`SELECT ${infoColumns} FROM apple_push_certificates WHERE tenant_id = $1`, [tenantId]);
    return rows[0] ? toInfo(rows[0]) : null;
  }

  /** The whole record, for the APNs provider. */
  async get(tenantId: string): Promise<StoredPushCertificate | null> {
    const rows = await this.#db.query<PushRow & { certificate_pem: string; sealed_private_key: Uint8Array }>(
      `SELECT ${infoColumns}, certificate_pem, sealed_private_key FROM apple_push_certificates WHERE tenant_id = $1`,
      [tenantId],
    );
    const row = rows[0];
    return row ? { ...toInfo(row), certificatePem: row.certificate_pem, sealedPrivateKey: Buffer.from(row.sealed_private_key) } : null;
  }

  /** Locks the tenant's row (if any) until the transaction ends, so two uploads apply one after the other. */
  async lockInfo(tenantId: string): Promise<StoredPushCertificateInfo | null> {
    const rows = await this.#db.query<PushRow>(`SELECT ${infoColumns} FROM apple_push_certificates WHERE tenant_id = $1 FOR UPDATE`, [tenantId]);
    return rows[0] ? toInfo(rows[0]) : null;
  }

  /** Inserts the tenant's first certificate or replaces the current one, counting the version up. */
  async put(tenantId: string, certificate: NewPushCertificate): Promise<StoredPushCertificateInfo> {
    const rows = await this.#db.query<PushRow>(
      `INSERT INTO apple_push_certificates
         (tenant_id, topic, certificate_pem, sealed_private_key, subject, issuer, serial_number, not_before, not_after)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
       ON CONFLICT (tenant_id) DO UPDATE SET
         topic = EXCLUDED.topic, certificate_pem = EXCLUDED.certificate_pem, sealed_private_key = EXCLUDED.sealed_private_key,
         subject = EXCLUDED.subject, issuer = EXCLUDED.issuer, serial_number = EXCLUDED.serial_number,
         not_before = EXCLUDED.not_before, not_after = EXCLUDED.not_after,
         version = apple_push_certificates.version + 1, updated_at = date_trunc('milliseconds', now())
       RETURNING ${infoColumns}`,
      [tenantId, certificate.topic, certificate.certificatePem, certificate.sealedPrivateKey, certificate.subject, certificate.issuer,
        certificate.serialNumber, certificate.notBefore, certificate.notAfter],
    );
    return toInfo(rows[0]!);
  }
}
