/**
 * Graph flags enums (`easServices`, `keyUsage`, `subjectAlternativeNameType`, `hashAlgorithm`) travel as a
 * comma-joined list of member names, e.g. `"calendars,contacts,email"`. Kiota SDKs renumber flags
 * internally, so Envelope never stores numbers: it stores the canonical string built here.
 */

/**
 * A pattern that accepts any comma-separated list of `members` (any order, spaces allowed around commas).
 * Used in the schemas so the OpenAPI document states the syntax; unknown names are reported by
 * `unknownFlagNames` with a precise message.
 */
export function flagsPattern(members: readonly string[]): string {
  const name = `(?:${members.join('|')})`;
  return `^\\s*${name}(?:\\s*,\\s*${name})*\\s*$`;
}

/** The names in `value` that are not members, in order of appearance (empty names included as ''). */
export function unknownFlagNames(value: string, members: readonly string[]): string[] {
  return splitFlags(value).filter((name) => !members.includes(name));
}

/**
 * The canonical form: known names deduplicated and sorted by member order (= flag value), `none` dropped
 * when combined with other flags (its value is 0). `'contacts, calendars,email'` → `'calendars,contacts,email'`.
 * Precondition: every name is a member (check with `unknownFlagNames` first).
 */
export function canonicalFlags(value: string, members: readonly string[]): string {
  const present = new Set(splitFlags(value));
  const ordered = members.filter((member) => present.has(member));
  const withoutNone = ordered.filter((member) => member !== 'none');
  return (withoutNone.length > 0 ? withoutNone : ordered).join(',');
}

/** The member names set in a canonical (or any valid) flags string; `'none'` yields `[]`. */
export function flagNames<T extends string>(value: string, members: readonly T[]): T[] {
  const present = new Set(splitFlags(value));
  return members.filter((member) => member !== 'none' && present.has(member));
}

function splitFlags(value: string): string[] {
  return value.split(',').map((name) => name.trim());
}
