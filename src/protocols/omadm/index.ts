// The OMA-DM (SyncML DM 1.2, [MS-MDM]) codec for Windows management sessions: pure, no HTTP, no storage. See README.md.
export {
  decodeDeviceMessage,
  defaultSyncMlLimits,
  isDeviceAlert,
  isDeviceResults,
  isDeviceStatus,
  type DeviceAlert,
  type DeviceCommand,
  type DeviceMessage,
  type DeviceOtherCommand,
  type DeviceResults,
  type DeviceStatus,
  type DeviceSyncHdr,
  type SyncMlCred,
  type SyncMlItem,
  type SyncMlLimits,
} from './device-message.ts';
export { encodeServerMessage, firstCommandCmdId, type ServerMessage, type ServerStatus, type ServerSyncHdr } from './server-message.ts';
export { isSyncMlMd5Digest, syncMlAuthMd5, syncMlMd5Digest } from './syncml-digest.ts';
export { isSyncMlDecodeError, SyncMlDecodeError, type SyncMlDecodeErrorCode } from './syncml-decode-error.ts';
export {
  isSyncMlSuccess,
  loginStatusAlertType,
  parseLoginStatus,
  syncMlAlert,
  syncMlStatus,
  syncMlStatusMeaning,
  unenrollmentAlertType,
  type LoginStatus,
} from './syncml-status.ts';
