import type { Queryable } from '../db.ts';

/** Where an enrolled PC is pushed: the WNS channel URI its last OMA-DM session reported. */
export interface WindowsPushTarget {
  deviceId: string;
  channelUri: string;
}

/** The push side's view of `windows_enrollments` (migration 0007): who can be pushed, and forgetting dead channels. */
export class WindowsPushTargetStore {
  readonly #db: Queryable;

  constructor(db: Queryable) {
    this.#db = db;
  }

  /** The targets of those devices that have an enabled enrollment with a channel URI; others are absent. */
  async targets(tenantId: string, deviceIds: readonly string[]): Promise<WindowsPushTarget[]> {
    if (deviceIds.length === 0) return [];
    const rows = await this.#db.query<{ device_id: string; push_channel_uri: string }>(
      `SELECT device_id, push_channel_uri FROM windows_enrollments
        WHERE tenant_id = $1 AND device_id = ANY($2::uuid[]) AND enabled AND push_channel_uri IS NOT NULL`,
      [tenantId, deviceIds],
    );
    return rows.map((row) => ({ deviceId: row.device_id, channelUri: row.push_channel_uri }));
  }

  /**
   * Forgets a channel WNS called gone (410 expired, 404 unknown): the PC is not pushed again until a
   * session reports a channel URI again. Only if the stored URI is still `channelUri`: a newer one a
   * session wrote meanwhile wins. Returns whether it cleared one.
   */
  async clearChannelUri(tenantId: string, deviceId: string, channelUri: string): Promise<boolean> {
    const rows = await this.#db.query(
      `UPDATE windows_enrollments SET push_channel_uri = NULL
        WHERE tenant_id = $1 AND device_id = $2 AND push_channel_uri = $3 RETURNING 1`,
      [tenantId, deviceId, channelUri],
    );
    return rows.length > 0;
  }
}
