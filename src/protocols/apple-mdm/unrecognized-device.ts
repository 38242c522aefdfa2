/**
 * The body of the 403 that tells a device to unenroll (iOS 17+, macOS 14+): the deliberate
 * replacement for answering 401, which Envelope never does because a bug would unenroll devices.
 * Schema: apple/device-management `mdm/errors/unrecognized.device.yaml` — `code` (required, the
 * one value below), `description` (optional, for the device's logs) and `message` (optional,
 * may be shown to the user). The response must carry `Content-Type: application/json`.
 */
export const unrecognizedDeviceCode = 'com.apple.unrecognized.device';

export interface UnrecognizedDeviceError {
  code: typeof unrecognizedDeviceCode;
  description?: string;
  message?: string;
}

export const unrecognizedDeviceContentType = 'application/json';

/** The 403 body as JSON text, `{"code":"com.apple.unrecognized.device"}` plus the optional texts given. */
export function unrecognizedDeviceBody(texts: { description?: string; message?: string } = {}): string {
  const body: UnrecognizedDeviceError = { code: unrecognizedDeviceCode };
  if (texts.description !== undefined) body.description = texts.description;
  if (texts.message !== undefined) body.message = texts.message;
  return JSON.stringify(body);
}
