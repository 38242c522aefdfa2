import { describe, it } from 'node:test';
import { parseProfileCreate, parseProfilePatch, type ProfileType } from './index.ts';
import { asProfile, assertBadRequest, bindUrl, minimalBody } from './profile-test-helpers.ts';

/** The minimal valid body of `type` with `changes` applied; an `undefined` change removes the property. */
function body(type: ProfileType, changes: Record<string, unknown> = {}): Record<string, unknown> {
  const result: Record<string, unknown> = { ...minimalBody(type), ...changes };
  for (const [key, value] of Object.entries(changes)) if (value === undefined) delete result[key];
  return result;
}

const ios = 'iosEasEmailProfileConfiguration';
const w10 = 'windows10EasEmailProfileConfiguration';
const knox = 'androidEasEmailProfileConfiguration';
const gmail = 'androidWorkProfileGmailEasConfiguration';
const iosScep = 'iosScepCertificateProfile';
const iosRoot = 'iosTrustedRootCertificate';
const identity = { authenticationMethod: 'certificate', 'identityCertificate@odata.bind': bindUrl('cert-1') };

interface Row {
  row: string;
  body: Record<string, unknown>;
  target: string;
  says?: string[];
}

const createRows: Row[] = [
  { row: 'a body without @odata.type', body: { displayName: 'x' }, target: '@odata.type', says: ['required'] },
  { row: 'an unsupported @odata.type', body: body(ios, { '@odata.type': '#microsoft.graph.macOSEasEmailProfile' }), target: '@odata.type', says: ['not a supported'] },
  { row: '@odata.type in the wrong letter case', body: body(ios, { '@odata.type': '#microsoft.graph.iosEASEmailProfileConfiguration' }), target: '@odata.type', says: ['Did you mean'] },
  { row: 'a property Graph does not define', body: body(ios, { colour: 'blue' }), target: 'colour', says: ['not a property of iosEasEmailProfileConfiguration'] },
  { row: 'a property of another type (syncNotes on iOS)', body: body(ios, { syncNotes: false }), target: 'syncNotes' },
  { row: 'accountName on an Android Enterprise type', body: body(gmail, { accountName: 'Mail' }), target: 'accountName' },
  { row: 'a property in the wrong letter case', body: body(ios, { hostname: 'mail.contoso.com' }), target: 'hostname', says: ['Did you mean "hostName"'] },
  { row: 'a missing displayName', body: body(ios, { displayName: undefined }), target: 'displayName', says: ['required'] },
  { row: 'an empty displayName', body: body(ios, { displayName: '' }), target: 'displayName', says: ['1–200 characters'] },
  { row: 'a displayName over 200 characters', body: body(w10, { displayName: 'x'.repeat(201) }), target: 'displayName', says: ['1–200'] },
  { row: 'a blank displayName', body: body(knox, { displayName: '   ' }), target: 'displayName', says: ['blank'] },
  { row: 'a null displayName', body: body(ios, { displayName: null }), target: 'displayName', says: ['must not be null'] },
  { row: 'a description over 1000 characters', body: body(ios, { description: 'x'.repeat(1001) }), target: 'description' },
  { row: 'roleScopeTagIds that is not an array', body: body(ios, { roleScopeTagIds: '0' }), target: 'roleScopeTagIds' },
  { row: 'an empty scope tag id', body: body(ios, { roleScopeTagIds: ['0', ''] }), target: 'roleScopeTagIds[1]' },
  { row: 'a non-null applicability rule', body: body(w10, { deviceManagementApplicabilityRuleOsVersion: { minOSVersion: '10.0' } }), target: 'deviceManagementApplicabilityRuleOsVersion', says: ['null'] },
  { row: 'a read-only id of the wrong type', body: body(ios, { id: 42 }), target: 'id' },
  { row: 'a missing hostName', body: body(w10, { hostName: undefined }), target: 'hostName', says: ['required'] },
  { row: 'a missing accountName on Knox', body: body(knox, { accountName: undefined }), target: 'accountName', says: ['required'] },
  { row: 'a hostName that is a URL', body: body(ios, { hostName: 'https://mail.contoso.com' }), target: 'hostName', says: ['not a URL', "remove 'https://'"] },
  { row: 'a hostName with a path', body: body(w10, { hostName: 'mail.contoso.com/EWS/Exchange.asmx' }), target: 'hostName', says: ['path'] },
  { row: 'a hostName with user info', body: body(knox, { hostName: 'admin@mail.contoso.com' }), target: 'hostName', says: ['email address'] },
  { row: 'a hostName with spaces', body: body(ios, { hostName: 'mail contoso com' }), target: 'hostName', says: ['spaces'] },
  { row: 'a hostName with a port on iOS', body: body(ios, { hostName: 'mail.contoso.com:443' }), target: 'hostName', says: ['only on Android Enterprise'] },
  { row: 'a hostName with a port on Windows', body: body(w10, { hostName: 'mail.contoso.com:8443' }), target: 'hostName', says: ['port'] },
  { row: 'an out-of-range port on Android Enterprise', body: body(gmail, { hostName: 'mail.contoso.com:99999' }), target: 'hostName', says: ['1 to 65535'] },
  { row: 'an unbracketed IPv6 hostName', body: body(knox, { hostName: '2001:db8::1' }), target: 'hostName', says: ['brackets'] },
  { row: 'a hostName with an invalid label', body: body(ios, { hostName: '-mail.contoso.com' }), target: 'hostName' },
  { row: 'a hostName that is not a string', body: body(ios, { hostName: 42 }), target: 'hostName', says: ['must be a string'] },
  { row: 'an unknown durationOfEmailToSync', body: body(ios, { durationOfEmailToSync: 'twoDays' }), target: 'durationOfEmailToSync', says: ['oneDay', 'unlimited'] },
  { row: 'a null emailSyncSchedule on Windows', body: body(w10, { emailSyncSchedule: null }), target: 'emailSyncSchedule', says: ['must not be null', 'asMessagesArrive'] },
  { row: 'requireSsl as a string', body: body(ios, { requireSsl: 'true' }), target: 'requireSsl', says: ['true or false'] },
  { row: 'an Android-only username source on iOS', body: body(ios, { usernameAADSource: 'username' }), target: 'usernameAADSource', says: ['samAccountName'] },
  { row: 'samAccountName in the legacy iOS usernameSource', body: body(ios, { usernameSource: 'samAccountName' }), target: 'usernameSource', says: ['primarySmtpAddress'] },
  { row: 'an unknown easServices name', body: body(ios, { easServices: 'email, tasks' }), target: 'easServices', says: ["'tasks'", 'reminders'] },
  { row: 'easServices with no service', body: body(ios, { easServices: 'none' }), target: 'easServices', says: ['at least one'] },
  { row: 'an empty easServices', body: body(ios, { easServices: '' }), target: 'easServices' },
  { row: 'certificate authentication without an identity certificate', body: body(ios, { authenticationMethod: 'certificate' }), target: 'identityCertificate@odata.bind', says: ['SCEP or PKCS'] },
  { row: 'derived-credential authentication', body: body(gmail, { authenticationMethod: 'derivedCredential' }), target: 'authenticationMethod', says: ['not supported'] },
  { row: 'an identity certificate with password authentication', body: body(knox, { 'identityCertificate@odata.bind': bindUrl('cert-1') }), target: 'identityCertificate@odata.bind', says: ['authenticationMethod certificate'] },
  { row: 'an identity certificate on Windows', body: body(w10, { 'identityCertificate@odata.bind': bindUrl('cert-1') }), target: 'identityCertificate@odata.bind', says: ['not allowed'] },
  { row: 'an S/MIME encryption certificate on Knox', body: body(knox, { requireSmime: true, 'smimeEncryptionCertificate@odata.bind': bindUrl('cert-1') }), target: 'smimeEncryptionCertificate@odata.bind', says: ['not allowed'] },
  { row: 'an S/MIME signing certificate with S/MIME off on Knox', body: body(knox, { 'smimeSigningCertificate@odata.bind': bindUrl('cert-1') }), target: 'smimeSigningCertificate@odata.bind', says: ['requireSmime'] },
  { row: 'an S/MIME encryption certificate with S/MIME unset on iOS', body: body(ios, { 'smimeEncryptionCertificate@odata.bind': bindUrl('cert-1') }), target: 'smimeEncryptionCertificate@odata.bind', says: ['requireSmime'] },
  { row: 'signing certificate type certificate without a certificate', body: body(ios, { requireSmime: true, signingCertificateType: 'certificate' }), target: 'smimeSigningCertificate@odata.bind' },
  { row: 'a derived-credential encryption certificate type', body: body(ios, { encryptionCertificateType: 'derivedCredential' }), target: 'encryptionCertificateType', says: ['not supported'] },
  { row: 'a bind that is not a string', body: body(ios, { ...identity, 'identityCertificate@odata.bind': 42 }), target: 'identityCertificate@odata.bind' },
  { row: 'a bind into another collection', body: body(ios, { ...identity, 'identityCertificate@odata.bind': "https://graph.microsoft.com/beta/users('u1')" }), target: 'identityCertificate@odata.bind', says: ['deviceConfigurations'] },
  { row: 'an unknown bind', body: body(ios, { 'derivedCredentialSettings@odata.bind': bindUrl('x') }), target: 'derivedCredentialSettings@odata.bind' },
  { row: 'Knox Samsung Notes sync', body: body(knox, { syncNotes: true }), target: 'syncNotes', says: ['0x87D1FDE8', 'no longer supported'] },
  { row: 'a samAccountName username with both domain sources on iOS', body: body(ios, { usernameAADSource: 'samAccountName', userDomainNameSource: 'fullDomainName', customDomainName: 'contoso.com' }), target: 'customDomainName', says: ['not both', 'userDomainNameSource'] },
  { row: 'a samAccountName username with both domain sources on Knox', body: body(knox, { usernameSource: 'samAccountName', userDomainNameSource: 'netBiosDomainName', customDomainName: 'CONTOSO' }), target: 'customDomainName', says: ['not both'] },
  { row: 'a customDomainName that is not a domain name', body: body(w10, { customDomainName: 'contoso com' }), target: 'customDomainName', says: ['domain name'] },
  { row: 'a perAppVPNProfileId that is not a string', body: body(ios, { perAppVPNProfileId: 5 }), target: 'perAppVPNProfileId' },
  { row: 'a trusted root that is not base64', body: body(iosRoot, { trustedRootCertificate: 'not base64!' }), target: 'trustedRootCertificate', says: ['base64'] },
  { row: 'a trusted root that is not a certificate', body: body(iosRoot, { trustedRootCertificate: 'dHJ1c3RlZFJvb3RDZXJ0aWZpY2F0ZQ==' }), target: 'trustedRootCertificate', says: ['X.509'] },
  { row: 'a trusted root in PEM', body: body(iosRoot, { trustedRootCertificate: '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----' }), target: 'trustedRootCertificate', says: ['PEM'] },
  { row: 'a destinationStore on a non-Windows trusted root', body: body(iosRoot, { destinationStore: 'computerCertStoreRoot' }), target: 'destinationStore' },
  { row: 'a SCEP server URL over http', body: body(iosScep, { scepServerUrls: ['http://ndes.contoso.com/certsrv/mscep/mscep.dll'] }), target: 'scepServerUrls[0]', says: ['https'] },
  { row: 'no SCEP server URL', body: body(iosScep, { scepServerUrls: [] }), target: 'scepServerUrls', says: ['1–20 items'] },
  { row: 'a SCEP profile without its trusted root', body: body(iosScep, { 'rootCertificate@odata.bind': undefined }), target: 'rootCertificate@odata.bind', says: ['required'] },
  { row: 'a trusted root link on a PKCS profile', body: body('iosPkcsCertificateProfile', { 'rootCertificate@odata.bind': bindUrl('root-1') }), target: 'rootCertificate@odata.bind', says: ['not allowed'] },
  { row: 'an unknown keySize', body: body(iosScep, { keySize: 'size512' }), target: 'keySize', says: ['size2048'] },
  { row: 'an unknown keyUsage flag', body: body(iosScep, { keyUsage: 'keyAgreement' }), target: 'keyUsage', says: ["'keyAgreement'"] },
  { row: 'a renewal threshold of 100 %', body: body(iosScep, { renewalThresholdPercentage: 100 }), target: 'renewalThresholdPercentage', says: ['from 1 to 99'] },
  { row: 'a custom subject without a format string', body: body('androidWorkProfileScepCertificateProfile', { subjectNameFormat: 'custom' }), target: 'subjectNameFormatString', says: ['custom'] },
  { row: 'an Android-only subject name format on iOS', body: body('iosPkcsCertificateProfile', { subjectNameFormat: 'commonNameAsAadDeviceId' }), target: 'subjectNameFormat' },
  { row: 'an extended key usage with a malformed OID', body: body(iosScep, { extendedKeyUsages: [{ name: 'Client Authentication', objectIdentifier: 'client-auth' }] }), target: 'extendedKeyUsages[0].objectIdentifier', says: ['OID'] },
  { row: 'a hash algorithm on an iOS SCEP profile', body: body(iosScep, { hashAlgorithm: 'sha2' }), target: 'hashAlgorithm' },
];

