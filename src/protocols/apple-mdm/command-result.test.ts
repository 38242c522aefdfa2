import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { decodeCommandResult, encodeCommandResult, type CommandResult } from './command-result.ts';
import { MdmDecodeError, type MdmDecodeErrorCode } from './mdm-decode-error.ts';
import { writePlistBody } from './plist-body.ts';

const fixture = (name: string): Uint8Array => new Uint8Array(readFileSync(new URL(`testdata/${name}`, import.meta.url)));

function refuses(result: Record<string, unknown>, code: MdmDecodeErrorCode, field: string): void {
  assert.throws(
    () => decodeCommandResult(writePlistBody(result)),
    (error: unknown) => error instanceof MdmDecodeError && error.code === code && error.field === field,
    `expected ${code} ${field}`,
  );
}

describe('decodeCommandResult', () => {
  it('reads an Idle poll, which has no CommandUUID', () => {
    assert.deepEqual(decodeCommandResult(fixture('ios-idle.plist')), { UDID: '00008120-001A2B3C4D5E6F7A', Status: 'Idle' });
  });

  it('reads an Error result with its error chain, outermost error first', () => {
    const result = decodeCommandResult(fixture('ios-install-profile-duplicate-account.plist'));
    assert.equal(result.Status, 'Error');
    assert.equal(result.CommandUUID, '0b9e5c1e-6f0a-4c7e-9d55-3f1f4f3a2b10');
    assert.deepEqual(result.ErrorChain, [
      { ErrorCode: 4001, ErrorDomain: 'MCInstallationErrorDomain', LocalizedDescription: 'Das Profil „Mail“ konnte nicht installiert werden.', USEnglishDescription: 'Profile Installation Failed' },
      { ErrorCode: 21005, ErrorDomain: 'MCEASErrorDomain', LocalizedDescription: 'Der Account ist nicht eindeutig.', USEnglishDescription: 'The account is not unique.' },
    ]);
  });

  it('reads a ProfileList response: installed profiles, inner payload summaries, signer certificates', () => {
    const result = decodeCommandResult(fixture('ios-profile-list-response.plist'));
    assert.equal(result.Status, 'Acknowledged');
    const [mail, vpn] = result.ProfileList ?? [];
    assert.deepEqual({ ...mail, SignerCertificates: mail?.SignerCertificates?.map((der) => der.byteLength) }, {
      PayloadUUID: '2B3C4D5E-6F70-4182-93A4-B5C6D7E8F901',
      PayloadIdentifier: 'com.example.envelope.mail',
      PayloadVersion: 1,
      PayloadDisplayName: 'Mail',
      PayloadOrganization: 'Example Corp',
      PayloadDescription: 'Corporate mail',
      PayloadRemovalDisallowed: false,
      HasRemovalPasscode: false,
      IsEncrypted: false,
      SignerCertificates: [48],
      IsManaged: true,
      PayloadContent: [
        {
          PayloadType: 'com.apple.eas.account',
          PayloadVersion: 1,
          PayloadIdentifier: 'com.example.envelope.mail.eas',
          PayloadUUID: '7C1A9E2B-3D4F-5A6B-8C7D-9E0F1A2B3C4D',
          PayloadDisplayName: 'Exchange ActiveSync',
        },
      ],
    });
    assert.deepEqual(vpn, { PayloadUUID: 'D1E2F3A4-B5C6-4D7E-8F90-A1B2C3D4E5F6', PayloadIdentifier: 'com.vendor.vpn', PayloadVersion: 1, IsEncrypted: true, IsManaged: false });
  });

  it('reads NotNow and CommandFormatError results, and results identified by EnrollmentID', () => {
    assert.deepEqual(decodeCommandResult(writePlistBody({ EnrollmentID: 'e', CommandUUID: 'c', Status: 'NotNow' })), { EnrollmentID: 'e', CommandUUID: 'c', Status: 'NotNow' });
    assert.equal(decodeCommandResult(writePlistBody({ UDID: 'u', CommandUUID: 'c', Status: 'CommandFormatError' })).Status, 'CommandFormatError');
  });

  it('refuses a missing or unknown Status, and a missing CommandUUID on anything but Idle', () => {
    refuses({ UDID: 'u', CommandUUID: 'c' }, 'missing-field', 'Status');
    refuses({ UDID: 'u', CommandUUID: 'c', Status: 'Done' }, 'invalid-field', 'Status');
    refuses({ UDID: 'u', Status: 'Acknowledged' }, 'missing-field', 'CommandUUID');
    refuses({ CommandUUID: 'c', Status: 'Acknowledged' }, 'missing-field', 'UDID');
  });

  it('refuses error-chain and profile-list items that break Apple’s schema, naming the item', () => {
    const base = { UDID: 'u', CommandUUID: 'c', Status: 'Error' };
    refuses({ ...base, ErrorChain: [{ ErrorDomain: 'D', LocalizedDescription: 'x' }] }, 'missing-field', 'ErrorChain[0].ErrorCode');
    refuses({ ...base, ErrorChain: [{ ErrorCode: 1, ErrorDomain: 'D', LocalizedDescription: 'x' }, { ErrorCode: '2', ErrorDomain: 'D', LocalizedDescription: 'x' }] }, 'invalid-field', 'ErrorChain[1].ErrorCode');
    refuses({ ...base, ErrorChain: [{ ErrorCode: 1.5, ErrorDomain: 'D', LocalizedDescription: 'x' }] }, 'invalid-field', 'ErrorChain[0].ErrorCode');
    refuses({ ...base, ErrorChain: 'oops' }, 'invalid-field', 'ErrorChain');
    refuses({ ...base, ErrorChain: ['oops'] }, 'invalid-field', 'ErrorChain[0]');
    const ack = { UDID: 'u', CommandUUID: 'c', Status: 'Acknowledged' };
    refuses({ ...ack, ProfileList: [{ PayloadUUID: 'p' }] }, 'missing-field', 'ProfileList[0].PayloadIdentifier');
    refuses({ ...ack, ProfileList: [{ PayloadUUID: 'p', PayloadIdentifier: 'i', SignerCertificates: ['MII'] }] }, 'invalid-field', 'ProfileList[0].SignerCertificates[0]');
    refuses({ ...ack, ProfileList: [{ PayloadUUID: 'p', PayloadIdentifier: 'i', PayloadContent: [{ PayloadType: 't', PayloadIdentifier: 'i' }] }] }, 'missing-field', 'ProfileList[0].PayloadContent[0].PayloadVersion');
  });
});

describe('encodeCommandResult', () => {
  it('writes results that decode back to the same values, and decoded fixtures back to the same result', () => {
    const results: CommandResult[] = [
      { UDID: 'u', Status: 'Idle' },
      { UDID: 'u', CommandUUID: 'c', Status: 'Acknowledged' },
      { EnrollmentID: 'e', CommandUUID: 'c', Status: 'NotNow' },
      { UDID: 'u', CommandUUID: 'c', Status: 'Error', ErrorChain: [{ ErrorCode: 4002, ErrorDomain: 'MCInstallationErrorDomain', LocalizedDescription: 'dup' }] },
      ...['ios-idle.plist', 'ios-install-profile-duplicate-account.plist', 'ios-profile-list-response.plist'].map((name) => decodeCommandResult(fixture(name))),
    ];
    for (const result of results) assert.deepEqual(decodeCommandResult(encodeCommandResult(result)), result);
  });
});
