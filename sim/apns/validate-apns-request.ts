import type { IncomingHttpHeaders } from 'node:http2';

/**
 * The checks APNs applies to a provider request, for the stand-in.
 * Apple: https://developer.apple.com/documentation/usernotifications/sending-notification-requests-to-apns
 */

const deviceTokenPattern = /^[0-9a-fA-F]{64,200}$/;
const uuidPattern = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;
const pushTypes = new Set(['alert', 'background', 'controls', 'complication', 'fileprovider', 'liveactivity', 'location', 'mdm', 'pushtotalk', 'voip', 'widgets']);
/** APNs' payload limit for MDM and regular remote notifications. */
const maxPayloadBytes = 4096;

/** An APNs error answer: HTTP status, Apple's `reason`, for 410 the `timestamp` (ms), optionally a `retry-after` (s). */
export interface Rejection {
  status: number;
  reason: string;
  timestamp?: number;
  retryAfter?: number;
}

/** The `apns-id` format: a canonical UUID. */
export function isUuid(value: string): boolean {
  return uuidPattern.test(value);
}

/**
 * Apple's request checks, in the order APNs reports them. Returns the rejection, or the token
 * (lower-cased) and PushMagic of a valid MDM push. `BadPayload` (invalid JSON, no string `mdm`) is the
 * stand-in's own reason: Apple documents none for a malformed body.
 */
export function validateApnsRequest(headers: IncomingHttpHeaders, body: Buffer, topic: string | undefined): Rejection | { token: string; pushMagic: string } {
  if (headers[':method'] !== 'POST') return { status: 405, reason: 'MethodNotAllowed' };
  const path = /^\/3\/device\/([^/?]*)$/.exec(headers[':path'] ?? '');
  if (path === null) return { status: 404, reason: 'BadPath' };
  const token = path[1]!;
  if (token === '') return { status: 400, reason: 'MissingDeviceToken' };
  if (!deviceTokenPattern.test(token) || token.length % 2 !== 0) return { status: 400, reason: 'BadDeviceToken' };
  if (topic === undefined) return { status: 403, reason: 'BadCertificate' };
  const requestedTopic = headers['apns-topic'];
  if (requestedTopic !== undefined && requestedTopic !== topic) return { status: 400, reason: 'TopicDisallowed' };
  const pushType = headers['apns-push-type'];
  if (pushType !== undefined && (typeof pushType !== 'string' || !pushTypes.has(pushType))) return { status: 400, reason: 'InvalidPushType' };
  if (pushType !== undefined && pushType !== 'mdm' && topic.startsWith('com.apple.mgmt')) return { status: 400, reason: 'InvalidPushType' };
  const priority = headers['apns-priority'];
  if (priority !== undefined && !['1', '5', '10'].includes(String(priority))) return { status: 400, reason: 'BadPriority' };
  const expiration = headers['apns-expiration'];
  if (expiration !== undefined && !/^\d+$/.test(String(expiration))) return { status: 400, reason: 'BadExpirationDate' };
  const apnsId = headers['apns-id'];
  if (apnsId !== undefined && !uuidPattern.test(String(apnsId))) return { status: 400, reason: 'BadMessageId' };
  if (body.length === 0) return { status: 400, reason: 'PayloadEmpty' };
  if (body.length > maxPayloadBytes) return { status: 413, reason: 'PayloadTooLarge' };
  let pushMagic: unknown;
  try {
    pushMagic = (JSON.parse(body.toString('utf8')) as { mdm?: unknown } | null)?.mdm;
  } catch {
    pushMagic = undefined;
  }
  if (typeof pushMagic !== 'string') return { status: 400, reason: 'BadPayload' };
  return { token: token.toLowerCase(), pushMagic };
}
