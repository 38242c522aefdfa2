import type { Queryable } from '../db.ts';

export type SecretKind = 'certificateAuthority' | 'profileSigning';

/** A certificate with its private key sealed (the store never sees the key in clear). */
export interface SealedIdentity {
  certificateDer: Buffer;
  sealedPrivateKey: Buffer;
}

/** Per-tenant sealed identities (tenant CA, profile-signing identity). */
export class SecretStore {
  readonly #db: Queryable;

  constructor(db: Queryable) {
    this.#db = db;
  }

  async get(tenantId: string, kind: SecretKind): Promise<SealedIdentity | null> {
    const rows = await this.#db.query<{ certificate_der: Uint8Array; sealed_private_key: Uint8Array }>(
      'SELECT certificate_der, sealed_private_key FROM tenant_secrets WHERE tenant_id = $1 AND kind = $2',
      [tenantId, kind],
    );
    const row = rows[0];
    return row ? { certificateDer: Buffer.from(row.certificate_der), sealedPrivateKey: Buffer.from(row.sealed_private_key) } : null;
  }

  /** Inserts unless one exists; returns whichever identity is stored afterwards (first writer wins). */
  async putIfAbsent(tenantId: string, kind: SecretKind, identity: SealedIdentity): Promise<SealedIdentity> {
    await this.#db.query(
      `INSERT INTO tenant_secrets (tenant_id, kind, certificate_der, sealed_private_key) VALUES ($1, $2, $3, $4)
       ON CONFLICT (tenant_id, kind) DO NOTHING`,
      [tenantId, kind, identity.certificateDer, identity.sealedPrivateKey],
    );
    return (await this.get(tenantId, kind))!;
  }
}
