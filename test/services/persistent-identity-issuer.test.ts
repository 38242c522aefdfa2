import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import type { DirectoryUser, ManagedDevice } from '../../src/domain/directory.ts';
import type { Profile } from '../../src/domain/profiles/index.ts';
import type { IssuingCa } from '../../src/pki/ca-certificate.ts';
import { CaPkcs12IdentityIssuer, type Pkcs12Identity, type Pkcs12IdentityIssuer, type Pkcs12IdentityRequest } from '../../src/services/certificates/identity-issuer.ts';
import { PersistentPkcs12IdentityIssuer } from '../../src/services/certificates/persistent-identity-issuer.ts';
import { MaintenanceWorker } from '../../src/services/maintenance/maintenance-worker.ts';
import { SecretBox } from '../../src/services/secrets/secret-box.ts';
import { IssuedIdentityStore } from '../../src/store/postgres/issued-identity-store.ts';
import { MaintenanceStore } from '../../src/store/postgres/maintenance-store.ts';
import { createTestApp, type TestApp } from '../helpers/test-app.ts';

const day = 24 * 60 * 60_000;

/** Issues from the tenant CA and counts how often it really did. */
class CountingIssuer implements Pkcs12IdentityIssuer {
  issued = 0;
  readonly #inner: Pkcs12IdentityIssuer;
  constructor(inner: Pkcs12IdentityIssuer) {
    this.#inner = inner;
  }
  issue(request: Pkcs12IdentityRequest): Promise<Pkcs12Identity> {
    this.issued += 1;
    return this.#inner.issue(request);
  }
}

function serialOf(identity: Pkcs12Identity): string {
  return new X509Certificate(identity.certificateDer).serialNumber.toLowerCase();
}

