import { definedOnly, PlistFields } from './plist-fields.ts';

/**
 * One link of a command result's `ErrorChain`, outermost error first.
 * https://developer.apple.com/documentation/devicemanagement/profilelistresponse/errorchainitem
 * (every `…Response.ErrorChainItem` page has the same four keys).
 */
export interface ErrorChainItem {
  ErrorCode: number;
  ErrorDomain: string;
  /** In the device's language. */
  LocalizedDescription: string;
  USEnglishDescription?: string;
}

/** Reads one `ErrorChain` item at `path`; all but `USEnglishDescription` are required (Apple's schema). */
export function decodeErrorChainItem(value: unknown, path: string): ErrorChainItem {
  const fields = PlistFields.of(value, path);
  return {
    ErrorCode: fields.integer('ErrorCode'),
    ErrorDomain: fields.string('ErrorDomain'),
    LocalizedDescription: fields.stringAllowingEmpty('LocalizedDescription'),
    ...definedOnly({ USEnglishDescription: fields.optionalString('USEnglishDescription') }),
  };
}

/**
 * Renders a chain as Fleet does (`server/mdm/apple` FmtErrorChain): one line per item,
 * `Domain (code): description`, preferring the US-English description (the localized one is in
 * the device user's language). An empty chain renders as ''.
 */
export function renderErrorChain(chain: readonly ErrorChainItem[]): string {
  return chain.map((item) => `${item.ErrorDomain} (${item.ErrorCode}): ${item.USEnglishDescription || item.LocalizedDescription}`).join('\n');
}

/** Domains and codes from Apple's archived *MDM Protocol Reference*, "Error Codes" (delivery-protocols a.5). */
export const appleErrorCodes = Object.freeze({
  installationFailed: { ErrorDomain: 'MCInstallationErrorDomain', ErrorCode: 4001 },
  duplicateProfileUuid: { ErrorDomain: 'MCInstallationErrorDomain', ErrorCode: 4002 },
  profileNotFound: { ErrorDomain: 'MCInstallationErrorDomain', ErrorCode: 4024 },
  accountNotUnique: { ErrorDomain: 'MCEASErrorDomain', ErrorCode: 21005 },
  profileNotInstalled: { ErrorDomain: 'MCMDMErrorDomain', ErrorCode: 12075 },
} as const);

/**
 * What a failed command means for delivery:
 * - `command-format`: Status `CommandFormatError` — the device could not parse the command; the
 *   same bytes will fail again.
 * - `duplicate-account`: an Exchange account equal to the profile's already exists on the device
 *   (MCEASErrorDomain 21005, usually under MCInstallationErrorDomain 4001). Only the user can
 *   resolve it by removing their own account.
 * - `duplicate-profile-uuid`: another installed profile has the same PayloadUUID (4002).
 * - `profile-not-installed`: the profile to remove is not there (MCMDMErrorDomain 12075,
 *   MCInstallationErrorDomain 4024); for `RemoveProfile` the desired state is already reached.
 * - `other`: anything else, retryable with bounded backoff.
 */
export type CommandErrorKind = 'command-format' | 'duplicate-account' | 'duplicate-profile-uuid' | 'profile-not-installed' | 'other';

export interface CommandErrorClassification {
  kind: CommandErrorKind;
  /** False when resending the same command cannot succeed without a change elsewhere. */
  retryable: boolean;
  /** The chain item that decided the kind, when one did. */
  cause?: ErrorChainItem;
}

const chainRules: ReadonlyArray<{ kind: CommandErrorKind; codes: ReadonlyArray<{ ErrorDomain: string; ErrorCode: number }> }> = [
  { kind: 'duplicate-account', codes: [appleErrorCodes.accountNotUnique] },
  { kind: 'duplicate-profile-uuid', codes: [appleErrorCodes.duplicateProfileUuid] },
  { kind: 'profile-not-installed', codes: [appleErrorCodes.profileNotInstalled, appleErrorCodes.profileNotFound] },
];

/**
 * Classifies a failed command result (Status `Error` or `CommandFormatError`). A rule matches an
 * item anywhere in the chain — iOS wraps the specific cause (21005) in a generic one (4001) — and
 * rules apply in the order listed in `CommandErrorKind`, so a chain holding both 21005 and 4002
 * is a `duplicate-account`. Only `other` is retryable.
 */
export function classifyCommandError(status: 'Error' | 'CommandFormatError', chain: readonly ErrorChainItem[] = []): CommandErrorClassification {
  if (status === 'CommandFormatError') return { kind: 'command-format', retryable: false };
  for (const rule of chainRules) {
    const cause = chain.find((item) => rule.codes.some((code) => item.ErrorDomain === code.ErrorDomain && item.ErrorCode === code.ErrorCode));
    if (cause) return { kind: rule.kind, retryable: false, cause };
  }
  return { kind: 'other', retryable: true };
}
