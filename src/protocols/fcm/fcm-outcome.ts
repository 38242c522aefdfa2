import type { IncomingHttpHeaders } from 'node:http';

/**
 * What one FCM send came to:
 * - `sent`: 200 with the message `name`;
 * - `tokenGone`: the registration token is dead (404 `UNREGISTERED`): forget it;
 * - `unauthorized`: 401 — the access token was refused; the client gets a new one once;
 * - `retry`: throttled (429 `RESOURCE_EXHAUSTED`/`QUOTA_EXCEEDED`, honouring `Retry-After`) or FCM
 *   failing (500 `INTERNAL`, 503 `UNAVAILABLE`), or the connection;
 * - `dropped`: retrying cannot help; `senderProblem` when it is the tenant's credentials or project
 *   (403 `SENDER_ID_MISMATCH`/`PERMISSION_DENIED`, 401 after a fresh token), not the device.
 * Google: https://firebase.google.com/docs/reference/fcm/rest/v1/ErrorCode
 */
export type FcmPushOutcome =
  | { kind: 'sent'; status: 200; name: string }
  | { kind: 'tokenGone'; status: number; reason: string }
  | { kind: 'unauthorized'; status: 401; reason: string }
  | { kind: 'retry'; status: number; reason: string; retryAfterMs?: number }
  | { kind: 'dropped'; status: number; reason: string; senderProblem: boolean };

/** Maps an FCM HTTP v1 answer to its outcome. */
export function fcmOutcomeOf(status: number, headers: IncomingHttpHeaders, body: string, nowMs: number): FcmPushOutcome {
  const json = parseJson(body);
  if (status === 200) {
    const name = typeof json?.name === 'string' ? json.name : '';
    return { kind: 'sent', status, name };
  }
  const error = typeof json?.error === 'object' && json.error !== null ? (json.error as Record<string, unknown>) : {};
  const details = Array.isArray(error.details) ? (error.details as Record<string, unknown>[]) : [];
  const errorCode = details.map((d) => d?.errorCode).find((c): c is string => typeof c === 'string');
  const reason = (errorCode ?? (typeof error.status === 'string' ? error.status : `HTTP${status}`)).slice(0, 64);
  if (status === 404 || reason === 'UNREGISTERED') return { kind: 'tokenGone', status, reason };
  if (status === 401) return { kind: 'unauthorized', status, reason };
  if (status === 429 || status >= 500) {
    const retryAfterMs = retryAfterOf(headers['retry-after'], nowMs);
    return { kind: 'retry', status, reason, ...(retryAfterMs === undefined ? {} : { retryAfterMs }) };
  }
  return { kind: 'dropped', status, reason, senderProblem: status === 403 || reason === 'SENDER_ID_MISMATCH' || reason === 'THIRD_PARTY_AUTH_ERROR' };
}

/** `Retry-After` as milliseconds: delta-seconds or an HTTP date; undefined when absent or unreadable. */
export function retryAfterOf(value: string | string[] | undefined, nowMs: number): number | undefined {
  const text = Array.isArray(value) ? value[0] : value;
  if (text === undefined || text.trim() === '') return undefined;
  if (/^\d{1,7}$/.test(text.trim())) return Number(text.trim()) * 1000;
  const date = Date.parse(text);
  return Number.isNaN(date) ? undefined : Math.max(0, date - nowMs);
}

function parseJson(body: string): Record<string, unknown> | null {
  try {
    const value: unknown = JSON.parse(body);
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}
