import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import type { DirectoryUser } from '../../domain/directory.ts';
import { isEnvelopeError } from '../../domain/errors.ts';
import {
  androidUsernameSources,
  domainNameSources,
  emailSyncDurations,
  emailSyncSchedules,
  userEmailSources,
} from '../../domain/profiles/graph-enums.ts';
import {
  gmailProfileTypes,
  nineWorkProfileTypes,
  type AndroidEnterpriseEmailProfile,
  type KnoxEmailProfileSettings,
} from './android-profile-input.ts';
import { allKeys, assertMatchesSchema } from './android-test-support.ts';
import { KnoxAccountEnvelope } from './knox-account-schema.ts';
import { AndroidPolicyFragment } from './managed-config-schema.ts';
import { renderKnoxAccount, type KnoxAccountRefs } from './render-knox-account.ts';
import { renderManagedConfigPolicy, type ManagedConfigRefs } from './render-managed-config.ts';

const alias = fc.stringMatching(/^[a-z][a-z0-9-]{0,30}$/);
const prefixed = <T extends string>(types: readonly T[]) =>
  fc.tuple(fc.constantFrom(...types), fc.boolean()).map(([type, withPrefix]) => (withPrefix ? (`#microsoft.graph.${type}` as const) : type));

const completeUser: fc.Arbitrary<DirectoryUser> = fc.record({
  id: fc.uuid(),
  displayName: fc.string({ minLength: 1 }),
  userPrincipalName: fc.emailAddress(),
  mail: fc.emailAddress(),
  onPremisesSamAccountName: fc.stringMatching(/^[a-z][a-z0-9.]{0,19}$/),
  onPremisesDomainName: fc.domain(),
  onPremisesNetBiosName: fc.stringMatching(/^[A-Z][A-Z0-9]{0,14}$/),
});

/** A directory user who may lack any attribute (null, empty or blank). */
const patchyUser: fc.Arbitrary<DirectoryUser> = completeUser.chain((user) =>
  fc.record({
    id: fc.constant(user.id),
    displayName: fc.constant(user.displayName),
    userPrincipalName: fc.constantFrom(user.userPrincipalName, '', '  '),
    mail: fc.constantFrom(user.mail, null, ''),
    onPremisesSamAccountName: fc.constantFrom(user.onPremisesSamAccountName, null),
    onPremisesDomainName: fc.constantFrom(user.onPremisesDomainName, null),
    onPremisesNetBiosName: fc.constantFrom(user.onPremisesNetBiosName, null),
  }),
);

const knoxProfile = (authentication: fc.Arbitrary<KnoxEmailProfileSettings['authenticationMethod']>): fc.Arbitrary<KnoxEmailProfileSettings> =>
  fc.record({
    accountName: fc.string({ minLength: 1 }),
    hostName: fc.domain(),
    authenticationMethod: authentication,
    usernameSource: fc.constantFrom(...androidUsernameSources),
    userDomainNameSource: fc.option(fc.constantFrom(...domainNameSources)),
    customDomainName: fc.option(fc.stringMatching(/^[A-Z][A-Z0-9]{0,14}$/)),
    emailAddressSource: fc.constantFrom(...userEmailSources),
    requireSsl: fc.boolean(),
    requireSmime: fc.boolean(),
    durationOfEmailToSync: fc.constantFrom(...emailSyncDurations),
    emailSyncSchedule: fc.constantFrom(...emailSyncSchedules),
    syncCalendar: fc.boolean(),
    syncContacts: fc.boolean(),
    syncTasks: fc.boolean(),
    syncNotes: fc.constant(false),
  });

const certificateRef = fc.record({ alias, storageName: fc.constantFrom('default', 'KNOX', 'AndroidKeyStore') });
const knoxRefs: fc.Arbitrary<KnoxAccountRefs> = fc.record({
  accountKey: fc.uuid(),
  identityCertificate: certificateRef,
  smimeSigningCertificate: certificateRef,
});

