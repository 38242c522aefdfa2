import Type, { type Static } from 'typebox';
import {
  appleSubjectNameFormats,
  certificateDestinationStores,
  certificateValidityPeriodScales,
  hashAlgorithmFlags,
  keySizes,
  keyUsageFlags,
  subjectAlternativeNameTypeFlags,
  subjectNameFormats,
} from './graph-enums.ts';
import { defineProfileModel, type ProfileModel, type ProfileModelSpec } from './profile-model.ts';
import type { ProfileType } from './profile-types.ts';
import { graphEnum, graphFlags, nullableText, text } from './schema-kit.ts';

/**
 * The certificate profiles email profiles link to: trusted roots (Exchange TLS chain, SCEP CA), SCEP
 * (issued by the customer's NDES/SCEP server) and PKCS (issued by Envelope's own CA). Graph names per the
 * `intune-deviceconfig-*certificate*` resource pages (beta).
 *
 * Deliberately left out, because email identities do not need them: `certificateStore` (an email identity
 * always lives in the user store), `customSubjectAlternativeNames` and `subjectAlternativeNameFormatString`
 * (the UPN/email SAN of `subjectAlternativeNameType` is what Exchange needs), imported-PFX and
 * derived-credential profiles, `managedDeviceCertificateStates`, and the Android PKCS `rootCertificate`
 * link (Envelope's CA delivers its own chain). Nullability of the certificate properties is inferred:
 * numbers and enums non-null, strings nullable, as for the email types.
 */

const certificateBase = (subjectNameFormatMembers: readonly string[]) => ({
  renewalThresholdPercentage: Type.Integer({
    minimum: 1,
    maximum: 99,
    description: 'Renew when this percentage of the validity remains, 1–99. Default 20.',
  }),
  subjectNameFormat: graphEnum(subjectNameFormatMembers, 'Subject name format. Default commonName.'),
  subjectAlternativeNameType: graphFlags(
    subjectAlternativeNameTypeFlags,
    'Subject alternative names (flags), e.g. userPrincipalName or emailAddress. Default none.',
  ),
  certificateValidityPeriodValue: Type.Integer({
    minimum: 1,
    maximum: 9999,
    description: 'Validity period, in certificateValidityPeriodScale units. Default 1.',
  }),
  certificateValidityPeriodScale: graphEnum(certificateValidityPeriodScales, 'days, months or years. Default years.'),
});

const extendedKeyUsages = () =>
  Type.Array(
    Type.Object(
      {
        '@odata.type': Type.Optional(
          Type.Enum(['#microsoft.graph.extendedKeyUsage', 'microsoft.graph.extendedKeyUsage'], {
            description: 'Accepted and dropped.',
          }),
        ),
        name: text('Display name, e.g. Client Authentication.', { maxLength: 200 }),
        objectIdentifier: Type.String({
          pattern: '^[0-2](?:\\.(?:0|[1-9][0-9]*))+$',
          description: 'OID, e.g. 1.3.6.1.5.5.7.3.2 (Client Authentication)',
        }),
      },
      { additionalProperties: false },
    ),
    { maxItems: 500, description: 'Extended key usages. Default [].' },
  );

const subjectNameFormatString = () =>
  nullableText('Custom subject, e.g. CN={{UserName}},E={{EmailAddress}}; required when subjectNameFormat is custom.', {
    maxLength: 1024,
  });

const scepSettings = () => ({
  scepServerUrls: Type.Array(Type.String({ minLength: 1, maxLength: 2048 }), {
    minItems: 1,
    maxItems: 20,
    description: 'SCEP server URLs (https). Required on create.',
  }),
  subjectNameFormatString: subjectNameFormatString(),
  keyUsage: graphFlags(keyUsageFlags, 'Key usage flags. Default keyEncipherment,digitalSignature.'),
  keySize: graphEnum(keySizes, 'Key size. Default size2048.'),
});

const pkcsSettings = () => ({
  certificationAuthority: nullableText('Issuing CA host; optional, Envelope’s CA issues the certificate.', {
    maxLength: 256,
  }),
  certificationAuthorityName: nullableText('Issuing CA name; optional.', { maxLength: 256 }),
  certificateTemplateName: nullableText('Certificate template name; optional.', { maxLength: 256 }),
  subjectNameFormatString: subjectNameFormatString(),
});

export const trustedRootCertificateSettingsSchema = Type.Object({
  trustedRootCertificate: Type.String({
    minLength: 1,
    maxLength: 65536,
    contentEncoding: 'base64',
    description: 'The X.509 certificate, base64 DER. Required on create.',
  }),
  certFileName: nullableText('File name shown in the UI, e.g. contoso-root.cer.', { maxLength: 256 }),
});
export const windows81TrustedRootCertificateSettingsSchema = Type.Object({
  ...trustedRootCertificateSettingsSchema.properties,
  destinationStore: graphEnum(certificateDestinationStores, 'Windows certificate store. Default computerCertStoreRoot.'),
});
export const iosScepCertificateSettingsSchema = Type.Object({
  ...certificateBase(appleSubjectNameFormats),
  ...scepSettings(),
  extendedKeyUsages: extendedKeyUsages(),
});
export const androidScepCertificateSettingsSchema = Type.Object({
  ...certificateBase(subjectNameFormats),
  extendedKeyUsages: extendedKeyUsages(),
  ...scepSettings(),
  hashAlgorithm: graphFlags(hashAlgorithmFlags, 'SCEP hash algorithm flags. Default sha2.'),
});
export const iosPkcsCertificateSettingsSchema = Type.Object({
  ...certificateBase(appleSubjectNameFormats),
  ...pkcsSettings(),
});
export const androidPkcsCertificateSettingsSchema = Type.Object({
  ...certificateBase(subjectNameFormats),
  extendedKeyUsages: extendedKeyUsages(),
  ...pkcsSettings(),
});

