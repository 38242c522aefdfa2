import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import {
  androidUsernameSources,
  appleSubjectNameFormats,
  certificateDestinationStores,
  certificateValidityPeriodScales,
  domainNameSources,
  easServiceFlags,
  emailSyncDurations,
  emailSyncSchedules,
  hashAlgorithmFlags,
  keySizes,
  keyUsageFlags,
  linkBinds,
  odataTypeOf,
  parseProfileCreate,
  platformFamilyOf,
  profileKindOf,
  profileToGraph,
  profileTypes,
  subjectAlternativeNameTypeFlags,
  subjectNameFormats,
  userEmailSources,
  usernameSources,
  type ProfileType,
} from './index.ts';
import { asProfile, bindUrl, testRootCertificate } from './profile-test-helpers.ts';

type Body = Record<string, unknown>;

/** Present, absent or null: how a client may leave a nullable property unset. */
const nullable = <T>(arb: fc.Arbitrary<T>) => fc.option(arb, { nil: null });
const text = (maxLength: number) => fc.string({ minLength: 1, maxLength }).filter((s) => s.trim() !== '');
/** Flags in random order and spacing, e.g. " email ,calendars". */
const flagList = (members: readonly string[]) =>
  fc
    .subarray([...members], { minLength: 1 })
    .chain((names) => fc.shuffledSubarray(names, { minLength: names.length, maxLength: names.length }))
    .chain((names) => fc.constantFrom(',', ', ', ' , ').map((separator) => names.join(separator)));
const mixedCase = (host: string) => fc.boolean().map((upper) => (upper ? host.toUpperCase() : host));
const host = (withPort: boolean) => {
  const bare = fc.oneof(fc.domain().chain(mixedCase), fc.ipV4(), fc.ipV6().map((ip) => `[${ip}]`));
  if (!withPort) return bare;
  return fc.tuple(bare, fc.option(fc.integer({ min: 1, max: 65535 }), { nil: undefined })).map(([h, port]) => (port === undefined ? h : `${h}:${port}`));
};
const oid = fc.array(fc.nat({ max: 99999 }), { minLength: 1, maxLength: 8 }).map((rest) => ['1', ...rest].join('.'));

/** Drops undefined values, which stand for "property not sent". */
function compact(record: Body): Body {
  return Object.fromEntries(Object.entries(record).filter(([, value]) => value !== undefined));
}

/** Sometimes leaves a property out entirely. */
function sometimes<T>(arb: fc.Arbitrary<T>) {
  return fc.option(arb, { nil: undefined, freq: 3 });
}

function baseBody(type: ProfileType) {
  return fc.record({
    '@odata.type': fc.constant(odataTypeOf(type)),
    displayName: text(200),
    description: sometimes(nullable(fc.string({ maxLength: 100 }))),
    roleScopeTagIds: sometimes(nullable(fc.array(fc.stringMatching(/^[0-9]{1,3}$/), { maxLength: 3 }))),
  });
}

/** Username sources with at most one domain source, as Envelope requires for samAccountName. */
function userDomain(sourceField: string, sources: readonly string[]) {
  return fc
    .record({
      [sourceField]: sometimes(sourceField === 'usernameAADSource' ? nullable(fc.constantFrom(...sources)) : fc.constantFrom(...sources)),
      userDomainNameSource: sometimes(nullable(fc.constantFrom(...domainNameSources))),
      customDomainName: sometimes(nullable(fc.domain())),
    })
    .map((record) =>
      record[sourceField] === 'samAccountName' && record.userDomainNameSource && record.customDomainName
        ? { ...record, customDomainName: null }
        : record,
    );
}

