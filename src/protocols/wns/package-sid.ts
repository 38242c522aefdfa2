/**
 * The scheme WNS wants in front of a Package SID when it is the OAuth `client_id`: Partner Center shows
 * the bare `S-1-15-2-…`, the token request sends `ms-app://S-1-15-2-…`.
 * Microsoft: https://learn.microsoft.com/windows/apps/design/shell/tiles-and-notifications/windows-push-notification-services--wns--overview#authenticating-your-cloud-service
 */
export const packageSidScheme = 'ms-app://';

/**
 * An app container SID is `S-1-15-2-` followed by sub-authorities (seven for Store apps); at most 15
 * sub-authorities of up to 10 digits each, as a SID allows. Migration 0009 checks the same shape.
 */
const packageSidPattern = /^(?:ms-app:\/\/)?S-1-15-2((?:-\d{1,10}){1,15})$/i;

/**
 * The Package SID in its `client_id` form (`ms-app://S-1-15-2-…`), from either form an admin may
 * paste (with or without the scheme, surrounding blanks ignored); null when it is not a Package SID.
 */
export function normalizePackageSid(text: string): string | null {
  const match = packageSidPattern.exec(text.trim());
  return match === null ? null : `${packageSidScheme}S-1-15-2${match[1]}`;
}
