import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { it } from 'node:test';
import { benchIdentity, createBenchIdentities, signMdmMessageFast } from '../../bench/fleet-identities.ts';
import { verifyMdmSignature, verifyWithPkijs } from '../../src/protocols/apple-mdm/mdm-signature.ts';
import { verifyMdmSignatureFast } from '../../src/protocols/apple-mdm/mdm-signature-fast.ts';

it('bench identities are distinct CA-issued certificates, and the fast Mdm-Signature verifies on both server paths', async () => {
  const identities = await createBenchIdentities();
  const ca = new X509Certificate(identities.caCertificatePem);
  const first = identities.certificate(1);
  const second = identities.certificate(70_000);
  assert.notEqual(benchIdentity(first, identities).certificateSha256, benchIdentity(second, identities).certificateSha256);
  for (const der of [first, second]) {
    const certificate = new X509Certificate(der);
    assert.ok(certificate.verify(ca.publicKey), 'signed by the bench CA');
    assert.ok(certificate.checkIssued(ca));
  }
  const body = new TextEncoder().encode('<plist>an Idle poll</plist>');
  const header = signMdmMessageFast(body, second, identities.key);
  const expected = benchIdentity(second, identities).certificateSha256;
  const der = new Uint8Array(Buffer.from(header, 'base64'));
  assert.equal(verifyMdmSignatureFast(der, body)?.certificateSha256, expected, 'the fast path understands it');
  assert.equal((await verifyWithPkijs(der, body)).certificateSha256, expected, 'pkijs agrees');
  assert.equal((await verifyMdmSignature(header, body)).certificateSha256, expected);
  await assert.rejects(verifyMdmSignature(header, new TextEncoder().encode('another body')));
});
