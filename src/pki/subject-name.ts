import type { DirectoryUser, ManagedDevice } from '../domain/directory.ts';
import { flagNames, subjectAlternativeNameTypeFlags } from '../domain/profiles/index.ts';
import { MissingUserAttributeError } from '../domain/user-values.ts';
import { certificateNameInvalid, certificateNameUnsupported } from './certificate-errors.ts';
import { parseCustomSubject } from './custom-subject.ts';
import { isIa5String, subjectOids } from './subject-attributes.ts';

/** The settings of a SCEP or PKCS certificate profile (any platform) that name the certificate. */
export interface CertificateNameSettings {
  subjectNameFormat: string;
  subjectNameFormatString?: string | null;
  subjectAlternativeNameType: string;
}

/** One relative distinguished name holding one attribute, e.g. `{ oid: '2.5.4.3', value: 'janedoe' }`. */
export interface SubjectAttribute {
  oid: string;
  value: string;
}

export interface SubjectAltNames {
  /** rfc822Name (Apple SCEP `rfc822Name`): the user's `mail`. */
  email: string | null;
  /** otherName UPN, OID 1.3.6.1.4.1.311.20.2.3 (Apple SCEP `ntPrincipalName`). */
  userPrincipalName: string | null;
}

export interface CertificateNames {
  /** RDNs in the order written (`CN=…,E=…` → CN then E), and encoded in that order. Never empty. */
  subject: SubjectAttribute[];
  altNames: SubjectAltNames;
}

/**
 * The names a user certificate carries, resolved for one user and device the way Intune resolves its
 * certificate profiles (SCEP and PKCS, Apple's `appleSubjectNameFormat` and Android's `subjectNameFormat`):
 *
 * - `commonName` → `CN={{UserName}}`; `commonNameIncludingEmail` → `CN={{UserName}},E={{EmailAddress}}`;
 *   `commonNameAsEmail` → `CN={{EmailAddress}}`; `custom` → `subjectNameFormatString` with its variables.
 * - `{{UserName}}` is the user name without domain (the UPN's part before `@`, "janedoe"), `{{EmailAddress}}`
 *   the user's `mail`. Intune's docs describe `{{UserName}}` as "the user name of the user, such as janedoe"
 *   and show the predefined formats as `CN = IWUser0, E = IWUser0@…onmicrosoft.com`
 *   (https://learn.microsoft.com/mem/intune/protect/certificates-profile-scep, …/certificates-symantec-configure).
 * - Device ids: Envelope has no Entra ID device registration, so its managed device id stands in for
 *   `{{AAD_Device_ID}}`/`{{AzureADDeviceId}}` and `commonNameAsAadDeviceId` as well as for `{{DeviceId}}`
 *   and `commonNameAsIntuneDeviceId`. IMEI, serial number and durable device id are not inventoried.
 * - SAN (`subjectAlternativeNameType` flags): `emailAddress` → rfc822Name = `mail`, `userPrincipalName` →
 *   otherName UPN. The other flags need `subjectAlternativeNameFormatString`/custom SANs, which Envelope
 *   does not model (see `certificate-schemas.ts`).
 *
 * Throws MissingUserAttributeError when the user lacks an attribute the names need, and the errors of
 * `certificate-errors.ts` for formats Envelope cannot produce or malformed custom subjects.
 */
export function resolveCertificateNames(
  settings: CertificateNameSettings,
  user: DirectoryUser,
  device: ManagedDevice,
): CertificateNames {
  return { subject: resolveSubject(settings, user, device), altNames: resolveAltNames(settings, user) };
}

/** Reads the user and device values the subject and SAN can name; each read states who needs it. */
export interface NameSource {
  userName(neededBy: string): string;
  userPrincipalName(neededBy: string): string;
  email(neededBy: string): string;
  samAccountName(neededBy: string): string;
  deviceId(): string;
  deviceName(): string;
}

function nameSource(user: DirectoryUser, device: ManagedDevice): NameSource {
  return {
    userName: (neededBy) => {
      const upn = required(user, 'userPrincipalName', neededBy);
      return upn.split('@')[0] || upn;
    },
    userPrincipalName: (neededBy) => required(user, 'userPrincipalName', neededBy),
    email: (neededBy) => required(user, 'mail', neededBy),
    samAccountName: (neededBy) => required(user, 'onPremisesSamAccountName', neededBy),
    deviceId: () => device.id,
    deviceName: () => device.deviceName,
  };
}

function resolveSubject(settings: CertificateNameSettings, user: DirectoryUser, device: ManagedDevice): SubjectAttribute[] {
  const format = settings.subjectNameFormat;
  const source = nameSource(user, device);
  const neededBy = `subjectNameFormat '${format}'`;
  switch (format) {
    case 'commonName':
      return [{ oid: subjectOids.CN, value: source.userName(neededBy) }];
    case 'commonNameIncludingEmail':
      return [
        { oid: subjectOids.CN, value: source.userName(neededBy) },
        { oid: subjectOids.E, value: ia5OrThrow(source.email(neededBy), 'E', 'subjectNameFormat') },
      ];
    case 'commonNameAsEmail':
      return [{ oid: subjectOids.CN, value: source.email(neededBy) }];
    case 'commonNameAsAadDeviceId':
    case 'commonNameAsIntuneDeviceId':
      return [{ oid: subjectOids.CN, value: source.deviceId() }];
    case 'commonNameAsIMEI':
    case 'commonNameAsSerialNumber':
    case 'commonNameAsDurableDeviceId':
      throw certificateNameUnsupported(
        `subjectNameFormat '${format}' needs a device value Envelope does not inventory; use commonName, commonNameAsEmail or a custom subject.`,
        'subjectNameFormat',
      );
    case 'custom':
      return parseCustomSubject(settings.subjectNameFormatString ?? '', source);
    default:
      throw certificateNameInvalid(`subjectNameFormat '${format}' is not a subject name format Envelope knows.`, 'subjectNameFormat');
  }
}

function resolveAltNames(settings: CertificateNameSettings, user: DirectoryUser): SubjectAltNames {
  const altNames: SubjectAltNames = { email: null, userPrincipalName: null };
  for (const flag of flagNames(settings.subjectAlternativeNameType, subjectAlternativeNameTypeFlags)) {
    const neededBy = `subjectAlternativeNameType '${flag}'`;
    if (flag === 'emailAddress') {
      altNames.email = ia5OrThrow(required(user, 'mail', neededBy), 'rfc822Name', 'subjectAlternativeNameType');
    } else if (flag === 'userPrincipalName') {
      altNames.userPrincipalName = required(user, 'userPrincipalName', neededBy);
    } else {
      throw certificateNameUnsupported(
        `subjectAlternativeNameType '${flag}' needs a custom subject alternative name, which Envelope does not support; use emailAddress and/or userPrincipalName.`,
        'subjectAlternativeNameType',
      );
    }
  }
  return altNames;
}

/** IA5String values (email address, rfc822Name) must be ASCII; an internationalised address cannot be encoded. */
function ia5OrThrow(value: string, what: string, field: string): string {
  if (!isIa5String(value)) {
    throw certificateNameInvalid(`${what} '${value}' must be ASCII to go into a certificate.`, field);
  }
  return value;
}

function required(user: DirectoryUser, attribute: 'userPrincipalName' | 'mail' | 'onPremisesSamAccountName', neededBy: string): string {
  const value = user[attribute];
  if (typeof value !== 'string' || value.trim() === '') throw new MissingUserAttributeError(user, attribute, neededBy);
  return value;
}
