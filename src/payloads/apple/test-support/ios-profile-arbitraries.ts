import fc from 'fast-check';
import type { DirectoryUser } from '../../../domain/directory.ts';
import type { AppleCertificateMaterial, RootCertificateMaterial } from '../certificate-material.ts';
import type { IosEmailProfileInput, IosEmailSettingsInput } from '../ios-email-profile-input.ts';
import type { RenderIosProfileInput } from '../render-ios-profile.ts';
import { fixtureIdSeed, iPhoneOf } from './ios-profile-fixtures.ts';

/** fast-check generators for the iOS renderer: strings XML can carry, and random *valid* render inputs. */

/**
 * Strings XML 1.0 can carry, biased towards markup, entities and whitespace. U+FFFD is left out
 * only because `@xmldom/xmldom` (inside `plist`) logs a warning for it.
 */
export function xmlSafeString(constraints: { minLength?: number; maxLength?: number } = {}): fc.Arbitrary<string> {
  const unit = fc.oneof(fc.constantFrom('&', '<', '>', '"', "'", '\r', '\n', '\t', ' ', '\u0085', '\u2028', '\u2029', ']]>', '&amp;', '&#13;'), fc.string({ unit: 'grapheme', minLength: 1, maxLength: 1 }));
  return fc
    .string({ unit, minLength: constraints.minLength ?? 0, maxLength: constraints.maxLength ?? 12 })
    .filter((s) => !/[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFD-\uFFFF]/.test(s) && s.isWellFormed());
}

const text = (minLength = 1): fc.Arbitrary<string> => xmlSafeString({ minLength });
const nullable = <T>(arbitrary: fc.Arbitrary<T>): fc.Arbitrary<T | null> => fc.option(arbitrary, { nil: null });

const user: fc.Arbitrary<DirectoryUser> = fc.record({
  id: fc.uuid(),
  displayName: text(),
  userPrincipalName: fc.emailAddress(),
  mail: fc.emailAddress(),
  onPremisesSamAccountName: fc.stringMatching(/^[A-Za-z][A-Za-z0-9._-]{0,19}$/),
  onPremisesDomainName: fc.domain(),
  onPremisesNetBiosName: fc.stringMatching(/^[A-Z][A-Z0-9]{0,14}$/),
});

const easFlags = ['calendars', 'contacts', 'email', 'notes', 'reminders'] as const;

const settings: fc.Arbitrary<IosEmailSettingsInput> = fc.record({
  hostName: fc.domain(),
  accountName: text(),
  authenticationMethod: fc.constantFrom('usernameAndPassword', 'certificate', null),
  usernameSource: fc.constantFrom('userPrincipalName', 'primarySmtpAddress'),
  usernameAADSource: nullable(fc.constantFrom('userPrincipalName', 'primarySmtpAddress', 'samAccountName')),
  userDomainNameSource: nullable(fc.constantFrom('fullDomainName', 'netBiosDomainName')),
  customDomainName: nullable(fc.stringMatching(/^[A-Za-z][A-Za-z0-9.-]{0,20}$/)),
  emailAddressSource: fc.constantFrom('userPrincipalName', 'primarySmtpAddress'),
  requireSsl: fc.boolean(),
  useOAuth: nullable(fc.boolean()),
  durationOfEmailToSync: fc.constantFrom('userDefined', 'oneDay', 'threeDays', 'oneWeek', 'twoWeeks', 'oneMonth', 'unlimited'),
  easServices: nullable(fc.shuffledSubarray([...easFlags], { minLength: 1 }).map((flags) => flags.join(','))),
  easServicesUserOverrideEnabled: nullable(fc.boolean()),
  blockMovingMessagesToOtherEmailAccounts: nullable(fc.boolean()),
  blockSendingEmailFromThirdPartyApps: nullable(fc.boolean()),
  blockSyncingRecentlyUsedEmailAddresses: nullable(fc.boolean()),
  requireSmime: nullable(fc.boolean()),
  smimeSigningEnabled: nullable(fc.boolean()),
  smimeSigningUserOverrideEnabled: nullable(fc.boolean()),
  smimeSigningCertificateUserOverrideEnabled: nullable(fc.boolean()),
  smimeEncryptByDefaultEnabled: nullable(fc.boolean()),
  smimeEncryptByDefaultUserOverrideEnabled: nullable(fc.boolean()),
  smimeEncryptionCertificateUserOverrideEnabled: nullable(fc.boolean()),
  smimeEnablePerMessageSwitch: nullable(fc.boolean()),
  signingCertificateType: nullable(fc.constantFrom('none', 'certificate')),
  encryptionCertificateType: nullable(fc.constantFrom('none', 'certificate')),
  perAppVPNProfileId: nullable(fc.uuid()),
});

