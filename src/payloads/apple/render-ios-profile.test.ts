import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as plist from 'plist';
import { renderIosProfile, type RenderIosProfileInput } from './render-ios-profile.ts';
import { certificateProfileIds, goldenInput, jane, withSettings } from './test-support/ios-profile-fixtures.ts';

type Dict = Record<string, unknown>;

function render(input: RenderIosProfileInput): { profile: Dict; payloads: Dict[]; account: Dict } {
  const profile = plist.parse(renderIosProfile(input).xml) as Dict;
  const payloads = profile.PayloadContent as Dict[];
  const account = payloads.find((p) => p.PayloadType === 'com.apple.eas.account') as Dict;
  return { profile, payloads, account };
}

const easServiceKeys = ['EnableMail', 'EnableContacts', 'EnableCalendars', 'EnableReminders', 'EnableNotes'];

describe('renderIosProfile', () => {
  it('wraps one EAS account in a Configuration profile carrying the profile name, description and organisation', () => {
    const { profile, payloads } = render(goldenInput('username-password'));
    assert.equal(profile.PayloadType, 'Configuration');
    assert.equal(profile.PayloadVersion, 1);
    assert.equal(profile.PayloadDisplayName, 'Contoso Mail (password)');
    assert.equal(profile.PayloadDescription, 'Corporate mail for Contoso staff.');
    assert.equal(profile.PayloadOrganization, 'Contoso Ltd.');
    assert.deepEqual(payloads.map((p) => p.PayloadType), ['com.apple.eas.account']);
  });

  it('omits the optional envelope texts when they are not given', () => {
    const input = goldenInput('username-password');
    const { profile } = render({ ...input, organization: null, profile: { ...input.profile, description: null } });
    assert.ok(!('PayloadOrganization' in profile) && !('PayloadDescription' in profile));
  });

  it('maps every Graph setting of a password profile to its Apple key, and nothing else', () => {
    const { account } = render(goldenInput('username-password'));
    const { PayloadIdentifier: _id, PayloadUUID: _uuid, ...keys } = account;
    assert.deepEqual(keys, {
      PayloadType: 'com.apple.eas.account',
      PayloadVersion: 1,
      PayloadDisplayName: 'Contoso Mail',
      Host: 'outlook.contoso.com',
      EmailAddress: 'jane.doe@contoso.com',
      UserName: 'jane@contoso.com',
      SSL: true,
      OAuth: false,
      MailNumberOfPastDaysToSync: 7,
      EnableMail: true,
      EnableContacts: true,
      EnableCalendars: true,
      EnableReminders: true,
      EnableNotes: true,
      EnableMailUserOverridable: true,
      EnableContactsUserOverridable: true,
      EnableCalendarsUserOverridable: true,
      EnableRemindersUserOverridable: true,
      EnableNotesUserOverridable: true,
      PreventMove: false,
      PreventAppSheet: false,
      disableMailRecentsSyncing: false,
    });
  });

  it('writes SSL explicitly even when it is off, and OAuth only when configured', () => {
    assert.equal(render(withSettings(goldenInput('username-password'), { requireSsl: false })).account.SSL, false);
    assert.equal(render(withSettings(goldenInput('username-password'), { useOAuth: true })).account.OAuth, true);
    assert.ok(!('OAuth' in render(withSettings(goldenInput('username-password'), { useOAuth: null })).account));
  });

  it('maps durationOfEmailToSync to days and omits the key for userDefined', () => {
    const expected = { oneDay: 1, threeDays: 3, oneWeek: 7, twoWeeks: 14, oneMonth: 31, unlimited: 0 } as const;
    for (const [duration, days] of Object.entries(expected)) {
      const { account } = render(withSettings(goldenInput('username-password'), { durationOfEmailToSync: duration as keyof typeof expected }));
      assert.equal(account.MailNumberOfPastDaysToSync, days, duration);
    }
    assert.ok(!('MailNumberOfPastDaysToSync' in render(withSettings(goldenInput('username-password'), { durationOfEmailToSync: 'userDefined' })).account));
  });

  it('turns easServices flags into all five Enable keys and the override flag into all five …UserOverridable keys', () => {
    const { account } = render(withSettings(goldenInput('username-password'), { easServices: ' contacts, calendars ', easServicesUserOverrideEnabled: false }));
    assert.deepEqual(
      easServiceKeys.map((k) => [k, account[k], account[`${k}UserOverridable`]]),
      [
        ['EnableMail', false, false],
        ['EnableContacts', true, false],
        ['EnableCalendars', true, false],
        ['EnableReminders', false, false],
        ['EnableNotes', false, false],
      ],
    );
  });

  it('leaves the services to the device defaults when easServices and the override are not configured', () => {
    const { account } = render(withSettings(goldenInput('username-password'), { easServices: null, easServicesUserOverrideEnabled: null }));
    for (const key of easServiceKeys) assert.ok(!(key in account) && !(`${key}UserOverridable` in account), key);
  });

  it('derives UserName from the username source, as DOMAIN\\user when a domain resolves', () => {
    const cases: Array<[Parameters<typeof withSettings>[1], string]> = [
      [{ usernameAADSource: 'userPrincipalName' }, 'jane@contoso.com'],
      [{ usernameAADSource: 'primarySmtpAddress' }, 'jane.doe@contoso.com'],
      [{ usernameAADSource: null, usernameSource: 'primarySmtpAddress' }, 'jane.doe@contoso.com'],
      [{ usernameAADSource: 'samAccountName', userDomainNameSource: 'fullDomainName' }, 'corp.contoso.com\\jdoe'],
      [{ usernameAADSource: 'samAccountName', userDomainNameSource: 'netBiosDomainName' }, 'CONTOSO\\jdoe'],
      [{ usernameAADSource: 'samAccountName', customDomainName: 'EMEA' }, 'EMEA\\jdoe'],
      [{ usernameAADSource: 'samAccountName' }, 'jdoe'],
    ];
    for (const [settings, userName] of cases) {
      assert.equal(render(withSettings(goldenInput('username-password'), settings)).account.UserName, userName, JSON.stringify(settings));
    }
  });

  it('maps the block flags to PreventMove, PreventAppSheet and disableMailRecentsSyncing, and the per-app VPN to VPNUUID', () => {
    const { account } = render(goldenInput('smime-pkcs'));
    assert.equal(account.PreventMove, true);
    assert.equal(account.PreventAppSheet, true);
    assert.equal(account.disableMailRecentsSyncing, false);
    assert.equal(render(goldenInput('sam-netbios')).account.VPNUUID, '4d5e6f7a-8b9c-4d0e-9f1a-2b3c4d5e6f7a');
  });

  it('links certificate authentication to a SCEP payload in the same profile, preceded by its trusted root', () => {
    const { payloads, account } = render(goldenInput('certificate-scep'));
    assert.deepEqual(payloads.map((p) => p.PayloadType), ['com.apple.security.root', 'com.apple.security.scep', 'com.apple.eas.account']);
    const [root, scep] = payloads as [Dict, Dict];
    assert.equal(account.PayloadCertificateUUID, scep.PayloadUUID);
    assert.ok(root.PayloadContent instanceof Uint8Array);
    assert.equal(root.PayloadCertificateFileName, 'contoso-root.cer');
    assert.deepEqual(scep.PayloadContent, {
      URL: 'https://scep.contoso.com/certsrv/mscep/mscep.dll',
      Name: 'contoso-CA',
      Subject: [[['CN', 'Jane Doe']], [['O', 'Contoso & Partners <EU>']], [['0.9.2342.19200300.100.1.3', 'jane.doe@contoso.com']]],
      Challenge: 'one-time-challenge-7Q2x',
      Keysize: 2048,
      'Key Type': 'RSA',
      'Key Usage': 5,
      SubjectAltName: { rfc822Name: 'jane.doe@contoso.com', ntPrincipalName: 'jane@contoso.com' },
    });
    assert.ok(!('Password' in account) && !('CertificatePassword' in account) && !('Certificate' in account));
  });

  it('links S/MIME signing and encryption to PKCS#12 payloads that carry their own transport password, sharing one root', () => {
    const { payloads, account } = render(goldenInput('smime-pkcs'));
    assert.deepEqual(payloads.map((p) => p.PayloadType), ['com.apple.security.root', 'com.apple.security.pkcs12', 'com.apple.security.pkcs12', 'com.apple.eas.account']);
    const [, signing, encryption] = payloads as [Dict, Dict, Dict];
    assert.equal(account.SMIMESigningCertificateUUID, signing.PayloadUUID);
    assert.equal(account.SMIMEEncryptionCertificateUUID, encryption.PayloadUUID);
    assert.equal(signing.Password, 'p12-transport-Sg1');
    assert.equal(signing.PayloadCertificateFileName, 'jane-signing.p12');
    assert.ok(signing.PayloadContent instanceof Uint8Array && signing.PayloadContent.length === 2400);
    const smime = Object.fromEntries(Object.entries(account).filter(([k]) => k.startsWith('SMIME') && !k.endsWith('CertificateUUID')));
    assert.deepEqual(smime, {
      SMIMESigningEnabled: true,
      SMIMESigningUserOverrideable: false,
      SMIMESigningCertificateUUIDUserOverrideable: false,
      SMIMEEncryptByDefault: true,
      SMIMEEncryptByDefaultUserOverrideable: false,
      SMIMEEncryptionCertificateUUIDUserOverrideable: false,
      SMIMEEnableEncryptionPerMessageSwitch: true,
    });
    assert.ok(!('Password' in account));
  });

  it('delivers one payload for a certificate profile used for signing and encryption alike', () => {
    const input = goldenInput('smime-pkcs');
    const links = { smimeSigningCertificate: certificateProfileIds.pkcsSigning, smimeEncryptionCertificate: certificateProfileIds.pkcsSigning };
    const { payloads, account } = render({ ...input, profile: { ...input.profile, links } });
    assert.equal(payloads.filter((p) => p.PayloadType === 'com.apple.security.pkcs12').length, 1);
    assert.equal(account.SMIMESigningCertificateUUID, account.SMIMEEncryptionCertificateUUID);
  });

  it('delivers only the certificates the settings use', () => {
    const smimeOff = render(withSettings(goldenInput('smime-pkcs'), { requireSmime: false }));
    assert.deepEqual(smimeOff.payloads.map((p) => p.PayloadType), ['com.apple.eas.account']);
    assert.ok(!Object.keys(smimeOff.account).some((k) => k.startsWith('SMIME')));

    const userPicks = render(withSettings(goldenInput('smime-pkcs'), { signingCertificateType: 'none' }));
    assert.ok(!('SMIMESigningCertificateUUID' in userPicks.account));
    assert.equal(userPicks.payloads.filter((p) => p.PayloadType === 'com.apple.security.pkcs12').length, 1);

    const passwordAuth = render(withSettings(goldenInput('certificate-scep'), { authenticationMethod: 'usernameAndPassword' }));
    assert.deepEqual(passwordAuth.payloads.map((p) => p.PayloadType), ['com.apple.eas.account']);
    assert.ok(!('PayloadCertificateUUID' in passwordAuth.account));
  });

  it('returns the identifiers and account identity the delivery layer records', () => {
    const rendered = renderIosProfile(goldenInput('certificate-scep'));
    const { profile, payloads, account } = render(goldenInput('certificate-scep'));
    assert.equal(rendered.payloadIdentifier, profile.PayloadIdentifier);
    assert.equal(rendered.payloadUUID, profile.PayloadUUID);
    assert.equal(rendered.profileVersion, 1);
    assert.deepEqual(rendered.account, {
      payloadIdentifier: account.PayloadIdentifier,
      payloadUUID: account.PayloadUUID,
      host: 'outlook.contoso.com',
      emailAddress: 'jane.doe@contoso.com',
      userName: jane.userPrincipalName,
    });
    assert.deepEqual(
      rendered.certificates.map((c) => [c.certificateProfileId, c.payloadType, c.payloadUUID]),
      [
        [certificateProfileIds.root, 'com.apple.security.root', payloads[0]?.PayloadUUID],
        [certificateProfileIds.scepIdentity, 'com.apple.security.scep', payloads[1]?.PayloadUUID],
      ],
    );
  });

  it('is deterministic: the same input renders the same bytes', () => {
    assert.equal(renderIosProfile(goldenInput('smime-pkcs')).xml, renderIosProfile(goldenInput('smime-pkcs')).xml);
  });
});
