import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import * as plist from 'plist';
import { parseProfileCreate, type Profile } from '../../src/domain/profiles/index.ts';
import type { AppleCertificateMaterial } from '../../src/payloads/apple/certificate-material.ts';
import { iosEmailProfileInputOf } from '../../src/payloads/apple/ios-email-profile-input.ts';
import { buildPlistXml } from '../../src/payloads/apple/plist-xml.ts';
import { renderIosProfile, type RenderedIosProfile } from '../../src/payloads/apple/render-ios-profile.ts';
import { iosRenderInput, xmlSafeString } from '../../src/payloads/apple/test-support/ios-profile-arbitraries.ts';
import { fillerBytes, fixtureIdSeed, goldenInput, goldenProfiles, iPhoneOf, jane, type GoldenScenario } from '../../src/payloads/apple/test-support/ios-profile-fixtures.ts';
import { readPlistXml, type PlistReadValue } from './apple-plist-reader.ts';
import { loadApplePayloadSchemas, validateAppleProfile } from './apple-schema.ts';

const schemas = loadApplePayloadSchemas();

type Dict = Record<string, unknown>;

/**
 * Reads the rendered XML with two independent parsers, requires them to agree, and returns the
 * profile after checking it against Apple's YAML and Envelope's own promises.
 */
function checkRendered(rendered: RenderedIosProfile): Dict {
  const independent = readPlistXml(rendered.xml);
  assert.deepEqual(independent, plist.parse(rendered.xml), 'fast-xml-parser and plist read different values');
  assert.deepEqual(validateAppleProfile(schemas, independent), []);
  const profile = independent as Dict;
  const payloads = profile.PayloadContent as Dict[];

  assert.equal(profile.PayloadIdentifier, rendered.payloadIdentifier);
  assert.equal(profile.PayloadUUID, rendered.payloadUUID);
  const identifiers = payloads.map((p) => p.PayloadIdentifier as string);
  assert.equal(new Set(identifiers).size, identifiers.length, 'inner PayloadIdentifiers must be unique');
  for (const identifier of identifiers) assert.ok(identifier.startsWith(`${rendered.payloadIdentifier}.`));

  const accounts = payloads.filter((p) => p.PayloadType === 'com.apple.eas.account');
  assert.equal(accounts.length, 1);
  const account = accounts[0] as Dict;
  assert.equal(typeof account.SSL, 'boolean', 'SSL is always explicit');
  assertNoPasswordOutsidePkcs12(independent, false);

  const identities = new Map(payloads.filter((p) => p.PayloadType !== 'com.apple.eas.account').map((p) => [p.PayloadUUID, p.PayloadType]));
  assert.equal(identities.size, payloads.length - 1, 'one certificate payload per certificate profile');
  for (const key of ['PayloadCertificateUUID', 'SMIMESigningCertificateUUID', 'SMIMEEncryptionCertificateUUID']) {
    if (account[key] === undefined) continue;
    assert.match(String(identities.get(account[key])), /^com\.apple\.security\.(pkcs12|scep)$/, `${key} must name an identity payload in the profile`);
  }
  return profile;
}

/** `Password` may appear only as a pkcs12 payload's own key; `CertificatePassword` and inline `Certificate` never. */
function assertNoPasswordOutsidePkcs12(value: PlistReadValue | unknown, insidePkcs12: boolean): void {
  if (Array.isArray(value)) {
    for (const item of value) assertNoPasswordOutsidePkcs12(item, false);
  } else if (typeof value === 'object' && value !== null && !(value instanceof Uint8Array) && !(value instanceof Date)) {
    const dict = value as Dict;
    const isPkcs12 = dict.PayloadType === 'com.apple.security.pkcs12';
    assert.ok(!('CertificatePassword' in dict) && !('Certificate' in dict), 'no inline credential');
    if ('Password' in dict) assert.ok(isPkcs12 || insidePkcs12, 'Password outside a pkcs12 payload');
    for (const entry of Object.values(dict)) assertNoPasswordOutsidePkcs12(entry, false);
  }
}

describe('iOS profiles conform to Apple’s schemas', () => {
  for (const scenario of Object.keys(goldenProfiles) as GoldenScenario[]) {
    it(`renders the ${scenario} scenario as a profile Apple's YAML accepts, read identically by two parsers`, () => {
      checkRendered(renderIosProfile(goldenInput(scenario)));
    });
  }

  it("renders a profile the model parsed from Graph's own create example", () => {
    const body: unknown = JSON.parse(readFileSync(new URL('../fixtures/graph-examples/iosEasEmailProfileConfiguration.create.json', import.meta.url), 'utf8'));
    const profile: Profile = { ...parseProfileCreate(body), id: 'graph-example', version: 3, createdDateTime: '2025-01-01T00:00:00Z', lastModifiedDateTime: '2025-01-01T00:00:00Z' };
    const { identityCertificate, smimeSigningCertificate, smimeEncryptionCertificate } = profile.links;
    const certificates = new Map<string, AppleCertificateMaterial>([
      [identityCertificate as string, { kind: 'scep', url: 'https://ndes.contoso.com/certsrv/mscep/mscep.dll', subject: [[['CN', 'Jane Doe']]], keySize: 2048, keyUsage: 5 }],
      [smimeSigningCertificate as string, { kind: 'pkcs12', bytes: fillerBytes('sign', 64), password: 'transport' }],
      [smimeEncryptionCertificate as string, { kind: 'pkcs12', bytes: fillerBytes('encrypt', 64), password: 'transport' }],
    ]);
    const rendered = renderIosProfile({ profile: iosEmailProfileInputOf(profile), user: jane, device: iPhoneOf(jane), certificates, ids: fixtureIdSeed });
    const account = (checkRendered(rendered).PayloadContent as Dict[]).at(-1) as Dict;
    assert.equal(rendered.profileVersion, 3);
    assert.deepEqual(
      [account.Host, account.UserName, account.OAuth, account.MailNumberOfPastDaysToSync, account.EnableCalendars, account.EnableMail, account.PreventMove],
      ['mail.contoso.com', 'jane.doe@contoso.com', true, 1, true, false, true],
    );
  });

  it('renders every random valid iOS email profile as a conforming profile', () => {
    fc.assert(
      fc.property(iosRenderInput(), (input) => {
        const profile = checkRendered(renderIosProfile(input));
        const account = (profile.PayloadContent as Dict[]).at(-1) as Dict;
        assert.equal(account.Host, input.profile.settings.hostName);
        assert.equal(account.SSL, input.profile.settings.requireSsl);
        assert.equal(account.PayloadDisplayName, input.profile.settings.accountName);
        assert.equal(profile.PayloadDisplayName, input.profile.displayName);
      }),
      { numRuns: 400 },
    );
  });

  it('serializes arbitrary strings so both parsers read them back unchanged', () => {
    fc.assert(
      fc.property(fc.dictionary(xmlSafeString().filter((k) => k !== '__proto__'), xmlSafeString({ maxLength: 40 }), { noNullPrototype: true }), (dict) => {
        const xml = buildPlistXml(dict);
        assert.deepEqual(readPlistXml(xml), dict);
        assert.deepEqual(plist.parse(xml), dict);
      }),
      { numRuns: 300 },
    );
  });
});
