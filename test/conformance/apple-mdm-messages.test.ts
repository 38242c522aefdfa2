import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import {
  decodeCheckinMessage,
  decodeCommandResult,
  encodeCheckinMessage,
  encodeCommand,
  encodeCommandResult,
  unrecognizedDeviceBody,
  type CommandResult,
  type EncodableCheckinMessage,
  type MdmCommand,
} from '../../src/protocols/apple-mdm/index.ts';
import { validateAppleKeys, type ApplePayloadKey, type SchemaViolation, type ValidationOptions } from './apple-schema.ts';
import { loadAppleErrorKeys, loadAppleMdmSchemas, validateAppleCheckin, validateAppleCommand, validateAppleCommandResponse, validateAppleIdle } from './apple-mdm-schema.ts';
import { readPlistXml } from './apple-plist-reader.ts';

const schemas = loadAppleMdmSchemas();
const topic = 'com.apple.mgmt.External.6a4e1c2b-8f3d-4c5e-9a7b-1d2e3f4a5b6c';
const userEnrollment: ValidationOptions = { enrollment: 'user-enrollment' };

/** Reads bytes with the independent reader (fast-xml-parser), never with the codec's own. */
const wire = (bytes: Uint8Array): unknown => readPlistXml(new TextDecoder().decode(bytes));
const rules = (violations: SchemaViolation[]): string[] => violations.map((v) => `${v.rule} ${v.path}`).sort();

describe('Apple MDM schema validator', () => {
  it('loads check-in and command descriptions from Apple YAML', () => {
    assert.deepEqual(schemas.get('TokenUpdate')?.payloadkeys.find((k) => k.key === 'Token')?.type, '<data>');
    assert.ok(schemas.get('ProfileList')?.responsekeys.some((k) => k.key === 'ProfileList'));
  });

  it('requires and forbids keys by enrollment type and channel, so it can fail', () => {
    const tokenUpdate = { MessageType: 'TokenUpdate', Topic: topic, UDID: 'u', Token: new Uint8Array([1]), PushMagic: 'p' };
    assert.deepEqual(validateAppleCheckin(schemas, tokenUpdate), []);
    assert.deepEqual(rules(validateAppleCheckin(schemas, { ...tokenUpdate, EnrollmentID: 'e' })), ['forbidden EnrollmentID']);
    assert.deepEqual(rules(validateAppleCheckin(schemas, tokenUpdate, userEnrollment)), ['forbidden UDID', 'required EnrollmentID']);
    assert.deepEqual(rules(validateAppleCheckin(schemas, { ...tokenUpdate, Token: 'AQ==', UserShortName: 'ann' })), ['forbidden UserShortName', 'type Token']);
    assert.deepEqual(rules(validateAppleCheckin(schemas, { ...tokenUpdate, NotOnConsole: false })), ['unsupported-os NotOnConsole']);
    assert.deepEqual(rules(validateAppleCheckin(schemas, { MessageType: 'Authenticate', UDID: 'u', DeviceName: 'x' })), ['required Topic', 'unsupported-os DeviceName']);
    assert.deepEqual(rules(validateAppleCommand(schemas, { CommandUUID: 'c', Command: { RequestType: 'RemoveProfile', Identifier: 1, Extra: true } })), [
      'type Command.Identifier',
      'unknown-key Command.Extra',
    ]);
    assert.deepEqual(rules(validateAppleCommandResponse(schemas, 'ProfileList', { UDID: 'u', CommandUUID: 'c', Status: 'Acknowledged' })), ['required ProfileList']);
  });
});