/** A small pool, so one certificate profile often serves several roles (the renderer must deduplicate). */
const identityIds = ['cert-a', 'cert-b', 'cert-c'] as const;
const rootId = 'root-r';

const root: fc.Arbitrary<RootCertificateMaterial> = fc.record({
  kind: fc.constant('root'),
  der: fc.uint8Array({ minLength: 1, maxLength: 300 }),
  fileName: nullable(text()),
  displayName: nullable(text()),
});

const identity: fc.Arbitrary<AppleCertificateMaterial> = fc.oneof(
  fc.record({
    kind: fc.constant('pkcs12' as const),
    bytes: fc.uint8Array({ minLength: 1, maxLength: 300 }),
    password: nullable(text()),
    fileName: nullable(text()),
    displayName: nullable(text()),
    rootCertificateId: fc.constantFrom(rootId, null),
  }),
  fc.record({
    kind: fc.constant('scep' as const),
    url: fc.webUrl(),
    caName: nullable(text()),
    subject: fc.array(fc.array(fc.tuple(fc.constantFrom('CN', 'O', 'OU', 'C', '1.2.840.113549.1.9.1'), text()), { minLength: 1, maxLength: 2 }), { maxLength: 4 }),
    challenge: nullable(text()),
    keySize: fc.constantFrom(1024 as const, 2048 as const, 4096 as const),
    keyUsage: fc.constantFrom(0 as const, 1 as const, 4 as const, 5 as const),
    subjectAltName: nullable(
      fc.record({ rfc822Name: nullable(fc.emailAddress()), dNSName: nullable(fc.domain()), uniformResourceIdentifier: nullable(fc.webUrl()), ntPrincipalName: nullable(text()) }),
    ),
    caFingerprint: nullable(fc.uint8Array({ minLength: 20, maxLength: 32 })),
    retries: nullable(fc.nat(10)),
    retryDelaySeconds: nullable(fc.nat(600)),
    displayName: nullable(text()),
    rootCertificateId: fc.constantFrom(rootId, null),
  }),
);

/**
 * Random render inputs that a valid profile model can produce: every certificate the settings need
 * is linked and has material (a certificate type of `certificate` implies a link), the user has all
 * directory attributes, and the device is the user's iPhone or iPad.
 */
export function iosRenderInput(): fc.Arbitrary<RenderIosProfileInput> {
  const pick = fc.constantFrom(...identityIds);
  return fc
    .record({
      user,
      settings,
      id: fc.uuid(),
      displayName: text(),
      description: nullable(xmlSafeString()),
      version: fc.nat(),
      links: fc.record({ identityCertificate: nullable(pick), smimeSigningCertificate: nullable(pick), smimeEncryptionCertificate: nullable(pick) }),
      materials: fc.tuple(identity, identity, identity, root),
      ipad: fc.boolean(),
      organization: nullable(xmlSafeString()),
    })
    .map(({ user, settings, id, displayName, description, version, links, materials, ipad, organization }) => {
      const fixedLinks = {
        identityCertificate: links.identityCertificate ?? (settings.authenticationMethod === 'certificate' ? 'cert-a' : null),
        smimeSigningCertificate: links.smimeSigningCertificate ?? (settings.signingCertificateType === 'certificate' ? 'cert-b' : null),
        smimeEncryptionCertificate: links.smimeEncryptionCertificate ?? (settings.encryptionCertificateType === 'certificate' ? 'cert-c' : null),
      };
      const [a, b, c, r] = materials;
      const profile: IosEmailProfileInput = { id, odataType: 'iosEasEmailProfileConfiguration', displayName, description, version, settings, links: fixedLinks };
      return {
        profile,
        user,
        device: { ...iPhoneOf(user), operatingSystem: ipad ? 'iPadOS' : 'iOS' },
        certificates: new Map<string, AppleCertificateMaterial>([['cert-a', a], ['cert-b', b], ['cert-c', c], [rootId, r]]),
        ids: fixtureIdSeed,
        organization,
      };
    });
}
