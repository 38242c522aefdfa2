import { createHash } from 'node:crypto';
import type { DirectoryUser, ManagedDevice } from '../../../domain/directory.ts';
import type { AppleCertificateMaterial } from '../certificate-material.ts';
import type { IosEmailProfileInput, IosEmailSettingsInput } from '../ios-email-profile-input.ts';
import type { IosPayloadIdSeed } from '../ios-payload-ids.ts';
import type { RenderIosProfileInput } from '../render-ios-profile.ts';

/**
 * Fixed inputs for iOS renderer tests, golden files and the benchmark. Certificate bytes are
 * deterministic filler, not real certificates: the renderer treats them as opaque.
 */

export const fixtureIdSeed: IosPayloadIdSeed = {
  namespace: '0b7c6d8e-4f3a-4e21-9c55-2f0e6a1d9b37',
  tenantId: '5a2f3c1e-7d4b-4f6a-8e9c-0d1b2a3c4e5f',
};

export const jane: DirectoryUser = {
  id: 'c0a8012e-5b1d-4c7e-9f20-3d4e5f6a7b8c',
  displayName: 'Jane Doe',
  userPrincipalName: 'jane@contoso.com',
  mail: 'jane.doe@contoso.com',
  onPremisesSamAccountName: 'jdoe',
  onPremisesDomainName: 'corp.contoso.com',
  onPremisesNetBiosName: 'CONTOSO',
};

export function iPhoneOf(user: DirectoryUser): ManagedDevice {
  return {
    id: `device-of-${user.id}`,
    deviceName: `${user.displayName}'s iPhone`,
    operatingSystem: 'iOS',
    osVersion: '18.1',
    model: 'iPhone 16',
    androidManagementMode: null,
    userId: user.id,
    enrolledDateTime: '2025-01-06T09:00:00Z',
    lastSyncDateTime: null,
  };
}

/** Deterministic pseudo-random bytes, distinct per label. */
export function fillerBytes(label: string, length: number): Uint8Array {
  const out = new Uint8Array(length);
  for (let block = 0; block * 32 < length; block++) {
    out.set(createHash('sha256').update(`${label}#${block}`).digest().subarray(0, Math.min(32, length - block * 32)), block * 32);
  }
  return out;
}

export const certificateProfileIds = {
  root: '9d1e2f3a-0b4c-4d5e-8f6a-7b8c9d0e1f2a',
  scepIdentity: '1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d',
  pkcsSigning: '2b3c4d5e-6f7a-4b8c-9d0e-1f2a3b4c5d6e',
  pkcsEncryption: '3c4d5e6f-7a8b-4c9d-8e1f-2a3b4c5d6e7f',
} as const;

export const fixtureCertificates: ReadonlyMap<string, AppleCertificateMaterial> = new Map<string, AppleCertificateMaterial>([
  [certificateProfileIds.root, { kind: 'root', der: fillerBytes('root', 900), fileName: 'contoso-root.cer', displayName: 'Contoso Root CA' }],
  [
    certificateProfileIds.scepIdentity,
    {
      kind: 'scep',
      url: 'https://scep.contoso.com/certsrv/mscep/mscep.dll',
      caName: 'contoso-CA',
      subject: [[['CN', 'Jane Doe']], [['O', 'Contoso & Partners <EU>']], [['0.9.2342.19200300.100.1.3', 'jane.doe@contoso.com']]],
      challenge: 'one-time-challenge-7Q2x',
      keySize: 2048,
      keyUsage: 5,
      subjectAltName: { rfc822Name: 'jane.doe@contoso.com', ntPrincipalName: 'jane@contoso.com' },
      rootCertificateId: certificateProfileIds.root,
      displayName: 'Email identity (SCEP)',
    },
  ],
  [
    certificateProfileIds.pkcsSigning,
    { kind: 'pkcs12', bytes: fillerBytes('signing.p12', 2400), password: 'p12-transport-Sg1', fileName: 'jane-signing.p12', rootCertificateId: certificateProfileIds.root },
  ],
  [
    certificateProfileIds.pkcsEncryption,
    { kind: 'pkcs12', bytes: fillerBytes('encryption.p12', 2400), password: 'p12-transport-Ec2', fileName: 'jane-encryption.p12', rootCertificateId: certificateProfileIds.root },
  ],
]);

