import { MdmDecodeError } from './mdm-decode-error.ts';
import { defaultPlistBodyLimits, readPlistBody, writePlistBody, type PlistBodyLimits } from './plist-body.ts';
import { definedOnly, PlistFields } from './plist-fields.ts';
import type { EnrollmentKeys } from './resolve-enrollment.ts';

/**
 * Check-in messages: what a device PUTs to the check-in URL with
 * `Content-Type: application/x-apple-aspen-mdm-checkin`, as an XML property list.
 * https://developer.apple.com/documentation/devicemanagement/check-in
 * Schemas: apple/device-management `mdm/checkin/*.yaml` (vendored in test/fixtures/vendor-schemas).
 *
 * Field names are Apple's. Required here means required on every platform that sends the
 * message; keys Apple marks required for macOS or Shared iPad only (`NotOnConsole`,
 * `UserLongName`, `EnrollmentUserID`, `DeviceName`, `Model`, `ModelName`) are optional, because
 * iOS never sends them.
 */
export const checkinContentType = 'application/x-apple-aspen-mdm-checkin';

/**
 * `Authenticate`: the first message after the enrollment profile is installed.
 * https://developer.apple.com/documentation/devicemanagement/authenticaterequest
 * Identification: `UDID`, or `EnrollmentID` under User Enrollment; one of them is required.
 * The device-information keys are sent only with the `AllowQueryDeviceInformation` right.
 */
export interface AuthenticateMessage extends Pick<EnrollmentKeys, 'UDID' | 'EnrollmentID'> {
  MessageType: 'Authenticate';
  /** The APNs topic the device subscribes to: the push certificate's UID, `com.apple.mgmt.External.…`. */
  Topic: string;
  OSVersion?: string;
  BuildVersion?: string;
  /** e.g. `iPhone16,1`. */
  ProductName?: string;
  SerialNumber?: string;
  IMEI?: string;
  MEID?: string;
  /** macOS (and Apple marks it required there); not sent by iOS. */
  DeviceName?: string;
  /** macOS only, e.g. `iMac`. */
  ModelName?: string;
  /** macOS only, e.g. `iMac14,2`. */
  Model?: string;
}

/**
 * `TokenUpdate`: the device's push token, sent after `Authenticate` and whenever it changes.
 * https://developer.apple.com/documentation/devicemanagement/tokenupdaterequest
 */
export interface TokenUpdateMessage extends EnrollmentKeys {
  MessageType: 'TokenUpdate';
  Topic: string;
  /** The APNs device token (`<data>`). */
  Token: Uint8Array;
  /** Not an Apple key: `Token` as lowercase hex, the form APNs addresses take. */
  tokenHex: string;
  /** Goes into every push: `{"mdm":"<PushMagic>"}`. */
  PushMagic: string;
  /** Escrow keybag data for ClearPasscode (`AllowPasscodeRemovalAndLock` right). */
  UnlockToken?: Uint8Array;
  /** During Setup Assistant: the device waits for DeviceConfigured. */
  AwaitingConfiguration?: boolean;
  /** macOS user channel only. */
  NotOnConsole?: boolean;
}

/**
 * `CheckOut`: the enrollment profile was removed (sent once, only when the profile sets
 * `CheckOutWhenRemoved`). https://developer.apple.com/documentation/devicemanagement/checkoutrequest
 */
export interface CheckOutMessage extends Pick<EnrollmentKeys, 'UDID' | 'EnrollmentID'> {
  MessageType: 'CheckOut';
  Topic: string;
}

/**
 * `UserAuthenticate`: macOS asks to open a user channel. Servers that do not want one answer 410.
 * https://developer.apple.com/documentation/devicemanagement/userauthenticaterequest
 * Apple marks `DigestResponse` required, but by its own description it is present only in the
 * second request (after the server's `DigestChallenge`), so it is optional here.
 */
export interface UserAuthenticateMessage {
  MessageType: 'UserAuthenticate';
  UDID: string;
  UserID: string;
  DigestResponse?: string;
  UserShortName?: string;
  UserLongName?: string;
}

/** Check-in types Apple defines that Envelope does not act on; the server answers them without state. */
export const unsupportedCheckinMessageTypes = ['GetBootstrapToken', 'SetBootstrapToken', 'DeclarativeManagement', 'GetToken', 'ReturnToService'] as const;
export type UnsupportedCheckinMessageType = (typeof unsupportedCheckinMessageTypes)[number];

/** A recognised but unsupported check-in: only its type and enrollment keys are read. */
export interface UnsupportedCheckinMessage extends EnrollmentKeys {
  MessageType: UnsupportedCheckinMessageType;
}

export type CheckinMessage = AuthenticateMessage | TokenUpdateMessage | CheckOutMessage | UserAuthenticateMessage | UnsupportedCheckinMessage;

/** What a device (the simulator) may send: the supported messages, `TokenUpdate` without the derived `tokenHex`. */
export type EncodableCheckinMessage = AuthenticateMessage | Omit<TokenUpdateMessage, 'tokenHex'> | CheckOutMessage | UserAuthenticateMessage;