const hostName = fc.tuple(fc.domain(), fc.option(fc.integer({ min: 1, max: 65535 }))).map(([host, port]) => (port === null ? host : `${host}:${port}`));
const aeCommon = (authentication: fc.Arbitrary<AndroidEnterpriseEmailProfile['authenticationMethod']>) => ({
  hostName,
  authenticationMethod: authentication,
  usernameSource: fc.constantFrom(...androidUsernameSources),
  emailAddressSource: fc.constantFrom(...userEmailSources),
  requireSsl: fc.boolean(),
  durationOfEmailToSync: fc.constantFrom(...emailSyncDurations),
});
const aeProfile = (authentication: fc.Arbitrary<AndroidEnterpriseEmailProfile['authenticationMethod']>): fc.Arbitrary<AndroidEnterpriseEmailProfile> =>
  fc.oneof(
    fc.record({ '@odata.type': prefixed(gmailProfileTypes), ...aeCommon(authentication) }),
    fc.record({
      '@odata.type': prefixed(nineWorkProfileTypes),
      ...aeCommon(authentication),
      syncCalendar: fc.boolean(),
      syncContacts: fc.boolean(),
      syncTasks: fc.boolean(),
    }),
  );
const aeRefs: fc.Arbitrary<ManagedConfigRefs> = fc.record({ identityCertificateAlias: alias });

const renderable = fc.constantFrom('usernameAndPassword', 'certificate') as fc.Arbitrary<'usernameAndPassword' | 'certificate'>;
const anyMethod = fc.constantFrom('usernameAndPassword', 'certificate', 'derivedCredential') as fc.Arbitrary<
  'usernameAndPassword' | 'certificate' | 'derivedCredential'
>;

function hasPasswordKey(value: unknown): boolean {
  return allKeys(value).some((key) => /password/i.test(key));
}

/** Renders, or returns the thrown error when it is a typed 422; anything else fails the property. */
function renderOrTypedError<T>(render: () => T): T | null {
  try {
    return render();
  } catch (error) {
    assert.ok(isEnvelopeError(error) && error.status === 422, `untyped failure: ${String(error)}`);
    return null;
  }
}

describe('Android payload properties', () => {
  it('renders every valid Knox profile into a schema-valid envelope without a password that refuses untrusted certificates', () => {
    fc.assert(
      fc.property(knoxProfile(renderable), completeUser, knoxRefs, (profile, user, refs) => {
        const envelope = renderKnoxAccount(profile, user, refs);
        assertMatchesSchema(KnoxAccountEnvelope, envelope);
        assert.equal(hasPasswordKey(envelope), false);
        assert.equal(envelope.account.acceptAllCertificates, false);
        assert.equal(envelope.dataSyncs.notes, false);
      }),
    );
  });

  it('renders every valid Android Enterprise profile into a schema-valid fragment without a password that refuses untrusted certificates', () => {
    fc.assert(
      fc.property(aeProfile(renderable), completeUser, aeRefs, (profile, user, refs) => {
        const fragment = renderManagedConfigPolicy(profile, user, refs);
        assertMatchesSchema(AndroidPolicyFragment, fragment);
        assert.equal(hasPasswordKey(fragment), false);
        const config = fragment.applications[0]?.managedConfiguration;
        if (config !== undefined && 'exchange_trust_all_certificates' in config) {
          assert.equal(config.exchange_trust_all_certificates, false);
        }
      }),
    );
  });

  it('either renders a schema-valid payload or throws a typed error, whatever the user lacks or the refs miss', () => {
    const partial = <T extends object>(refs: fc.Arbitrary<T>) => refs.chain((value) => fc.subarray(Object.keys(value)).map((keys) => pick(value, keys)));
    fc.assert(
      fc.property(knoxProfile(anyMethod), patchyUser, partial(knoxRefs), (profile, user, refs) => {
        const envelope = renderOrTypedError(() => renderKnoxAccount(profile, user, { ...refs, accountKey: 'fixed-key' }));
        if (envelope !== null) assertMatchesSchema(KnoxAccountEnvelope, envelope);
      }),
    );
    fc.assert(
      fc.property(aeProfile(anyMethod), patchyUser, partial(aeRefs), (profile, user, refs) => {
        const fragment = renderOrTypedError(() => renderManagedConfigPolicy(profile, user, refs));
        if (fragment !== null) assertMatchesSchema(AndroidPolicyFragment, fragment);
      }),
    );
  });
});

function pick<T extends object>(value: T, keys: string[]): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([key]) => keys.includes(key))) as Partial<T>;
}
