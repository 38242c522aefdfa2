/**
 * The keys by which every device message (check-in or command result) names its enrollment and
 * channel. Apple's names; which appear depends on the enrollment type:
 * - device enrollment, device channel: `UDID`;
 * - User Enrollment (BYOD, iOS 13+): `EnrollmentID` instead of `UDID` (UDID is forbidden there);
 * - user channel (macOS users, Shared iPad): `UDID` plus `UserID` (and `UserShortName`,
 *   `UserLongName`), or `EnrollmentID` plus `EnrollmentUserID` under User Enrollment.
 * https://developer.apple.com/documentation/devicemanagement/tokenupdaterequest
 */
export interface EnrollmentKeys {
  UDID?: string;
  EnrollmentID?: string;
  UserID?: string;
  UserShortName?: string;
  UserLongName?: string;
  EnrollmentUserID?: string;
}

/** Same spellings as NanoMDM's `EnrollType`, so logs and data read alike across the two. */
export type EnrollmentType = 'Device' | 'User' | 'User Enrollment (Device)' | 'User Enrollment' | 'Shared iPad';

export interface ResolvedEnrollment {
  type: EnrollmentType;
  /** The device channel's identifier: the UDID, or the EnrollmentID under User Enrollment. */
  deviceChannelId: string;
  /** The user channel's identifier, when the message comes from a user channel. */
  userChannelId?: string;
  /**
   * The stable key for the enrollment: `deviceChannelId`, or `deviceChannelId:userChannelId` for a
   * user channel. It must never change for a given enrollment: storage, queues and the
   * certificate binding are keyed by it.
   */
  id: string;
}

/** Apple's fixed `UserID` for a Shared iPad user; the user is then told apart by `UserShortName`. */
export const sharedIpadUserId = 'FFFFFFFF-FFFF-FFFF-FFFF-FFFFFFFFFFFF';

/**
 * Collapses the enrollment keys into one identity, as NanoMDM does (`mdm.Enrollment.Resolved`):
 * `UDID` wins over `EnrollmentID`; a `UserID` (or `EnrollmentUserID`) makes it a user channel.
 * Returns `undefined` when neither `UDID` nor `EnrollmentID` is present (or a Shared iPad user
 * comes without a `UserShortName`): such a message identifies no enrollment.
 */
export function resolveEnrollment(keys: EnrollmentKeys): ResolvedEnrollment | undefined {
  if (keys.UDID) {
    if (!keys.UserID) return { type: 'Device', deviceChannelId: keys.UDID, id: keys.UDID };
    if (keys.UserID === sharedIpadUserId) {
      return keys.UserShortName ? userChannel('Shared iPad', keys.UDID, keys.UserShortName) : undefined;
    }
    return userChannel('User', keys.UDID, keys.UserID);
  }
  if (keys.EnrollmentID) {
    if (!keys.EnrollmentUserID) return { type: 'User Enrollment (Device)', deviceChannelId: keys.EnrollmentID, id: keys.EnrollmentID };
    return userChannel('User Enrollment', keys.EnrollmentID, keys.EnrollmentUserID);
  }
  return undefined;
}

function userChannel(type: EnrollmentType, deviceChannelId: string, userChannelId: string): ResolvedEnrollment {
  return { type, deviceChannelId, userChannelId, id: `${deviceChannelId}:${userChannelId}` };
}
