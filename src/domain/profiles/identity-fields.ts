import type { ProfileDraft } from './profile.ts';
import { isEmailProfileType } from './profile-types.ts';

/**
 * The identity fields of an email profile that changed between two versions. Changing them on a deployed
 * profile would leave the old account behind (the account is keyed by host and address on the device), so
 * the service refuses such a PATCH and offers replace instead. `hostName` compares case-insensitively; a
 * null `emailAddressSource` (Windows Phone) means the UPN. Certificate profiles have none.
 */
export function changedIdentityFields(before: ProfileDraft, after: ProfileDraft): string[] {
  if (!isEmailProfileType(after.odataType)) return [];
  const changed: string[] = [];
  const host = (draft: ProfileDraft) => String(draft.settings.hostName ?? '').toLowerCase();
  const address = (draft: ProfileDraft) => draft.settings.emailAddressSource ?? 'userPrincipalName';
  if (host(before) !== host(after)) changed.push('hostName');
  if (address(before) !== address(after)) changed.push('emailAddressSource');
  return changed;
}
