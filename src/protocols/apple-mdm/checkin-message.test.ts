import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { decodeCheckinMessage, encodeCheckinMessage, type EncodableCheckinMessage, type TokenUpdateMessage } from './checkin-message.ts';
import { MdmDecodeError, type MdmDecodeErrorCode } from './mdm-decode-error.ts';
import { writePlistBody } from './plist-body.ts';

const fixture = (name: string): Uint8Array => new Uint8Array(readFileSync(new URL(`testdata/${name}`, import.meta.url)));
const topic = 'com.apple.mgmt.External.6a4e1c2b-8f3d-4c5e-9a7b-1d2e3f4a5b6c';

function refuses(message: Record<string, unknown>, code: MdmDecodeErrorCode, field?: string): void {
  assert.throws(
    () => decodeCheckinMessage(writePlistBody(message)),
    (error: unknown) => error instanceof MdmDecodeError && error.code === code && error.field === field,
    `expected ${code} ${field ?? ''}`,
  );
}

describe('decodeCheckinMessage', () => {
  it("reads an iPhone's Authenticate with Apple's key names", () => {
    assert.deepEqual(decodeCheckinMessage(fixture('ios-authenticate.plist')), {
      MessageType: 'Authenticate',
      UDID: '00008120-001A2B3C4D5E6F7A',
      Topic: topic,
      OSVersion: '17.5.1',
      BuildVersion: '21F90',
      ProductName: 'iPhone15,2',
      SerialNumber: 'F2LX8K9QJ1',
      IMEI: '35 349011 123456 7',
      MEID: '35349011123456',
    });
  });

  it("reads a Mac's Authenticate, with its device-name keys, ignoring keys Apple's schema does not list", () => {
    const message = decodeCheckinMessage(fixture('macos-authenticate.plist'));
    assert.equal(message.MessageType, 'Authenticate');
    assert.deepEqual(message.MessageType === 'Authenticate' && [message.DeviceName, message.Model, message.ModelName], ['Finance iMac', 'iMac21,1', 'iMac']);
    assert.equal(Object.hasOwn(message, 'Challenge'), false);
  });

  it('reads a TokenUpdate, keeping the push token as bytes and as hex', () => {
    const message = decodeCheckinMessage(fixture('ios-token-update.plist')) as TokenUpdateMessage;
    assert.equal(message.MessageType, 'TokenUpdate');
    assert.equal(message.tokenHex, 'abcdef0123456789abcdef0123456789abcdef0123456789abcdef0123456789');
    assert.deepEqual(message.Token, new Uint8Array(Buffer.from(message.tokenHex, 'hex')));
    assert.equal(message.PushMagic, '5B7C2E1A-3D4F-4A6B-8C9D-0E1F2A3B4C5D');
    assert.equal(message.UDID, '00008120-001A2B3C4D5E6F7A');
    assert.equal(message.AwaitingConfiguration, false);
    assert.equal(message.UnlockToken?.byteLength, 102);
  });

  it('reads a User Enrollment TokenUpdate, identified by EnrollmentID instead of UDID', () => {
    const message = decodeCheckinMessage(fixture('ios-user-enrollment-token-update.plist')) as TokenUpdateMessage;
    assert.equal(message.EnrollmentID, '9F2B7C41-0E3A-4D58-B6C1-2A7D9E4F8B03');
    assert.equal(message.UDID, undefined);
    assert.equal(message.tokenHex, '0102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f20');
  });

  it('reads CheckOut and UserAuthenticate', () => {
    assert.deepEqual(decodeCheckinMessage(writePlistBody({ MessageType: 'CheckOut', Topic: topic, UDID: 'u' })), { MessageType: 'CheckOut', UDID: 'u', Topic: topic });
    assert.deepEqual(decodeCheckinMessage(writePlistBody({ MessageType: 'UserAuthenticate', UDID: 'u', UserID: 'user-guid' })), {
      MessageType: 'UserAuthenticate',
      UDID: 'u',
      UserID: 'user-guid',
    });
  });

  it('recognises the check-in types Envelope does not support, reading only their enrollment keys', () => {
    for (const type of ['GetBootstrapToken', 'SetBootstrapToken', 'DeclarativeManagement', 'GetToken', 'ReturnToService']) {
      assert.deepEqual(decodeCheckinMessage(writePlistBody({ MessageType: type, UDID: 'u', Endpoint: 'tokens', Data: new Uint8Array([1]) })), { MessageType: type, UDID: 'u' });
    }
  });

  it('refuses a MessageType Apple does not define, naming the field', () => {
    refuses({ MessageType: 'Hello', UDID: 'u' }, 'unknown-message-type', 'MessageType');
    refuses({ UDID: 'u', Topic: topic }, 'missing-field', 'MessageType');
    refuses({ MessageType: 7 }, 'invalid-field', 'MessageType');
  });

  it('refuses messages that break Apple’s schema, naming the field', () => {
    const tokenUpdate = { MessageType: 'TokenUpdate', Topic: topic, UDID: 'u', Token: new Uint8Array([1, 2]), PushMagic: 'magic' };
    refuses({ ...tokenUpdate, Token: 'abcd' }, 'invalid-field', 'Token');
    refuses({ ...tokenUpdate, Token: new Uint8Array() }, 'invalid-field', 'Token');
    refuses({ ...tokenUpdate, PushMagic: undefined }, 'missing-field', 'PushMagic');
    refuses({ ...tokenUpdate, Topic: '' }, 'invalid-field', 'Topic');
    refuses({ ...tokenUpdate, AwaitingConfiguration: 'no' }, 'invalid-field', 'AwaitingConfiguration');
    refuses({ ...tokenUpdate, UDID: undefined }, 'missing-field', 'UDID');
    refuses({ MessageType: 'Authenticate', UDID: 'u' }, 'missing-field', 'Topic');
    refuses({ MessageType: 'Authenticate', Topic: topic, UDID: 'u', SerialNumber: 12 }, 'invalid-field', 'SerialNumber');
    refuses({ MessageType: 'CheckOut', Topic: topic }, 'missing-field', 'UDID');
    refuses({ MessageType: 'UserAuthenticate', UDID: 'u' }, 'missing-field', 'UserID');
  });
});

