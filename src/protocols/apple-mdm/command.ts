import { MdmDecodeError } from './mdm-decode-error.ts';
import { defaultPlistBodyLimits, readPlistBody, writePlistBody, type PlistBodyLimits } from './plist-body.ts';
import { definedOnly, PlistFields } from './plist-fields.ts';

/**
 * Commands the server hands a device in the body of its poll, as an XML property list
 * `{CommandUUID, Command: {RequestType, …request keys}}`.
 * https://developer.apple.com/documentation/devicemanagement/sending-mdm-commands-to-a-device
 * Only the profile commands Envelope needs are modelled (schemas: apple/device-management
 * `mdm/commands/profile.{install,remove,list}.yaml`).
 */

/**
 * Installs (or, for the same top-level `PayloadIdentifier`, replaces) a profile.
 * https://developer.apple.com/documentation/devicemanagement/installprofilecommand
 * Needs the `AllowInstallationRemoval` access right.
 */
export interface InstallProfileRequest {
  RequestType: 'InstallProfile';
  /** The whole `.mobileconfig`, as installed: signed (CMS) and/or encrypted bytes, sent as `<data>`. */
  Payload: Uint8Array;
}

/**
 * Removes the profile with this top-level `PayloadIdentifier`.
 * https://developer.apple.com/documentation/devicemanagement/removeprofilecommand
 */
export interface RemoveProfileRequest {
  RequestType: 'RemoveProfile';
  Identifier: string;
}

/**
 * Lists installed profiles (`AllowInspection` right); the answer is `CommandResult.ProfileList`.
 * https://developer.apple.com/documentation/devicemanagement/profilelistcommand
 */
export interface ProfileListRequest {
  RequestType: 'ProfileList';
  /** iOS 13+: only profiles this MDM installed. Default false; User Enrollment always behaves as true. */
  ManagedOnly?: boolean;
}

export type MdmCommandRequest = InstallProfileRequest | RemoveProfileRequest | ProfileListRequest;
export type MdmRequestType = MdmCommandRequest['RequestType'];

export interface MdmCommand<R extends MdmCommandRequest = MdmCommandRequest> {
  /** The server's identifier for this command; the device echoes it in its result. */
  CommandUUID: string;
  Command: R;
}

/**
 * Encodes a command as the server's response body. Throws `TypeError` for an empty `CommandUUID`,
 * `Payload` or `Identifier` — a server bug, which must not reach a device as a command it can only
 * answer with `CommandFormatError`.
 */
export function encodeCommand(command: MdmCommand): Uint8Array {
  if (!command.CommandUUID) throw new TypeError('CommandUUID must not be empty');
  return writePlistBody({ CommandUUID: command.CommandUUID, Command: requestForWire(command.Command) });
}

/**
 * Decodes a command body (device side). Throws `MdmDecodeError`: `unknown-message-type` for a
 * `RequestType` not modelled here (a device would answer it with an error status), and
 * `missing-field`/`invalid-field` naming the key (`Command.Payload`).
 */
export function decodeCommand(body: Uint8Array, limits: PlistBodyLimits = defaultPlistBodyLimits): MdmCommand {
  const fields = new PlistFields(readPlistBody(body, limits));
  const CommandUUID = fields.string('CommandUUID');
  if (!fields.has('Command')) throw fields.missing('Command');
  const request = PlistFields.of(fields.dictionary.Command, 'Command');
  const type = request.string('RequestType');
  switch (type) {
    case 'InstallProfile':
      return { CommandUUID, Command: { RequestType: type, Payload: request.data('Payload') } };
    case 'RemoveProfile':
      return { CommandUUID, Command: { RequestType: type, Identifier: request.string('Identifier') } };
    case 'ProfileList':
      return { CommandUUID, Command: { RequestType: type, ...definedOnly({ ManagedOnly: request.optionalBoolean('ManagedOnly') }) } };
    default:
      throw new MdmDecodeError('unknown-message-type', `RequestType ${JSON.stringify(type)} is not supported`, 'Command.RequestType');
  }
}

function requestForWire(request: MdmCommandRequest): MdmCommandRequest {
  switch (request.RequestType) {
    case 'InstallProfile':
      if (request.Payload.byteLength === 0) throw new TypeError('InstallProfile Payload must not be empty');
      return { RequestType: request.RequestType, Payload: request.Payload };
    case 'RemoveProfile':
      if (!request.Identifier) throw new TypeError('RemoveProfile Identifier must not be empty');
      return { RequestType: request.RequestType, Identifier: request.Identifier };
    case 'ProfileList':
      return { RequestType: request.RequestType, ...definedOnly({ ManagedOnly: request.ManagedOnly }) };
  }
}