export type TrustedRootCertificateSettings = Static<typeof trustedRootCertificateSettingsSchema>;
export type Windows81TrustedRootCertificateSettings = Static<typeof windows81TrustedRootCertificateSettingsSchema>;
export type IosScepCertificateProfileSettings = Static<typeof iosScepCertificateSettingsSchema>;
/** Settings of the SCEP profiles of all three Android families. */
export type AndroidScepCertificateProfileSettings = Static<typeof androidScepCertificateSettingsSchema>;
export type IosPkcsCertificateProfileSettings = Static<typeof iosPkcsCertificateSettingsSchema>;
/** Settings of the PKCS profiles of all three Android families. */
export type AndroidPkcsCertificateProfileSettings = Static<typeof androidPkcsCertificateSettingsSchema>;

/** Defaults follow the Intune admin UI: 1 year validity, renew at 20 %, 2048-bit keys, SHA-2. */
const certificateDefaults = {
  renewalThresholdPercentage: 20,
  subjectNameFormat: 'commonName',
  subjectAlternativeNameType: 'none',
  certificateValidityPeriodValue: 1,
  certificateValidityPeriodScale: 'years',
  extendedKeyUsages: [],
} as const;
const scepDefaults = { ...certificateDefaults, keyUsage: 'keyEncipherment,digitalSignature', keySize: 'size2048' };
const certificateFlags = { subjectAlternativeNameType: subjectAlternativeNameTypeFlags };

function model(type: ProfileType, description: string, spec: Omit<ProfileModelSpec, 'type' | 'description'>): ProfileModel {
  return defineProfileModel({ type, description, ...spec });
}

const trustedRoot = (type: ProfileType, platform: string) =>
  model(type, `${platform} trusted root certificate.`, {
    settings: trustedRootCertificateSettingsSchema,
    requiredOnCreate: ['trustedRootCertificate'],
  });
const androidScep = (type: ProfileType, platform: string) =>
  model(type, `${platform} SCEP certificate profile.`, {
    settings: androidScepCertificateSettingsSchema,
    requiredOnCreate: ['scepServerUrls'],
    defaults: { ...scepDefaults, hashAlgorithm: 'sha2' },
    flags: { ...certificateFlags, keyUsage: keyUsageFlags, hashAlgorithm: hashAlgorithmFlags },
  });
const androidPkcs = (type: ProfileType, platform: string) =>
  model(type, `${platform} PKCS certificate profile, issued by Envelope's CA.`, {
    settings: androidPkcsCertificateSettingsSchema,
    defaults: certificateDefaults,
    flags: certificateFlags,
  });

export const certificateModels: readonly ProfileModel[] = [
  trustedRoot('iosTrustedRootCertificate', 'iOS/iPadOS'),
  trustedRoot('androidTrustedRootCertificate', 'Samsung Knox (Android device administrator)'),
  trustedRoot('androidWorkProfileTrustedRootCertificate', 'Android Enterprise work profile'),
  trustedRoot('androidForWorkTrustedRootCertificate', 'Legacy Android for Work'),
  model('windows81TrustedRootCertificate', 'Windows 8.1 and later trusted root certificate.', {
    settings: windows81TrustedRootCertificateSettingsSchema,
    requiredOnCreate: ['trustedRootCertificate'],
    defaults: { destinationStore: 'computerCertStoreRoot' },
  }),
  model('iosScepCertificateProfile', 'iOS/iPadOS SCEP certificate profile.', {
    settings: iosScepCertificateSettingsSchema,
    requiredOnCreate: ['scepServerUrls'],
    defaults: scepDefaults,
    flags: { ...certificateFlags, keyUsage: keyUsageFlags },
  }),
  androidScep('androidScepCertificateProfile', 'Samsung Knox (Android device administrator)'),
  androidScep('androidWorkProfileScepCertificateProfile', 'Android Enterprise work profile'),
  androidScep('androidForWorkScepCertificateProfile', 'Legacy Android for Work'),
  model('iosPkcsCertificateProfile', "iOS/iPadOS PKCS certificate profile, issued by Envelope's CA.", {
    settings: iosPkcsCertificateSettingsSchema,
    defaults: certificateDefaults,
    flags: certificateFlags,
  }),
  androidPkcs('androidPkcsCertificateProfile', 'Samsung Knox (Android device administrator)'),
  androidPkcs('androidWorkProfilePkcsCertificateProfile', 'Android Enterprise work profile'),
  androidPkcs('androidForWorkPkcsCertificateProfile', 'Legacy Android for Work'),
];
