import { createHash } from 'node:crypto';
import { decodeCommand, isMdmDecodeError, type CommandResult, type MdmCommand } from '../../src/protocols/apple-mdm/index.ts';
import { readPlistBody } from '../../src/protocols/apple-mdm/plist-body.ts';
import { parseConfigurationProfile } from './configuration-profile.ts';
import { DeviceCommandError, errorItems, installationFailed } from './device-errors.ts';
import type { DeviceState } from './device-state.ts';
import { ProfileUnwrapError, unwrapProfile } from './signed-profile.ts';

/** A command the device could read enough to answer: its id and type, and the request when it is one the device performs. */
export type ReadCommand =
  | { kind: 'command'; command: MdmCommand }
  | { kind: 'unsupported'; CommandUUID: string; RequestType: string }
  | { kind: 'malformed'; CommandUUID?: string; RequestType?: string; reason: string };

/**
 * Reads a command body. A body the codec cannot decode is still searched for its `CommandUUID`
 * and `RequestType`, so the device can answer it: an unknown `RequestType` is `unsupported`, a
 * missing or mistyped key `malformed` (answered with `CommandFormatError`).
 */
export function readCommand(body: Uint8Array): ReadCommand {
  try {
    return { kind: 'command', command: decodeCommand(body) };
  } catch (error) {
    if (!isMdmDecodeError(error)) throw error;
    let CommandUUID: string | undefined;
    let RequestType: string | undefined;
    try {
      const dictionary = readPlistBody(body);
      if (typeof dictionary.CommandUUID === 'string' && dictionary.CommandUUID !== '') CommandUUID = dictionary.CommandUUID;
      const request = dictionary.Command as Record<string, unknown> | undefined;
      if (typeof request?.RequestType === 'string') RequestType = request.RequestType;
    } catch {
      // not even a property list: nothing more to learn
    }
    if (error.code === 'unknown-message-type' && CommandUUID && RequestType) return { kind: 'unsupported', CommandUUID, RequestType };
    return { kind: 'malformed', ...(CommandUUID ? { CommandUUID } : {}), ...(RequestType ? { RequestType } : {}), reason: error.message };
  }
}

/**
 * Performs a decoded command on `state` and returns its result (without the enrollment keys):
 * - `InstallProfile`: unwrap (CMS signature checked, plain XML accepted), parse, install or replace;
 *   refusals are `Error` with the chain iOS sends (see device-errors.ts), and change nothing.
 * - `RemoveProfile`: removes a profile this MDM installed and its accounts; a profile that is not
 *   installed, or that the user installed (the enrollment profile among them), is MCMDMErrorDomain 12075.
 * - `ProfileList`: every profile, or with `ManagedOnly` those this MDM installed.
 */
export async function applyCommand(state: DeviceState, command: MdmCommand): Promise<Omit<CommandResult, 'UDID'>> {
  const { CommandUUID } = command;
  try {
    const request = command.Command;
    switch (request.RequestType) {
      case 'InstallProfile': {
        let unwrapped;
        try {
          unwrapped = await unwrapProfile(request.Payload);
        } catch (error) {
          if (error instanceof ProfileUnwrapError) throw unwrapFailure(error);
          throw error;
        }
        const profile = parseConfigurationProfile(unwrapped.content);
        state.installProfile(profile, {
          managed: true,
          signerCertificates: unwrapped.signerCertificates,
          contentSha256: createHash('sha256').update(unwrapped.content).digest('hex'),
        });
        return { CommandUUID, Status: 'Acknowledged' };
      }
      case 'RemoveProfile': {
        const installed = state.profile(request.Identifier);
        if (!installed?.managed) throw new DeviceCommandError([errorItems.profileNotInstalled(request.Identifier)]);
        state.removeProfile(request.Identifier);
        return { CommandUUID, Status: 'Acknowledged' };
      }
      case 'ProfileList':
        return { CommandUUID, Status: 'Acknowledged', ProfileList: state.profileList(request.ManagedOnly === true) };
    }
  } catch (error) {
    if (error instanceof DeviceCommandError) return { CommandUUID, Status: 'Error', ErrorChain: error.chain };
    throw error;
  }
}

function unwrapFailure(error: ProfileUnwrapError): DeviceCommandError {
  switch (error.kind) {
    case 'encrypted':
      return installationFailed(undefined, errorItems.encrypted());
    case 'bad-signature':
      return installationFailed(undefined, errorItems.badSignature(error.message));
    case 'malformed':
      return installationFailed(undefined, errorItems.malformed(error.message));
  }
}
