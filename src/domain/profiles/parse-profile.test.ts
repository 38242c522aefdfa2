import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  parseProfileCreate,
  parseProfilePatch,
  profileToGraph,
  profileTypes,
  settingsOf,
  type ProfileType,
} from './index.ts';
import { asProfile, bindUrl, minimalBody, testRootCertificate } from './profile-test-helpers.ts';

const ios: ProfileType = 'iosEasEmailProfileConfiguration';
const knox: ProfileType = 'androidEasEmailProfileConfiguration';
const gmail: ProfileType = 'androidWorkProfileGmailEasConfiguration';

describe('parseProfileCreate', () => {
  it('accepts the minimal body of every profile type', () => {
    for (const type of profileTypes) assert.equal(parseProfileCreate(minimalBody(type)).odataType, type);
  });

  it('fills omitted settings with the admin UI defaults: SSL on, no-intent enums, booleans false, nullable null', () => {
    const iosSettings = settingsOf(parseProfileCreate(minimalBody(ios)), 'iosEasEmailProfileConfiguration');
    assert.equal(iosSettings.requireSsl, true);
    assert.equal(iosSettings.durationOfEmailToSync, 'userDefined');
    assert.equal(iosSettings.usernameSource, 'userPrincipalName');
    assert.equal(iosSettings.emailAddressSource, 'userPrincipalName');
    assert.equal(iosSettings.authenticationMethod, null);
    assert.equal(iosSettings.easServices, null);
    const knoxSettings = settingsOf(parseProfileCreate(minimalBody(knox)), 'androidEasEmailProfileConfiguration');
    assert.deepEqual(
      [knoxSettings.syncCalendar, knoxSettings.syncContacts, knoxSettings.syncTasks, knoxSettings.syncNotes, knoxSettings.requireSmime],
      [false, false, false, false, false],
    );
    assert.equal(knoxSettings.authenticationMethod, 'usernameAndPassword');
    assert.equal(knoxSettings.emailSyncSchedule, 'userDefined');
  });

  it('gives a profile without scope tags the Default tag "0" and drops duplicate tags', () => {
    assert.deepEqual(parseProfileCreate(minimalBody(ios)).roleScopeTagIds, ['0']);
    assert.deepEqual(parseProfileCreate({ ...minimalBody(ios), roleScopeTagIds: null }).roleScopeTagIds, ['0']);
    assert.deepEqual(parseProfileCreate({ ...minimalBody(ios), roleScopeTagIds: ['3', '1', '3'] }).roleScopeTagIds, ['3', '1']);
  });

  it('ignores the read-only properties and OData annotations a client echoes from a GET', () => {
    const draft = parseProfileCreate({
      ...minimalBody('windowsPhoneEASEmailProfileConfiguration'),
      '@odata.context': 'https://graph.microsoft.com/beta/$metadata#deviceManagement/deviceConfigurations/$entity',
      '@odata.id': 'x',
      '@odata.etag': 'W/"1"',
      id: 'someone-elses-id',
      version: 42,
      createdDateTime: '2017-01-01T00:02:43.5775965-08:00',
      lastModifiedDateTime: '2017-01-01T00:00:35.1329464-08:00',
      supportsScopeTags: false,
      applyOnlyToWindowsPhone81: true,
      deviceManagementApplicabilityRuleOsEdition: null,
    });
    assert.equal('id' in draft, false);
    assert.equal('applyOnlyToWindowsPhone81' in draft.settings, false);
    assert.equal(profileToGraph(asProfile(draft)).applyOnlyToWindowsPhone81, false);
  });

  it('accepts @odata.type without the leading #', () => {
    const draft = parseProfileCreate({ ...minimalBody(ios), '@odata.type': 'microsoft.graph.iosEasEmailProfileConfiguration' });
    assert.equal(draft.odataType, ios);
  });

  it('stores easServices in canonical flag order and hostName in lower case', () => {
    const draft = parseProfileCreate({ ...minimalBody(ios), easServices: ' reminders , email,calendars,email ', hostName: 'Mail.Contoso.COM' });
    assert.equal(draft.settings.easServices, 'calendars,email,reminders');
    assert.equal(draft.settings.hostName, 'mail.contoso.com');
  });

  it('accepts IPv4 and bracketed IPv6 hosts everywhere, and host:port only on Android Enterprise', () => {
    assert.equal(parseProfileCreate({ ...minimalBody(ios), hostName: '192.0.2.10' }).settings.hostName, '192.0.2.10');
    assert.equal(parseProfileCreate({ ...minimalBody(knox), hostName: '[2001:db8::1]' }).settings.hostName, '[2001:db8::1]');
    assert.equal(parseProfileCreate({ ...minimalBody(gmail), hostName: 'mail.contoso.com:443' }).settings.hostName, 'mail.contoso.com:443');
    assert.equal(
      parseProfileCreate({ ...minimalBody('androidForWorkNineWorkEasConfiguration'), hostName: '[2001:db8::1]:8443' }).settings.hostName,
      '[2001:db8::1]:8443',
    );
  });

  it('reads a bind in absolute, rooted and relative forms, and null as no link', () => {
    const forms = [
      "https://graph.microsoft.com/beta/deviceManagement/deviceConfigurations('cert-1')",
      "https://envelope.contoso.com/graph/beta/deviceManagement/deviceConfigurations('cert-1')",
      '/graph/beta/deviceManagement/deviceConfigurations/cert-1',
      "deviceConfigurations('cert-1')",
      'deviceConfigurations/cert-1',
    ];
    for (const bind of forms) {
      const draft = parseProfileCreate({ ...minimalBody(gmail), authenticationMethod: 'certificate', 'identityCertificate@odata.bind': bind });
      assert.equal(draft.links.identityCertificate, 'cert-1', bind);
    }
    const unlinked = parseProfileCreate({ ...minimalBody(gmail), 'identityCertificate@odata.bind': null });
    assert.equal(unlinked.links.identityCertificate, null);
  });

  it('accepts a samAccountName username with exactly one domain source', () => {
    const draft = parseProfileCreate({ ...minimalBody(ios), usernameAADSource: 'samAccountName', customDomainName: 'CONTOSO' });
    assert.equal(draft.settings.customDomainName, 'CONTOSO');
  });

  it('links Knox S/MIME signing when S/MIME is on', () => {
    const draft = parseProfileCreate({ ...minimalBody(knox), requireSmime: true, 'smimeSigningCertificate@odata.bind': bindUrl('sign-1') });
    assert.equal(draft.links.smimeSigningCertificate, 'sign-1');
  });

  it('stores a trusted root as canonical base64 DER with its defaults', () => {
    const draft = parseProfileCreate({ ...minimalBody('windows81TrustedRootCertificate'), certFileName: 'root.cer' });
    assert.equal(draft.settings.trustedRootCertificate, testRootCertificate);
    assert.equal(draft.settings.destinationStore, 'computerCertStoreRoot');
  });

  it('fills SCEP defaults of a 1-year, 2048-bit certificate renewed at 20 %', () => {
    const settings = settingsOf(parseProfileCreate(minimalBody('androidScepCertificateProfile')), 'androidScepCertificateProfile');
    assert.deepEqual(
      [settings.certificateValidityPeriodValue, settings.certificateValidityPeriodScale, settings.keySize, settings.renewalThresholdPercentage],
      [1, 'years', 'size2048', 20],
    );
    assert.equal(settings.keyUsage, 'keyEncipherment,digitalSignature');
    assert.equal(settings.hashAlgorithm, 'sha2');
    assert.deepEqual(settings.extendedKeyUsages, []);
  });

  it('does not share default arrays between drafts', () => {
    const first = parseProfileCreate(minimalBody('iosScepCertificateProfile'));
    (first.settings.extendedKeyUsages as unknown[]).push({ name: 'x', objectIdentifier: '1.2' });
    assert.deepEqual(parseProfileCreate(minimalBody('iosScepCertificateProfile')).settings.extendedKeyUsages, []);
  });
});

