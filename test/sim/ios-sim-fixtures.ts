import { createHash } from 'node:crypto';
import * as plist from 'plist';
import { generateSigningIdentity, type GeneratedSigningIdentity } from '../../src/payloads/apple/test-support/signing-identity.ts';
import { signProfile } from '../../src/payloads/apple/sign-profile.ts';
import { createTestCa, issueDeviceIdentity } from '../../src/protocols/apple-mdm/test-support/device-identity.ts';
import type { IosEnrollment } from '../../sim/ios/enroll.ts';

/** An enrollment as `openEnrollmentProfile` would return it, with a throw-away identity and no server behind it. */
export async function fakeEnrollment(overrides: Partial<IosEnrollment['mdm']> = {}): Promise<IosEnrollment> {
  const identity = await issueDeviceIdentity(await createTestCa('RSA'), 'simulated device');
  return {
    identity: { ...identity, certificateSha256: createHash('sha256').update(identity.certificateDer).digest('hex') },
    mdm: {
      ServerURL: 'https://mdm.test/mdm/apple/server',
      CheckInURL: 'https://mdm.test/mdm/apple/checkin',
      Topic: 'com.apple.mgmt.External.5b0b6c9e-0f55-4a27-9c36-1d2c3b4a5f60',
      SignMessage: true,
      IdentityCertificateUUID: '11111111-2222-4333-8444-555555555555',
      AccessRights: 1 + 2 + 16 + 1024,
      CheckOutWhenRemoved: true,
      ...overrides,
    },
    profile: {
      PayloadIdentifier: 'com.envelope.mdm.tenant',
      PayloadUUID: 'AAAAAAAA-BBBB-4CCC-8DDD-EEEEEEEEEEEE',
      PayloadVersion: 1,
      PayloadDisplayName: 'default device management',
      payloads: [
        { PayloadType: 'com.apple.security.pkcs12', PayloadIdentifier: 'com.envelope.mdm.tenant.identity', PayloadUUID: '11111111-2222-4333-8444-555555555555', PayloadVersion: 1, dictionary: {} },
        { PayloadType: 'com.apple.mdm', PayloadIdentifier: 'com.envelope.mdm.tenant.mdm', PayloadUUID: '66666666-7777-4888-8999-AAAAAAAAAAAA', PayloadVersion: 1, dictionary: {} },
      ],
    },
    signerCertificates: [],
    verified: false,
    contentSha256: '00',
  };
}

export interface MailProfileSpec {
  identifier?: string;
  uuid?: string;
  displayName?: string;
  easIdentifier?: string;
  easUuid?: string;
  host?: string;
  email?: string;
  userName?: string;
}

/** A `.mobileconfig` with one Exchange account payload, as XML bytes. */
export function mailProfileXml(spec: MailProfileSpec = {}): Uint8Array {
  const identifier = spec.identifier ?? 'com.envelope.email.p1';
  return new TextEncoder().encode(plist.build({
    PayloadType: 'Configuration',
    PayloadVersion: 1,
    PayloadIdentifier: identifier,
    PayloadUUID: spec.uuid ?? 'A50EFB34-0D67-5F06-823F-1AD5EBDC804C',
    PayloadDisplayName: spec.displayName ?? 'Contoso Mail',
    PayloadOrganization: 'Contoso Ltd.',
    PayloadContent: [{
      PayloadType: 'com.apple.eas.account',
      PayloadVersion: 1,
      PayloadIdentifier: spec.easIdentifier ?? `${identifier}.eas`,
      PayloadUUID: spec.easUuid ?? '51771536-A389-5609-A0B5-D9BFA1018B50',
      PayloadDisplayName: 'Contoso Mail',
      Host: spec.host ?? 'outlook.contoso.com',
      EmailAddress: spec.email ?? 'jane.doe@contoso.com',
      UserName: spec.userName ?? 'jane@contoso.com',
      SSL: true,
    }],
  } as unknown as plist.PlistValue));
}

let signer: Promise<GeneratedSigningIdentity> | undefined;

/** The same profile CMS-signed (DER), as Envelope delivers it. */
export async function signedMailProfile(spec: MailProfileSpec = {}): Promise<Uint8Array> {
  signer ??= generateSigningIdentity();
  return signProfile(mailProfileXml(spec), (await signer).identity);
}