describe('PersistentPkcs12IdentityIssuer', () => {
  let t: TestApp;
  let tenantId: string;
  let ca: IssuingCa;
  let box: SecretBox;
  let user: DirectoryUser;
  let device: ManagedDevice;

  before(async () => {
    t = await createTestApp();
    const s = t.envelope.services;
    tenantId = (await s.tenants.authenticate(`Bearer ${t.adminToken}`)).tenantId;
    ca = await s.tenantCa.ensure(tenantId, 'default');
    box = new SecretBox(t.secretKey);
    user = await s.users.create(tenantId, { displayName: 'Jane', userPrincipalName: 'jane@contoso.com' });
    device = await s.devices.create(tenantId, { deviceName: 'Jane iPhone', operatingSystem: 'iOS', osVersion: '18.1', userId: user.id });
  });
  after(() => t.close());

  let profiles = 0;
  function pkcsProfile(settings: Record<string, unknown> = {}): Promise<Profile> {
    profiles += 1;
    return t.envelope.services.profiles.create(tenantId, { '@odata.type': '#microsoft.graph.iosPkcsCertificateProfile', displayName: `PKCS ${profiles}`, ...settings });
  }

  /** An issuer as one server process has it: its own store object on the shared database. */
  function issuerOf(options: { now?: () => Date; issuer?: Pkcs12IdentityIssuer } = {}): PersistentPkcs12IdentityIssuer {
    return new PersistentPkcs12IdentityIssuer({
      tenantId,
      store: new IssuedIdentityStore(t.envelope.db),
      box,
      issuer: options.issuer ?? new CaPkcs12IdentityIssuer(ca),
      now: options.now,
    });
  }

  function rowsOf(profileId: string) {
    return t.envelope.db.query<Record<string, unknown> & { profile_version: number; serial_number: string }>(
      'SELECT * FROM issued_identities WHERE tenant_id = $1 AND device_id = $2 AND profile_id = $3 ORDER BY profile_version',
      [tenantId, device.id, profileId],
    );
  }

  it('hands out the same PKCS#12 file, password and certificate for the same key, from any issuer, issuing once', async () => {
    const profile = await pkcsProfile();
    const counting = new CountingIssuer(new CaPkcs12IdentityIssuer(ca));
    const first = await issuerOf({ issuer: counting }).issue({ certificateProfile: profile, user, device });
    const again = await issuerOf({ issuer: counting }).issue({ certificateProfile: profile, user, device });
    assert.equal(counting.issued, 1);
    assert.deepEqual(Buffer.from(again.bytes), Buffer.from(first.bytes), 'byte-identical PKCS#12');
    assert.equal(again.password, first.password);
    assert.deepEqual(Buffer.from(again.certificateDer), Buffer.from(first.certificateDer));
    assert.equal(again.notAfter.getTime(), first.notAfter.getTime());
    const rows = await rowsOf(profile.id);
    assert.equal(rows.length, 1);
    assert.equal(rows[0]!.serial_number, serialOf(first));
  });

  it('issues a new identity for a new profile version and deletes the older version’s', async () => {
    const profile = await pkcsProfile();
    const issuer = issuerOf();
    const v1 = await issuer.issue({ certificateProfile: profile, user, device });
    const updated = await t.envelope.services.profiles.update(tenantId, profile.id, { '@odata.type': '#microsoft.graph.iosPkcsCertificateProfile', certificateValidityPeriodValue: 2 });
    assert.equal(updated.version, profile.version + 1);
    const v2 = await issuer.issue({ certificateProfile: updated, user, device });
    assert.notEqual(serialOf(v2), serialOf(v1));
    const rows = await rowsOf(profile.id);
    assert.deepEqual(rows.map((r) => [r.profile_version, r.serial_number]), [[updated.version, serialOf(v2)]]);
  });

  it('keeps the identity until renewalThresholdPercentage of its validity remains, then issues and stores a new one', async () => {
    const profile = await pkcsProfile({ certificateValidityPeriodValue: 10, certificateValidityPeriodScale: 'days', renewalThresholdPercentage: 20 });
    const first = await issuerOf().issue({ certificateProfile: profile, user, device });
    const validity = first.notAfter.getTime() - first.notBefore.getTime();
    const renewalPoint = first.notAfter.getTime() - validity * 0.2;

    const before = await issuerOf({ now: () => new Date(renewalPoint - 1000) }).issue({ certificateProfile: profile, user, device });
    assert.equal(serialOf(before), serialOf(first), 'a second before 20 % remain: the same identity');
    const renewed = await issuerOf({ now: () => new Date(renewalPoint) }).issue({ certificateProfile: profile, user, device });
    assert.notEqual(serialOf(renewed), serialOf(first), '20 % remain: renewed');
    const rows = await rowsOf(profile.id);
    assert.deepEqual(rows.map((r) => r.serial_number), [serialOf(renewed)], 'the renewed identity replaced the old one');
    const later = await issuerOf().issue({ certificateProfile: profile, user, device });
    assert.deepEqual(Buffer.from(later.bytes), Buffer.from(renewed.bytes), 'the renewed identity is kept in turn');
  });

  it('gives two issuers racing for the same key (as two processes would) the same certificate, when issuing and when renewing', async () => {
    const profile = await pkcsProfile();
    // Both calls issue before either stores, so both reach the insert with their own identity.
    let arrived = 0;
    let release!: () => void;
    const bothIssued = new Promise<void>((resolve) => (release = resolve));
    const racing: Pkcs12IdentityIssuer = {
      async issue(request) {
        const identity = await new CaPkcs12IdentityIssuer(ca).issue(request);
        if (++arrived === 2) release();
        await bothIssued;
        return identity;
      },
    };
    const [a, b] = await Promise.all([
      issuerOf({ issuer: racing }).issue({ certificateProfile: profile, user, device }),
      issuerOf({ issuer: racing }).issue({ certificateProfile: profile, user, device }),
    ]);
    assert.equal(arrived, 2, 'both issued');
    assert.equal(serialOf(a), serialOf(b));
    assert.deepEqual(Buffer.from(a.bytes), Buffer.from(b.bytes));
    assert.equal(a.password, b.password);
    assert.deepEqual((await rowsOf(profile.id)).map((r) => r.serial_number), [serialOf(a)]);

    // Past the renewal point, a renewal that read the old row but stores after another caller's renewal
    // was handed out gets that one: the row is replaced only while it still holds what the caller read.
    const pastRenewal = () => new Date(a.notAfter.getTime() - 1000);
    let issuing!: () => void;
    const lateIsIssuing = new Promise<void>((resolve) => (issuing = resolve));
    let open!: () => void;
    const gate = new Promise<void>((resolve) => (open = resolve));
    const slow: Pkcs12IdentityIssuer = {
      async issue(request) {
        issuing();
        await gate;
        return new CaPkcs12IdentityIssuer(ca).issue(request);
      },
    };
    const late = issuerOf({ issuer: slow, now: pastRenewal }).issue({ certificateProfile: profile, user, device });
    await lateIsIssuing;
    const renewed = await issuerOf({ now: pastRenewal }).issue({ certificateProfile: profile, user, device });
    assert.notEqual(serialOf(renewed), serialOf(a));
    open();
    assert.equal(serialOf(await late), serialOf(renewed));
    assert.deepEqual((await rowsOf(profile.id)).map((r) => r.serial_number), [serialOf(renewed)]);
  });

  it('stores neither the PKCS#12 file nor its password in clear, and a sealed file moved to another row does not open', async () => {
    const profile = await pkcsProfile();
    const identity = await issuerOf().issue({ certificateProfile: profile, user, device });
    const [row] = await rowsOf(profile.id);
    assert.ok(row);
    const password = Buffer.from(identity.password, 'utf8');
    const pkcs12 = Buffer.from(identity.bytes);
    for (const [column, value] of Object.entries(row)) {
      const raw = value instanceof Uint8Array ? Buffer.from(value) : Buffer.from(String(value), 'utf8');
      assert.equal(raw.includes(password), false, `${column} holds the password`);
      assert.equal(raw.includes(pkcs12.subarray(0, 64)), false, `${column} holds the PKCS#12 file`);
    }
    assert.equal(Buffer.from(row.sealed_pkcs12 as Uint8Array).length > pkcs12.length, true, 'sealed, not dropped');

    // The same sealed values under another profile's key: the issuer refuses to open them.
    const other = await pkcsProfile();
    await issuerOf().issue({ certificateProfile: other, user, device });
    await t.envelope.db.query(
      `UPDATE issued_identities SET sealed_pkcs12 = $1, sealed_password = $2, certificate_der = $3, serial_number = $4
        WHERE tenant_id = $5 AND device_id = $6 AND profile_id = $7`,
      [row.sealed_pkcs12, row.sealed_password, row.certificate_der, row.serial_number, tenantId, device.id, other.id],
    );
    await assert.rejects(issuerOf().issue({ certificateProfile: other, user, device }), /unable to authenticate|Unsupported state/);
  });

  it('goes with its device, and maintenance deletes identities expired more than 30 days ago', async () => {
    const profile = await pkcsProfile();
    const phone = await t.envelope.services.devices.create(tenantId, { deviceName: 'Old iPhone', operatingSystem: 'iOS', osVersion: '17.0', userId: user.id });
    const tablet = await t.envelope.services.devices.create(tenantId, { deviceName: 'Old iPad', operatingSystem: 'iOS', osVersion: '17.0', userId: user.id });
    for (const d of [device, phone, tablet]) await issuerOf().issue({ certificateProfile: profile, user, device: d });
    const expire = (deviceId: string, daysAgo: number) =>
      t.envelope.db.query('UPDATE issued_identities SET not_before = $1, not_after = $2 WHERE device_id = $3 AND profile_id = $4', [
        new Date(Date.now() - (daysAgo + 365) * day), new Date(Date.now() - daysAgo * day), deviceId, profile.id]);
    await expire(phone.id, 31);
    await expire(tablet.id, 29);

    const worker = new MaintenanceWorker({ delivery: t.envelope.services.delivery, store: new MaintenanceStore(t.envelope.db), log: { info: () => undefined, warn: () => undefined }, options: { batchSize: 1 } });
    assert.equal((await worker.runOnce()).identities, 1);
    const left = await t.envelope.db.query<{ device_id: string }>('SELECT device_id FROM issued_identities WHERE profile_id = $1', [profile.id]);
    assert.deepEqual(left.map((r) => r.device_id).sort(), [device.id, tablet.id].sort(), 'the current one and the one expired 29 days ago stay');
    assert.equal((await worker.runOnce()).identities, 0);

    assert.equal((await t.request('DELETE', `/graph/beta/deviceManagement/managedDevices/${tablet.id}`)).status, 204);
    assert.equal((await rowsOf(profile.id)).length, 1, 'the other device’s identity is untouched');
    assert.equal((await t.envelope.db.query('SELECT 1 FROM issued_identities WHERE device_id = $1', [tablet.id])).length, 0, 'the deleted device’s identity is gone');
  });
});
