import { unprocessable, type EnvelopeError } from '../domain/errors.ts';

/**
 * Per-device failures of certificate material: the profile asks for a name Envelope cannot produce for
 * this user or device. Like MissingUserAttributeError (`src/domain/user-values.ts`) they are 422s that
 * fail one delivery, never a certificate with a guessed subject.
 */

/** The subject or SAN needs a value Envelope does not inventory (IMEI, serial number, a custom SAN, …). */
export function certificateNameUnsupported(message: string, field: string): EnvelopeError {
  return unprocessable('certificateNameUnsupported', message, field);
}

/** The custom subject, or a value put into it, is malformed (unknown attribute or variable, bad country code). */
export function certificateNameInvalid(message: string, field: string): EnvelopeError {
  return unprocessable('certificateNameInvalid', message, field);
}