describe('parseProfilePatch', () => {
  const existing = asProfile(
    parseProfileCreate({
      ...minimalBody(ios),
      description: 'Corporate mail',
      useOAuth: true,
      requireSmime: true,
      authenticationMethod: 'certificate',
      'identityCertificate@odata.bind': bindUrl('cert-1'),
      'smimeSigningCertificate@odata.bind': bindUrl('cert-2'),
    }),
  );

  it('keeps what the body omits and replaces what it sends', () => {
    const draft = parseProfilePatch(existing, { displayName: 'Renamed', durationOfEmailToSync: 'oneWeek' });
    assert.equal(draft.displayName, 'Renamed');
    assert.equal(draft.description, 'Corporate mail');
    assert.equal(draft.settings.durationOfEmailToSync, 'oneWeek');
    assert.equal(draft.settings.useOAuth, true);
    assert.deepEqual(draft.links, existing.links);
  });

  it('clears nullable properties and links sent as null', () => {
    const draft = parseProfilePatch(existing, {
      description: null,
      useOAuth: null,
      requireSmime: false,
      'smimeSigningCertificate@odata.bind': null,
    });
    assert.equal(draft.description, null);
    assert.equal(draft.settings.useOAuth, null);
    assert.equal(draft.links.smimeSigningCertificate, null);
    assert.equal(draft.links.identityCertificate, 'cert-1');
  });

  it('accepts its own GET representation back unchanged', () => {
    const { id: _id, version: _version, createdDateTime: _created, lastModifiedDateTime: _modified, ...stored } = existing;
    assert.deepEqual(parseProfilePatch(existing, profileToGraph(existing)), stored);
  });

  it('accepts the same @odata.type and relinks to another certificate', () => {
    const draft = parseProfilePatch(existing, {
      '@odata.type': '#microsoft.graph.iosEasEmailProfileConfiguration',
      'identityCertificate@odata.bind': 'deviceConfigurations/cert-9',
    });
    assert.equal(draft.links.identityCertificate, 'cert-9');
  });

  it('leaves the existing profile untouched', () => {
    const before = structuredClone(existing);
    parseProfilePatch(existing, { easServices: 'email', hostName: 'other.contoso.com' });
    assert.deepEqual(existing, before);
  });
});
