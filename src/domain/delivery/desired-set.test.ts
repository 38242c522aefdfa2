import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { emailProfileTypes } from '../profiles/profile-types.ts';
import { computeDesiredSet, type AssignedProfile, type DeliveryDevice, type DesiredEntry } from './desired-set.ts';
import { assigned, certificateAuth, device, jane } from './delivery-test-support.ts';

const outcomeOf = (entries: DesiredEntry[], id: string) => {
  const entry = entries.find((e) => e.profileId === id);
  assert.ok(entry, `no entry for ${id}`);
  return { outcome: entry.outcome, reasonCode: entry.reasonCode };
};

type Case = [sentence: string, device: DeliveryDevice, profiles: AssignedProfile[], expected: Record<string, [DesiredEntry['outcome'], DesiredEntry['reasonCode']]>];

const cases: Case[] = [
  ['an iOS profile on an iPhone with a primary user is delivered', device('iPhone'), [assigned('iosEasEmailProfileConfiguration', 'mail')], { mail: ['deliver', null] }],
  ['an iOS profile on an iPadOS device is delivered', device('iPhone', { operatingSystem: 'iPadOS' }), [assigned('iosEasEmailProfileConfiguration', 'mail')], { mail: ['deliver', null] }],
  ['an iOS profile on iOS 7 is not applicable because of the OS version', device('iPhone', { osVersion: '7.1.2' }), [assigned('iosEasEmailProfileConfiguration', 'mail')], { mail: ['notApplicable', 'osVersionTooOld'] }],
  ['an iOS profile on a device without a reported OS version is delivered', device('iPhone', { osVersion: '' }), [assigned('iosEasEmailProfileConfiguration', 'mail')], { mail: ['deliver', null] }],
  ['a profile the resolver found on the wrong platform is not applicable', device('iPhone'), [assigned('iosEasEmailProfileConfiguration', 'mail', { targeting: 'platformMismatch' })], { mail: ['notApplicable', 'platformMismatch'] }],
  ['a Knox profile on a work-profile phone is not applicable', device('workProfilePhone'), [assigned('androidEasEmailProfileConfiguration', 'mail')], { mail: ['notApplicable', 'platformMismatch'] }],
  ['a Windows 10 profile on Windows 10 1507 is delivered', device('windowsPc', { osVersion: '10.0.10240' }), [assigned('windows10EasEmailProfileConfiguration', 'mail')], { mail: ['deliver', null] }],
  ['a Windows 10 profile on Windows 8.1 is not applicable', device('windowsPc', { osVersion: '6.3.9600' }), [assigned('windows10EasEmailProfileConfiguration', 'mail')], { mail: ['notApplicable', 'osVersionTooOld'] }],
  ['a Windows Phone 8.1 profile also applies to Windows 11', device('windowsPc'), [assigned('windowsPhoneEASEmailProfileConfiguration', 'mail')], { mail: ['deliver', null] }],
  ['a Gmail work-profile profile on Android 4.4 is not applicable', device('workProfilePhone', { osVersion: '4.4.2' }), [assigned('androidWorkProfileGmailEasConfiguration', 'mail')], { mail: ['notApplicable', 'osVersionTooOld'] }],
  ['an email profile on a device without a primary user is an error', device('iPhone', { primaryUser: null }), [assigned('iosEasEmailProfileConfiguration', 'mail')], { mail: ['error', 'noPrimaryUser'] }],
  ['a device the resolver reported without primary user is an error', device('iPhone'), [assigned('iosEasEmailProfileConfiguration', 'mail', { targeting: 'withoutPrimaryUser' })], { mail: ['error', 'noPrimaryUser'] }],
  ['a trusted root on a device without a primary user is delivered', device('knoxPhone', { primaryUser: null }), [assigned('androidTrustedRootCertificate', 'root')], { root: ['deliver', null] }],
  ['a user without a primary SMTP address cannot get a profile that uses it', device('iPhone', { primaryUser: { ...jane, mail: null } }), [assigned('iosEasEmailProfileConfiguration', 'mail', { settings: { emailAddressSource: 'primarySmtpAddress' } })], { mail: ['error', 'userAttributeMissing'] }],
  ['two iOS profiles for the same host and address conflict on both', device('iPhone'), [assigned('iosEasEmailProfileConfiguration', 'a'), assigned('iosEasEmailProfileConfiguration', 'b', { settings: { hostName: 'MAIL.contoso.com' } })], { a: ['conflict', 'accountConflict'], b: ['conflict', 'accountConflict'] }],
  ['two iOS profiles for the same address on different hosts do not conflict', device('iPhone'), [assigned('iosEasEmailProfileConfiguration', 'a'), assigned('iosEasEmailProfileConfiguration', 'b', { settings: { hostName: 'eas.contoso.com' } })], { a: ['deliver', null], b: ['deliver', null] }],
  ['two Knox profiles for the same address on different hosts conflict', device('knoxPhone'), [assigned('androidEasEmailProfileConfiguration', 'a'), assigned('androidEasEmailProfileConfiguration', 'b', { settings: { hostName: 'eas.contoso.com' } })], { a: ['conflict', 'accountConflict'], b: ['conflict', 'accountConflict'] }],
  ['two Knox profiles for different addresses do not conflict', device('knoxPhone'), [assigned('androidEasEmailProfileConfiguration', 'a'), assigned('androidEasEmailProfileConfiguration', 'b', { settings: { emailAddressSource: 'primarySmtpAddress' } })], { a: ['deliver', null], b: ['deliver', null] }],
  ['two Gmail profiles for different addresses conflict on one device', device('workProfilePhone'), [assigned('androidWorkProfileGmailEasConfiguration', 'a'), assigned('androidForWorkGmailEasConfiguration', 'b', { settings: { emailAddressSource: 'primarySmtpAddress' } })], { a: ['conflict', 'accountConflict'], b: ['conflict', 'accountConflict'] }],
  ['a Gmail and a Nine Work profile for the same address do not conflict', device('workProfilePhone'), [assigned('androidWorkProfileGmailEasConfiguration', 'a'), assigned('androidWorkProfileNineWorkEasConfiguration', 'b')], { a: ['deliver', null], b: ['deliver', null] }],
  ['Windows 10 and Windows Phone profiles for the same account conflict on Windows 11', device('windowsPc'), [assigned('windows10EasEmailProfileConfiguration', 'a'), assigned('windowsPhoneEASEmailProfileConfiguration', 'b')], { a: ['conflict', 'accountConflict'], b: ['conflict', 'accountConflict'] }],
  ['a profile that is not applicable does not conflict with one that is', device('windowsPhone'), [assigned('windows10EasEmailProfileConfiguration', 'a'), assigned('windowsPhoneEASEmailProfileConfiguration', 'b')], { a: ['notApplicable', 'platformMismatch'], b: ['deliver', null] }],
  ['a certificate-authenticated profile whose identity certificate is not assigned misses a dependency', device('knoxPhone'), [assigned('androidEasEmailProfileConfiguration', 'mail', { settings: certificateAuth, links: { identityCertificate: 'pkcs' } })], { mail: ['missingDependency', 'certificateNotAssigned'] }],
  ['a certificate-authenticated profile with its identity certificate assigned is delivered', device('knoxPhone'), [assigned('androidEasEmailProfileConfiguration', 'mail', { settings: certificateAuth, links: { identityCertificate: 'pkcs' } }), assigned('androidPkcsCertificateProfile', 'pkcs')], { mail: ['deliver', null], pkcs: ['deliver', null] }],
  ['an unused identity link is no dependency', device('knoxPhone'), [assigned('androidEasEmailProfileConfiguration', 'mail', { links: { identityCertificate: 'pkcs' } })], { mail: ['deliver', null] }],
  ['a SCEP profile without its trusted root misses a dependency, and so does the email profile that uses it', device('knoxPhone'), [assigned('androidEasEmailProfileConfiguration', 'mail', { settings: certificateAuth, links: { identityCertificate: 'scep' } }), assigned('androidScepCertificateProfile', 'scep', { links: { rootCertificate: 'root' } })], { scep: ['missingDependency', 'certificateNotAssigned'], mail: ['missingDependency', 'certificateNotDeliverable'] }],
  ['S/MIME signing needs its certificate assigned', device('iPhone'), [assigned('iosEasEmailProfileConfiguration', 'mail', { settings: { requireSmime: true, signingCertificateType: 'certificate' }, links: { smimeSigningCertificate: 'sign' } })], { mail: ['missingDependency', 'certificateNotAssigned'] }],
  ['S/MIME with the user picking the certificate needs none assigned', device('iPhone'), [assigned('iosEasEmailProfileConfiguration', 'mail', { settings: { requireSmime: true, signingCertificateType: 'none' }, links: { smimeSigningCertificate: 'sign' } })], { mail: ['deliver', null] }],
];

