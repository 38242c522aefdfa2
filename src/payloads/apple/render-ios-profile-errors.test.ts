import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { EnvelopeError } from '../../domain/errors.ts';
import { MissingUserAttributeError } from '../../domain/user-values.ts';
import type { AppleCertificateMaterial } from './certificate-material.ts';
import type { IosEmailProfileInput } from './ios-email-profile-input.ts';
import { renderIosProfile, type RenderIosProfileInput } from './render-ios-profile.ts';
import { certificateProfileIds, fixtureCertificates, goldenInput, jane, withSettings } from './test-support/ios-profile-fixtures.ts';

/** Asserts that rendering fails with a 422 EnvelopeError of `code` (and `target`, when given). */
function assertRenderError(input: RenderIosProfileInput, code: string, target?: string): void {
  assert.throws(
    () => renderIosProfile(input),
    (error: unknown) => {
      assert.ok(error instanceof EnvelopeError, `expected an EnvelopeError, got ${String(error)}`);
      assert.equal(error.code, code);
      assert.equal(error.status, 422);
      if (target !== undefined) assert.equal(error.target, target);
      return true;
    },
  );
}

function withLinks(input: RenderIosProfileInput, links: IosEmailProfileInput['links']): RenderIosProfileInput {
  return { ...input, profile: { ...input.profile, links } };
}

function withCertificates(input: RenderIosProfileInput, changes: Record<string, AppleCertificateMaterial>): RenderIosProfileInput {
  return { ...input, certificates: new Map([...fixtureCertificates, ...Object.entries(changes)]) };
}

describe('renderIosProfile refuses what it cannot render', () => {
  it('throws MissingUserAttributeError, not a payload, when the user lacks the address attribute', () => {
    const input = { ...goldenInput('username-password'), user: { ...jane, mail: null } };
    assert.throws(() => renderIosProfile(input), (error: unknown) => {
      assert.ok(error instanceof MissingUserAttributeError);
      assert.equal(error.attribute, 'mail');
      assert.equal(error.code, 'userAttributeMissing');
      assert.equal(error.userId, jane.id);
      return true;
    });
  });

  it('throws MissingUserAttributeError when the sAM name or the chosen domain is missing', () => {
    const sam = goldenInput('sam-netbios');
    assertRenderError({ ...sam, user: { ...jane, onPremisesSamAccountName: '' } }, 'userAttributeMissing', 'onPremisesSamAccountName');
    assertRenderError({ ...sam, user: { ...jane, onPremisesNetBiosName: null } }, 'userAttributeMissing', 'onPremisesNetBiosName');
  });

  it('refuses certificate authentication without a linked identity certificate', () => {
    assertRenderError(withLinks(goldenInput('certificate-scep'), {}), 'certificateProfileMissing', 'identityCertificate');
  });

  it('refuses a certificate-type S/MIME setting without a linked certificate', () => {
    const input = withLinks(goldenInput('smime-pkcs'), { smimeEncryptionCertificate: certificateProfileIds.pkcsEncryption });
    assertRenderError(input, 'certificateProfileMissing', 'smimeSigningCertificate');
  });

  it('refuses a linked certificate whose material the certificate service has not delivered', () => {
    assertRenderError({ ...goldenInput('certificate-scep'), certificates: new Map() }, 'certificateNotAvailable', 'identityCertificate');
    const noRoot = new Map(fixtureCertificates);
    noRoot.delete(certificateProfileIds.root);
    assertRenderError({ ...goldenInput('certificate-scep'), certificates: noRoot }, 'certificateNotAvailable');
  });

  it('refuses a trusted root as an identity, and an identity as a trusted root', () => {
    assertRenderError(withLinks(goldenInput('certificate-scep'), { identityCertificate: certificateProfileIds.root }), 'certificateProfileTypeMismatch');
    const signing = fixtureCertificates.get(certificateProfileIds.pkcsSigning) as AppleCertificateMaterial;
    const rootIsIdentity = withCertificates(goldenInput('certificate-scep'), { [certificateProfileIds.root]: signing });
    assertRenderError(rootIsIdentity, 'certificateProfileTypeMismatch');
  });

  it('refuses derived credentials, which Envelope cannot deliver', () => {
    assertRenderError(withSettings(goldenInput('certificate-scep'), { authenticationMethod: 'derivedCredential' }), 'settingNotSupported', 'authenticationMethod');
    assertRenderError(withSettings(goldenInput('smime-pkcs'), { encryptionCertificateType: 'derivedCredential' }), 'settingNotSupported', 'encryptionCertificateType');
  });

  it('refuses easServices without any service, or with an unknown flag', () => {
    for (const easServices of ['none', '', 'email,faxes']) {
      assertRenderError(withSettings(goldenInput('username-password'), { easServices }), 'settingValueInvalid', 'easServices');
    }
  });

  it('refuses an unknown durationOfEmailToSync', () => {
    const input = withSettings(goldenInput('username-password'), { durationOfEmailToSync: 'fortnight' as 'oneWeek' });
    assertRenderError(input, 'settingValueInvalid', 'durationOfEmailToSync');
  });

  it('refuses a profile of another platform, a non-iOS device, and a user who is not the primary user', () => {
    const input = goldenInput('username-password');
    assertRenderError({ ...input, profile: { ...input.profile, odataType: '#microsoft.graph.windows10EasEmailProfileConfiguration' } }, 'profileTypeMismatch');
    assertRenderError({ ...input, device: { ...input.device, operatingSystem: 'Android' } }, 'deviceNotApplicable');
    assertRenderError({ ...input, device: { ...input.device, userId: null } }, 'deviceWithoutPrimaryUser');
    assertRenderError({ ...input, device: { ...input.device, userId: 'someone-else' } }, 'deviceUserMismatch');
  });

  it('accepts iPadOS devices and the bare Graph type name', () => {
    const input = goldenInput('username-password');
    assert.ok(renderIosProfile({ ...input, device: { ...input.device, operatingSystem: 'iPadOS' }, profile: { ...input.profile, odataType: 'iosEasEmailProfileConfiguration' } }).xml);
  });
});
