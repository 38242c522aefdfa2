import { isMdmDecodeError } from '../../src/protocols/apple-mdm/index.ts';
import { readPlistBody, type PlistDictionary } from '../../src/protocols/apple-mdm/plist-body.ts';
import { errorItems, installationFailed, type DeviceCommandError } from './device-errors.ts';

/**
 * A configuration profile as iOS reads it after unwrapping: the top-level keys and the payloads.
 * Apple: https://developer.apple.com/documentation/devicemanagement/toplevel and
 * https://developer.apple.com/documentation/devicemanagement/commonpayloadkeys
 */
export interface ProfilePayload {
  PayloadType: string;
  PayloadIdentifier: string;
  PayloadUUID: string;
  PayloadVersion: number;
  PayloadDisplayName?: string;
  PayloadDescription?: string;
  PayloadOrganization?: string;
  /** The whole payload dictionary, type-specific keys included. */
  dictionary: PlistDictionary;
}

export interface ConfigurationProfile {
  PayloadIdentifier: string;
  PayloadUUID: string;
  PayloadVersion: number;
  PayloadDisplayName?: string;
  PayloadDescription?: string;
  PayloadOrganization?: string;
  PayloadRemovalDisallowed?: boolean;
  payloads: ProfilePayload[];
}

/**
 * Reads a profile's property list. Throws a `DeviceCommandError` ("Profile Installation Failed"
 * wrapping the cause): MCProfileErrorDomain 1000 when it is not a property-list dictionary of
 * `PayloadType` `Configuration`, 1002 for a missing required key, 1003 for a key of the wrong type,
 * 1007 when two payloads share a `PayloadUUID`.
 */
export function parseConfigurationProfile(content: Uint8Array): ConfigurationProfile {
  let dictionary: PlistDictionary;
  try {
    // The codec's hardened reader: size and depth limits, no DTD subsets, XML only.
    dictionary = readPlistBody(content);
  } catch (error) {
    if (isMdmDecodeError(error)) throw installationFailed(undefined, errorItems.malformed(error.message));
    throw error;
  }
  const displayName = typeof dictionary.PayloadDisplayName === 'string' ? dictionary.PayloadDisplayName : undefined;
  const fail = (...causes: Parameters<typeof installationFailed>[1][]): DeviceCommandError => installationFailed(displayName, ...causes);
  if (dictionary.PayloadType !== 'Configuration') throw fail(errorItems.malformed(`PayloadType is ${JSON.stringify(dictionary.PayloadType)}, not "Configuration"`));
  const top = readCommonKeys(dictionary, '', fail);
  const rawPayloads = dictionary.PayloadContent ?? [];
  if (!Array.isArray(rawPayloads)) throw fail(errorItems.badDataType('PayloadContent'));
  const payloads = rawPayloads.map((raw, index) => {
    const path = `PayloadContent[${index}].`;
    if (typeof raw !== 'object' || raw === null || Array.isArray(raw) || raw instanceof Uint8Array || raw instanceof Date) throw fail(errorItems.badDataType(path.slice(0, -1)));
    const payload = raw as PlistDictionary;
    if (typeof payload.PayloadType !== 'string' || payload.PayloadType === '') throw fail(errorItems.missingField(`${path}PayloadType`));
    return { PayloadType: payload.PayloadType, ...readCommonKeys(payload, path, fail), dictionary: payload };
  });
  const seen = new Set<string>([top.PayloadUUID.toUpperCase()]);
  for (const payload of payloads) {
    if (seen.has(payload.PayloadUUID.toUpperCase())) throw fail(errorItems.nonUniqueUuids(payload.PayloadUUID));
    seen.add(payload.PayloadUUID.toUpperCase());
  }
  const removalDisallowed = dictionary.PayloadRemovalDisallowed;
  if (removalDisallowed !== undefined && typeof removalDisallowed !== 'boolean') throw fail(errorItems.badDataType('PayloadRemovalDisallowed'));
  return { ...top, ...(removalDisallowed === undefined ? {} : { PayloadRemovalDisallowed: removalDisallowed }), payloads };
}

function readCommonKeys(dictionary: PlistDictionary, path: string, fail: (...causes: Parameters<typeof installationFailed>[1][]) => DeviceCommandError) {
  const required = (key: 'PayloadIdentifier' | 'PayloadUUID'): string => {
    const value = dictionary[key];
    if (value === undefined) throw fail(errorItems.missingField(`${path}${key}`));
    if (typeof value !== 'string' || value === '') throw fail(errorItems.badDataType(`${path}${key}`));
    return value;
  };
  const version = dictionary.PayloadVersion;
  if (version === undefined) throw fail(errorItems.missingField(`${path}PayloadVersion`));
  if (!Number.isSafeInteger(version)) throw fail(errorItems.badDataType(`${path}PayloadVersion`));
  const optional: Partial<Record<'PayloadDisplayName' | 'PayloadDescription' | 'PayloadOrganization', string>> = {};
  for (const key of ['PayloadDisplayName', 'PayloadDescription', 'PayloadOrganization'] as const) {
    const value = dictionary[key];
    if (value === undefined) continue;
    if (typeof value !== 'string') throw fail(errorItems.badDataType(`${path}${key}`));
    optional[key] = value;
  }
  return { PayloadIdentifier: required('PayloadIdentifier'), PayloadUUID: required('PayloadUUID'), PayloadVersion: version as number, ...optional };
}