describe('check-in messages written by the device-side encoder', () => {
  const cases: Array<{ name: string; message: EncodableCheckinMessage; options?: ValidationOptions }> = [
    {
      name: 'iOS Authenticate, device enrollment',
      message: { MessageType: 'Authenticate', Topic: topic, UDID: '00008120-001A2B3C4D5E6F7A', OSVersion: '18.1', BuildVersion: '22B83', ProductName: 'iPhone16,1', SerialNumber: 'F2LX8K9QJ1', IMEI: '35 349011 123456 7', MEID: '35349011123456' },
    },
    { name: 'iOS Authenticate, User Enrollment', message: { MessageType: 'Authenticate', Topic: topic, EnrollmentID: 'e-1', OSVersion: '18.1', BuildVersion: '22B83', ProductName: 'iPhone16,1' }, options: userEnrollment },
    {
      name: 'iOS TokenUpdate, device enrollment',
      message: { MessageType: 'TokenUpdate', Topic: topic, UDID: 'u-1', Token: new Uint8Array(32).fill(0xab), PushMagic: 'magic', UnlockToken: new Uint8Array([1, 2, 3]), AwaitingConfiguration: false },
    },
    { name: 'iOS TokenUpdate, User Enrollment', message: { MessageType: 'TokenUpdate', Topic: topic, EnrollmentID: 'e-1', Token: new Uint8Array(32).fill(1), PushMagic: 'magic' }, options: userEnrollment },
    { name: 'iOS CheckOut, device enrollment', message: { MessageType: 'CheckOut', Topic: topic, UDID: 'u-1' } },
    { name: 'iOS CheckOut, User Enrollment', message: { MessageType: 'CheckOut', Topic: topic, EnrollmentID: 'e-1' }, options: userEnrollment },
    { name: 'macOS UserAuthenticate', message: { MessageType: 'UserAuthenticate', UDID: 'u-1', UserID: 'user-guid', DigestResponse: 'response' }, options: { os: 'macOS', channel: 'user' } },
  ];
  for (const { name, message, options } of cases) {
    it(`${name} conforms to Apple's check-in schema and decodes back`, () => {
      const bytes = encodeCheckinMessage(message);
      assert.deepEqual(validateAppleCheckin(schemas, wire(bytes), options), []);
      assert.equal(decodeCheckinMessage(bytes).MessageType, message.MessageType);
    });
  }
});

/** A value of the YAML key's type, so that a message can carry every key Apple defines. */
function sample(spec: ApplePayloadKey): unknown {
  if (spec.rangelist) return spec.rangelist[0];
  switch (spec.type) {
    case '<string>':
      return `${spec.key}-value`;
    case '<integer>':
      return 3;
    case '<boolean>':
      return true;
    case '<data>':
      return new Uint8Array([spec.key.length, 1, 2]);
    case '<array>':
      return [sample(spec.subkeys?.[0] as ApplePayloadKey)];
    case '<dictionary>':
      return Object.fromEntries((spec.subkeys ?? []).map((key) => [key.key, sample(key)]));
    default:
      throw new Error(`no sample for ${spec.type}`);
  }
}

describe('decoders read every key Apple defines, under Apple’s names', () => {
  for (const type of ['Authenticate', 'TokenUpdate', 'CheckOut', 'UserAuthenticate']) {
    it(`${type}: every key of the YAML reaches the decoded message`, () => {
      const message = Object.fromEntries((schemas.get(type)?.payloadkeys ?? []).map((key) => [key.key, sample(key)]));
      const decoded = decodeCheckinMessage(new TextEncoder().encode(plistOf(message))) as unknown as Record<string, unknown>;
      for (const key of Object.keys(message)) assert.deepEqual(decoded[key], message[key], key);
    });
  }

  it('ProfileList response: every key of every item reaches the decoded result', () => {
    const listKey = schemas.get('ProfileList')?.responsekeys.find((key) => key.key === 'ProfileList') as ApplePayloadKey;
    const list = sample(listKey) as Array<Record<string, unknown>>;
    const decoded = decodeCommandResult(new TextEncoder().encode(plistOf({ UDID: 'u', CommandUUID: 'c', Status: 'Acknowledged', ProfileList: list })));
    assert.deepEqual(decoded.ProfileList, list);
    assert.ok(Object.keys(list[0] as object).length >= 13);
  });
});

describe('commands written by the server', () => {
  const profile = new Uint8Array(readFileSync(new URL('../../src/payloads/apple/golden/smime-pkcs.mobileconfig', import.meta.url)));
  const commands: MdmCommand[] = [
    { CommandUUID: '0b9e5c1e-6f0a-4c7e-9d55-3f1f4f3a2b10', Command: { RequestType: 'InstallProfile', Payload: profile } },
    { CommandUUID: '1c2d3e4f-5a6b-4c7d-8e9f-0a1b2c3d4e5f', Command: { RequestType: 'RemoveProfile', Identifier: 'com.example.envelope.mail' } },
    { CommandUUID: '2d3e4f5a-6b7c-4d8e-9f0a-1b2c3d4e5f60', Command: { RequestType: 'ProfileList' } },
    { CommandUUID: '3e4f5a6b-7c8d-4e9f-8a1b-2c3d4e5f6071', Command: { RequestType: 'ProfileList', ManagedOnly: true } },
  ];
  for (const command of commands) {
    it(`${command.Command.RequestType}${'ManagedOnly' in command.Command ? ' (ManagedOnly)' : ''} conforms to Apple's command schema`, () => {
      const read = wire(encodeCommand(command));
      assert.deepEqual(validateAppleCommand(schemas, read), []);
      assert.deepEqual(read, command);
    });
  }
});

