import type { IncomingHttpHeaders } from 'node:http';

/**
 * What became of one raw notification. WNS's diagnostics (`X-WNS-Msg-ID`, `X-WNS-Status`,
 * `X-WNS-Error-Description`, `X-WNS-Debug-Trace`) are kept for logs, as Microsoft asks.
 * - `sent`: WNS accepted it (which does not mean the PC got it).
 * - `retry`: throttled or a WNS/network failure; try again, not before `retryAfterMs` when given.
 * - `channelGone`: the channel URI expired or is unknown (410, 404); never push it again.
 * - `dropped`: retrying cannot help. `senderProblem` says it concerns Envelope's request or the
 *   app identity (bad or refused credentials, a token for another app, a malformed request) rather
 *   than this one device, so it is reported once for a batch, not per device.
 */
export type WnsPushOutcome =
  | ({ kind: 'sent'; status: number } & WnsDiagnostics)
  | ({ kind: 'retry'; status: number; reason: string; retryAfterMs?: number } & WnsDiagnostics)
  | ({ kind: 'channelGone'; status: number; reason: string } & WnsDiagnostics)
  | ({ kind: 'dropped'; status: number; reason: string; senderProblem: boolean } & WnsDiagnostics);

export interface WnsDiagnostics {
  msgId?: string;
  wnsStatus?: string;
  errorDescription?: string;
  debugTrace?: string;
}

/** Failures Envelope names itself (no WNS answer): status 0. */
export const localWnsReasons = {
  connectionError: 'ConnectionError',
  timeout: 'Timeout',
  /** The device's channel URI is not on WNS's hosts (see `WnsEndpoints`); nothing was sent. */
  channelUriRefused: 'ChannelUriRefused',
} as const;

/**
 * The outcome of a notification POST from its status and headers, as Microsoft documents them
 * ("Push notification service request and response headers", response codes, and "Troubleshooting
 * push notifications"): https://learn.microsoft.com/previous-versions/windows/apps/hh465435(v=win.10)
 *
 * - 200 → sent; but `X-WNS-Status: dropped` (WNS or the client explicitly rejected it) → dropped, and
 *   `X-WNS-Status: channelthrottled` → retry, after `X-WNS-CONTINUE-AFTER` seconds when given.
 * - 404 (channel URI not recognised), 410 (channel expired) → channelGone: "Do not send further
 *   notifications to this channel".
 * - 406 (Envelope exceeded its throttle limit), 429, 500, 503 and any other 5xx → retry, honouring
 *   `Retry-After` (seconds or an HTTP date).
 * - 400, 401 (after the one token refresh), 403 (token of another app than the channel's), 405, 413 →
 *   dropped as a sender problem. Any other status → dropped.
 */
export function wnsOutcomeOf(status: number, headers: IncomingHttpHeaders, now: number = Date.now()): WnsPushOutcome {
  const diagnostics = diagnosticsOf(headers);
  const wnsStatus = diagnostics.wnsStatus?.toLowerCase();
  if (wnsStatus === 'channelthrottled') {
    return withRetryAfter({ kind: 'retry', status, reason: 'ChannelThrottled', ...diagnostics }, headerValue(headers, 'x-wns-continue-after') ?? headerValue(headers, 'retry-after'), now);
  }
  if (status >= 200 && status < 300) {
    return wnsStatus === 'dropped' ? { kind: 'dropped', status, reason: 'Dropped', senderProblem: false, ...diagnostics } : { kind: 'sent', status, ...diagnostics };
  }
  const reason = statusReasons[status] ?? `HTTP${status}`;
  if (status === 404 || status === 410) return { kind: 'channelGone', status, reason, ...diagnostics };
  if (status === 406 || status === 429 || status >= 500) {
    return withRetryAfter({ kind: 'retry', status, reason, ...diagnostics }, headerValue(headers, 'retry-after'), now);
  }
  return { kind: 'dropped', status, reason, senderProblem: senderProblemStatuses.has(status), ...diagnostics };
}

const statusReasons: Readonly<Record<number, string>> = {
  400: 'BadRequest',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'ChannelNotFound',
  405: 'MethodNotAllowed',
  406: 'NotAcceptable',
  410: 'ChannelExpired',
  413: 'PayloadTooLarge',
  429: 'TooManyRequests',
  500: 'InternalServerError',
  503: 'ServiceUnavailable',
};

const senderProblemStatuses: ReadonlySet<number> = new Set([400, 401, 403, 405, 413]);

/**
 * Milliseconds to wait from a `Retry-After` value: delay-seconds or an HTTP date (RFC 9110 §10.2.3);
 * undefined when absent or unreadable, never negative.
 */
export function retryAfterMs(value: string | undefined, now: number = Date.now()): number | undefined {
  if (value === undefined) return undefined;
  const text = value.trim();
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  // An HTTP date names its weekday and month (`Fri, 01 May 2026 12:00:30 GMT`); Date.parse alone takes '-5'.
  const at = /^[a-z]{3},/i.test(text) ? Date.parse(text) : Number.NaN;
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

function withRetryAfter(outcome: WnsPushOutcome & { kind: 'retry' }, value: string | undefined, now: number): WnsPushOutcome {
  const ms = retryAfterMs(value, now);
  return ms === undefined ? outcome : { ...outcome, retryAfterMs: ms };
}

function diagnosticsOf(headers: IncomingHttpHeaders): WnsDiagnostics {
  const diagnostics: WnsDiagnostics = {};
  const msgId = headerValue(headers, 'x-wns-msg-id');
  const wnsStatus = headerValue(headers, 'x-wns-status');
  const errorDescription = headerValue(headers, 'x-wns-error-description');
  const debugTrace = headerValue(headers, 'x-wns-debug-trace');
  if (msgId !== undefined) diagnostics.msgId = msgId;
  if (wnsStatus !== undefined) diagnostics.wnsStatus = wnsStatus;
  if (errorDescription !== undefined) diagnostics.errorDescription = errorDescription;
  if (debugTrace !== undefined) diagnostics.debugTrace = debugTrace;
  return diagnostics;
}

/** A header's value (the first, when repeated), cut to 256 characters: it ends up in logs. */
function headerValue(headers: IncomingHttpHeaders, name: string): string | undefined {
  const raw = headers[name];
  const value = Array.isArray(raw) ? raw[0] : raw;
  return value === undefined ? undefined : value.slice(0, 256);
}
