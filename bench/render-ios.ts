import { performance } from 'node:perf_hooks';
import type { DirectoryUser } from '../src/domain/directory.ts';
import { renderIosProfile, type RenderIosProfileInput } from '../src/payloads/apple/render-ios-profile.ts';
import { signProfile } from '../src/payloads/apple/sign-profile.ts';
import { goldenInput, goldenProfiles, iPhoneOf, type GoldenScenario } from '../src/payloads/apple/test-support/ios-profile-fixtures.ts';
import { generateSigningIdentity } from '../src/payloads/apple/test-support/signing-identity.ts';

/**
 * A pool of distinct users over the four golden scenarios (password; SCEP certificate + root;
 * S/MIME with two PKCS#12 identities + root; sAM + NetBIOS), so every render does the full
 * per-device work: user values, ids, certificate payloads, serialisation, content hash.
 */
const scenarios = Object.keys(goldenProfiles) as GoldenScenario[];
const pool: RenderIosProfileInput[] = Array.from({ length: 1024 }, (_, i) => {
  const base = goldenInput(scenarios[i % scenarios.length] as GoldenScenario);
  const user: DirectoryUser = {
    ...base.user,
    id: `user-${i}`,
    userPrincipalName: `user${i}@contoso.com`,
    mail: `user${i}.mail@contoso.com`,
    onPremisesSamAccountName: `user${i}`,
  };
  return { ...base, user, device: iPhoneOf(user) };
});

/** Runs `step` for a warm-up, then for at least `minimumMs` of timed loop; returns completions per second. */
async function measure(step: (i: number) => number | Promise<number>, warmUp: number, minimumMs: number): Promise<number> {
  let bytes = 0;
  for (let i = 0; i < warmUp; i++) bytes += await step(i);
  let count = 0;
  const start = performance.now();
  let elapsed = 0;
  while (elapsed < minimumMs) {
    for (let i = 0; i < 100; i++) bytes += await step(count++);
    elapsed = performance.now() - start;
  }
  if (bytes === 0) throw new Error('Nothing was rendered.');
  return Math.round((count / elapsed) * 1000);
}

/**
 * iOS profile renders per second on one core, no I/O: unsigned (render to XML) and signed (render,
 * UTF-8 encode, CMS-sign with a freshly generated RSA-2048 identity). Each: warm-up, then ≥ 2 s.
 */
export async function benchIos(): Promise<{ unsignedPerSecond: number; signedPerSecond: number }> {
  const unsignedPerSecond = await measure((i) => renderIosProfile(pool[i % pool.length] as RenderIosProfileInput).xml.length, 20_000, 2000);
  const { identity } = await generateSigningIdentity('RSA');
  const encoder = new TextEncoder();
  const signedPerSecond = await measure(
    async (i) => (await signProfile(encoder.encode(renderIosProfile(pool[i % pool.length] as RenderIosProfileInput).xml), identity)).length,
    200,
    2000,
  );
  return { unsignedPerSecond, signedPerSecond };
}

if (import.meta.main) {
  const { unsignedPerSecond, signedPerSecond } = await benchIos();
  console.log(`iOS profile renders, unsigned: ${unsignedPerSecond.toLocaleString('en-US')}/s`);
  console.log(`iOS profile renders, signed (RSA-2048): ${signedPerSecond.toLocaleString('en-US')}/s`);
}