describe('command results written by the device-side encoder', () => {
  const error: CommandResult = {
    UDID: 'u-1',
    CommandUUID: 'c',
    Status: 'Error',
    ErrorChain: [
      { ErrorCode: 4001, ErrorDomain: 'MCInstallationErrorDomain', LocalizedDescription: 'Profile Installation Failed', USEnglishDescription: 'Profile Installation Failed' },
      { ErrorCode: 21005, ErrorDomain: 'MCEASErrorDomain', LocalizedDescription: 'The account is not unique.' },
    ],
  };
  const profileList: CommandResult = {
    EnrollmentID: 'e-1',
    CommandUUID: 'c',
    Status: 'Acknowledged',
    ProfileList: [
      {
        PayloadUUID: '2B3C4D5E-6F70-4182-93A4-B5C6D7E8F901',
        PayloadIdentifier: 'com.example.envelope.mail',
        PayloadVersion: 1,
        PayloadDisplayName: 'Mail',
        IsManaged: true,
        IsEncrypted: false,
        SignerCertificates: [new Uint8Array([0x30, 0x82, 1])],
        PayloadContent: [{ PayloadType: 'com.apple.eas.account', PayloadVersion: 1, PayloadIdentifier: 'com.example.envelope.mail.eas', PayloadUUID: '7C1A9E2B-3D4F-5A6B-8C7D-9E0F1A2B3C4D' }],
      },
    ],
  };

  it('an InstallProfile Error with its chain conforms to Apple’s response keys', () => {
    assert.deepEqual(validateAppleCommandResponse(schemas, 'InstallProfile', wire(encodeCommandResult(error))), []);
  });

  it('a User Enrollment ProfileList response conforms to profile.list.yaml', () => {
    assert.deepEqual(validateAppleCommandResponse(schemas, 'ProfileList', wire(encodeCommandResult(profileList)), userEnrollment), []);
  });

  it('NotNow and Idle conform', () => {
    assert.deepEqual(validateAppleCommandResponse(schemas, 'RemoveProfile', wire(encodeCommandResult({ UDID: 'u', CommandUUID: 'c', Status: 'NotNow' }))), []);
    assert.deepEqual(validateAppleIdle(wire(encodeCommandResult({ UDID: 'u', Status: 'Idle' }))), []);
  });
});

describe('the unenroll error body', () => {
  const keys = loadAppleErrorKeys('unrecognized.device.yaml');
  it('conforms to unrecognized.device.yaml, bare and with its optional texts', () => {
    assert.deepEqual(validateAppleKeys(JSON.parse(unrecognizedDeviceBody()), keys), []);
    assert.deepEqual(validateAppleKeys(JSON.parse(unrecognizedDeviceBody({ description: 'd', message: 'm' })), keys), []);
    assert.deepEqual(rules(validateAppleKeys({ code: 'other' }, keys)), ['rangelist code']);
  });
});

/** A plist for arbitrary test values, written here so that the decoders are not fed by their own encoders. */
function plistOf(value: Record<string, unknown>): string {
  const write = (v: unknown): string => {
    if (typeof v === 'string') return `<string>${v.replace(/&/g, '&amp;').replace(/</g, '&lt;')}</string>`;
    if (typeof v === 'number') return `<integer>${v}</integer>`;
    if (typeof v === 'boolean') return v ? '<true/>' : '<false/>';
    if (v instanceof Uint8Array) return `<data>${Buffer.from(v).toString('base64')}</data>`;
    if (Array.isArray(v)) return `<array>${v.map(write).join('')}</array>`;
    return `<dict>${Object.entries(v as object).map(([k, x]) => `<key>${k}</key>${write(x)}`).join('')}</dict>`;
  };
  return `<?xml version="1.0" encoding="UTF-8"?><plist version="1.0">${write(value)}</plist>`;
}
