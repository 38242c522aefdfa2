// The Apple MDM check-in and command codec: pure, no HTTP, no storage. See README.md.
export {
  checkinContentType,
  decodeCheckinMessage,
  encodeCheckinMessage,
  isUnsupportedCheckinMessageType,
  unsupportedCheckinMessageTypes,
  type AuthenticateMessage,
  type CheckinMessage,
  type CheckOutMessage,
  type EncodableCheckinMessage,
  type TokenUpdateMessage,
  type UnsupportedCheckinMessage,
  type UnsupportedCheckinMessageType,
  type UserAuthenticateMessage,
} from './checkin-message.ts';
export { commandStatuses, decodeCommandResult, encodeCommandResult, isCommandStatus, type CommandResult, type CommandStatus } from './command-result.ts';
export {
  decodeCommand,
  encodeCommand,
  type InstallProfileRequest,
  type MdmCommand,
  type MdmCommandRequest,
  type MdmRequestType,
  type ProfileListRequest,
  type RemoveProfileRequest,
} from './command.ts';
export { appleErrorCodes, classifyCommandError, renderErrorChain, type CommandErrorClassification, type CommandErrorKind, type ErrorChainItem } from './error-chain.ts';
export { isMdmDecodeError, MdmDecodeError, type MdmDecodeErrorCode } from './mdm-decode-error.ts';
export {
  maxMdmSignatureLength,
  mdmSignatureHeader,
  MdmSignatureError,
  signMdmMessage,
  verifyMdmSignature,
  type MdmSignatureErrorCode,
  type MdmSignatureIssuerCheck,
  type MdmSigningIdentity,
  type VerifiedMdmSignature,
} from './mdm-signature.ts';
export { defaultPlistBodyLimits, type PlistBodyLimits } from './plist-body.ts';
export type { ProfileListItem, ProfileListPayloadContentItem } from './profile-list-item.ts';
export { resolveEnrollment, sharedIpadUserId, type EnrollmentKeys, type EnrollmentType, type ResolvedEnrollment } from './resolve-enrollment.ts';
export { unrecognizedDeviceBody, unrecognizedDeviceCode, unrecognizedDeviceContentType, type UnrecognizedDeviceError } from './unrecognized-device.ts';
