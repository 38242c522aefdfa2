import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as plist from 'plist';
import { enrollmentAccessRights, renderEnrollmentProfile, type EnrollmentProfileInput } from './enrollment-profile.ts';

const input: EnrollmentProfileInput = {
  namespace: '0b7c6d8e-4f3a-4e21-9c55-2f0e6a1d9b37',
  tenantId: '5c1e2d3f-4a5b-4c6d-8e7f-9a0b1c2d3e4f',
  organization: 'Contoso & Co',
  identity: { pkcs12: new Uint8Array([1, 2, 3]), password: 'transport-password', payloadUUID: 'A1B2C3D4-E5F6-4789-8ABC-DEF012345678' },
  topic: 'com.apple.mgmt.External.6a2f0b1c-3d4e-4f50-8a9b-0c1d2e3f4a5b',
  serverUrl: 'https://envelope.example.com/mdm/apple/server',
  checkInUrl: 'https://envelope.example.com/mdm/apple/checkin',
};

describe('renderEnrollmentProfile', () => {
  it('is deterministic and derives the envelope and MDM payload ids from the tenant only', () => {
    const first = renderEnrollmentProfile(input);
    assert.equal(renderEnrollmentProfile(input).xml, first.xml);
    const otherIdentity = renderEnrollmentProfile({ ...input, identity: { ...input.identity, payloadUUID: 'B1B2C3D4-E5F6-4789-8ABC-DEF012345678' } });
    assert.equal(otherIdentity.payloadUUID, first.payloadUUID);
    assert.equal(otherIdentity.mdmPayloadUUID, first.mdmPayloadUUID);
    const otherTenant = renderEnrollmentProfile({ ...input, tenantId: '6c1e2d3f-4a5b-4c6d-8e7f-9a0b1c2d3e4f' });
    assert.notEqual(otherTenant.payloadUUID, first.payloadUUID);
    assert.notEqual(otherTenant.mdmPayloadUUID, first.mdmPayloadUUID);
    assert.equal(first.payloadIdentifier, `com.envelope.mdm.${input.tenantId}`);
  });

  it('escapes the organisation name and carries the identity bytes and password in the pkcs12 payload only', () => {
    const profile = plist.parse(renderEnrollmentProfile(input).xml) as Record<string, unknown>;
    assert.equal(profile.PayloadDisplayName, 'Contoso & Co device management');
    const [identity, mdm] = profile.PayloadContent as Array<Record<string, unknown>>;
    assert.deepEqual([...(identity!.PayloadContent as Buffer)], [1, 2, 3]);
    assert.equal(identity!.Password, 'transport-password');
    assert.equal('Password' in mdm!, false);
    assert.equal(mdm!.AccessRights, enrollmentAccessRights);
    assert.equal(enrollmentAccessRights & 1, 1, 'install/remove (2) requires inspect (1)');
  });

  it('refuses URLs that are not https and topics that are not MDM topics', () => {
    assert.throws(() => renderEnrollmentProfile({ ...input, serverUrl: 'http://envelope.example.com/mdm/apple/server' }), /serverUrl must be an https URL/);
    assert.throws(() => renderEnrollmentProfile({ ...input, checkInUrl: 'ftp://x' }), /checkInUrl must be an https URL/);
    assert.throws(() => renderEnrollmentProfile({ ...input, topic: 'com.example.push' }), /not an MDM push topic/);
  });
});
