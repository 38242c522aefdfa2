/**
 * APNs failure reasons and which of them are worth retrying.
 * Apple: https://developer.apple.com/documentation/usernotifications/handling-notification-responses-from-apns
 * ("Don't retry notification responses with the error code BadDeviceToken, DeviceTokenNotForTopic,
 * Forbidden, ExpiredToken, Unregistered, or PayloadTooLarge"; 5xx may be retried with back-off).
 * Fleet's `server/mdm/apple/apns_errors.go` adds the certificate and topic reasons.
 */

/** Reasons retrying cannot fix: a dead or foreign token, or a certificate/topic problem. */
export const permanentApnsReasons: ReadonlySet<string> = new Set([
  'BadDeviceToken',
  'DeviceTokenNotForTopic',
  'ExpiredToken',
  'Unregistered',
  'BadCertificate',
  'BadCertificateEnvironment',
  'Forbidden',
  'BadTopic',
  'TopicDisallowed',
  'MissingTopic',
  'PayloadTooLarge',
]);

/** Local reasons, for failures APNs did not answer (`status` 0). */
export const localReasons = {
  /** The connection could not be made or broke before the answer; retryable. */
  connectionError: 'ConnectionError',
  /** No answer within the request timeout; retryable. */
  timeout: 'Timeout',
  /** The retrying pusher's breaker is open; not sent, retryable after `retryAfter`. */
  circuitOpen: 'CircuitOpen',
} as const;

/**
 * Whether a failure with this HTTP status and reason is permanent. Listed reasons always are. Otherwise
 * 429, 5xx and status 0 (no answer) are transient; any other 4xx is permanent, because Apple's 4xx
 * reasons (`BadPath`, `BadPriority`, `MethodNotAllowed`, …) describe the request, which a resend repeats
 * unchanged — except `IdleTimeout`, which APNs sends when it closes an idle connection.
 */
export function isPermanentApnsFailure(status: number, reason: string): boolean {
  if (permanentApnsReasons.has(reason)) return true;
  if (status === 0 || status === 429 || status >= 500) return false;
  return reason !== 'IdleTimeout';
}

/** The reason APNs names when its JSON body is missing or unreadable, by status (Apple's table). */
export function fallbackReason(status: number): string {
  switch (status) {
    case 403:
      return 'Forbidden';
    case 404:
      return 'BadPath';
    case 405:
      return 'MethodNotAllowed';
    case 410:
      return 'Unregistered';
    case 413:
      return 'PayloadTooLarge';
    case 429:
      return 'TooManyRequests';
    case 500:
      return 'InternalServerError';
    case 503:
      return 'ServiceUnavailable';
    default:
      return `HTTP${status}`;
  }
}
