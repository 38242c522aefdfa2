/**
 * Why a device's SyncML message could not be read. The HTTP skin answers every one of these with
 * 400 and a plain-text reason; nothing is processed.
 *
 * - `empty-body`, `body-too-large`: the body is empty or over the byte limit.
 * - `malformed-xml`: not UTF-8, not well-formed XML, a DTD (refused: entity expansion), or nested
 *   deeper than the parser allows.
 * - `not-syncml`: the root element is not `SyncML`, or `SyncHdr` / `SyncBody` is missing.
 * - `unsupported-version`: `VerDTD` is not 1.2 or `VerProto` not DM/1.2 (MS-MDM speaks SyncML DM 1.2 only).
 * - `missing-field`, `invalid-field`: a required element is absent, or has the wrong form or is too
 *   long; `field` holds its path, e.g. `SyncBody/Status[3]/CmdRef`.
 * - `too-many`: more commands or items than the limits allow.
 */
export type SyncMlDecodeErrorCode =
  | 'empty-body'
  | 'body-too-large'
  | 'malformed-xml'
  | 'not-syncml'
  | 'unsupported-version'
  | 'missing-field'
  | 'invalid-field'
  | 'too-many';

export class SyncMlDecodeError extends Error {
  readonly code: SyncMlDecodeErrorCode;
  /** The element path the problem concerns, when there is one. */
  readonly field: string | undefined;

  constructor(code: SyncMlDecodeErrorCode, message: string, field?: string) {
    super(field === undefined ? message : `${field}: ${message}`);
    this.name = 'SyncMlDecodeError';
    this.code = code;
    this.field = field;
  }
}

export function isSyncMlDecodeError(value: unknown): value is SyncMlDecodeError {
  return value instanceof SyncMlDecodeError;
}