describe('computeDesiredSet', () => {
  for (const [sentence, dev, profiles, expected] of cases) {
    it(sentence, () => {
      const entries = computeDesiredSet(dev, profiles);
      for (const [id, [outcome, reasonCode]] of Object.entries(expected)) {
        assert.deepEqual(outcomeOf(entries, id), { outcome, reasonCode });
      }
    });
  }

  it('names the missing directory attribute in the error', () => {
    const [entry] = computeDesiredSet(device('iPhone', { primaryUser: { ...jane, mail: null } }), [
      assigned('iosEasEmailProfileConfiguration', 'mail', { settings: { emailAddressSource: 'primarySmtpAddress' } }),
    ]);
    assert.match(entry?.message ?? '', /has no mail/);
    assert.match(entry?.message ?? '', /Fill in mail/);
  });

  it('names every colliding profile by display name in each conflict message', () => {
    const entries = computeDesiredSet(device('iPhone'), [
      assigned('iosEasEmailProfileConfiguration', 'a', { displayName: 'Exchange (Sales)' }),
      assigned('iosEasEmailProfileConfiguration', 'b', { displayName: 'Exchange (All)' }),
      assigned('iosEasEmailProfileConfiguration', 'c', { displayName: 'Exchange (HQ)' }),
    ]);
    const a = entries.find((e) => e.profileId === 'a');
    assert.deepEqual(a?.conflictsWith, ['b', 'c']);
    assert.match(a?.message ?? '', /'Exchange \(Sales\)' and 'Exchange \(All\)', 'Exchange \(HQ\)' would create the same email account/);
    assert.match(a?.message ?? '', /same host mail\.contoso\.com and address jane@contoso\.com/);
  });

  it('says that Knox ignores the host when two Knox profiles collide', () => {
    const entries = computeDesiredSet(device('knoxPhone'), [
      assigned('androidEasEmailProfileConfiguration', 'a'),
      assigned('androidEasEmailProfileConfiguration', 'b', { settings: { hostName: 'eas.contoso.com' } }),
    ]);
    assert.match(entries[0]?.message ?? '', /same address jane@contoso\.com; Knox ignores the host/);
  });

  it('orders trusted roots, then identity certificates, then email profiles', () => {
    const entries = computeDesiredSet(device('knoxPhone'), [
      assigned('androidEasEmailProfileConfiguration', 'a-mail', { settings: certificateAuth, links: { identityCertificate: 'z-scep' } }),
      assigned('androidScepCertificateProfile', 'z-scep', { links: { rootCertificate: 'm-root' } }),
      assigned('androidTrustedRootCertificate', 'm-root'),
    ]);
    assert.deepEqual(entries.map((e) => e.profileId), ['m-root', 'z-scep', 'a-mail']);
    assert.deepEqual(entries.map((e) => e.outcome), ['deliver', 'deliver', 'deliver']);
  });

  it('puts the user and the resolved account values into the render key', () => {
    const profile = assigned('windows10EasEmailProfileConfiguration', 'mail', { settings: { usernameAADSource: 'samAccountName', userDomainNameSource: 'netBiosDomainName' } });
    const [entry] = computeDesiredSet(device('windowsPc'), [profile]);
    assert.equal(entry?.renderKey, 'user:user-jane|jdoe|CONTOSO|jane@contoso.com');
    assert.equal(entry?.recreateKey, 'Exchange|jdoe');
    const [renamed] = computeDesiredSet(device('windowsPc', { primaryUser: { ...jane, onPremisesSamAccountName: 'jane.doe' } }), [profile]);
    assert.notEqual(renamed?.renderKey, entry?.renderKey);
  });

  it('puts the versions of embedded certificates into an iOS render key, but not into a Knox one', () => {
    const ios = [assigned('iosEasEmailProfileConfiguration', 'mail', { settings: certificateAuth, links: { identityCertificate: 'pkcs' } }), assigned('iosPkcsCertificateProfile', 'pkcs', { version: 3 })];
    assert.match(computeDesiredSet(device('iPhone'), ios).find((e) => e.profileId === 'mail')?.renderKey ?? '', /\|certificates:pkcs@3$/);
    const knox = [assigned('androidEasEmailProfileConfiguration', 'mail', { settings: certificateAuth, links: { identityCertificate: 'pkcs' } }), assigned('androidPkcsCertificateProfile', 'pkcs', { version: 3 })];
    assert.doesNotMatch(computeDesiredSet(device('knoxPhone'), knox).find((e) => e.profileId === 'mail')?.renderKey ?? '', /certificates/);
  });

  it('lets a trusted root carry no user', () => {
    const [entry] = computeDesiredSet(device('knoxPhone'), [assigned('androidTrustedRootCertificate', 'root')]);
    assert.equal(entry?.userId, null);
    assert.equal(entry?.renderKey, '');
  });
});