const baseSettings: IosEmailSettingsInput = {
  hostName: 'outlook.contoso.com',
  accountName: 'Contoso Mail',
  authenticationMethod: 'usernameAndPassword',
  usernameSource: 'userPrincipalName',
  usernameAADSource: 'userPrincipalName',
  userDomainNameSource: null,
  customDomainName: null,
  emailAddressSource: 'primarySmtpAddress',
  requireSsl: true,
  useOAuth: false,
  durationOfEmailToSync: 'oneWeek',
  easServices: 'calendars,contacts,email,notes,reminders',
  easServicesUserOverrideEnabled: true,
  blockMovingMessagesToOtherEmailAccounts: false,
  blockSendingEmailFromThirdPartyApps: false,
  blockSyncingRecentlyUsedEmailAddresses: false,
  requireSmime: false,
};

function profile(id: string, displayName: string, settings: Partial<IosEmailSettingsInput>, links: IosEmailProfileInput['links'] = {}): IosEmailProfileInput {
  return {
    id,
    odataType: '#microsoft.graph.iosEasEmailProfileConfiguration',
    displayName,
    description: 'Corporate mail for Contoso staff.',
    version: 1,
    settings: { ...baseSettings, ...settings },
    links,
  };
}

/** The four golden scenarios, by golden file name. */
export const goldenProfiles = {
  'username-password': profile('7f9e8d7c-6b5a-4948-8372-6150f4e3d2c1', 'Contoso Mail (password)', {}),
  'certificate-scep': profile(
    '8e7d6c5b-4a39-4827-9160-5f4e3d2c1b0a',
    'Contoso Mail (certificate)',
    { authenticationMethod: 'certificate', durationOfEmailToSync: 'twoWeeks', easServices: 'calendars,contacts,email', easServicesUserOverrideEnabled: false },
    { identityCertificate: certificateProfileIds.scepIdentity },
  ),
  'smime-pkcs': profile(
    '9f8e7d6c-5b4a-4392-8170-6e5f4d3c2b1a',
    'Contoso Mail (S/MIME)',
    {
      durationOfEmailToSync: 'oneMonth',
      blockMovingMessagesToOtherEmailAccounts: true,
      blockSendingEmailFromThirdPartyApps: true,
      requireSmime: true,
      smimeSigningEnabled: true,
      smimeSigningUserOverrideEnabled: false,
      smimeSigningCertificateUserOverrideEnabled: false,
      signingCertificateType: 'certificate',
      smimeEncryptByDefaultEnabled: true,
      smimeEncryptByDefaultUserOverrideEnabled: false,
      smimeEncryptionCertificateUserOverrideEnabled: false,
      smimeEnablePerMessageSwitch: true,
      encryptionCertificateType: 'certificate',
    },
    { smimeSigningCertificate: certificateProfileIds.pkcsSigning, smimeEncryptionCertificate: certificateProfileIds.pkcsEncryption },
  ),
  'sam-netbios': profile('0a9f8e7d-6c5b-4a49-8382-7160e5f4d3c2', 'Contoso Mail (on-premises)', {
    hostName: 'mail.corp.contoso.com',
    usernameAADSource: 'samAccountName',
    userDomainNameSource: 'netBiosDomainName',
    emailAddressSource: 'userPrincipalName',
    useOAuth: null,
    durationOfEmailToSync: 'userDefined',
    easServices: 'email,calendars',
    easServicesUserOverrideEnabled: false,
    blockSyncingRecentlyUsedEmailAddresses: true,
    perAppVPNProfileId: '4d5e6f7a-8b9c-4d0e-9f1a-2b3c4d5e6f7a',
  }),
} as const satisfies Record<string, IosEmailProfileInput>;

export type GoldenScenario = keyof typeof goldenProfiles;

/** The complete renderer input for a scenario, for `jane` on her iPhone. */
export function goldenInput(scenario: GoldenScenario): RenderIosProfileInput {
  return {
    profile: goldenProfiles[scenario],
    user: jane,
    device: iPhoneOf(jane),
    certificates: fixtureCertificates,
    ids: fixtureIdSeed,
    organization: 'Contoso Ltd.',
  };
}

/** A copy of `input` whose profile settings are overridden. */
export function withSettings(input: RenderIosProfileInput, settings: Partial<IosEmailSettingsInput>, version?: number): RenderIosProfileInput {
  const profile = input.profile;
  return { ...input, profile: { ...profile, version: version ?? profile.version, settings: { ...profile.settings, ...settings } } };
}
