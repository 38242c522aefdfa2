import { MdmDecodeError } from './mdm-decode-error.ts';
import type { PlistDictionary } from './plist-body.ts';

/**
 * Typed reads of one property-list dictionary, each failure a `MdmDecodeError` naming the key's
 * full path (`ProfileList[2].PayloadContent[0].PayloadType`). Only own keys count. Required
 * strings must be non-empty: an empty `UDID` or `CommandUUID` identifies nothing. Keys a reader
 * does not ask for are ignored — devices add undocumented keys (macOS sends `Challenge` in
 * `Authenticate`), and refusing them would break enrollment for no gain.
 */
export class PlistFields {
  readonly dictionary: PlistDictionary;
  readonly path: string;

  constructor(dictionary: PlistDictionary, path = '') {
    this.dictionary = dictionary;
    this.path = path;
  }

  /** The reader for the dictionary at `value`, which must be one (`path` names it in errors). */
  static of(value: unknown, path: string): PlistFields {
    if (!isPlistDictionary(value)) throw new MdmDecodeError('invalid-field', `${path} must be a dictionary`, path);
    return new PlistFields(value, path);
  }

  pathOf(key: string): string {
    return this.path === '' ? key : `${this.path}.${key}`;
  }

  has(key: string): boolean {
    return Object.hasOwn(this.dictionary, key);
  }

  string(key: string): string {
    const value = this.optionalString(key);
    if (value === undefined) throw this.missing(key);
    if (value === '') throw this.invalid(key, 'must not be empty');
    return value;
  }

  /** A required `<string>` that may be empty (descriptions, display names). */
  stringAllowingEmpty(key: string): string {
    const value = this.optionalString(key);
    if (value === undefined) throw this.missing(key);
    return value;
  }

  optionalString(key: string): string | undefined {
    return this.optional(key, (value) => typeof value === 'string', 'a <string>') as string | undefined;
  }

  optionalBoolean(key: string): boolean | undefined {
    return this.optional(key, (value) => typeof value === 'boolean', 'a boolean') as boolean | undefined;
  }

  integer(key: string): number {
    const value = this.optionalInteger(key);
    if (value === undefined) throw this.missing(key);
    return value;
  }

  optionalInteger(key: string): number | undefined {
    return this.optional(key, (value) => Number.isSafeInteger(value), 'an <integer>') as number | undefined;
  }

  data(key: string): Uint8Array {
    const value = this.optionalData(key);
    if (value === undefined) throw this.missing(key);
    if (value.byteLength === 0) throw this.invalid(key, 'must not be empty');
    return value;
  }

  optionalData(key: string): Uint8Array | undefined {
    return this.optional(key, (value) => value instanceof Uint8Array, '<data>') as Uint8Array | undefined;
  }

  array(key: string): readonly unknown[] {
    const value = this.optionalArray(key);
    if (value === undefined) throw this.missing(key);
    return value;
  }

  optionalArray(key: string): readonly unknown[] | undefined {
    return this.optional(key, Array.isArray, 'an <array>') as unknown[] | undefined;
  }

  /** The present ones among optional `<string>` keys, under their own names. */
  optionalStrings<K extends string>(keys: readonly K[]): Partial<Record<K, string>> {
    const result: Partial<Record<K, string>> = {};
    for (const key of keys) {
      const value = this.optionalString(key);
      if (value !== undefined) result[key] = value;
    }
    return result;
  }

  /** Reads every item of an optional array with `read`, passing each item's path. */
  optionalArrayOf<T>(key: string, read: (item: unknown, path: string) => T): T[] | undefined {
    return this.optionalArray(key)?.map((item, index) => read(item, `${this.pathOf(key)}[${index}]`));
  }

  /** An optional `<array>` of `<data>` (certificates). */
  optionalDataArray(key: string): Uint8Array[] | undefined {
    return this.optionalArrayOf(key, (item, path) => {
      if (!(item instanceof Uint8Array)) throw new MdmDecodeError('invalid-field', `${path} must be <data>`, path);
      return item;
    });
  }

  missing(key: string): MdmDecodeError {
    return new MdmDecodeError('missing-field', `${this.pathOf(key)} is required`, this.pathOf(key));
  }

  invalid(key: string, problem: string): MdmDecodeError {
    return new MdmDecodeError('invalid-field', `${this.pathOf(key)} ${problem}`, this.pathOf(key));
  }

  private optional(key: string, test: (value: unknown) => boolean, expected: string): unknown {
    if (!this.has(key)) return undefined;
    const value = this.dictionary[key];
    if (!test(value)) throw this.invalid(key, `must be ${expected}`);
    return value;
  }
}

export function isPlistDictionary(value: unknown): value is PlistDictionary {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof Uint8Array) && !(value instanceof Date);
}

/** `values` without its `undefined` entries, so decoded objects carry only keys the device sent. */
export function definedOnly<T extends Record<string, unknown>>(values: T): Partial<T> {
  return Object.fromEntries(Object.entries(values).filter(([, value]) => value !== undefined)) as Partial<T>;
}
