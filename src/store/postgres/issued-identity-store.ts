import type { Queryable } from '../db.ts';
import type { ListQuery, Page } from '../list-query.ts';
import { isoTime, listPage } from './list-sql.ts';

/** Whom an issued identity belongs to: one row per key (migration 0011). */
export interface IssuedIdentityKey {
  tenantId: string;
  deviceId: string;
  /** The PKCS certificate profile and the version the identity was issued for. */
  profileId: string;
  profileVersion: number;
  userId: string;
}

/** A stored identity, file and password sealed (the store never sees them in clear). */
export interface SealedIssuedIdentity {
  sealedPkcs12: Buffer;
  sealedPassword: Buffer;
  certificateDer: Buffer;
  /** Lower-case hex, as the certificate carries it. */
  serialNumber: string;
  notBefore: Date;
  notAfter: Date;
}

/** An issued certificate as admins see it: who holds it, for which profile, until when; never the file or password. */
export interface IssuedCertificateRecord {
  id: string;
  deviceId: string;
  deviceName: string;
  userId: string;
  userPrincipalName: string | null;
  profileId: string;
  profileDisplayName: string;
  profileVersion: number;
  serialNumber: string;
  notBefore: string;
  notAfter: string;
  issuedDateTime: string;
}

interface IssuedRow {
  id: string;
  device_id: string;
  device_name: string;
  user_id: string;
  user_principal_name: string | null;
  profile_id: string;
  profile_display_name: string;
  profile_version: number;
  serial_number: string;
  not_before: Date | string;
  not_after: Date | string;
  created_at: Date | string;
}

/** `$filter` properties of the issued-certificate list -> SQL of the `i` view below. */
const issuedColumns = {
  deviceId: 'i.device_id',
  profileId: 'i.profile_id',
  userId: 'i.user_id',
  serialNumber: 'i.serial_number',
} as const;
export const issuedCertificateFilterFields = Object.keys(issuedColumns);

interface IdentityRow {
  sealed_pkcs12: Uint8Array;
  sealed_password: Uint8Array;
  certificate_der: Uint8Array;
  serial_number: string;
  not_before: Date | string;
  not_after: Date | string;
}

const keyWhere = 'tenant_id = $1 AND device_id = $2 AND profile_id = $3 AND profile_version = $4 AND user_id = $5';

function keyParams(key: IssuedIdentityKey): unknown[] {
  return [key.tenantId, key.deviceId, key.profileId, key.profileVersion, key.userId];
}

/** The PKCS identities issued per (device, certificate profile version, user). */
export class IssuedIdentityStore {
  readonly #db: Queryable;

  constructor(db: Queryable) {
    this.#db = db;
  }

  async get(key: IssuedIdentityKey): Promise<SealedIssuedIdentity | null> {
    const rows = await this.#db.query<IdentityRow>(
      `SELECT sealed_pkcs12, sealed_password, certificate_der, serial_number, not_before, not_after
         FROM issued_identities WHERE ${keyWhere}`,
      keyParams(key),
    );
    const row = rows[0];
    return row
      ? {
          sealedPkcs12: Buffer.from(row.sealed_pkcs12),
          sealedPassword: Buffer.from(row.sealed_password),
          certificateDer: Buffer.from(row.certificate_der),
          serialNumber: row.serial_number,
          notBefore: new Date(row.not_before),
          notAfter: new Date(row.not_after),
        }
      : null;
  }

  /**
   * Stores `identity` for `key` and returns whichever identity is stored afterwards, so concurrent
   * callers (in any process) all hand out the same one:
   * - `replacing` null: inserts unless the key has an identity already (first writer wins);
   * - `replacing` a serial: replaces the stored identity only while it is still that one (a renewal
   *   that lost to another process's renewal gets the winner's), and inserts if the row is gone.
   * Then deletes the identities of older versions of the same certificate profile on the device.
   */
  async put(key: IssuedIdentityKey, identity: SealedIssuedIdentity, replacing: string | null): Promise<SealedIssuedIdentity> {
    // `serial_number = NULL` is never true, so without `replacing` a conflict updates nothing.
    await this.#db.query(
      `INSERT INTO issued_identities
         (tenant_id, device_id, profile_id, profile_version, user_id, sealed_pkcs12, sealed_password, certificate_der, serial_number, not_before, not_after)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
       ON CONFLICT (tenant_id, device_id, profile_id, profile_version, user_id) DO UPDATE SET
         sealed_pkcs12 = EXCLUDED.sealed_pkcs12, sealed_password = EXCLUDED.sealed_password, certificate_der = EXCLUDED.certificate_der,
         serial_number = EXCLUDED.serial_number, not_before = EXCLUDED.not_before, not_after = EXCLUDED.not_after,
         created_at = date_trunc('milliseconds', now())
       WHERE issued_identities.serial_number = $12`,
      [...keyParams(key), identity.sealedPkcs12, identity.sealedPassword, identity.certificateDer, identity.serialNumber,
        identity.notBefore, identity.notAfter, replacing],
    );
    await this.#db.query(
      'DELETE FROM issued_identities WHERE tenant_id = $1 AND device_id = $2 AND profile_id = $3 AND profile_version < $4',
      [key.tenantId, key.deviceId, key.profileId, key.profileVersion],
    );
    const stored = await this.get(key);
    // Only a concurrent delete of the device, user or profile (cascading to this row) leaves nothing.
    if (stored === null) throw new Error(`The issued identity for device ${key.deviceId} and profile ${key.profileId} vanished while it was stored.`);
    return stored;
  }

  /**
   * The tenant's issued certificates, oldest first, keyset-paged. A row's `id` is derived from its
   * key (device, profile, user: one version is kept per key), so the cursor is stable. Bounded by
   * devices × PKCS profiles, and served by the primary key's tenant prefix.
   */
  list(tenantId: string, query: ListQuery): Promise<Page<IssuedCertificateRecord>> {
    return listPage<IssuedRow, IssuedCertificateRecord>(this.#db, {
      from: `(SELECT x.*, md5(x.device_id::text || x.profile_id::text || x.user_id::text)::uuid AS id FROM issued_identities x) i
        JOIN managed_devices d ON d.tenant_id = i.tenant_id AND d.id = i.device_id
        JOIN device_configurations c ON c.tenant_id = i.tenant_id AND c.id = i.profile_id
        LEFT JOIN users u ON u.tenant_id = i.tenant_id AND u.id = i.user_id`,
      alias: 'i',
      select: `i.id, i.device_id, d.device_name, i.user_id, u.user_principal_name, i.profile_id, c.display_name AS profile_display_name,
        i.profile_version, i.serial_number, i.not_before, i.not_after, i.created_at`,
      tenantId,
      columns: issuedColumns,
      toItem: (row) => ({
        id: row.id,
        deviceId: row.device_id,
        deviceName: row.device_name,
        userId: row.user_id,
        userPrincipalName: row.user_principal_name,
        profileId: row.profile_id,
        profileDisplayName: row.profile_display_name,
        profileVersion: row.profile_version,
        serialNumber: row.serial_number,
        notBefore: isoTime(row.not_before)!,
        notAfter: isoTime(row.not_after)!,
        issuedDateTime: isoTime(row.created_at)!,
      }),
    }, query);
  }
}
