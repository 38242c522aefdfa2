import type { Queryable } from '../db.ts';

/** Where an enrolled Apple device is pushed: its APNs token (hex) and the PushMagic of its last TokenUpdate. */
export interface ApplePushTarget {
  deviceId: string;
  pushTokenHex: string;
  pushMagic: string;
}

/** The push side's view of `apple_enrollments`: who can be pushed, and forgetting dead tokens. */
export class ApplePushTargetStore {
  readonly #db: Queryable;

  constructor(db: Queryable) {
    this.#db = db;
  }

  /** The push targets of those devices that have an enabled enrollment with a push token; others are absent. */
  async targets(tenantId: string, deviceIds: readonly string[]): Promise<ApplePushTarget[]> {
    if (deviceIds.length === 0) return [];
    const rows = await this.#db.query<{ device_id: string; push_token_hex: string; push_magic: string }>(
      `SELECT device_id, push_token_hex, push_magic FROM apple_enrollments
        WHERE tenant_id = $1 AND device_id = ANY($2::uuid[]) AND enabled AND push_token_hex IS NOT NULL`,
      [tenantId, deviceIds],
    );
    return rows.map((row) => ({ deviceId: row.device_id, pushTokenHex: row.push_token_hex, pushMagic: row.push_magic }));
  }

  /**
   * Forgets a token APNs called dead (Unregistered, BadDeviceToken…): the device is not pushed again
   * until its next TokenUpdate. Only if the stored token is still `pushTokenHex`: a TokenUpdate that
   * arrived meanwhile wins. Returns whether it cleared one.
   */
  async clearPushToken(tenantId: string, deviceId: string, pushTokenHex: string): Promise<boolean> {
    const rows = await this.#db.query(
      `UPDATE apple_enrollments SET push_token_hex = NULL, push_magic = NULL
        WHERE tenant_id = $1 AND device_id = $2 AND push_token_hex = $3 RETURNING 1`,
      [tenantId, deviceId, pushTokenHex],
    );
    return rows.length > 0;
  }
}