describe('encodeCheckinMessage', () => {
  const messages: EncodableCheckinMessage[] = [
    { MessageType: 'Authenticate', Topic: topic, UDID: 'u-1', OSVersion: '18.1', BuildVersion: '22B83', ProductName: 'iPad14,1', SerialNumber: 'S', IMEI: 'I', MEID: 'M' },
    { MessageType: 'Authenticate', Topic: topic, EnrollmentID: 'e-1', OSVersion: '18.1' },
    { MessageType: 'TokenUpdate', Topic: topic, UDID: 'u-1', Token: new Uint8Array(32).fill(7), PushMagic: 'pm', UnlockToken: new Uint8Array([9, 9]), AwaitingConfiguration: false },
    { MessageType: 'TokenUpdate', Topic: topic, EnrollmentID: 'e-1', Token: new Uint8Array([1]), PushMagic: 'pm' },
    { MessageType: 'CheckOut', Topic: topic, UDID: 'u-1' },
    { MessageType: 'UserAuthenticate', UDID: 'u-1', UserID: 'user', DigestResponse: 'digest' },
  ];

  it('writes messages that decode back to the same values (device → server → device)', () => {
    for (const message of messages) {
      const decoded = decodeCheckinMessage(encodeCheckinMessage(message));
      const { tokenHex, ...withoutHex } = decoded as TokenUpdateMessage;
      assert.deepEqual(decoded.MessageType === 'TokenUpdate' ? withoutHex : decoded, message);
      if (decoded.MessageType === 'TokenUpdate') assert.equal(tokenHex, Buffer.from(decoded.Token).toString('hex'));
    }
  });

  it('writes the fixture messages back to bytes that decode to the same message (server → device → server)', () => {
    for (const name of ['ios-authenticate.plist', 'ios-token-update.plist', 'ios-user-enrollment-token-update.plist', 'macos-authenticate.plist']) {
      const decoded = decodeCheckinMessage(fixture(name));
      assert.deepEqual(decodeCheckinMessage(encodeCheckinMessage(decoded as EncodableCheckinMessage)), decoded, name);
    }
  });

  it('never writes the derived tokenHex, only Apple keys', () => {
    const decoded = decodeCheckinMessage(fixture('ios-token-update.plist')) as TokenUpdateMessage;
    const xml = new TextDecoder().decode(encodeCheckinMessage(decoded));
    assert.doesNotMatch(xml, /tokenHex/);
    assert.match(xml, /<key>Token<\/key>/);
  });
});
