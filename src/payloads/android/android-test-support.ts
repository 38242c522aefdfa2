import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { TSchema } from 'typebox';
import Value from 'typebox/value';
import type { DirectoryUser } from '../../domain/directory.ts';
import type { GmailEmailProfileSettings, KnoxEmailProfileSettings, NineWorkEmailProfileSettings } from './android-profile-input.ts';
import type { KnoxAccountRefs } from './render-knox-account.ts';

/** Shared by the Android compiler tests: fixed fixtures, golden files, schema assertions. */

export const jane: DirectoryUser = {
  id: '6f1c2e0a-0000-4000-8000-000000000001',
  displayName: 'Jane Doe',
  userPrincipalName: 'jane.doe@contoso.com',
  mail: 'Jane.Doe@contoso.com',
  onPremisesSamAccountName: 'jdoe',
  onPremisesDomainName: 'corp.contoso.com',
  onPremisesNetBiosName: 'CONTOSO',
};

export const knoxPasswordProfile: KnoxEmailProfileSettings = {
  accountName: 'Contoso Mail',
  hostName: 'mail.contoso.com',
  authenticationMethod: 'usernameAndPassword',
  usernameSource: 'samAccountName',
  userDomainNameSource: 'netBiosDomainName',
  customDomainName: null,
  emailAddressSource: 'primarySmtpAddress',
  requireSsl: true,
  requireSmime: false,
  durationOfEmailToSync: 'twoWeeks',
  emailSyncSchedule: 'asMessagesArrive',
  syncCalendar: true,
  syncContacts: true,
  syncTasks: false,
  syncNotes: false,
};

export const knoxCertificateProfile: KnoxEmailProfileSettings = {
  ...knoxPasswordProfile,
  accountName: 'Contoso Secure Mail',
  authenticationMethod: 'certificate',
  usernameSource: 'userPrincipalName',
  userDomainNameSource: null,
  emailAddressSource: 'userPrincipalName',
  requireSmime: true,
  durationOfEmailToSync: 'unlimited',
  emailSyncSchedule: 'fifteenMinutes',
  syncTasks: true,
};

export const knoxRefs: KnoxAccountRefs = {
  accountKey: '0b7d9a52-5c1e-4d8e-9f3a-2c6b1e4d7a90',
  identityCertificate: { alias: 'envelope-identity-7d41', storageName: 'default' },
  smimeSigningCertificate: { alias: 'envelope-smime-sign-9c02', storageName: 'default' },
};

export const gmailProfile: GmailEmailProfileSettings = {
  '@odata.type': '#microsoft.graph.androidWorkProfileGmailEasConfiguration',
  hostName: 'outlook.office365.com',
  authenticationMethod: 'usernameAndPassword',
  usernameSource: 'userPrincipalName',
  emailAddressSource: 'primarySmtpAddress',
  requireSsl: true,
  durationOfEmailToSync: 'oneMonth',
};

export const legacyGmailProfile: GmailEmailProfileSettings = {
  '@odata.type': '#microsoft.graph.androidForWorkGmailEasConfiguration',
  hostName: 'eas.contoso.com:443',
  authenticationMethod: 'certificate',
  usernameSource: 'username',
  emailAddressSource: 'userPrincipalName',
  requireSsl: true,
  durationOfEmailToSync: 'unlimited',
};

export const nineWorkProfile: NineWorkEmailProfileSettings = {
  '@odata.type': '#microsoft.graph.androidWorkProfileNineWorkEasConfiguration',
  hostName: 'mail.contoso.com:8443',
  authenticationMethod: 'certificate',
  usernameSource: 'username',
  emailAddressSource: 'userPrincipalName',
  requireSsl: true,
  durationOfEmailToSync: 'oneWeek',
  syncCalendar: true,
  syncContacts: true,
  syncTasks: false,
};

export const workProfileCertificateAlias = 'envelope-wp-identity-51e8';

/**
 * Compares `value`, as pretty JSON, with `golden/<name>`; `UPDATE_GOLDEN=1` rewrites the file
 * instead. Comparing text (not parsed JSON) also pins the key order the compilers emit.
 */
export function assertGolden(name: string, value: unknown): void {
  const path = fileURLToPath(new URL(`./golden/${name}`, import.meta.url));
  const text = `${JSON.stringify(value, null, 2)}\n`;
  if (process.env['UPDATE_GOLDEN'] === '1') {
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, text);
    return;
  }
  assert.ok(existsSync(path), `golden file ${name} is missing; run the tests with UPDATE_GOLDEN=1 to create it`);
  assert.equal(text, readFileSync(path, 'utf8'), `output differs from golden/${name} (UPDATE_GOLDEN=1 to accept)`);
}

/** Fails with the schema's own error list when `value` does not validate. */
export function assertMatchesSchema(schema: TSchema, value: unknown): void {
  if (Value.Check(schema, value)) return;
  const errors = [...Value.Errors(schema, value)].map((error) => `${error.instancePath || '/'} ${error.message}`);
  assert.fail(`value does not match the schema:\n${errors.join('\n')}`);
}

/** Every object key anywhere in `value`, for "never a password"-style assertions. */
export function allKeys(value: unknown): string[] {
  if (Array.isArray(value)) return value.flatMap(allKeys);
  if (value !== null && typeof value === 'object') {
    return Object.entries(value).flatMap(([key, inner]) => [key, ...allKeys(inner)]);
  }
  return [];
}