function emailSettings(type: ProfileType): fc.Arbitrary<Body> {
  const family = platformFamilyOf(type);
  const identity = fc.constantFrom('usernameAndPassword', 'certificate').map((method) =>
    method === 'certificate' ? { authenticationMethod: method, 'identityCertificate@odata.bind': bindUrl('cert-1') } : { authenticationMethod: method },
  );
  const common = {
    durationOfEmailToSync: sometimes(fc.constantFrom(...emailSyncDurations)),
    requireSsl: sometimes(fc.boolean()),
    hostName: host(family === 'androidWorkProfile' || family === 'androidForWork'),
  };
  const syncs = { syncCalendar: sometimes(fc.boolean()), syncContacts: sometimes(fc.boolean()), syncTasks: sometimes(fc.boolean()) };
  if (family === 'ios') {
    return fc
      .tuple(
        fc.record({
          ...common,
          accountName: text(256),
          emailAddressSource: sometimes(fc.constantFrom(...userEmailSources)),
          usernameSource: sometimes(fc.constantFrom(...userEmailSources)),
          easServices: sometimes(nullable(flagList(easServiceFlags.filter((f) => f !== 'none')))),
          useOAuth: sometimes(nullable(fc.boolean())),
          blockSendingEmailFromThirdPartyApps: sometimes(nullable(fc.boolean())),
          smimeSigningEnabled: sometimes(nullable(fc.boolean())),
          perAppVPNProfileId: sometimes(nullable(fc.uuid())),
        }),
        userDomain('usernameAADSource', usernameSources),
        fc.option(identity, { nil: {} }),
        fc.constantFrom(null, 'none', 'certificate'),
        fc.constantFrom(null, 'none', 'certificate'),
      )
      .map(([settings, domain, auth, signing, encryption]) => ({
        ...settings,
        ...domain,
        ...auth,
        requireSmime: signing === 'certificate' || encryption === 'certificate' ? true : null,
        signingCertificateType: signing,
        encryptionCertificateType: encryption,
        ...(signing === 'certificate' ? { 'smimeSigningCertificate@odata.bind': bindUrl('cert-2') } : {}),
        ...(encryption === 'certificate' ? { 'smimeEncryptionCertificate@odata.bind': bindUrl('cert-3') } : {}),
      }));
  }
  if (family === 'windows') {
    const address = fc.constantFrom(...userEmailSources);
    return fc
      .tuple(
        fc.record({
          ...common,
          ...syncs,
          accountName: text(256),
          emailAddressSource: sometimes(type === 'windowsPhoneEASEmailProfileConfiguration' ? nullable(address) : address),
          emailSyncSchedule: sometimes(fc.constantFrom(...emailSyncSchedules)),
        }),
        userDomain('usernameAADSource', usernameSources),
      )
      .map(([settings, domain]) => ({ ...settings, ...domain }));
  }
  if (family === 'knox') {
    return fc
      .tuple(
        fc.record({
          ...common,
          ...syncs,
          accountName: text(256),
          emailAddressSource: sometimes(fc.constantFrom(...userEmailSources)),
          emailSyncSchedule: sometimes(fc.constantFrom(...emailSyncSchedules)),
          syncNotes: sometimes(fc.constant(false)),
          requireSmime: fc.boolean(),
        }),
        userDomain('usernameSource', androidUsernameSources),
        identity,
      )
      .map(([settings, domain, auth]) => ({
        ...settings,
        ...domain,
        ...auth,
        ...(settings.requireSmime ? { 'smimeSigningCertificate@odata.bind': bindUrl('cert-2') } : {}),
      }));
  }
  const nineWork = type.endsWith('NineWorkEasConfiguration') ? syncs : {};
  return fc
    .tuple(fc.record({ ...common, ...nineWork, usernameSource: sometimes(fc.constantFrom(...androidUsernameSources)) }), identity)
    .map(([settings, auth]) => ({ ...settings, ...auth }));
}

function certificateSettings(type: ProfileType): fc.Arbitrary<Body> {
  const kind = profileKindOf(type);
  const ios = platformFamilyOf(type) === 'ios';
  if (kind === 'trustedRootCertificate') {
    return fc.record({
      trustedRootCertificate: fc.constant(testRootCertificate),
      certFileName: sometimes(nullable(text(256))),
      ...(type === 'windows81TrustedRootCertificate' ? { destinationStore: sometimes(fc.constantFrom(...certificateDestinationStores)) } : {}),
    });
  }
  const base = fc
    .record({
      renewalThresholdPercentage: sometimes(fc.integer({ min: 1, max: 99 })),
      subjectNameFormat: sometimes(fc.constantFrom(...(ios ? appleSubjectNameFormats : subjectNameFormats))),
      subjectNameFormatString: sometimes(nullable(text(100))),
      subjectAlternativeNameType: sometimes(flagList(subjectAlternativeNameTypeFlags)),
      certificateValidityPeriodValue: sometimes(fc.integer({ min: 1, max: 9999 })),
      certificateValidityPeriodScale: sometimes(fc.constantFrom(...certificateValidityPeriodScales)),
      ...(ios && kind === 'pkcsCertificate'
        ? {}
        : { extendedKeyUsages: sometimes(fc.array(fc.record({ name: text(50), objectIdentifier: oid }), { maxLength: 3 })) }),
    })
    .map((record) => (record.subjectNameFormat === 'custom' ? { ...record, subjectNameFormatString: 'CN={{UserName}}' } : record));
  if (kind === 'pkcsCertificate') {
    return fc
      .tuple(base, fc.record({ certificationAuthority: sometimes(nullable(fc.domain())), certificateTemplateName: sometimes(nullable(text(64))) }))
      .map(([a, b]) => ({ ...a, ...b }));
  }
  return fc
    .tuple(
      base,
      fc.record({
        scepServerUrls: fc.array(fc.domain().map((d) => `https://${d}/certsrv/mscep/mscep.dll`), { minLength: 1, maxLength: 3 }),
        keyUsage: sometimes(flagList(keyUsageFlags)),
        keySize: sometimes(fc.constantFrom(...keySizes)),
        ...(ios ? {} : { hashAlgorithm: sometimes(flagList(hashAlgorithmFlags)) }),
      }),
    )
    .map(([a, b]) => ({ ...a, ...b, 'rootCertificate@odata.bind': bindUrl('root-1') }));
}

function validBody(type: ProfileType): fc.Arbitrary<Body> {
  const settings = profileKindOf(type) === 'email' ? emailSettings(type) : certificateSettings(type);
  return fc.tuple(baseBody(type), settings).map(([base, rest]) => compact({ ...base, ...rest }));
}

describe('Random valid bodies', () => {
  for (const type of profileTypes) {
    it(`of ${type} parse, and profileToGraph with the links as binds parses back to the same draft`, () => {
      fc.assert(
        fc.property(validBody(type), (body) => {
          const draft = parseProfileCreate(body);
          const again = parseProfileCreate({ ...profileToGraph(asProfile(draft)), ...linkBinds(draft.links) });
          assert.deepEqual(again, draft);
        }),
        { numRuns: 150 },
      );
    });
  }
});
