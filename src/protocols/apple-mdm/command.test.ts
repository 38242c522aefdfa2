import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decodeCommand, encodeCommand, type MdmCommand } from './command.ts';
import { MdmDecodeError, type MdmDecodeErrorCode } from './mdm-decode-error.ts';
import { readPlistBody, writePlistBody } from './plist-body.ts';

const signedProfile = new Uint8Array([0x30, 0x82, 0x01, 0x00, ...new TextEncoder().encode('<plist>…</plist>'), 0x00, 0xff]);

function refuses(body: Record<string, unknown>, code: MdmDecodeErrorCode, field: string): void {
  assert.throws(
    () => decodeCommand(writePlistBody(body)),
    (error: unknown) => error instanceof MdmDecodeError && error.code === code && error.field === field,
    `expected ${code} ${field}`,
  );
}

describe('encodeCommand', () => {
  it('writes InstallProfile with the profile bytes as <data>, unchanged', () => {
    const bytes = encodeCommand({ CommandUUID: 'c-1', Command: { RequestType: 'InstallProfile', Payload: signedProfile } });
    assert.deepEqual(readPlistBody(bytes), { CommandUUID: 'c-1', Command: { RequestType: 'InstallProfile', Payload: signedProfile } });
    assert.match(new TextDecoder().decode(bytes), /<key>Payload<\/key>\s*<data>/);
  });

  it('writes RemoveProfile and ProfileList, leaving out an unset ManagedOnly', () => {
    assert.deepEqual(readPlistBody(encodeCommand({ CommandUUID: 'c-2', Command: { RequestType: 'RemoveProfile', Identifier: 'com.example.mail' } })), {
      CommandUUID: 'c-2',
      Command: { RequestType: 'RemoveProfile', Identifier: 'com.example.mail' },
    });
    assert.deepEqual(readPlistBody(encodeCommand({ CommandUUID: 'c-3', Command: { RequestType: 'ProfileList' } })), { CommandUUID: 'c-3', Command: { RequestType: 'ProfileList' } });
    assert.deepEqual(readPlistBody(encodeCommand({ CommandUUID: 'c-4', Command: { RequestType: 'ProfileList', ManagedOnly: true } })), {
      CommandUUID: 'c-4',
      Command: { RequestType: 'ProfileList', ManagedOnly: true },
    });
  });

  it('writes only the modelled keys, whatever else the object carries', () => {
    const command = { CommandUUID: 'c', Command: { RequestType: 'RemoveProfile', Identifier: 'i', Extra: 1 } } as MdmCommand;
    assert.deepEqual(readPlistBody(encodeCommand(command)), { CommandUUID: 'c', Command: { RequestType: 'RemoveProfile', Identifier: 'i' } });
  });

  it('refuses to write a command a device could only reject', () => {
    assert.throws(() => encodeCommand({ CommandUUID: '', Command: { RequestType: 'ProfileList' } }), TypeError);
    assert.throws(() => encodeCommand({ CommandUUID: 'c', Command: { RequestType: 'InstallProfile', Payload: new Uint8Array() } }), TypeError);
    assert.throws(() => encodeCommand({ CommandUUID: 'c', Command: { RequestType: 'RemoveProfile', Identifier: '' } }), TypeError);
  });
});

describe('decodeCommand', () => {
  it('reads back every command the server writes', () => {
    const commands: MdmCommand[] = [
      { CommandUUID: 'c-1', Command: { RequestType: 'InstallProfile', Payload: signedProfile } },
      { CommandUUID: 'c-2', Command: { RequestType: 'RemoveProfile', Identifier: 'com.example.mail' } },
      { CommandUUID: 'c-3', Command: { RequestType: 'ProfileList' } },
      { CommandUUID: 'c-4', Command: { RequestType: 'ProfileList', ManagedOnly: false } },
    ];
    for (const command of commands) assert.deepEqual(decodeCommand(encodeCommand(command)), command);
  });

  it('refuses unknown request types and malformed commands, naming the field', () => {
    refuses({ CommandUUID: 'c', Command: { RequestType: 'EraseDevice' } }, 'unknown-message-type', 'Command.RequestType');
    refuses({ Command: { RequestType: 'ProfileList' } }, 'missing-field', 'CommandUUID');
    refuses({ CommandUUID: 'c' }, 'missing-field', 'Command');
    refuses({ CommandUUID: 'c', Command: 'ProfileList' }, 'invalid-field', 'Command');
    refuses({ CommandUUID: 'c', Command: { RequestType: 'InstallProfile', Payload: 'base64?' } }, 'invalid-field', 'Command.Payload');
    refuses({ CommandUUID: 'c', Command: { RequestType: 'InstallProfile' } }, 'missing-field', 'Command.Payload');
    refuses({ CommandUUID: 'c', Command: { RequestType: 'RemoveProfile' } }, 'missing-field', 'Command.Identifier');
    refuses({ CommandUUID: 'c', Command: { RequestType: 'ProfileList', ManagedOnly: 'yes' } }, 'invalid-field', 'Command.ManagedOnly');
  });
});
