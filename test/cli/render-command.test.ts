import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as plist from 'plist';
import { loadApplePayloadSchemas, validateAppleProfile } from '../conformance/apple-schema.ts';
import { ddfFiles, loadDdf, validateSyncMlAgainstDdf } from '../conformance/windows-ddf.ts';

function hasOpenSsl(): boolean {
  return spawnSync('openssl', ['version']).status === 0;
}

const cli = join(import.meta.dirname, '..', '..', 'src', 'cli', 'main.ts');
const fixtures = join(import.meta.dirname, '..', 'fixtures', 'graph-examples');

/** `envelope render`: Envelope as an offline profile compiler for admins of any MDM. */
describe('envelope render', () => {
  let dir: string;
  const file = (name: string, json: unknown) => {
    const path = join(dir, name);
    writeFileSync(path, JSON.stringify(json));
    return path;
  };
  const run = (args: string[]) => spawnSync(process.execPath, [cli, 'render', ...args], { encoding: 'utf8', env: { ...process.env, DATABASE_URL: '' } });
  const jane = { displayName: 'Jane Doe', userPrincipalName: 'jane@contoso.com', mail: 'jane.doe@contoso.com' };
  const base = { accountName: 'Contoso', hostName: 'mail.contoso.com', usernameSource: 'userPrincipalName', emailAddressSource: 'primarySmtpAddress', requireSsl: true, durationOfEmailToSync: 'oneWeek' };

  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'envelope-render-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('writes a conforming .mobileconfig for an iOS profile and a user', () => {
    const out = join(dir, 'jane.mobileconfig');
    const result = run([
      file('ios.json', { '@odata.type': '#microsoft.graph.iosEasEmailProfileConfiguration', displayName: 'Contoso mail', ...base }),
      '--user', file('jane.json', jane), '--out', out,
    ]);
    assert.equal(result.status, 0, result.stderr);
    assert.match(result.stderr, /Wrote mobileconfig/);
    const profile = plist.parse(readFileSync(out, 'utf8')) as { PayloadContent: Array<Record<string, unknown>> };
    assert.deepEqual(validateAppleProfile(loadApplePayloadSchemas(), profile), []);
    assert.equal(profile.PayloadContent[0]!.EmailAddress, 'jane.doe@contoso.com');
  });

  it('prints SyncML for a Windows profile that conforms to the ActiveSync DDF', () => {
    const result = run([
      file('win.json', { '@odata.type': '#microsoft.graph.windows10EasEmailProfileConfiguration', displayName: 'Windows mail', ...base, emailSyncSchedule: 'manual', syncCalendar: true, syncContacts: true, syncTasks: true }),
      '--user', file('jane.json', jane),
    ]);
    assert.equal(result.status, 0, result.stderr);
    assert.deepEqual(validateSyncMlAgainstDdf(loadDdf(ddfFiles.current), result.stdout), []);
  });

  it("renders Microsoft's iOS example with its SCEP certificate and trusted root passed as files", () => {
    const root = JSON.parse(readFileSync(join(fixtures, 'iosTrustedRootCertificate.create.json'), 'utf8'));
    const scep = JSON.parse(readFileSync(join(fixtures, 'iosScepCertificateProfile.create.json'), 'utf8'));
    const rootId = '4ea08d71-3f52-41bd-8e94-6c3050210d34';
    const scepId = '1b7d5a4e-0c2f-4e8a-9b61-3f0d2c9e7a01';
    const email = {
      '@odata.type': '#microsoft.graph.iosEasEmailProfileConfiguration', displayName: 'Certificate mail', ...base,
      authenticationMethod: 'certificate', 'identityCertificate@odata.bind': `deviceConfigurations('${scepId}')`,
    };
    const result = run([file('cert-mail.json', email), '--user', file('jane.json', jane), '--certificate', file('scep.json', { ...scep, id: scepId }), '--certificate', file('root.json', { ...root, id: rootId })]);
    assert.equal(result.status, 0, result.stderr);
    const profile = plist.parse(result.stdout) as { PayloadContent: Array<Record<string, unknown>> };
    assert.deepEqual(validateAppleProfile(loadApplePayloadSchemas(), profile), []);
    assert.deepEqual(profile.PayloadContent.map((p) => p.PayloadType).sort(), ['com.apple.eas.account', 'com.apple.security.root', 'com.apple.security.scep']);
  });

  it('signs an iOS profile with a PEM identity so that OpenSSL verifies it and extracts the plist', { skip: !hasOpenSsl() && 'openssl is not installed' }, () => {
    const key = join(dir, 'signer.key');
    const cert = join(dir, 'signer.pem');
    const made = spawnSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-days', '2', '-subj', '/CN=Envelope test signer'], { encoding: 'utf8' });
    assert.equal(made.status, 0, made.stderr);
    const out = join(dir, 'signed.mobileconfig');
    const result = run([
      file('ios-signed.json', { '@odata.type': '#microsoft.graph.iosEasEmailProfileConfiguration', displayName: 'Signed mail', ...base }),
      '--user', file('jane.json', jane), '--sign-cert', cert, '--sign-key', key, '--out', out,
    ]);
    assert.equal(result.status, 0, result.stderr);
    assert.match(result.stderr, /\(signed\)/);
    const verified = spawnSync('openssl', ['cms', '-verify', '-inform', 'DER', '-in', out, '-CAfile', cert, '-purpose', 'any'], { encoding: 'utf8' });
    assert.equal(verified.status, 0, verified.stderr);
    assert.match(verified.stdout, /<string>com\.apple\.eas\.account<\/string>/);
    const mismatched = run([
      file('ios-signed2.json', { '@odata.type': '#microsoft.graph.iosEasEmailProfileConfiguration', displayName: 'Signed mail 2', ...base }),
      '--user', file('jane.json', jane), '--sign-cert', cert,
    ]);
    assert.equal(mismatched.status, 2);
    assert.match(mismatched.stderr, /--sign-key/);
  });

  it('fails with a message naming the field for an invalid profile, a missing certificate or a user without the attribute', () => {
    const invalid = run([file('bad.json', { '@odata.type': '#microsoft.graph.iosEasEmailProfileConfiguration', displayName: 'Bad', ...base, hostName: 'https://mail' }), '--user', file('jane.json', jane)]);
    assert.equal(invalid.status, 2);
    assert.match(invalid.stderr, /hostName/);
    const unbound = run([
      file('unbound.json', { '@odata.type': '#microsoft.graph.iosEasEmailProfileConfiguration', displayName: 'Unbound', ...base, authenticationMethod: 'certificate', 'identityCertificate@odata.bind': "deviceConfigurations('00000000-0000-4000-8000-000000000001')" }),
      '--user', file('jane.json', jane),
    ]);
    assert.equal(unbound.status, 2);
    assert.match(unbound.stderr, /identityCertificate@odata.bind/);
    const noMail = run([file('ios2.json', { '@odata.type': '#microsoft.graph.iosEasEmailProfileConfiguration', displayName: 'Needs mail', ...base }), '--user', file('nomail.json', { userPrincipalName: 'x@contoso.com' })]);
    assert.equal(noMail.status, 2);
    assert.match(noMail.stderr, /has no mail/);
    assert.equal(run([]).status, 2);
  });
});
