import { readdirSync, readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { appleSchemaDirectory, validateAppleKeys, type ApplePayloadKey, type SchemaViolation, type ValidationOptions } from './apple-schema.ts';

/**
 * Conformance validator for Apple MDM messages, driven by Apple's YAML (`mdm/checkin/*.yaml`,
 * `mdm/commands/*.yaml`, `mdm/errors/*.yaml`, vendored in test/fixtures/vendor-schemas) through
 * the engine of apple-schema.ts.
 *
 * The YAML describes each message's own keys only. The keys around them are written out below,
 * from Apple's documentation, and nothing else is:
 * - a command is `{CommandUUID, Command: {RequestType, …payloadkeys}}`
 *   (https://developer.apple.com/documentation/devicemanagement/sending-mdm-commands-to-a-device);
 * - a command response carries the enrollment keys, `CommandUUID`, `Status` and `ErrorChain`
 *   besides the command's `responsekeys` (every `…Response` page, e.g.
 *   https://developer.apple.com/documentation/devicemanagement/profilelistresponse).
 */
export interface AppleMdmSchema {
  requesttype: string;
  payloadkeys: readonly ApplePayloadKey[];
  responsekeys: readonly ApplePayloadKey[];
}
export type AppleMdmSchemas = ReadonlyMap<string, AppleMdmSchema>;

interface YamlDocument {
  payload?: { requesttype?: string };
  payloadkeys?: ApplePayloadKey[];
  responsekeys?: ApplePayloadKey[];
}

function readYaml(file: string, directory: URL): YamlDocument {
  return parseYaml(readFileSync(new URL(file, directory), 'utf8')) as YamlDocument;
}

/** Every check-in message and command description in `directory` (files with `payload.requesttype`), by request type. */
export function loadAppleMdmSchemas(directory: URL = appleSchemaDirectory): AppleMdmSchemas {
  const schemas = new Map<string, AppleMdmSchema>();
  for (const file of readdirSync(directory).filter((name) => name.endsWith('.yaml')).sort()) {
    const document = readYaml(file, directory);
    const requesttype = document.payload?.requesttype;
    if (requesttype) schemas.set(requesttype, { requesttype, payloadkeys: document.payloadkeys ?? [], responsekeys: document.responsekeys ?? [] });
  }
  for (const required of ['Authenticate', 'TokenUpdate', 'CheckOut', 'UserAuthenticate', 'InstallProfile', 'RemoveProfile', 'ProfileList']) {
    if (!schemas.has(required)) throw new Error(`Apple MDM schema ${required} not found in ${directory.pathname}`);
  }
  return schemas;
}

/** The keys of an error document such as `unrecognized.device.yaml`. */
export function loadAppleErrorKeys(file: string, directory: URL = appleSchemaDirectory): readonly ApplePayloadKey[] {
  return readYaml(file, directory).payloadkeys ?? [];
}

function schemaOf(schemas: AppleMdmSchemas, type: unknown): AppleMdmSchema | undefined {
  return typeof type === 'string' ? schemas.get(type) : undefined;
}

const unknownType = (path: string, type: unknown): SchemaViolation[] => [{ path, rule: 'rangelist', message: `no Apple schema for ${JSON.stringify(type)}` }];

/** A check-in message against its `mdm/checkin` YAML (selected by `MessageType`, which the YAML itself lists). */
export function validateAppleCheckin(schemas: AppleMdmSchemas, message: unknown, options: ValidationOptions = {}): SchemaViolation[] {
  const type = (message as { MessageType?: unknown } | null)?.MessageType;
  const schema = schemaOf(schemas, type);
  if (!schema || !schema.payloadkeys.some((key) => key.key === 'MessageType')) return unknownType('MessageType', type);
  return validateAppleKeys(message, schema.payloadkeys, options);
}

/** A command `{CommandUUID, Command: {RequestType, …}}` against its `mdm/commands` YAML. */
export function validateAppleCommand(schemas: AppleMdmSchemas, command: unknown, options: ValidationOptions = {}): SchemaViolation[] {
  const type = (command as { Command?: { RequestType?: unknown } } | null)?.Command?.RequestType;
  const schema = schemaOf(schemas, type);
  if (!schema) return unknownType('Command.RequestType', type);
  const keys: ApplePayloadKey[] = [
    { key: 'CommandUUID', type: '<string>', presence: 'required' },
    {
      key: 'Command',
      type: '<dictionary>',
      presence: 'required',
      subkeys: [{ key: 'RequestType', type: '<string>', presence: 'required', rangelist: [schema.requesttype] }, ...schema.payloadkeys],
    },
  ];
  return validateAppleKeys(command, keys, options);
}

const userChannelOnly = { iOS: { devicechannel: false }, macOS: { devicechannel: false } } as const;
const userEnrollment = (mode: 'forbidden' | 'required') => ({ iOS: { userenrollment: { mode } }, macOS: { userenrollment: { mode } }, visionOS: { userenrollment: { mode } } });

/** The keys every command response carries, as Apple's `…Response` pages list them. */
const responseKeys: readonly ApplePayloadKey[] = [
  { key: 'UDID', type: '<string>', presence: 'required', supportedOS: userEnrollment('forbidden') },
  { key: 'EnrollmentID', type: '<string>', presence: 'required', supportedOS: userEnrollment('required') },
  { key: 'UserID', type: '<string>', presence: 'optional', supportedOS: userChannelOnly },
  { key: 'UserShortName', type: '<string>', presence: 'optional', supportedOS: userChannelOnly },
  { key: 'UserLongName', type: '<string>', presence: 'optional', supportedOS: userChannelOnly },
  { key: 'EnrollmentUserID', type: '<string>', presence: 'optional', supportedOS: userChannelOnly },
  { key: 'NotOnConsole', type: '<boolean>', presence: 'optional', supportedOS: userChannelOnly },
  { key: 'CommandUUID', type: '<string>', presence: 'required' },
  { key: 'Status', type: '<string>', presence: 'required', rangelist: ['Acknowledged', 'Error', 'CommandFormatError', 'NotNow'] },
  {
    key: 'ErrorChain',
    type: '<array>',
    presence: 'optional',
    subkeys: [
      {
        key: 'ErrorChainItem',
        type: '<dictionary>',
        subkeys: [
          { key: 'ErrorCode', type: '<integer>', presence: 'required' },
          { key: 'ErrorDomain', type: '<string>', presence: 'required' },
          { key: 'LocalizedDescription', type: '<string>', presence: 'required' },
          { key: 'USEnglishDescription', type: '<string>', presence: 'optional' },
        ],
      },
    ],
  },
];

/**
 * A device's response to a command of `requestType`. With `Status` other than `Acknowledged` the
 * command's own response keys are optional (a failed ProfileList has no list).
 */
export function validateAppleCommandResponse(schemas: AppleMdmSchemas, requestType: string, response: unknown, options: ValidationOptions = {}): SchemaViolation[] {
  const schema = schemas.get(requestType);
  if (!schema) return unknownType('(request type)', requestType);
  const acknowledged = (response as { Status?: unknown } | null)?.Status === 'Acknowledged';
  const own = schema.responsekeys.map((key) => (acknowledged ? key : { ...key, presence: 'optional' as const }));
  return validateAppleKeys(response, [...responseKeys, ...own], options);
}

/**
 * The `Idle` poll: the enrollment keys and `Status` only (Apple: "Sending MDM commands to a device").
 */
export function validateAppleIdle(response: unknown, options: ValidationOptions = {}): SchemaViolation[] {
  const keys = responseKeys
    .filter((key) => key.key !== 'CommandUUID' && key.key !== 'ErrorChain')
    .map((key) => (key.key === 'Status' ? { ...key, rangelist: ['Idle'] } : key));
  return validateAppleKeys(response, keys, options);
}
