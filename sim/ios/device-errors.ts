import { appleErrorCodes, type ErrorChainItem } from '../../src/protocols/apple-mdm/index.ts';

/**
 * The error chains the simulated iPhone answers with, outermost first, as iOS reports them in a
 * command result (`Status: Error`). Domains and codes come from Apple's archived *MDM Protocol
 * Reference*, "Error Codes" (MCProfileErrorDomain 1000–1010, MCPayloadErrorDomain 2000–2005,
 * MCInstallationErrorDomain 4000–4030, MCMDMErrorDomain 12000…, MCEASErrorDomain 21000…), and from
 * chains real devices send (4001 wrapping 21005 for a duplicate Exchange account). The simulated
 * device speaks US English, so `LocalizedDescription` equals `USEnglishDescription`.
 */
export class DeviceCommandError extends Error {
  readonly chain: ErrorChainItem[];

  constructor(chain: ErrorChainItem[]) {
    super(chain.map((item) => `${item.ErrorDomain} ${item.ErrorCode}: ${item.USEnglishDescription}`).join(' / '));
    this.name = 'DeviceCommandError';
    this.chain = chain;
  }
}

function item(code: { ErrorDomain: string; ErrorCode: number }, description: string): ErrorChainItem {
  return { ...code, LocalizedDescription: description, USEnglishDescription: description };
}

/** Profile-level causes under "Profile Installation Failed" (MCProfileErrorDomain). */
export const profileErrors = Object.freeze({
  malformed: { ErrorDomain: 'MCProfileErrorDomain', ErrorCode: 1000 },
  missingField: { ErrorDomain: 'MCProfileErrorDomain', ErrorCode: 1002 },
  badDataType: { ErrorDomain: 'MCProfileErrorDomain', ErrorCode: 1003 },
  badSignature: { ErrorDomain: 'MCProfileErrorDomain', ErrorCode: 1004 },
  cannotDecrypt: { ErrorDomain: 'MCProfileErrorDomain', ErrorCode: 1006 },
  nonUniqueUuids: { ErrorDomain: 'MCProfileErrorDomain', ErrorCode: 1007 },
  payloadMissingField: { ErrorDomain: 'MCPayloadErrorDomain', ErrorCode: 2002 },
  unsupportedCommand: { ErrorDomain: 'MCMDMErrorDomain', ErrorCode: 12021 },
} as const);

/** `InstallProfile` failed because of `cause` (one or more inner items). */
export function installationFailed(displayName: string | undefined, ...causes: ErrorChainItem[]): DeviceCommandError {
  const name = displayName ? `The profile “${displayName}” could not be installed.` : 'Profile Installation Failed';
  return new DeviceCommandError([{ ...appleErrorCodes.installationFailed, LocalizedDescription: name, USEnglishDescription: 'Profile Installation Failed' }, ...causes]);
}

export const errorItems = Object.freeze({
  malformed: (detail: string) => item(profileErrors.malformed, `The profile is not formatted correctly: ${detail}`),
  missingField: (field: string) => item(profileErrors.missingField, `The profile is missing the required field “${field}”.`),
  badDataType: (field: string) => item(profileErrors.badDataType, `The field “${field}” has an invalid value.`),
  badSignature: (detail: string) => item(profileErrors.badSignature, `The profile’s signature is not valid: ${detail}`),
  encrypted: () => item(profileErrors.cannotDecrypt, 'The profile could not be decrypted.'),
  nonUniqueUuids: (uuid: string) => item(profileErrors.nonUniqueUuids, `The profile contains more than one payload with the UUID “${uuid}”.`),
  payloadMissingField: (payload: string, field: string) => item(profileErrors.payloadMissingField, `The payload “${payload}” is missing the required field “${field}”.`),
  duplicateUuid: (uuid: string) => item(appleErrorCodes.duplicateProfileUuid, `A profile with the UUID “${uuid}” is already installed.`),
  accountNotUnique: () => item(appleErrorCodes.accountNotUnique, 'An account with the same name already exists.'),
  profileNotInstalled: (identifier: string) => item(appleErrorCodes.profileNotInstalled, `The profile “${identifier}” is not installed.`),
  unsupportedCommand: (requestType: string) => item(profileErrors.unsupportedCommand, `The command “${requestType}” is not supported.`),
});