describe('computeDesiredSet properties', () => {
  const profileArb = fc.record({
    type: fc.constantFrom(...emailProfileTypes),
    host: fc.constantFrom('mail.contoso.com', 'eas.contoso.com', 'MAIL.contoso.com:443'),
    address: fc.constantFrom('userPrincipalName', 'primarySmtpAddress'),
  });
  const deviceArb = fc.constantFrom(device('iPhone'), device('windowsPc'), device('windowsPhone'), device('knoxPhone'), device('workProfilePhone'));

  it('makes conflicts symmetric, never delivers two profiles with one conflict key, and keeps input order irrelevant', () => {
    fc.assert(
      fc.property(deviceArb, fc.array(profileArb, { maxLength: 6 }), (dev, specs) => {
        const profiles = specs.map((s, i) => assigned(s.type, `p${i}`, { settings: { hostName: s.host, emailAddressSource: s.address } }));
        const entries = computeDesiredSet(dev, profiles);
        const byId = new Map(entries.map((e) => [e.profileId, e]));
        for (const entry of entries) {
          for (const other of entry.conflictsWith) assert.ok(byId.get(other)?.conflictsWith.includes(entry.profileId));
          assert.equal(entry.outcome === 'conflict', entry.conflictsWith.length > 0);
        }
        const delivered = entries.filter((e) => e.outcome === 'deliver' && e.conflictKey !== null).map((e) => e.conflictKey);
        assert.equal(new Set(delivered).size, delivered.length);
        assert.deepEqual(computeDesiredSet(dev, [...profiles].reverse()), entries);
      }),
    );
  });
});
