import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as x509 from '../../src/lib/x509.ts';
import { SecretBox } from '../../src/services/secrets/secret-box.ts';
import { createTestApp, type TestApp } from '../helpers/test-app.ts';

describe("the tenant's own certificate authority", () => {
  let t: TestApp;
  before(async () => {
    t = await createTestApp();
  });
  after(() => t.close());

  it('is created once, on first request, as a CA certificate whose key is stored sealed', async () => {
    const first = await t.request('GET', '/graph/beta/envelope/certificateAuthority');
    assert.equal(first.status, 200);
    const second = await t.request('GET', '/graph/beta/envelope/certificateAuthority', { token: await t.readOnlyToken() });
    assert.equal(second.body.thumbprint, first.body.thumbprint);
    const certificate = new x509.X509Certificate(Buffer.from(first.body.certificate, 'base64'));
    assert.match(certificate.subject, /CN=Envelope CA \(default\)/);
    assert.equal(certificate.getExtension(x509.BasicConstraintsExtension)?.ca, true);

    const rows = await t.envelope.db.query<{ tenant_id: string; sealed_private_key: Uint8Array }>(
      "SELECT tenant_id, sealed_private_key FROM tenant_secrets WHERE kind = 'certificateAuthority'",
    );
    assert.equal(rows.length, 1);
    const sealed = Buffer.from(rows[0]!.sealed_private_key);
    assert.equal(sealed[0], 1, 'sealed format version');
    const box = new SecretBox(t.secretKey);
    const pkcs8 = box.open(sealed, `tenant:${rows[0]!.tenant_id}:certificateAuthority`);
    assert.equal(pkcs8[0], 0x30, 'the sealed value opens to a DER PKCS#8 key');
    assert.equal(sealed.includes(pkcs8.subarray(0, 64)), false, 'no plaintext key bytes are stored');
    assert.throws(() => box.open(sealed, 'tenant:someone-else:certificateAuthority'));
    assert.throws(() => new SecretBox(Buffer.alloc(32, 7)).open(sealed, `tenant:${rows[0]!.tenant_id}:certificateAuthority`));
  });

  it('differs per tenant', async () => {
    const other = await t.tenant('fabrikam');
    const mine = await t.request('GET', '/graph/beta/envelope/certificateAuthority');
    const theirs = await t.request('GET', '/graph/beta/envelope/certificateAuthority', { token: other.admin });
    assert.notEqual(theirs.body.thumbprint, mine.body.thumbprint);
    assert.match(theirs.body.subject, /fabrikam/);
  });

  it('needs a token', async () => {
    assert.equal((await t.request('GET', '/graph/beta/envelope/certificateAuthority', { token: null })).status, 401);
  });
});
