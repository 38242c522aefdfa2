import { X509Certificate } from 'node:crypto';
import { badRequest } from '../errors.ts';
import { bindKeyOf } from './odata-bind.ts';
import type { ProfileLinks } from './profile.ts';
import { profileKindOf, type ProfileType } from './profile-types.ts';

/**
 * Rules a certificate profile must satisfy beyond its schema. May normalise `settings` in place
 * (the trusted root's base64 is re-encoded canonically).
 */
export function checkCertificateProfileOrThrow(
  type: ProfileType,
  settings: Record<string, unknown>,
  links: ProfileLinks,
): void {
  const kind = profileKindOf(type);
  if (kind === 'trustedRootCertificate') {
    settings.trustedRootCertificate = canonicalCertificateOrThrow(settings.trustedRootCertificate as string);
    return;
  }
  if (settings.subjectNameFormat === 'custom' && !isFilled(settings.subjectNameFormatString)) {
    throw badRequest(
      'subjectNameFormatString is required when subjectNameFormat is custom, e.g. "CN={{UserName}},E={{EmailAddress}}".',
      'subjectNameFormatString',
    );
  }
  if (kind === 'scepCertificate') {
    (settings.scepServerUrls as string[]).forEach(checkScepServerUrl);
    if (links.rootCertificate === null) {
      const bind = bindKeyOf('rootCertificate');
      throw badRequest(`${bind} is required: link the trusted root certificate profile of the SCEP server's CA.`, bind);
    }
  }
}

/**
 * Graph's `trustedRootCertificate` is base64 DER. The value must decode to exactly one X.509 certificate
 * (Node's parser; `@peculiar/x509` would need a `reflect-metadata` polyfill that is not installed).
 * Returns the canonical base64 of the DER bytes.
 */
function canonicalCertificateOrThrow(value: string): string {
  const field = 'trustedRootCertificate';
  if (value.includes('-----BEGIN')) {
    throw badRequest(
      `${field} must be base64 DER, not PEM: remove the -----BEGIN/END----- lines and line breaks.`,
      field,
    );
  }
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(value) || value.length % 4 !== 0) {
    throw badRequest(`${field} must be base64 (A–Z, a–z, 0–9, +, /, = padding) of a DER X.509 certificate.`, field);
  }
  const der = Buffer.from(value, 'base64');
  let parsed: X509Certificate;
  try {
    parsed = new X509Certificate(der);
  } catch {
    throw badRequest(`${field} must be a base64 DER X.509 certificate; the value does not decode to one.`, field);
  }
  if (!parsed.raw.equals(der)) {
    throw badRequest(`${field} must hold exactly one DER X.509 certificate; found extra bytes after it.`, field);
  }
  return der.toString('base64');
}

function checkScepServerUrl(value: string, index: number): void {
  const field = `scepServerUrls[${index}]`;
  let url: URL | null = null;
  try {
    url = new URL(value);
  } catch {
    url = null;
  }
  if (url === null || url.protocol !== 'https:' || url.hostname === '' || url.username !== '' || url.password !== '') {
    throw badRequest(
      `${field} must be an https URL without credentials, e.g. https://ndes.contoso.com/certsrv/mscep/mscep.dll; got '${value}'.`,
      field,
    );
  }
}

function isFilled(value: unknown): boolean {
  return typeof value === 'string' && value.trim() !== '';
}
