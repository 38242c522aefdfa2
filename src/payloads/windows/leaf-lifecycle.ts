/**
 * What the ActiveSync CSP lets a server do to a leaf of a live account. The 2024 DDF lists Add,
 * Delete, Get and Replace on every leaf, but the 2017 CSP doc, which carries the per-operation notes
 * real devices follow, is narrower; where they differ the narrower rule wins:
 * - `AccountType` (Get, Add) "cannot be modified once entered";
 * - `UserName` (Get, Add) "cannot be changed after a sync has been successfully performed";
 * - most other leaves: Get, Replace, and Add only at creation ("cannot Add after the account is
 *   created"), so a leaf that appears later is written with `Replace`;
 * - `Domain` (and `Password`, never sent): Get, Replace, Add, Delete at any time;
 * - `Options/Schedule`, `Options/MailAgeFilter`: Get and Replace only, and they always exist with a
 *   device default, so "no longer managed" is a `Replace` back to that default, not a `Delete`.
 * https://learn.microsoft.com/windows/client-management/mdm/activesync-csp (2017 revision)
 */

/** Device defaults (DDF `DefaultValue`) of leaves that exist on every account. */
export const leafDefaults: Readonly<Record<string, string>> = {
  'Options/MailAgeFilter': '3',
  'Options/Schedule': '-1',
};

/** Leaves that may be added to, or deleted from, an existing account. */
const optionalLeaves: ReadonlySet<string> = new Set(['Domain']);

export function isAddableAfterCreation(path: string): boolean {
  return optionalLeaves.has(path);
}

/**
 * Whether changing, adding or removing this leaf requires deleting the account and creating it
 * again under a new GUID. `hasSynced`: the device reported a successful sync of this account.
 */
export function requiresRecreate(path: string, hasSynced: boolean): boolean {
  return path === 'AccountType' || (hasSynced && path === 'UserName');
}

/**
 * Leaves Envelope must never send: the password (the user types it on the device; SPEC §3) and
 * content-type `Name` (fails provisioning inside `Atomic`). Checked where commands are built, so no
 * caller can slip one through.
 */
export function assertDeliverableLeaf(path: string): void {
  if (path === 'Password' || /^Options\/ContentTypes\/[^/]+\/Name$/.test(path)) {
    throw new TypeError(`The ActiveSync leaf '${path}' is never delivered.`);
  }
}
