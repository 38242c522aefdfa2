import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  changedIdentityFields,
  checkLinkIdsOrThrow,
  checkProfileLinks,
  linkBinds,
  linkedIdsOf,
  parseProfileCreate,
  parseProfilePatch,
  platformFamilyOf,
  type ProfileType,
} from './index.ts';
import { asProfile, assertBadRequest, bindUrl, minimalBody } from './profile-test-helpers.ts';

const identityBind = 'identityCertificate@odata.bind';

function emailWithIdentity(type: ProfileType, certificateId = 'cert-1') {
  return parseProfileCreate({ ...minimalBody(type), authenticationMethod: 'certificate', [identityBind]: bindUrl(certificateId) });
}

describe('checkProfileLinks', () => {
  it('accepts identity certificates of the same platform family, SCEP or PKCS', () => {
    const cases: [ProfileType, ProfileType][] = [
      ['iosEasEmailProfileConfiguration', 'iosScepCertificateProfile'],
      ['iosEasEmailProfileConfiguration', 'iosPkcsCertificateProfile'],
      ['androidEasEmailProfileConfiguration', 'androidScepCertificateProfile'],
      ['androidWorkProfileGmailEasConfiguration', 'androidWorkProfilePkcsCertificateProfile'],
      ['androidWorkProfileNineWorkEasConfiguration', 'androidWorkProfileScepCertificateProfile'],
      ['androidForWorkGmailEasConfiguration', 'androidForWorkScepCertificateProfile'],
      ['androidForWorkNineWorkEasConfiguration', 'androidForWorkPkcsCertificateProfile'],
    ];
    for (const [emailType, certificateType] of cases) {
      checkProfileLinks(emailWithIdentity(emailType), new Map([['cert-1', certificateType]]));
    }
  });

  it('refuses a link to a profile that does not exist in the tenant, naming the bind', () => {
    assertBadRequest(
      () => checkProfileLinks(emailWithIdentity('iosEasEmailProfileConfiguration'), new Map()),
      identityBind,
      "'cert-1'",
      'does not exist',
    );
  });

  it('refuses a certificate of another platform family', () => {
    assertBadRequest(
      () => checkProfileLinks(emailWithIdentity('iosEasEmailProfileConfiguration'), new Map([['cert-1', 'androidScepCertificateProfile']])),
      identityBind,
      'iosScepCertificateProfile or iosPkcsCertificateProfile',
    );
    assertBadRequest(
      () =>
        checkProfileLinks(
          emailWithIdentity('androidWorkProfileGmailEasConfiguration'),
          new Map([['cert-1', 'androidForWorkScepCertificateProfile']]),
        ),
      identityBind,
      'androidWorkProfileScepCertificateProfile',
    );
  });

  it('refuses an identity link to a trusted root or to an email profile', () => {
    for (const wrong of ['iosTrustedRootCertificate', 'iosEasEmailProfileConfiguration'] as const) {
      assertBadRequest(
        () => checkProfileLinks(emailWithIdentity('iosEasEmailProfileConfiguration'), new Map([['cert-1', wrong]])),
        identityBind,
        wrong,
      );
    }
  });

  it('requires a SCEP profile to link a trusted root of its own family', () => {
    const scep = parseProfileCreate(minimalBody('androidWorkProfileScepCertificateProfile'));
    checkProfileLinks(scep, new Map([['root-1', 'androidWorkProfileTrustedRootCertificate']]));
    for (const wrong of ['androidTrustedRootCertificate', 'androidWorkProfilePkcsCertificateProfile'] as const) {
      assertBadRequest(() => checkProfileLinks(scep, new Map([['root-1', wrong]])), 'rootCertificate@odata.bind');
    }
  });

  it('checks the S/MIME links of iOS like the identity link', () => {
    const draft = parseProfileCreate({
      ...minimalBody('iosEasEmailProfileConfiguration'),
      requireSmime: true,
      'smimeSigningCertificate@odata.bind': bindUrl('sign-1'),
      'smimeEncryptionCertificate@odata.bind': bindUrl('enc-1'),
    });
    assert.deepEqual(linkedIdsOf(draft.links), ['sign-1', 'enc-1']);
    const types = new Map<string, ProfileType>([['sign-1', 'iosPkcsCertificateProfile'], ['enc-1', 'androidPkcsCertificateProfile']]);
    assertBadRequest(() => checkProfileLinks(draft, types), 'smimeEncryptionCertificate@odata.bind');
  });
});

describe('linkBinds', () => {
  it('renders links as binds that parse back to the same links', () => {
    const draft = emailWithIdentity('androidEasEmailProfileConfiguration', 'cert-7');
    const binds = linkBinds(draft.links);
    assert.deepEqual(binds, { [identityBind]: "deviceConfigurations('cert-7')" });
    assert.deepEqual(parseProfileCreate({ ...minimalBody('androidEasEmailProfileConfiguration'), authenticationMethod: 'certificate', ...binds }).links, draft.links);
  });
});

describe('platformFamilyOf', () => {
  it('puts each type in the family its Graph name prefix says', () => {
    assert.equal(platformFamilyOf('windowsPhoneEASEmailProfileConfiguration'), 'windows');
    assert.equal(platformFamilyOf('windows81TrustedRootCertificate'), 'windows');
    assert.equal(platformFamilyOf('androidEasEmailProfileConfiguration'), 'knox');
    assert.equal(platformFamilyOf('androidTrustedRootCertificate'), 'knox');
    assert.equal(platformFamilyOf('androidWorkProfileNineWorkEasConfiguration'), 'androidWorkProfile');
    assert.equal(platformFamilyOf('androidForWorkPkcsCertificateProfile'), 'androidForWork');
    assert.equal(platformFamilyOf('iosTrustedRootCertificate'), 'ios');
  });
});

describe('changedIdentityFields', () => {
  const existing = asProfile(parseProfileCreate(minimalBody('windowsPhoneEASEmailProfileConfiguration')));

  it('reports a changed hostName and emailAddressSource', () => {
    const after = parseProfilePatch(existing, { hostName: 'new.contoso.com', emailAddressSource: 'primarySmtpAddress' });
    assert.deepEqual(changedIdentityFields(existing, after), ['hostName', 'emailAddressSource']);
  });

  it('ignores letter case in hostName, other settings, and a null address source that means the UPN', () => {
    const after = parseProfilePatch(existing, { hostName: 'MAIL.contoso.com', syncCalendar: true, emailAddressSource: 'userPrincipalName' });
    assert.equal(existing.settings.emailAddressSource, null);
    assert.deepEqual(changedIdentityFields(existing, after), []);
  });

  it('reports nothing for certificate profiles', () => {
    const root = asProfile(parseProfileCreate(minimalBody('iosTrustedRootCertificate')));
    assert.deepEqual(changedIdentityFields(root, parseProfilePatch(root, { certFileName: 'x.cer' })), []);
  });
});

describe('checkLinkIdsOrThrow', () => {
  it('accepts UUID link ids in either case and refuses any other id, naming the bind', () => {
    checkLinkIdsOrThrow(emailWithIdentity('iosEasEmailProfileConfiguration', '7F3C5A4E-1B2D-4C8E-9F00-123456789ABC').links);
    for (const id of ['cert-1', '------------------------------------', '7f3c5a4e1b2d4c8e9f00123456789abc']) {
      assertBadRequest(() => checkLinkIdsOrThrow(emailWithIdentity('iosEasEmailProfileConfiguration', id).links), identityBind, 'not a profile id');
    }
  });
});
