import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { deriveIosPayloadIds } from './ios-payload-ids.ts';
import { nameBasedUuid, uuidBytes } from './name-based-uuid.ts';
import { renderIosProfile, type RenderedIosProfile, type RenderIosProfileInput } from './render-ios-profile.ts';
import { fixtureIdSeed, goldenInput, jane, withSettings } from './test-support/ios-profile-fixtures.ts';

/** Everything a device uses to decide between "update in place" and "remove and add". */
function identity(rendered: RenderedIosProfile): unknown {
  return {
    profile: rendered.payloadIdentifier,
    account: [rendered.account.payloadIdentifier, rendered.account.payloadUUID],
    certificates: rendered.certificates.map((c) => [c.payloadIdentifier, c.payloadUUID]),
  };
}

const base = (): RenderIosProfileInput => goldenInput('certificate-scep');

describe('iOS payload identifiers', () => {
  it('names the profile com.envelope.email.<profileId>.<userId> and nests every payload identifier under it', () => {
    const rendered = renderIosProfile(base());
    assert.equal(rendered.payloadIdentifier, `com.envelope.email.${base().profile.id}.${jane.id}`);
    assert.match(rendered.account.payloadIdentifier, new RegExp(`^${rendered.payloadIdentifier.replaceAll('.', '\\.')}\\.eas\\.[0-9a-f]{8}$`));
    for (const c of rendered.certificates) assert.equal(c.payloadIdentifier, `${rendered.payloadIdentifier}.cert.${c.certificateProfileId}`);
  });

  it('honours a configured identifier prefix', () => {
    const rendered = renderIosProfile({ ...base(), ids: { ...fixtureIdSeed, identifierPrefix: 'org.example.mail' } });
    assert.ok(rendered.payloadIdentifier.startsWith('org.example.mail.'));
  });

  it('keeps every identifier and inner UUID across new profile versions, so the account is updated in place', () => {
    const v1 = renderIosProfile(base());
    const v2 = renderIosProfile(withSettings(base(), { durationOfEmailToSync: 'oneMonth', easServices: 'email', useOAuth: true, accountName: 'Renamed', requireSsl: false }, 2));
    assert.deepEqual(identity(v2), identity(v1));
    assert.notEqual(v2.payloadUUID, v1.payloadUUID, 'the profile UUID follows the content, so ProfileList shows which version is installed');
  });

  it('keeps the profile UUID when nothing rendered changed, and changes it when only an envelope text did', () => {
    const reference = renderIosProfile(base()).payloadUUID;
    assert.equal(renderIosProfile(base()).payloadUUID, reference);
    const renamed = renderIosProfile({ ...base(), profile: { ...base().profile, displayName: 'Renamed' } });
    const reorganised = renderIosProfile({ ...base(), organization: 'Fabrikam' });
    assert.notEqual(renamed.payloadUUID, reference);
    assert.notEqual(reorganised.payloadUUID, reference);
    assert.equal(renamed.account.payloadUUID, renderIosProfile(base()).account.payloadUUID);
  });

  it('gives the account new identifiers when the host changes, within the same profile identifier', () => {
    const before = renderIosProfile(base());
    const after = renderIosProfile(withSettings(base(), { hostName: 'mail.fabrikam.com' }, 2));
    assert.equal(after.payloadIdentifier, before.payloadIdentifier);
    assert.notEqual(after.account.payloadIdentifier, before.account.payloadIdentifier);
    assert.notEqual(after.account.payloadUUID, before.account.payloadUUID);
    assert.deepEqual(after.certificates, before.certificates);
  });

  it('gives the account new identifiers when the resolved email address changes', () => {
    const before = renderIosProfile(base());
    const bySource = renderIosProfile(withSettings(base(), { emailAddressSource: 'userPrincipalName' }, 2));
    const byDirectory = renderIosProfile({ ...base(), user: { ...jane, mail: 'jane.smith@contoso.com' } });
    for (const after of [bySource, byDirectory]) {
      assert.equal(after.payloadIdentifier, before.payloadIdentifier);
      assert.notEqual(after.account.payloadUUID, before.account.payloadUUID);
    }
  });

  it('ignores letter case in host and address, as iOS does', () => {
    const before = renderIosProfile(base());
    const after = renderIosProfile({ ...withSettings(base(), { hostName: 'OUTLOOK.Contoso.com' }), user: { ...jane, mail: 'Jane.Doe@Contoso.com' } });
    assert.equal(after.account.payloadUUID, before.account.payloadUUID);
  });

  it('separates users, tenants and deployments', () => {
    const reference = renderIosProfile(base());
    const otherUser = { ...jane, id: 'd1b9023f-6c2e-4d8f-a031-4e5f6a7b8c9d' };
    const forOtherUser = renderIosProfile({ ...base(), user: otherUser, device: { ...base().device, userId: otherUser.id } });
    assert.notEqual(forOtherUser.payloadIdentifier, reference.payloadIdentifier);
    assert.notEqual(forOtherUser.account.payloadUUID, reference.account.payloadUUID);
    const otherTenant = renderIosProfile({ ...base(), ids: { ...fixtureIdSeed, tenantId: 'another-tenant' } });
    const otherDeployment = renderIosProfile({ ...base(), ids: { ...fixtureIdSeed, namespace: '11111111-2222-4333-8444-555555555555' } });
    for (const other of [otherTenant, otherDeployment]) {
      assert.notEqual(other.account.payloadUUID, reference.account.payloadUUID);
      assert.notEqual(other.certificates[0]?.payloadUUID, reference.certificates[0]?.payloadUUID);
      assert.notEqual(other.payloadUUID, reference.payloadUUID);
    }
  });

  it('escapes ids that are not reverse-DNS safe without making distinct ids collide', () => {
    const ids = (profileId: string) => deriveIosPayloadIds(fixtureIdSeed, profileId, 'u', { host: 'h', emailAddress: 'e' }).profileIdentifier;
    assert.equal(ids('a.b'), 'com.envelope.email.a_2e_b.u');
    assert.notEqual(ids('a.b'), ids('a_2e_b'));
    assert.match(ids('ü/ ☃'), /^[A-Za-z0-9._-]+$/);
  });
});

describe('nameBasedUuid', () => {
  const namespace = uuidBytes(fixtureIdSeed.namespace);

  it('produces RFC 9562 version-5 UUIDs, deterministically', () => {
    const uuid = nameBasedUuid(namespace, ['a', 'b']);
    assert.match(uuid, /^[0-9A-F]{8}-[0-9A-F]{4}-5[0-9A-F]{3}-[89AB][0-9A-F]{3}-[0-9A-F]{12}$/);
    assert.equal(nameBasedUuid(namespace, ['a', 'b']), uuid);
  });

  it('keeps component boundaries: ["a.b","c"] and ["a","b.c"] differ', () => {
    assert.notEqual(nameBasedUuid(namespace, ['a.b', 'c']), nameBasedUuid(namespace, ['a', 'b.c']));
    assert.notEqual(nameBasedUuid(namespace, ['ab', '']), nameBasedUuid(namespace, ['a', 'b']));
  });

  it('rejects a namespace that is not a UUID', () => {
    assert.throws(() => uuidBytes('tenant-1'), TypeError);
  });
});