/**
 * Decodes a check-in body. Throws `MdmDecodeError`: `unknown-message-type` for a `MessageType`
 * Apple does not define, `missing-field`/`invalid-field` naming the key for a schema violation
 * (including a message with neither `UDID` nor `EnrollmentID`), and the body errors of
 * `readPlistBody`. Unknown extra keys are ignored.
 */
export function decodeCheckinMessage(body: Uint8Array, limits: PlistBodyLimits = defaultPlistBodyLimits): CheckinMessage {
  const fields = new PlistFields(readPlistBody(body, limits));
  const type = fields.string('MessageType');
  switch (type) {
    case 'Authenticate':
      return {
        MessageType: type,
        ...deviceIdentity(fields),
        Topic: fields.string('Topic'),
        ...fields.optionalStrings(['OSVersion', 'BuildVersion', 'ProductName', 'SerialNumber', 'IMEI', 'MEID', 'DeviceName', 'ModelName', 'Model']),
      };
    case 'TokenUpdate': {
      const token = fields.data('Token');
      return {
        MessageType: type,
        ...deviceIdentity(fields),
        ...fields.optionalStrings(['UserID', 'UserShortName', 'UserLongName', 'EnrollmentUserID']),
        Topic: fields.string('Topic'),
        Token: token,
        tokenHex: Buffer.from(token.buffer, token.byteOffset, token.byteLength).toString('hex'),
        PushMagic: fields.string('PushMagic'),
        ...definedOnly({
          UnlockToken: fields.optionalData('UnlockToken'),
          AwaitingConfiguration: fields.optionalBoolean('AwaitingConfiguration'),
          NotOnConsole: fields.optionalBoolean('NotOnConsole'),
        }),
      };
    }
    case 'CheckOut':
      return { MessageType: type, ...deviceIdentity(fields), Topic: fields.string('Topic') };
    case 'UserAuthenticate':
      return {
        MessageType: type,
        UDID: fields.string('UDID'),
        UserID: fields.string('UserID'),
        ...fields.optionalStrings(['DigestResponse', 'UserShortName', 'UserLongName']),
      };
    default:
      if (isUnsupportedCheckinMessageType(type)) {
        return { MessageType: type, ...fields.optionalStrings(['UDID', 'EnrollmentID', 'UserID', 'UserShortName', 'UserLongName', 'EnrollmentUserID']) };
      }
      throw new MdmDecodeError('unknown-message-type', `MessageType ${JSON.stringify(type)} is not an Apple check-in message`, 'MessageType');
  }
}

/**
 * Encodes a check-in message as a device sends it (XML property list bytes), Apple keys only,
 * in a fixed order; absent optional keys are left out.
 */
export function encodeCheckinMessage(message: EncodableCheckinMessage): Uint8Array {
  // Rebuilt key by key so a decoded message's extra properties (`tokenHex`) never reach the wire.
  switch (message.MessageType) {
    case 'Authenticate': {
      const { MessageType, Topic, UDID, EnrollmentID, OSVersion, BuildVersion, ProductName, SerialNumber, IMEI, MEID, DeviceName, ModelName, Model } = message;
      return writePlistBody({ MessageType, Topic, UDID, EnrollmentID, OSVersion, BuildVersion, ProductName, SerialNumber, IMEI, MEID, DeviceName, ModelName, Model });
    }
    case 'TokenUpdate': {
      const { MessageType, Topic, UDID, EnrollmentID, EnrollmentUserID, UserID, UserShortName, UserLongName, Token, PushMagic, UnlockToken, AwaitingConfiguration, NotOnConsole } = message;
      return writePlistBody({ MessageType, Topic, UDID, EnrollmentID, EnrollmentUserID, UserID, UserShortName, UserLongName, Token, PushMagic, UnlockToken, AwaitingConfiguration, NotOnConsole });
    }
    case 'CheckOut': {
      const { MessageType, Topic, UDID, EnrollmentID } = message;
      return writePlistBody({ MessageType, Topic, UDID, EnrollmentID });
    }
    case 'UserAuthenticate': {
      const { MessageType, UDID, UserID, DigestResponse, UserShortName, UserLongName } = message;
      return writePlistBody({ MessageType, UDID, UserID, DigestResponse, UserShortName, UserLongName });
    }
  }
}

export function isUnsupportedCheckinMessageType(type: string): type is UnsupportedCheckinMessageType {
  return (unsupportedCheckinMessageTypes as readonly string[]).includes(type);
}

/** `UDID` or `EnrollmentID` (User Enrollment): a message with neither identifies no enrollment. */
function deviceIdentity(fields: PlistFields): Pick<EnrollmentKeys, 'UDID' | 'EnrollmentID'> {
  const identity = fields.optionalStrings(['UDID', 'EnrollmentID']);
  if (!identity.UDID && !identity.EnrollmentID) {
    throw new MdmDecodeError('missing-field', 'UDID (or EnrollmentID under User Enrollment) is required', 'UDID');
  }
  return identity;
}
