/**
 * The WNS app identity: the Package SID in its `client_id` form (`ms-app://S-1-15-2-…`, see
 * `normalizePackageSid`) and the client secret from Partner Center.
 */
export interface WnsCredentials {
  packageSid: string;
  clientSecret: string;
}

/** The scope of a token that may send notifications to Windows channels. */
export const wnsScope = 'notify.windows.com';

/**
 * The body of the OAuth 2.0 client-credentials request, form-encoded (`application/x-www-form-urlencoded`)
 * with every parameter URL-encoded: `grant_type=client_credentials`, `client_id`, `client_secret`,
 * `scope=notify.windows.com`.
 * Microsoft: https://learn.microsoft.com/previous-versions/windows/apps/hh465435(v=win.10) ("Access token request parameters")
 */
export function accessTokenRequestBody(credentials: WnsCredentials): string {
  return new URLSearchParams({
    grant_type: 'client_credentials',
    client_id: credentials.packageSid,
    client_secret: credentials.clientSecret,
    scope: wnsScope,
  }).toString();
}

/** Lifetime assumed when the answer names none (Microsoft's example says 86400 s). */
const defaultLifetimeSeconds = 86_400;

/**
 * A token answer: 200 with `{"access_token", "token_type": "bearer", "expires_in"?}`, or an OAuth error
 * (RFC 6749 §5.2: 400 with `{"error": "invalid_client" | "invalid_request" | …, "error_description"?}`).
 * `retryable` is true for answers that say nothing about the credentials (429, 5xx, an unreadable 200).
 */
export type AccessTokenAnswer =
  | { ok: true; accessToken: string; expiresInSeconds: number }
  | { ok: false; status: number; error: string; description?: string; retryable: boolean };

export function parseAccessTokenAnswer(status: number, body: string): AccessTokenAnswer {
  const json = parseJsonObject(body);
  if (status === 200) {
    const token = json?.access_token;
    if (typeof token !== 'string' || token === '' || (json?.token_type !== undefined && String(json.token_type).toLowerCase() !== 'bearer')) {
      return { ok: false, status, error: 'invalid_token_response', description: 'the answer holds no bearer access_token', retryable: true };
    }
    const expiresIn = Number(json?.expires_in);
    return { ok: true, accessToken: token, expiresInSeconds: Number.isFinite(expiresIn) && expiresIn > 0 ? expiresIn : defaultLifetimeSeconds };
  }
  const error = typeof json?.error === 'string' ? json.error.slice(0, 64) : `HTTP${status}`;
  const answer: AccessTokenAnswer = { ok: false, status, error, retryable: status === 429 || status >= 500 };
  if (typeof json?.error_description === 'string') answer.description = json.error_description.slice(0, 256);
  return answer;
}

/**
 * How long a token is used: until `refreshMarginMs` before it expires, or for half its life when it
 * is shorter than twice the margin — never so close to expiry that a push races it.
 */
export function tokenUsableForMs(expiresInSeconds: number, refreshMarginMs: number): number {
  const lifetimeMs = expiresInSeconds * 1000;
  return lifetimeMs > 2 * refreshMarginMs ? lifetimeMs - refreshMarginMs : lifetimeMs / 2;
}

function parseJsonObject(body: string): Record<string, unknown> | null {
  try {
    const value: unknown = JSON.parse(body);
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}
