import { KeyObject, sign } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import type { IssuedKeyType } from '../src/pki/issue-certificate.ts';
import { issueProfileSigner } from '../src/pki/issue-profile-signer.ts';
import { throwawayCa } from '../src/pki/test-support/throwaway-ca.ts';
import { signProfile, type ProfileSigningIdentity } from '../src/payloads/apple/sign-profile.ts';
import { machineLine, median } from './machine.ts';

/** A typical email profile: the golden password-authenticated EAS `.mobileconfig` (about 2 KB). */
const profile = readFileSync(new URL('../src/payloads/apple/golden/username-password.mobileconfig', import.meta.url));

/** Runs `step` for a warm-up, then for at least `minimumMs`; returns completions per second. */
async function perSecond(step: () => unknown, warmUp: number, minimumMs: number): Promise<number> {
  for (let i = 0; i < warmUp; i++) await step();
  let count = 0;
  const start = performance.now();
  let elapsed = 0;
  while (elapsed < minimumMs) {
    for (let i = 0; i < 50; i++) await step();
    count += 50;
    elapsed = performance.now() - start;
  }
  return Math.round((count / elapsed) * 1000);
}

interface SigningFigures {
  /** `signProfile`: CMS SignedData, certificates chain included, SHA-256 (what delivery runs per profile). */
  cmsPerSecond: number;
  /** The ceiling: `crypto.sign('sha256', …)` of the same bytes with the same key, nothing else. */
  rawPerSecond: number;
}

/**
 * Profile signatures per second on one core for a signer issued by an RSA-2048 tenant CA as
 * ProfileSigningService issues it, with an RSA-2048 and with an ECDSA P-256 key. Each figure: warm-up,
 * then at least 2 s.
 */
export async function benchSignProfileOnce(): Promise<Record<IssuedKeyType, SigningFigures>> {
  const ca = await throwawayCa();
  const figures = {} as Record<IssuedKeyType, SigningFigures>;
  for (const keyType of ['rsa-2048', 'ecdsa-p256'] as const) {
    const signer = await issueProfileSigner({ ca, commonName: 'Envelope profile signing (bench)', keyType });
    const identity: ProfileSigningIdentity = { certificateChainDer: [signer.certificateDer, new Uint8Array(ca.certificate.rawData)], privateKey: signer.privateKey };
    const keyObject = KeyObject.from(signer.privateKey);
    figures[keyType] = {
      cmsPerSecond: await perSecond(() => signProfile(profile, identity), 100, 2000),
      rawPerSecond: await perSecond(() => sign('sha256', profile, keyObject), 100, 2000),
    };
  }
  return figures;
}

/** Three rounds; prints the median and range of each figure. */
export async function benchSignProfile(rounds = 3): Promise<void> {
  console.log(`profile signing benchmark (${profile.length} bytes) — ${machineLine()}`);
  const results: Array<Record<IssuedKeyType, SigningFigures>> = [];
  for (let round = 0; round < rounds; round++) results.push(await benchSignProfileOnce());
  const line = (label: string, values: number[]) =>
    console.log(`${label.padEnd(40)} ${median(values).toLocaleString('en-US').padStart(9)}/s  (range ${Math.min(...values).toLocaleString('en-US')}–${Math.max(...values).toLocaleString('en-US')})`);
  for (const keyType of ['rsa-2048', 'ecdsa-p256'] as const) {
    line(`signProfile, ${keyType}`, results.map((r) => r[keyType].cmsPerSecond));
    line(`raw crypto.sign, ${keyType} (ceiling)`, results.map((r) => r[keyType].rawPerSecond));
  }
}

if (import.meta.main) await benchSignProfile();
