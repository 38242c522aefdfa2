import { certificateNameInvalid, certificateNameUnsupported } from './certificate-errors.ts';
import type { NameSource, SubjectAttribute } from './subject-name.ts';
import { isIa5String, isPrintableString, subjectOidOf, subjectOids, subjectValueEncoding } from './subject-attributes.ts';

const field = 'subjectNameFormatString';
const neededBy = field;

/** Intune variables Envelope resolves, by lower-cased name. */
const variables: Readonly<Record<string, (source: NameSource) => string>> = {
  username: (source) => source.userName(neededBy),
  userprincipalname: (source) => source.userPrincipalName(neededBy),
  emailaddress: (source) => source.email(neededBy),
  onpremisessamaccountname: (source) => source.samAccountName(neededBy),
  deviceid: (source) => source.deviceId(),
  aad_device_id: (source) => source.deviceId(),
  azureaddeviceid: (source) => source.deviceId(),
  devicename: (source) => source.deviceName(),
};

/** Intune variables that name values Envelope does not have; a subject using one cannot be issued. */
const uninventoried: ReadonlySet<string> = new Set([
  'serialnumber',
  'device_serial',
  'imeinumber',
  'imei',
  'device_imei',
  'meid',
  'wifimacaddress',
  'fullyqualifieddomainname',
  'device_ddnssuffix',
  'onprem_distinguished_name',
  'onpremisessecurityidentifier',
]);

const variablePattern = /\{\{\s*([A-Za-z0-9_]+)\s*\}\}/g;

/**
 * Parses Intune's custom subject (`subjectNameFormatString`), e.g.
 * `CN={{UserName}},E={{EmailAddress}},OU=Mobile,O="Contoso, Ltd",C=US`, and substitutes its variables
 * (names case-insensitive, as Intune's docs spell them both ways). Syntax per CertStrToName: RDNs
 * separated by `,` or `;`, `KEY=value`, values optionally in double quotes with `""` for a quote.
 * Multi-valued RDNs (`+`) are not supported. Variables are substituted after splitting, so a comma in
 * a user's value never splits an RDN.
 */
export function parseCustomSubject(template: string, source: NameSource): SubjectAttribute[] {
  const attributes = splitRdns(template)
    .filter((part) => part.trim() !== '')
    .map((part) => parseAttribute(part.trim(), source));
  if (attributes.length === 0) {
    throw certificateNameInvalid(`${field} is empty; write e.g. CN={{UserName}},E={{EmailAddress}}.`, field);
  }
  return attributes;
}

function parseAttribute(part: string, source: NameSource): SubjectAttribute {
  const equals = part.indexOf('=');
  if (equals <= 0) throw certificateNameInvalid(`'${part}' in ${field} is not KEY=value.`, field);
  const key = part.slice(0, equals).trim();
  const oid = subjectOidOf(key);
  if (oid === null) throw certificateNameInvalid(`'${key}' in ${field} is not a subject attribute (CN, E, OU, O, L, ST, C, … or a dotted OID).`, field);
  const value = substitute(unquote(part.slice(equals + 1).trim()), source);
  if (value.trim() === '') throw certificateNameInvalid(`${key} in ${field} has no value.`, field);
  checkEncodable(key, oid, value);
  return { oid, value };
}

function splitRdns(template: string): string[] {
  const parts: string[] = [];
  let current = '';
  let quoted = false;
  for (const char of template) {
    if (char === '"') quoted = !quoted;
    if (!quoted && (char === ',' || char === ';')) {
      parts.push(current);
      current = '';
    } else {
      current += char;
    }
  }
  if (quoted) throw certificateNameInvalid(`${field} has an unterminated quote.`, field);
  parts.push(current);
  return parts;
}

function unquote(value: string): string {
  return value.length >= 2 && value.startsWith('"') && value.endsWith('"') ? value.slice(1, -1).replaceAll('""', '"') : value;
}

function substitute(value: string, source: NameSource): string {
  if (/\{\{|\}\}/.test(value.replace(variablePattern, ''))) {
    throw certificateNameInvalid(`'${value}' in ${field} has a malformed variable; write {{Name}}.`, field);
  }
  return value.replace(variablePattern, (_match, name: string) => {
    const key = name.toLowerCase();
    const resolve = variables[key];
    if (resolve) return resolve(source);
    if (uninventoried.has(key)) {
      throw certificateNameUnsupported(`{{${name}}} in ${field} names a device value Envelope does not inventory.`, field);
    }
    throw certificateNameInvalid(
      `{{${name}}} in ${field} is not a variable Envelope knows; use {{UserName}}, {{UserPrincipalName}}, {{EmailAddress}}, {{OnPremisesSamAccountName}}, {{DeviceId}}, {{AAD_Device_ID}} or {{DeviceName}}.`,
      field,
    );
  });
}

function checkEncodable(key: string, oid: string, value: string): void {
  if (oid === subjectOids.C && !/^[A-Za-z]{2}$/.test(value)) {
    throw certificateNameInvalid(`C in ${field} must be a two-letter country code; got '${value}'.`, field);
  }
  const encoding = subjectValueEncoding(oid);
  if (encoding === 'printable' && !isPrintableString(value)) {
    throw certificateNameInvalid(`${key} in ${field} allows only letters, digits, spaces and '()+,-./:=?; got '${value}'.`, field);
  }
  if (encoding === 'ia5' && !isIa5String(value)) {
    throw certificateNameInvalid(`${key} in ${field} must be ASCII; got '${value}'.`, field);
  }
}
