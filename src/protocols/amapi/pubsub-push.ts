import { badRequest } from '../../domain/errors.ts';
import type { AmapiDevice } from './amapi-client.ts';

/**
 * A Cloud Pub/Sub push request (cloud.google.com/pubsub/docs/push):
 * `{ message: { data: base64, attributes: {…}, messageId, publishTime }, subscription }`. AMAPI puts
 * the notification type in `attributes.notificationType` (ENROLLMENT, STATUS_REPORT, COMMAND,
 * USAGE_LOGS, ENTERPRISE_UPGRADE, test) and, for device notifications, a `Device` as JSON in `data`
 * (developers.google.com/android/management/notifications).
 */
export interface PubsubPushBody {
  message: { data?: string; attributes?: Record<string, string>; messageId?: string; message_id?: string; publishTime?: string };
  subscription?: string;
}

export interface AmapiNotification {
  messageId: string;
  notificationType: string;
  /** The Device for ENROLLMENT and STATUS_REPORT; null for other types. */
  device: AmapiDevice | null;
}

const deviceNamePattern = /^enterprises\/[A-Za-z0-9_-]+\/devices\/[A-Za-z0-9_-]+$/;

/** Decodes a push body; 400 naming the field for what is not an AMAPI notification. */
export function decodeAmapiNotification(body: PubsubPushBody): AmapiNotification {
  const messageId = body.message.messageId ?? body.message.message_id;
  if (typeof messageId !== 'string' || messageId === '') throw badRequest('message.messageId is missing.', 'message.messageId');
  const notificationType = body.message.attributes?.notificationType ?? '';
  if (notificationType !== 'ENROLLMENT' && notificationType !== 'STATUS_REPORT') return { messageId, notificationType, device: null };
  let device: unknown;
  try {
    device = JSON.parse(Buffer.from(body.message.data ?? '', 'base64').toString('utf8'));
  } catch {
    throw badRequest(`message.data of a ${notificationType} notification must be a base64-encoded Device in JSON.`, 'message.data');
  }
  if (typeof device !== 'object' || device === null || typeof (device as AmapiDevice).name !== 'string' || !deviceNamePattern.test((device as AmapiDevice).name!)) {
    throw badRequest(`message.data of a ${notificationType} notification must be a Device whose name is enterprises/…/devices/….`, 'message.data');
  }
  return { messageId, notificationType, device: device as AmapiDevice };
}

/** The enterprise part of a device name (`enterprises/E` of `enterprises/E/devices/D`). */
export function enterpriseOfDevice(deviceName: string): string {
  return deviceName.split('/devices/')[0]!;
}
