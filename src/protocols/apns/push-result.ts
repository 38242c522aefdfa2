/**
 * What a push is and what comes back, shared by the APNs provider and the wrappers around it.
 * Apple: https://developer.apple.com/documentation/devicemanagement/sending-mdm-commands-to-a-device
 * (the device's `Token` and `PushMagic` come from its `TokenUpdate` check-in).
 */

/** One device to wake: its APNs token as hex and the `PushMagic` it gave in `TokenUpdate`. */
export interface PushTarget {
  token: string;
  pushMagic: string;
}

/** APNs accepted the notification (HTTP 200). `apnsId` is its `apns-id` response header. */
export interface PushDelivered {
  ok: true;
  token: string;
  apnsId: string;
}

/**
 * The notification was not accepted. `status` is APNs' HTTP status, or 0 when APNs gave none (the
 * connection failed, the request timed out, the TLS handshake refused the certificate, the breaker is
 * open). `reason` is Apple's reason string (`BadDeviceToken`, `Unregistered`, …) or one of the local
 * reasons in `apns-reasons.ts`. `permanent` means resending the same push cannot succeed: drop the token
 * or fix the certificate. `retryAfter` (seconds) is the earliest sensible retry when known; `timestamp`
 * (ms since the epoch) is when APNs learnt the token was invalid (410 only).
 * Apple: https://developer.apple.com/documentation/usernotifications/handling-notification-responses-from-apns
 */
export interface PushFailed {
  ok: false;
  token: string;
  status: number;
  reason: string;
  permanent: boolean;
  retryAfter?: number;
  timestamp?: number;
  apnsId?: string;
  /** A human-readable cause for logs (a transport error message); never shown to devices. */
  detail?: string;
}

export type PushResult = PushDelivered | PushFailed;

/**
 * Sends wake-up pushes. Resolves with one result per target, in the targets' order; never rejects for a
 * per-device or transport failure (those are `PushFailed` results).
 */
export interface Pusher {
  push(targets: readonly PushTarget[]): Promise<PushResult[]>;
}
