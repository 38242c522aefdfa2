import { readdirSync, readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';

/**
 * Conformance validator for Apple configuration profiles, driven by Apple's own payload
 * descriptions (`apple/device-management`, `mdm/profiles/*.yaml`, format in `docs/schema.yaml`),
 * read at test time — no key list is copied by hand.
 *
 * Checks, with a path for every violation: known keys only (the payload's `payloadkeys` plus
 * `CommonPayloadKeys` for inner payloads, `TopLevel` for the envelope), value types, `rangelist`,
 * `range`, `format` (regex), `subtype`, `presence: required`, nested `subkeys` of dictionaries and
 * arrays (with `repetition` bounds), and per-OS availability (`introduced: n/a`, `deprecated`).
 * Values are the JS values a plist parser yields: string, number, boolean, Date, Uint8Array,
 * array, plain object.
 *
 * The same engine validates MDM messages (`mdm/checkin/*.yaml`, `mdm/commands/*.yaml`): there a
 * key's presence depends on the enrollment (User Enrollment forbids `UDID` and requires
 * `EnrollmentID`), the channel (`devicechannel: false`) and Shared iPad (`sharedipad.mode`), so
 * a key is required only where it applies, and a key used where it cannot apply is `forbidden`.
 */

export const appleSchemaDirectory = new URL('../fixtures/vendor-schemas/apple-device-management/', import.meta.url);

type Os = 'iOS' | 'macOS' | 'tvOS' | 'visionOS' | 'watchOS';
type UsageMode = 'allowed' | 'required' | 'forbidden' | 'ignored';
interface OsSupport {
  introduced?: string;
  deprecated?: string;
  removed?: string;
  devicechannel?: boolean;
  userchannel?: boolean;
  sharedipad?: { mode?: UsageMode };
  userenrollment?: { mode?: UsageMode };
}
export interface ApplePayloadKey {
  key: string;
  type: string;
  presence?: 'required' | 'optional';
  rangelist?: ReadonlyArray<string | number>;
  range?: { min?: number; max?: number };
  format?: string;
  subtype?: '<url>' | '<hostname>' | '<email>';
  repetition?: { min: number; max: number };
  supportedOS?: Partial<Record<Os, OsSupport>>;
  subkeys?: readonly ApplePayloadKey[];
}
export interface ApplePayloadSchema {
  payloadtype: string;
  supportedOS?: Partial<Record<Os, OsSupport>>;
  payloadkeys: readonly ApplePayloadKey[];
}
export type ApplePayloadSchemas = ReadonlyMap<string, ApplePayloadSchema>;

export type ViolationRule =
  | 'unknown-payload-type'
  | 'unknown-key'
  | 'required'
  | 'type'
  | 'rangelist'
  | 'range'
  | 'format'
  | 'subtype'
  | 'repetition'
  | 'unsupported-os'
  | 'forbidden'
  | 'deprecated';
export interface SchemaViolation {
  path: string;
  rule: ViolationRule;
  message: string;
}
export interface ValidationOptions {
  /** The platform the profile is for: keys and payloads marked `introduced: n/a` there are violations. Default iOS. */
  os?: Os;
  /** Accept keys deprecated on `os` (default: deprecated keys are violations — new profiles should not use them). */
  allowDeprecated?: boolean;
  /** `user-enrollment` for Apple's User Enrollment (BYOD); default `device`. */
  enrollment?: 'device' | 'user-enrollment';
  /** The MDM channel a message travels on; default `device`. */
  channel?: 'device' | 'user';
  /** Whether the device is a Shared iPad; default false. */
  sharedIpad?: boolean;
}

/** Loads every profile payload description in `directory` (files with `payload.payloadtype`), by payload type. */
export function loadApplePayloadSchemas(directory: URL = appleSchemaDirectory): ApplePayloadSchemas {
  const schemas = new Map<string, ApplePayloadSchema>();
  for (const file of readdirSync(directory).filter((name) => name.endsWith('.yaml')).sort()) {
    const document = parseYaml(readFileSync(new URL(file, directory), 'utf8')) as {
      payload?: { payloadtype?: string; supportedOS?: ApplePayloadSchema['supportedOS'] };
      payloadkeys?: ApplePayloadKey[];
    };
    const payloadtype = document.payload?.payloadtype;
    if (payloadtype && document.payloadkeys) {
      schemas.set(payloadtype, { payloadtype, supportedOS: document.payload?.supportedOS, payloadkeys: document.payloadkeys });
    }
  }
  for (const required of ['TopLevel', 'CommonPayloadKeys']) {
    if (!schemas.has(required)) throw new Error(`Apple schema ${required} not found in ${directory.pathname}`);
  }
  return schemas;
}

/** Validates a whole profile: the `TopLevel` envelope and each `PayloadContent` item against its own type. */
export function validateAppleProfile(schemas: ApplePayloadSchemas, profile: unknown, options: ValidationOptions = {}): SchemaViolation[] {
  const context = new Context(options);
  const topLevel = schemas.get('TopLevel') as ApplePayloadSchema;
  context.dictionary(profile, topLevel.payloadkeys, '');
  if (isDictionary(profile) && Array.isArray(profile.PayloadContent)) {
    profile.PayloadContent.forEach((item, index) => validateInner(schemas, item, `PayloadContent[${index}]`, context));
  }
  return context.violations;
}

/** Validates one inner payload dictionary (selected by its `PayloadType`) plus the common payload keys. */
export function validateApplePayload(schemas: ApplePayloadSchemas, payload: unknown, options: ValidationOptions = {}): SchemaViolation[] {
  const context = new Context(options);
  validateInner(schemas, payload, '', context);
  return context.violations;
}

/** Validates a dictionary against a list of Apple key descriptions (MDM messages; see apple-mdm-schema.ts). */
export function validateAppleKeys(value: unknown, keys: readonly ApplePayloadKey[], options: ValidationOptions = {}): SchemaViolation[] {
  const context = new Context(options);
  context.dictionary(value, keys, '');
  return context.violations;
}

function validateInner(schemas: ApplePayloadSchemas, payload: unknown, path: string, context: Context): void {
  const type = isDictionary(payload) ? payload.PayloadType : undefined;
  const schema = typeof type === 'string' ? schemas.get(type) : undefined;
  if (!schema || type === 'TopLevel' || type === 'CommonPayloadKeys') {
    context.report(path, 'unknown-payload-type', `no Apple payload schema for PayloadType ${JSON.stringify(type)}`);
    return;
  }
  if (schema.supportedOS?.[context.os]?.introduced === 'n/a') {
    context.report(path, 'unsupported-os', `${type} is not available on ${context.os}`);
  }
  const common = (schemas.get('CommonPayloadKeys') as ApplePayloadSchema).payloadkeys;
  const own = new Set(schema.payloadkeys.map((k) => k.key));
  context.dictionary(payload, [...common.filter((k) => !own.has(k.key)), ...schema.payloadkeys], path);
}

class Context {
  readonly violations: SchemaViolation[] = [];
  readonly os: Os;
  private readonly allowDeprecated: boolean;
  private readonly userEnrollment: boolean;
  private readonly userChannel: boolean;
  private readonly sharedIpad: boolean;

  constructor(options: ValidationOptions) {
    this.os = options.os ?? 'iOS';
    this.allowDeprecated = options.allowDeprecated ?? false;
    this.userEnrollment = options.enrollment === 'user-enrollment';
    this.userChannel = options.channel === 'user';
    this.sharedIpad = options.sharedIpad ?? false;
  }

  /** Why `spec` cannot be used in this context (enrollment, channel, Shared iPad), or undefined. */
  exclusion(spec: ApplePayloadKey): string | undefined {
    const support = spec.supportedOS?.[this.os];
    const userEnrollment = support?.userenrollment?.mode;
    if (userEnrollment === 'forbidden' && this.userEnrollment) return 'is forbidden under User Enrollment';
    if (userEnrollment === 'required' && !this.userEnrollment) return 'is used only under User Enrollment';
    if (support?.devicechannel === false && !this.userChannel) return 'is not used on the device channel';
    if (support?.userchannel === false && this.userChannel) return 'is not used on the user channel';
    if (support?.sharedipad?.mode === 'required' && !this.sharedIpad) return 'is used only on Shared iPad';
    if (support?.sharedipad?.mode === 'forbidden' && this.sharedIpad) return 'is forbidden on Shared iPad';
    return undefined;
  }

  /** `presence: required`, and the key exists on this OS and applies in this context. */
  isRequired(spec: ApplePayloadKey): boolean {
    return spec.presence === 'required' && spec.supportedOS?.[this.os]?.introduced !== 'n/a' && this.exclusion(spec) === undefined;
  }

  report(path: string, rule: ViolationRule, message: string): void {
    this.violations.push({ path: path || '(root)', rule, message });
  }

  /** A dictionary whose keys are exactly described by `keys` (or, with a single `ANY` key, free). */
  dictionary(value: unknown, keys: readonly ApplePayloadKey[], path: string): void {
    if (!isDictionary(value)) {
      this.report(path, 'type', `expected <dictionary>, got ${describe(value)}`);
      return;
    }
    const any = keys.length === 1 && keys[0]?.key === 'ANY' ? keys[0] : undefined;
    if (any) {
      for (const [name, entry] of Object.entries(value)) this.value(entry, any, join(path, name));
      return;
    }
    const byName = new Map(keys.map((k) => [k.key, k]));
    for (const [name, entry] of Object.entries(value)) {
      const spec = byName.get(name);
      if (spec) this.value(entry, spec, join(path, name));
      else this.report(join(path, name), 'unknown-key', `'${name}' is not a key of this dictionary`);
    }
    for (const spec of keys) {
      if (this.isRequired(spec) && !Object.hasOwn(value, spec.key)) {
        this.report(join(path, spec.key), 'required', `required key '${spec.key}' is missing`);
      }
    }
  }

  value(value: unknown, spec: ApplePayloadKey, path: string): void {
    const support = spec.supportedOS?.[this.os];
    if (support?.introduced === 'n/a') this.report(path, 'unsupported-os', `'${spec.key}' is not available on ${this.os}`);
    const exclusion = this.exclusion(spec);
    if (exclusion) this.report(path, 'forbidden', `'${spec.key}' ${exclusion}`);
    if (support?.deprecated && !this.allowDeprecated) {
      this.report(path, 'deprecated', `'${spec.key}' is deprecated on ${this.os} since ${support.deprecated}`);
    }
    if (!hasType(value, spec.type)) {
      this.report(path, 'type', `expected ${spec.type}, got ${describe(value)}`);
      return;
    }
    if (spec.rangelist && !spec.rangelist.includes(value as string | number)) {
      this.report(path, 'rangelist', `${JSON.stringify(value)} is not one of ${JSON.stringify(spec.rangelist)}`);
    }
    if (spec.range && typeof value === 'number') {
      const { min, max } = spec.range;
      if ((min !== undefined && value < min) || (max !== undefined && value > max)) {
        this.report(path, 'range', `${value} is outside [${min ?? '-∞'}, ${max ?? '∞'}]`);
      }
    }
    if (typeof value === 'string') this.string(value, spec, path);
    if (spec.type === '<dictionary>' && spec.subkeys) this.dictionary(value, spec.subkeys, path);
    if (spec.type === '<array>' && spec.subkeys?.[0]) this.array(value as unknown[], spec.subkeys[0], path);
  }

  private string(value: string, spec: ApplePayloadKey, path: string): void {
    if (spec.format && !new RegExp(spec.format).test(value)) {
      this.report(path, 'format', `${JSON.stringify(value)} does not match ${spec.format}`);
    }
    if (spec.subtype && !subtypeChecks[spec.subtype](value)) {
      this.report(path, 'subtype', `${JSON.stringify(value)} is not a valid ${spec.subtype}`);
    }
  }

  private array(items: readonly unknown[], item: ApplePayloadKey, path: string): void {
    const repetition = item.repetition;
    if (repetition && (items.length < repetition.min || items.length > repetition.max)) {
      this.report(path, 'repetition', `expected ${repetition.min}..${repetition.max} items, got ${items.length}`);
    }
    items.forEach((entry, index) => this.value(entry, item, `${path}[${index}]`));
  }
}

const subtypeChecks: Readonly<Record<NonNullable<ApplePayloadKey['subtype']>, (value: string) => boolean>> = {
  '<url>': (value) => URL.canParse(value),
  '<hostname>': (value) => /^(?=.{1,253}$)[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/.test(value),
  '<email>': (value) => /^[^@\s]+@[^@\s]+$/.test(value),
};

function hasType(value: unknown, type: string): boolean {
  switch (type) {
    case '<string>':
      return typeof value === 'string';
    case '<integer>':
      return Number.isSafeInteger(value);
    case '<real>':
      return typeof value === 'number' && Number.isFinite(value);
    case '<boolean>':
      return typeof value === 'boolean';
    case '<date>':
      return value instanceof Date && !Number.isNaN(value.getTime());
    case '<data>':
      return value instanceof Uint8Array;
    case '<array>':
      return Array.isArray(value);
    case '<dictionary>':
      return isDictionary(value);
    case '<any>':
      return true;
    default:
      throw new Error(`unknown Apple schema type ${type}`);
  }
}

function isDictionary(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof Uint8Array) && !(value instanceof Date);
}

function describe(value: unknown): string {
  if (Array.isArray(value)) return 'an array';
  if (value instanceof Uint8Array) return 'data';
  if (value instanceof Date) return 'a date';
  if (value === null) return 'null';
  return `${typeof value} ${JSON.stringify(value)}`;
}

function join(path: string, key: string): string {
  return path === '' ? key : `${path}.${key}`;
}