describe('Invalid create bodies are refused with a 400 naming the field', () => {
  for (const { row, body: invalid, target, says = [] } of createRows) {
    it(`refuses ${row}`, () => assertBadRequest(() => parseProfileCreate(invalid), target, ...says));
  }
});

const knoxWithSmime = asProfile(
  parseProfileCreate(body(knox, { ...identity, requireSmime: true, 'smimeSigningCertificate@odata.bind': bindUrl('cert-2') })),
);
const scep = asProfile(parseProfileCreate(body(iosScep)));

const patchRows: (Row & { existing: ReturnType<typeof asProfile> })[] = [
  { row: 'a change of @odata.type', existing: knoxWithSmime, body: { '@odata.type': '#microsoft.graph.androidWorkProfileGmailEasConfiguration' }, target: '@odata.type', says: ['cannot change'] },
  { row: 'a null displayName', existing: knoxWithSmime, body: { displayName: null }, target: 'displayName', says: ['must not be null'] },
  { row: 'a null hostName', existing: knoxWithSmime, body: { hostName: null }, target: 'hostName', says: ['must not be null'] },
  { row: 'turning S/MIME off while a signing certificate is linked', existing: knoxWithSmime, body: { requireSmime: false }, target: 'smimeSigningCertificate@odata.bind', says: ['"smimeSigningCertificate@odata.bind": null'] },
  { row: 'password authentication while an identity certificate is linked', existing: knoxWithSmime, body: { authenticationMethod: 'usernameAndPassword' }, target: 'identityCertificate@odata.bind' },
  { row: 'unlinking the identity certificate of certificate authentication', existing: knoxWithSmime, body: { 'identityCertificate@odata.bind': null }, target: 'identityCertificate@odata.bind' },
  { row: 'unlinking the trusted root of a SCEP profile', existing: scep, body: { 'rootCertificate@odata.bind': null }, target: 'rootCertificate@odata.bind' },
  { row: 'a property of another type', existing: scep, body: { hostName: 'mail.contoso.com' }, target: 'hostName' },
];

describe('Invalid PATCH bodies are refused with a 400 naming the field', () => {
  for (const { row, existing, body: invalid, target, says = [] } of patchRows) {
    it(`refuses ${row}`, () => assertBadRequest(() => parseProfilePatch(existing, invalid), target, ...says));
  }
});
