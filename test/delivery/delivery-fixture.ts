import { randomBytes } from 'node:crypto';
import assert from 'node:assert/strict';
import { createEnvelope, type Envelope } from '../../src/main.ts';
import type { Db, Queryable } from '../../src/store/db.ts';
import { uuidBytes } from '../../src/domain/name-based-uuid.ts';
import { envelopeUuidNamespace } from '../../src/services/rendering/render-inputs.ts';
import { DeliveryService, type DeliveryOptions } from '../../src/services/delivery/delivery-service.ts';
import { PostgresDeliveryStore } from '../../src/store/postgres/delivery-store.ts';

/**
 * A complete Envelope on `db` for delivery tests, with helpers that set up the directory through
 * the real services (so the epoch triggers fire as in production) and read delivery rows back.
 */
export interface DeliveryFixture {
  envelope: Envelope;
  tenantId: string;
  user(name: string): Promise<string>;
  device(name: string, userId: string | null, operatingSystem?: 'iOS' | 'Windows'): Promise<string>;
  group(name: string, members: { users?: string[]; devices?: string[] }): Promise<string>;
  iosProfile(name: string, hostName: string, extra?: Record<string, unknown>): Promise<string>;
  assign(profileId: string, groupIds: string[]): Promise<void>;
  ledger(deviceId: string): Promise<Record<string, { state: string; reason_code: string; operation: string | null; command_id: string | null; installed_version: number | null; updated_at: Date }>>;
  activeCommands(deviceId: string): Promise<{ command_id: string; status: string; kind: string; profile_id: string }[]>;
  /** A DeliveryService on another connection (pool), as a second server process would have. */
  serviceOn(db: Db, options?: Partial<DeliveryOptions>): DeliveryService;
}

export async function createDeliveryFixture(db: Db): Promise<DeliveryFixture> {
  const envelope = await createEnvelope({ db, secretKey: randomBytes(32), adminToken: `env_test_${randomBytes(24).toString('base64url')}`, logger: false, publicUrl: 'https://envelope.test' });
  const tenant = await envelope.services.tenants.authenticate(`Bearer ${(await envelope.services.tenants.createToken('default', 'admin')).token}`);
  const tenantId = tenant.tenantId;
  const s = envelope.services;
  return {
    envelope,
    tenantId,
    async user(name) {
      return (await s.users.create(tenantId, { displayName: name, userPrincipalName: `${name.toLowerCase()}@contoso.com` })).id;
    },
    async device(name, userId, operatingSystem = 'iOS') {
      return (await s.devices.create(tenantId, { deviceName: name, operatingSystem, osVersion: operatingSystem === 'iOS' ? '17.4' : '10.0.22631', userId })).id;
    },
    async group(name, members) {
      const refs = [...(members.users ?? []).map((id) => `https://graph.microsoft.com/beta/users/${id}`), ...(members.devices ?? []).map((id) => `https://graph.microsoft.com/beta/devices/${id}`)];
      return (await s.groups.create(tenantId, { displayName: name }, refs)).id;
    },
    async iosProfile(name, hostName, extra = {}) {
      const profile = await s.profiles.create(tenantId, {
        '@odata.type': '#microsoft.graph.iosEasEmailProfileConfiguration', displayName: name, accountName: name, hostName,
        usernameSource: 'userPrincipalName', emailAddressSource: 'userPrincipalName', requireSsl: true, durationOfEmailToSync: 'oneWeek', ...extra,
      });
      return profile.id;
    },
    async assign(profileId, groupIds) {
      await s.assignments.assign(tenantId, profileId, { assignments: groupIds.map((groupId) => ({ target: { '@odata.type': '#microsoft.graph.groupAssignmentTarget', groupId } })) });
    },
    async ledger(deviceId) {
      const rows = await db.query<{ profile_id: string; state: string; reason_code: string; operation: string | null; command_id: string | null; installed_version: number | null; updated_at: Date }>(
        `SELECT profile_id, state, reason_code, operation, command_id, (installed->>'version')::int AS installed_version, updated_at
           FROM delivery_ledger WHERE tenant_id = $1 AND device_id = $2`,
        [tenantId, deviceId],
      );
      return Object.fromEntries(rows.map((r) => [r.profile_id, r]));
    },
    activeCommands(deviceId) {
      return db.query(`SELECT command_id, status, kind, profile_id FROM delivery_commands WHERE tenant_id = $1 AND device_id = $2 AND active ORDER BY seq`, [tenantId, deviceId]);
    },
    serviceOn(other, options) {
      return new DeliveryService({
        delivery: new PostgresDeliveryStore(other),
        transact: (fn) => other.transaction((tx) => fn(new PostgresDeliveryStore(tx))),
        uuidNamespace: uuidBytes(envelopeUuidNamespace),
        options,
      });
    },
  };
}

/** A Queryable that records every statement it runs (to assert what a path reads and writes). */
export function recordingDb(db: Db): { db: Db; statements: string[] } {
  const statements: string[] = [];
  const wrap = (q: Queryable): Queryable => ({
    query: (sql, params) => {
      statements.push(sql.trim());
      return q.query(sql, params);
    },
    exec: (sql) => {
      statements.push(sql.trim());
      return q.exec(sql);
    },
  });
  return {
    statements,
    db: { ...wrap(db), kind: db.kind, close: () => db.close(), transaction: (fn) => { statements.push('BEGIN'); return db.transaction((tx) => fn(wrap(tx))); } },
  };
}

export function assertOne<T>(items: readonly T[]): T {
  assert.equal(items.length, 1, JSON.stringify(items));
  return items[0]!;
}
