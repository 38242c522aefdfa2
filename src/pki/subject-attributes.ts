/**
 * X.500 attribute types a certificate subject may use: the keys of Intune's custom subject syntax
 * (Windows `CertStrToName`, https://learn.microsoft.com/windows/win32/api/wincrypt/nf-wincrypt-certstrtonamew),
 * their OIDs, and how each value is encoded (RFC 5280 appendix A).
 */

export const subjectOids = {
  CN: '2.5.4.3',
  SN: '2.5.4.4',
  SERIALNUMBER: '2.5.4.5',
  C: '2.5.4.6',
  L: '2.5.4.7',
  ST: '2.5.4.8',
  STREET: '2.5.4.9',
  O: '2.5.4.10',
  OU: '2.5.4.11',
  T: '2.5.4.12',
  POSTALCODE: '2.5.4.17',
  G: '2.5.4.42',
  I: '2.5.4.43',
  E: '1.2.840.113549.1.9.1',
  DC: '0.9.2342.19200300.100.1.25',
  UID: '0.9.2342.19200300.100.1.1',
} as const;

/** Custom-subject keys, upper-cased, including CertStrToName's aliases. */
const keyOids: Readonly<Record<string, string>> = {
  ...subjectOids,
  S: subjectOids.ST,
  TITLE: subjectOids.T,
  GN: subjectOids.G,
  EMAIL: subjectOids.E,
};

/** The OID a custom-subject key names (case-insensitive), a dotted OID as is, else null. */
export function subjectOidOf(key: string): string | null {
  if (/^[0-2](?:\.(?:0|[1-9][0-9]*))+$/.test(key)) return key;
  return keyOids[key.toUpperCase()] ?? null;
}

export type SubjectValueEncoding = 'utf8' | 'printable' | 'ia5';

/**
 * RFC 5280: countryName and serialNumber are PrintableString, emailAddress and domainComponent IA5String;
 * everything else is encoded as UTF8String, as RFC 5280 asks of new certificates.
 */
export function subjectValueEncoding(oid: string): SubjectValueEncoding {
  if (oid === subjectOids.C || oid === subjectOids.SERIALNUMBER) return 'printable';
  if (oid === subjectOids.E || oid === subjectOids.DC) return 'ia5';
  return 'utf8';
}

/** The characters ASN.1 PrintableString allows. */
export function isPrintableString(value: string): boolean {
  return /^[A-Za-z0-9 '()+,\-./:=?]+$/.test(value);
}

/** IA5String is ASCII; Envelope also refuses control characters in names. */
export function isIa5String(value: string): boolean {
  return /^[\x20-\x7e]+$/.test(value);
}

/**
 * Apple's SCEP `Subject` accepts dotted OIDs plus the shortcuts C, L, ST, O, OU and CN
 * (`com.apple.security.scep.yaml`); every other attribute is written as its dotted OID.
 */
const appleShortcuts: Readonly<Record<string, string>> = {
  [subjectOids.C]: 'C',
  [subjectOids.L]: 'L',
  [subjectOids.ST]: 'ST',
  [subjectOids.O]: 'O',
  [subjectOids.OU]: 'OU',
  [subjectOids.CN]: 'CN',
};

export function appleSubjectKeyOf(oid: string): string {
  return appleShortcuts[oid] ?? oid;
}
