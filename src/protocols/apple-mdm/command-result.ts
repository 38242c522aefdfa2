import { decodeErrorChainItem, type ErrorChainItem } from './error-chain.ts';
import { MdmDecodeError } from './mdm-decode-error.ts';
import { defaultPlistBodyLimits, readPlistBody, writePlistBody, type PlistBodyLimits } from './plist-body.ts';
import { definedOnly, PlistFields } from './plist-fields.ts';
import { decodeProfileListItem, profileListItemForWire, type ProfileListItem } from './profile-list-item.ts';
import type { EnrollmentKeys } from './resolve-enrollment.ts';

/**
 * A device's report on the command URL: the result of the last command, or `Idle` when it asks
 * for work. The server answers with the next command or an empty 200.
 * https://developer.apple.com/documentation/devicemanagement/sending-mdm-commands-to-a-device
 * and Apple's `…Response` pages (e.g. https://developer.apple.com/documentation/devicemanagement/profilelistresponse).
 */
export const commandStatuses = ['Acknowledged', 'Error', 'CommandFormatError', 'Idle', 'NotNow'] as const;
export type CommandStatus = (typeof commandStatuses)[number];

export interface CommandResult extends EnrollmentKeys {
  Status: CommandStatus;
  /** The command this result is for; absent only when `Status` is `Idle`. */
  CommandUUID?: string;
  /** Outermost error first; sent with `Error` (sometimes with `CommandFormatError`). */
  ErrorChain?: ErrorChainItem[];
  /** macOS user channel only. */
  NotOnConsole?: boolean;
  /** The `ProfileList` command's response payload (profile.list.yaml `responsekeys`). */
  ProfileList?: ProfileListItem[];
}

/**
 * Decodes a command-URL body. Throws `MdmDecodeError` naming the key when `Status` is missing or
 * not one of Apple's five, when `CommandUUID` is missing from a non-`Idle` result, when neither
 * `UDID` nor `EnrollmentID` is present, or when an `ErrorChain` or `ProfileList` item breaks
 * Apple's schema; and the body errors of `readPlistBody`. Other response keys (of commands
 * Envelope does not send) are ignored.
 */
export function decodeCommandResult(body: Uint8Array, limits: PlistBodyLimits = defaultPlistBodyLimits): CommandResult {
  const fields = new PlistFields(readPlistBody(body, limits));
  const status = fields.string('Status');
  if (!isCommandStatus(status)) throw fields.invalid('Status', `must be one of ${commandStatuses.join(', ')}; got ${JSON.stringify(status)}`);
  const identity = fields.optionalStrings(['UDID', 'EnrollmentID', 'UserID', 'UserShortName', 'UserLongName', 'EnrollmentUserID']);
  if (!identity.UDID && !identity.EnrollmentID) {
    throw new MdmDecodeError('missing-field', 'UDID (or EnrollmentID under User Enrollment) is required', 'UDID');
  }
  return {
    ...identity,
    Status: status,
    ...definedOnly({
      CommandUUID: status === 'Idle' ? fields.optionalString('CommandUUID') || undefined : fields.string('CommandUUID'),
      ErrorChain: fields.optionalArrayOf('ErrorChain', decodeErrorChainItem),
      NotOnConsole: fields.optionalBoolean('NotOnConsole'),
      ProfileList: fields.optionalArrayOf('ProfileList', decodeProfileListItem),
    }),
  };
}

/** Encodes a result as a device sends it (XML property list bytes), Apple keys only. */
export function encodeCommandResult(result: CommandResult): Uint8Array {
  const { UDID, EnrollmentID, UserID, UserShortName, UserLongName, EnrollmentUserID, NotOnConsole, CommandUUID, Status, ErrorChain, ProfileList } = result;
  return writePlistBody({
    UDID,
    EnrollmentID,
    UserID,
    UserShortName,
    UserLongName,
    EnrollmentUserID,
    NotOnConsole,
    CommandUUID,
    Status,
    ErrorChain: ErrorChain?.map(({ ErrorCode, ErrorDomain, LocalizedDescription, USEnglishDescription }) => ({ ErrorCode, ErrorDomain, LocalizedDescription, USEnglishDescription })),
    ProfileList: ProfileList?.map(profileListItemForWire),
  });
}

export function isCommandStatus(value: string): value is CommandStatus {
  return (commandStatuses as readonly string[]).includes(value);
}
