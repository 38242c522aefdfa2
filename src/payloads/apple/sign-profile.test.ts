import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import * as asn1js from 'asn1js';
import * as plist from 'plist';
import { Certificate, ContentInfo, SignedData } from 'pkijs';
import { renderIosProfile } from './render-ios-profile.ts';
import { signProfile } from './sign-profile.ts';
import { goldenInput } from './test-support/ios-profile-fixtures.ts';
import { generateSigningIdentity, type GeneratedSigningIdentity } from './test-support/signing-identity.ts';

const oidSignedData = '1.2.840.113549.1.7.2';
const oidSigningTime = '1.2.840.113549.1.9.5';

function parseSignedData(der: Uint8Array): SignedData {
  const contentInfo = new ContentInfo({ schema: asn1js.fromBER(der).result });
  assert.equal(contentInfo.contentType, oidSignedData);
  return new SignedData({ schema: contentInfo.content });
}

function attachedContent(signedData: SignedData): Uint8Array {
  const eContent = signedData.encapContentInfo.eContent;
  assert.ok(eContent, 'content must be attached');
  return new Uint8Array(eContent.getValue());
}

const openssl = findOpenssl();
function findOpenssl(): string | null {
  try {
    execFileSync('openssl', ['version'], { stdio: 'ignore' });
    return 'openssl';
  } catch {
    return null;
  }
}

describe('signProfile', () => {
  const xml = new TextEncoder().encode(renderIosProfile(goldenInput('smime-pkcs')).xml);
  let rsa: GeneratedSigningIdentity;
  let ecdsa: GeneratedSigningIdentity;
  before(async () => {
    [rsa, ecdsa] = await Promise.all([generateSigningIdentity('RSA'), generateSigningIdentity('ECDSA')]);
  });

  it('produces CMS SignedData with the plist attached, SHA-256, and the whole chain', async () => {
    const signedData = parseSignedData(await signProfile(xml, rsa.identity));
    assert.deepEqual(attachedContent(signedData), xml);
    assert.deepEqual(plist.parse(new TextDecoder().decode(attachedContent(signedData))), plist.parse(new TextDecoder().decode(xml)));
    assert.deepEqual(signedData.digestAlgorithms.map((a) => a.algorithmId), ['2.16.840.1.101.3.4.2.1']);
    assert.equal(signedData.certificates?.length, 2);
    const [leaf] = signedData.certificates as Certificate[];
    assert.deepEqual(new Uint8Array(leaf?.toSchema().toBER() ?? new ArrayBuffer(0)), rsa.identity.certificateChainDer[0]);
  });

  it('verifies with pkijs, including the chain to the issuing CA', async () => {
    for (const { identity, caDer } of [rsa, ecdsa]) {
      const signedData = parseSignedData(await signProfile(xml, identity));
      assert.equal(await signedData.verify({ signer: 0, checkChain: false }), true);
      const trusted = Certificate.fromBER(caDer);
      assert.equal(await signedData.verify({ signer: 0, checkChain: true, trustedCerts: [trusted] }), true);
    }
  });

  it('fails verification when the content is altered', async () => {
    const signedData = parseSignedData(await signProfile(xml, rsa.identity));
    const tampered = new Uint8Array(xml);
    tampered[tampered.length - 10] = (tampered[tampered.length - 10] as number) ^ 1;
    signedData.encapContentInfo.eContent = new asn1js.OctetString({ valueHex: tampered });
    await assert.rejects(signedData.verify({ signer: 0, checkChain: false }), /Message digest doesn't match/);
  });

  it('is deterministic without a signing time, and carries the injected signing time when given', async () => {
    assert.deepEqual(await signProfile(xml, rsa.identity), await signProfile(xml, rsa.identity));
    const signingTime = new Date('2025-06-01T12:00:00Z');
    const signedData = parseSignedData(await signProfile(xml, rsa.identity, { signingTime }));
    const attribute = signedData.signerInfos[0]?.signedAttrs?.attributes.find((a) => a.type === oidSigningTime);
    assert.equal((attribute?.values[0] as asn1js.UTCTime).toDate().toISOString(), signingTime.toISOString());
    assert.equal(await signedData.verify({ signer: 0, checkChain: false }), true);
  });

  it('refuses an identity without a certificate', async () => {
    await assert.rejects(signProfile(xml, { certificateChainDer: [], privateKey: rsa.identity.privateKey }), TypeError);
  });

  it('verifies with openssl cms and yields the plist bytes', { skip: openssl ? false : 'openssl is not installed on this machine' }, async () => {
    const directory = mkdtempSync(join(tmpdir(), 'envelope-cms-'));
    try {
      for (const [name, { identity, caDer }] of Object.entries({ rsa, ecdsa })) {
        const signed = join(directory, `${name}.mobileconfig`);
        const ca = join(directory, `${name}-ca.der`);
        writeFileSync(signed, await signProfile(xml, identity, { signingTime: new Date() }));
        writeFileSync(ca, caDer);
        const content = execFileSync(openssl as string, ['cms', '-verify', '-noverify', '-inform', 'DER', '-in', signed], { stdio: ['ignore', 'pipe', 'pipe'] });
        assert.deepEqual(new Uint8Array(content), xml, `${name}: -noverify`);
        const pem = execFileSync(openssl as string, ['x509', '-inform', 'DER', '-in', ca]);
        writeFileSync(`${ca}.pem`, pem);
        const chained = execFileSync(openssl as string, ['cms', '-verify', '-inform', 'DER', '-in', signed, '-CAfile', `${ca}.pem`, '-purpose', 'any'], { stdio: ['ignore', 'pipe', 'pipe'] });
        assert.deepEqual(new Uint8Array(chained), xml, `${name}: chain to CA`);
      }
    } finally {
      rmSync(directory, { recursive: true, force: true });
    }
  });
});
