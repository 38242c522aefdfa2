import type { ManagedDevice } from '../../domain/directory.ts';
import { unprocessable, type EnvelopeError } from '../../domain/errors.ts';

/**
 * Why an iOS email profile cannot be rendered for one device. Each is a per-device error the status
 * views show with its code — never a half-built payload. (A user's missing directory attribute is
 * the domain's `MissingUserAttributeError`, raised by `resolveAccountUserValues`.)
 */

export function notAnIosEmailProfile(odataType: string): EnvelopeError {
  return unprocessable('profileTypeMismatch', `Profile type '${odataType}' is not an iOS email profile.`, 'odataType');
}

export function deviceNotApplicable(device: ManagedDevice): EnvelopeError {
  return unprocessable(
    'deviceNotApplicable',
    `Device '${device.deviceName}' runs ${device.operatingSystem}; iOS email profiles apply to iOS and iPadOS only.`,
  );
}

export function userIsNotPrimaryUser(device: ManagedDevice, userId: string): EnvelopeError {
  return device.userId === null
    ? unprocessable('deviceWithoutPrimaryUser', `Device '${device.deviceName}' has no primary user; email profiles need one.`)
    : unprocessable('deviceUserMismatch', `User '${userId}' is not the primary user of device '${device.deviceName}'.`);
}

/** A setting requires a linked certificate profile that the email profile does not name. */
export function certificateLinkMissing(link: string, reason: string): EnvelopeError {
  return unprocessable('certificateProfileMissing', `The profile links no ${link}, which ${reason} requires.`, link);
}

/** The certificate service delivered nothing for a linked certificate profile (not issued yet, or revoked). */
export function certificateMaterialMissing(certificateProfileId: string, link: string): EnvelopeError {
  return unprocessable(
    'certificateNotAvailable',
    `No certificate material for certificate profile '${certificateProfileId}' (${link}) is available for this device yet.`,
    link,
  );
}

export function certificateKindMismatch(certificateProfileId: string, link: string, expected: string, actual: string): EnvelopeError {
  return unprocessable(
    'certificateProfileTypeMismatch',
    `Certificate profile '${certificateProfileId}' (${link}) is a ${actual} certificate; ${expected} is needed.`,
    link,
  );
}

/** A valid Graph value that Envelope cannot deliver to iOS (e.g. derived credentials). */
export function settingNotSupported(setting: string, value: string): EnvelopeError {
  return unprocessable('settingNotSupported', `${setting} '${value}' is not supported on iOS by Envelope.`, setting);
}

/** A value no valid profile holds; the profile model should have rejected it. */
export function settingValueInvalid(setting: string, value: unknown, expected: string): EnvelopeError {
  return unprocessable('settingValueInvalid', `${setting} ${JSON.stringify(value)} is invalid: ${expected}.`, setting);
}
