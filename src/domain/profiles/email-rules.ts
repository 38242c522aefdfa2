import { badRequest } from '../errors.ts';
import { hostNameProblem, isDomainName } from './host-name.ts';
import { bindKeyOf } from './odata-bind.ts';
import type { ProfileLinks } from './profile.ts';
import { allowedLinkTargetTypes } from './profile-links.ts';
import { platformFamilyOf, type EmailProfileType, type NavigationProperty } from './profile-types.ts';

/**
 * Rules an email profile must satisfy beyond its schema, checked on the complete (merged, defaulted)
 * settings so that create and PATCH agree. Each failure is a 400 naming the field and what is allowed.
 */
export function checkEmailProfileOrThrow(
  type: EmailProfileType,
  settings: Record<string, unknown>,
  links: ProfileLinks,
): void {
  const family = platformFamilyOf(type);
  const hostName = settings.hostName as string;
  const allowPort = family === 'androidWorkProfile' || family === 'androidForWork';
  const problem = hostNameProblem(hostName, { allowPort });
  if (problem !== null) throw badRequest(`hostName ${problem} Got '${hostName}'.`, 'hostName');

  checkUserDomain(settings);
  checkAuthentication(type, settings, links);
  checkSmime(type, settings, links, 'smimeSigningCertificate', 'signingCertificateType');
  checkSmime(type, settings, links, 'smimeEncryptionCertificate', 'encryptionCertificateType');

  if (settings.easServices === 'none') {
    throw badRequest(
      'easServices must enable at least one of calendars, contacts, email, notes, reminders: iOS requires one Enable* service to be on. Send null to keep the device default (all).',
      'easServices',
    );
  }
  if (settings.syncNotes === true) {
    throw badRequest(
      'syncNotes must be false: Samsung Notes sync is no longer supported on Knox and fails on the device with 0x87D1FDE8 ("remediation failed").',
      'syncNotes',
    );
  }
}

function checkUserDomain(settings: Record<string, unknown>): void {
  const custom = settings.customDomainName;
  if (typeof custom === 'string' && !isDomainName(custom)) {
    throw badRequest(
      `customDomainName must be a domain name such as contoso.com or CONTOSO (letters, digits, hyphens and dots); got '${custom}'.`,
      'customDomainName',
    );
  }
  const sourceField = 'usernameAADSource' in settings ? 'usernameAADSource' : 'usernameSource';
  if (settings[sourceField] === 'samAccountName' && custom != null && settings.userDomainNameSource != null) {
    throw badRequest(
      `${sourceField} samAccountName takes its domain from userDomainNameSource or from customDomainName, not both: set one of them to null.`,
      'customDomainName',
    );
  }
}

function checkAuthentication(type: EmailProfileType, settings: Record<string, unknown>, links: ProfileLinks): void {
  if (!('authenticationMethod' in settings)) return;
  const method = settings.authenticationMethod;
  const bind = bindKeyOf('identityCertificate');
  if (method === 'derivedCredential') {
    throw badRequest(
      'authenticationMethod derivedCredential is not supported: Envelope has no derived-credential provider. Use usernameAndPassword or certificate.',
      'authenticationMethod',
    );
  }
  if (method === 'certificate' && links.identityCertificate === null) {
    throw badRequest(
      `authenticationMethod certificate requires ${bind}: link ${certificateChoice('identityCertificate', type)}.`,
      bind,
    );
  }
  if (method !== 'certificate' && links.identityCertificate !== null) {
    throw badRequest(
      `${bind} is used only with authenticationMethod certificate: set authenticationMethod to certificate, or send "${bind}": null.`,
      bind,
    );
  }
}

/**
 * A S/MIME certificate link needs S/MIME on (`requireSmime: true`). On iOS, certificate type `certificate`
 * needs the link, and `derivedCredential` is refused like the derived-credential authentication method.
 */
function checkSmime(
  type: EmailProfileType,
  settings: Record<string, unknown>,
  links: ProfileLinks,
  nav: NavigationProperty,
  typeField: 'signingCertificateType' | 'encryptionCertificateType',
): void {
  const bind = bindKeyOf(nav);
  const certificateType = settings[typeField];
  if (certificateType === 'derivedCredential') {
    throw badRequest(
      `${typeField} derivedCredential is not supported: Envelope has no derived-credential provider. Use none, certificate or null.`,
      typeField,
    );
  }
  if (links[nav] !== null && settings.requireSmime !== true) {
    throw badRequest(
      `${bind} is allowed only when S/MIME is on: set requireSmime to true, or send "${bind}": null.`,
      bind,
    );
  }
  if (certificateType === 'certificate' && links[nav] === null) {
    throw badRequest(`${typeField} certificate requires ${bind}: link ${certificateChoice(nav, type)}.`, bind);
  }
}

/** "an iosScepCertificateProfile or iosPkcsCertificateProfile" */
function certificateChoice(nav: NavigationProperty, type: EmailProfileType): string {
  const choices = allowedLinkTargetTypes(nav, platformFamilyOf(type));
  return `${/^[aeiou]/.test(choices[0] ?? '') ? 'an' : 'a'} ${choices.join(' or ')} (SCEP or PKCS)`;
}
