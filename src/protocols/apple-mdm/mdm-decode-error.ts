/**
 * Why a device message could not be decoded. The HTTP skin answers every one of these with 400
 * (never 401, which would unenroll the device; see `unrecognized-device.ts` for the deliberate way).
 *
 * - `empty-body`, `body-too-large`: the body is empty or over the caller's byte limit.
 * - `binary-plist`: a `bplist00` body; Envelope reads XML property lists only (README, "Decisions").
 * - `malformed-plist`: not UTF-8, not well-formed XML, or not an Apple property list.
 * - `too-deep`: elements nested deeper than the limit (a guard against stack exhaustion).
 * - `not-a-dictionary`: the property list's root value is not a `<dict>`.
 * - `unknown-message-type`: a check-in `MessageType` or command `RequestType` Apple does not define.
 * - `missing-field`, `invalid-field`: a required key is absent, or a key has the wrong type or value;
 *   `field` holds its path (`ErrorChain[0].ErrorCode`).
 */
export type MdmDecodeErrorCode =
  | 'empty-body'
  | 'body-too-large'
  | 'binary-plist'
  | 'malformed-plist'
  | 'too-deep'
  | 'not-a-dictionary'
  | 'unknown-message-type'
  | 'missing-field'
  | 'invalid-field';

export class MdmDecodeError extends Error {
  readonly code: MdmDecodeErrorCode;
  /** The offending key path, for `missing-field`, `invalid-field` and `unknown-message-type`. */
  readonly field: string | undefined;

  constructor(code: MdmDecodeErrorCode, message: string, field?: string) {
    super(message);
    this.name = 'MdmDecodeError';
    this.code = code;
    this.field = field;
  }
}

export function isMdmDecodeError(value: unknown): value is MdmDecodeError {
  return value instanceof MdmDecodeError;
}
