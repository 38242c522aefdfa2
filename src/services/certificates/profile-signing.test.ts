import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { Certificate } from 'pkijs';
import { openTestDb, type TestDb } from '../../../test/helpers/test-db.ts';
import * as x509 from '../../lib/x509.ts';
import { signProfile } from '../../payloads/apple/sign-profile.ts';
import { certificatePem, openssl, skipWithoutOpenssl, withFiles } from '../../pki/test-support/openssl.ts';
import { createStores, type Stores } from '../../store/postgres/stores.ts';
import { SecretBox } from '../secrets/secret-box.ts';
import { ProfileSigningService } from './profile-signing.ts';
import { TenantCaService } from './tenant-ca.ts';

describe('ProfileSigningService', () => {
  let testDb: TestDb;
  let stores: Stores;
  const box = new SecretBox(randomBytes(32));
  /** A service as a fresh process would build it: its own TenantCaService, no identities loaded yet. */
  const newService = () => new ProfileSigningService(stores.secrets, box, new TenantCaService(stores.secrets, box));
  const newTenant = async (name: string) => {
    const tenant = await stores.tenants.create({ id: randomUUID(), name, isDefault: false });
    assert.ok(tenant);
    return tenant.id;
  };
  const storedRows = async (tenantId: string) =>
    testDb.db.query<{ certificate_der: Uint8Array; sealed_private_key: Uint8Array }>(
      "SELECT certificate_der, sealed_private_key FROM tenant_secrets WHERE tenant_id = $1 AND kind = 'profileSigning'",
      [tenantId],
    );

  before(async () => {
    testDb = await openTestDb();
    stores = createStores(testDb.db);
  });
  after(async () => testDb.dispose());

  it('creates the identity on first need: an RSA-2048 signer issued by the tenant CA, with a key that cannot be exported', async () => {
    const tenantId = await newTenant('contoso');
    const identity = await newService().ensure(tenantId, 'contoso');
    const ca = await new TenantCaService(stores.secrets, box).ensure(tenantId, 'contoso');

    assert.equal(identity.certificateChainDer.length, 2);
    const [leafDer, caDer] = identity.certificateChainDer as [Uint8Array, Uint8Array];
    assert.deepEqual(Buffer.from(caDer), Buffer.from(ca.certificate.rawData));
    assert.equal(await Certificate.fromBER(leafDer).verify(Certificate.fromBER(caDer)), true);

    const leaf = new x509.X509Certificate(leafDer);
    assert.equal(leaf.subject, 'CN=Envelope profile signing (contoso), O=Envelope');
    assert.equal((leaf.publicKey.algorithm as { modulusLength?: number }).modulusLength, 2048);
    assert.equal(leaf.getExtension(x509.KeyUsagesExtension)?.usages, x509.KeyUsageFlags.digitalSignature);
    assert.equal(leaf.getExtension(x509.KeyUsagesExtension)?.critical, true);
    assert.deepEqual([...(leaf.getExtension(x509.ExtendedKeyUsageExtension)?.usages ?? [])], ['1.3.6.1.5.5.7.3.4']);
    assert.equal(leaf.getExtension(x509.BasicConstraintsExtension)?.ca, false);
    assert.equal(leaf.notAfter.getTime(), ca.certificate.notAfter.getTime(), 'the signer lives as long as its CA');
    assert.equal(identity.privateKey.extractable, false);

    const rows = await storedRows(tenantId);
    assert.equal(rows.length, 1);
    assert.deepEqual(Buffer.from(rows[0]!.certificate_der), Buffer.from(leafDer));
  });

  it('a profile signed with the identity verifies with openssl cms against the tenant CA, and yields the profile', { skip: skipWithoutOpenssl }, async () => {
    const tenantId = await newTenant('fabrikam');
    const identity = await newService().ensure(tenantId, 'fabrikam');
    const profile = new TextEncoder().encode('<?xml version="1.0" encoding="UTF-8"?>\n<plist version="1.0"><dict/></plist>\n');
    const signed = await signProfile(profile, identity);
    const caPem = certificatePem(identity.certificateChainDer[1]!);
    withFiles({ 'profile.der': signed, 'ca.pem': caPem }, (path) => {
      // Default purpose (smimesign): the emailProtection EKU is what lets OpenSSL accept the signer.
      const result = openssl(['cms', '-verify', '-inform', 'DER', '-in', path('profile.der'), '-CAfile', path('ca.pem')]);
      assert.equal(result.status, 0, result.stderr);
      assert.equal(result.stdout, new TextDecoder().decode(profile));
    });
  });

  it('concurrent first calls from two processes end with one stored identity that both use', async () => {
    const tenantId = await newTenant('northwind');
    const [first, second] = await Promise.all([newService().ensure(tenantId, 'northwind'), newService().ensure(tenantId, 'northwind')]);
    assert.deepEqual(Buffer.from(first.certificateChainDer[0]!), Buffer.from(second.certificateChainDer[0]!));
    assert.equal((await storedRows(tenantId)).length, 1);

    const later = await newService().ensure(tenantId, 'northwind');
    assert.deepEqual(Buffer.from(later.certificateChainDer[0]!), Buffer.from(first.certificateChainDer[0]!));
    const data = new TextEncoder().encode('signed by the stored key');
    const signature = await globalThis.crypto.subtle.sign('RSASSA-PKCS1-v1_5', later.privateKey, data);
    const publicKey = await new x509.X509Certificate(later.certificateChainDer[0]!).publicKey.export();
    assert.equal(await globalThis.crypto.subtle.verify('RSASSA-PKCS1-v1_5', publicKey, signature, data), true, 'the reopened key matches the certificate');
  });

  it('within one service a tenant’s identity is loaded once and the same object is returned', async () => {
    const tenantId = await newTenant('tailspin');
    const service = newService();
    const [first, second] = await Promise.all([service.ensure(tenantId, 'tailspin'), service.ensure(tenantId, 'tailspin')]);
    assert.equal(first, second);
    assert.equal(await service.ensure(tenantId, 'tailspin'), first);
  });

  it('tenants get separate identities, each chained to its own CA, and the sealed key opens only for its tenant', async () => {
    const [a, b] = [await newTenant('alpine'), await newTenant('boreal')];
    const service = newService();
    const [identityA, identityB] = [await service.ensure(a, 'alpine'), await service.ensure(b, 'boreal')];
    assert.notDeepEqual(Buffer.from(identityA.certificateChainDer[1]!), Buffer.from(identityB.certificateChainDer[1]!));
    assert.equal(await Certificate.fromBER(identityB.certificateChainDer[0]!).verify(Certificate.fromBER(identityA.certificateChainDer[1]!)), false);

    const sealedA = (await storedRows(a))[0]!.sealed_private_key;
    assert.throws(() => box.open(sealedA, `tenant:${b}:profileSigning`));
    assert.throws(() => box.open(sealedA, `tenant:${a}:certificateAuthority`));
    assert.ok(box.open(sealedA, `tenant:${a}:profileSigning`).length > 0);
  });
});
