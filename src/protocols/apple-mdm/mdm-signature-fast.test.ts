import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import fc from 'fast-check';
import { encodeCommandResult } from './command-result.ts';
import { MdmSignatureError, signMdmMessage, verifyMdmSignature, verifyWithPkijs, type MdmSigningIdentity } from './mdm-signature.ts';
import { FastSignatureFailure, verifyMdmSignatureFast } from './mdm-signature-fast.ts';
import { createTestCa, issueDeviceIdentity, type KeyKind } from './test-support/device-identity.ts';

const seed = Number(process.env.SIGNATURE_SEED ?? 20261130);

type Outcome = { ok: true; certificateSha256: string } | { ok: false; code: string };

async function slow(der: Uint8Array, body: Uint8Array): Promise<Outcome> {
  try {
    return { ok: true, certificateSha256: (await verifyWithPkijs(der, body)).certificateSha256 };
  } catch (error) {
    assert.ok(error instanceof MdmSignatureError, String(error));
    return { ok: false, code: error.code };
  }
}

function fast(der: Uint8Array, body: Uint8Array): Outcome | null {
  try {
    const result = verifyMdmSignatureFast(der, body);
    return result === null ? null : { ok: true, certificateSha256: result.certificateSha256 };
  } catch (error) {
    assert.ok(error instanceof FastSignatureFailure, String(error));
    return { ok: false, code: error.code };
  }
}

describe('Mdm-Signature fast path', () => {
  const devices = {} as Record<KeyKind, MdmSigningIdentity>;
  before(async () => {
    for (const kind of ['RSA', 'ECDSA'] as const) devices[kind] = await issueDeviceIdentity(await createTestCa(kind), `device ${kind}`);
  });

  it('answers the signatures devices make, with the same certificate hash as the pkijs path', async () => {
    for (const kind of ['RSA', 'ECDSA'] as const) {
      const body = encodeCommandResult({ UDID: 'A', Status: 'Idle' });
      const der = Buffer.from(await signMdmMessage(body, devices[kind]), 'base64');
      const answer = fast(der, body);
      assert.ok(answer?.ok, `${kind}: the fast path handles it`);
      assert.deepEqual(answer, await slow(der, body));
      assert.deepEqual(await verifyMdmSignature(der.toString('base64'), body), await verifyWithPkijs(der, body));
    }
  });

  it('never accepts a damaged signature or another body that the complete pkijs check refuses', async () => {
    const bodies = [encodeCommandResult({ UDID: 'A', Status: 'Idle' }), encodeCommandResult({ UDID: 'B', Status: 'Acknowledged', CommandUUID: 'C' })];
    const signed = await Promise.all((['RSA', 'ECDSA'] as const).flatMap((kind) => bodies.map(async (body) => ({ body, der: Buffer.from(await signMdmMessage(body, devices[kind]), 'base64') }))));
    const signedHashes = signed.map(({ der, body }) => (fast(der, body) as { certificateSha256: string }).certificateSha256);
    await fc.assert(
      fc.asyncProperty(fc.nat({ max: signed.length - 1 }), fc.nat(), fc.integer({ min: 1, max: 255 }), fc.boolean(), async (which, at, xor, otherBody) => {
        const { der, body } = signed[which]!;
        const damaged = Buffer.from(der);
        damaged[at % damaged.length]! ^= xor;
        const checkedBody = otherBody ? bodies[(bodies.indexOf(body) + 1) % bodies.length]! : body;
        const quick = fast(damaged, checkedBody);
        const full = await slow(damaged, checkedBody);
        let served: Outcome;
        try {
          served = { ok: true, certificateSha256: (await verifyMdmSignature(damaged.toString('base64'), checkedBody)).certificateSha256 };
        } catch (error) {
          assert.ok(error instanceof MdmSignatureError, String(error));
          served = { ok: false, code: error.code };
        }
        // What the server uses accepts a damaged signature for the original certificate only when
        // the complete check does too; damage inside a certificate makes another certificate (hash),
        // which no enrollment is bound to.
        if (served.ok && served.certificateSha256 === signedHashes[which]) assert.deepEqual(served, full, 'accepted by both, for the same certificate');
        if (quick?.ok && !full.ok) assert.notEqual(quick.certificateSha256, signedHashes[which], 'the fast path alone accepted a damaged signature of a known certificate');
      }),
      { seed, numRuns: 400 },
    );
  });
});
