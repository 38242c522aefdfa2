/**
 * SyncML status codes as Windows returns them for server commands, with Microsoft's meaning
 * (https://learn.microsoft.com/windows/client-management/oma-dm-protocol-support, "SyncML response
 * status codes"; OMA-TS-SyncML-RepPro-V1_2_2 §10). Codes the table lists are described in its words;
 * others by their class.
 */
export const syncMlStatus = {
  ok: 200,
  accepted: 202,
  authenticationAccepted: 212,
  operationCancelled: 214,
  notExecuted: 215,
  atomicRolledBack: 216,
  badRequest: 400,
  invalidCredentials: 401,
  forbidden: 403,
  notFound: 404,
  notAllowed: 405,
  optionalFeatureNotSupported: 406,
  missingCredentials: 407,
  unsupportedMediaTypeOrFormat: 415,
  alreadyExists: 418,
  permissionDenied: 425,
  commandFailed: 500,
  atomicFailed: 507,
  atomicRollbackFailed: 516,
} as const;

const meanings: Readonly<Record<number, string>> = {
  200: 'the command completed successfully',
  202: 'accepted for asynchronous processing',
  212: 'authentication accepted',
  214: 'operation cancelled: no more commands were processed in the session',
  215: 'not executed: the user cancelled the command',
  216: 'rolled back: another command in the same Atomic failed',
  400: 'bad request: the device could not read the command (malformed syntax)',
  401: 'invalid credentials',
  403: 'forbidden: the device understood the command but refused it',
  404: 'not found: the node does not exist on the device (or the CSP is not available on this edition)',
  405: 'command not allowed: the node is read-only or does not take this operation',
  406: 'optional feature not supported by this device',
  407: 'authentication required',
  415: 'unsupported type or format: the device could not parse the value',
  418: 'already exists: the node is already on the device',
  425: 'permission denied: Envelope lacks access to this node on the device',
  500: 'command failed on the device (generic failure)',
  507: 'Atomic failed: one of the commands in it failed',
  516: 'Atomic roll back failed: the device could not undo the commands of a failed Atomic',
};

/** A short human meaning of a status code, e.g. for `SyncML 405: command not allowed …`. */
export function syncMlStatusMeaning(code: number): string {
  const known = meanings[code];
  if (known !== undefined) return known;
  if (code >= 200 && code < 300) return 'completed';
  if (code >= 400 && code < 500) return 'the device refused the command';
  return 'the command failed on the device';
}

/**
 * Whether a command took effect: only 200 and 202. 214, 215 and 216 are 2xx but mean the command
 * did not run or was undone, so the setting is not on the device.
 */
export function isSyncMlSuccess(code: number): boolean {
  return code === syncMlStatus.ok || code === syncMlStatus.accepted;
}

/** Alert codes of [MS-MDM] §2.2.7.2 a Windows client sends. */
export const syncMlAlert = {
  /** Session started by a server trigger (WNS push). */
  serverInitiatedManagement: '1200',
  /** Session started by the client (poll, login, user sync). */
  clientInitiatedManagement: '1201',
  /** Request for the next message of a large object. */
  nextMessage: '1222',
  /** The device aborts the session. */
  sessionAbort: '1223',
  /** A client event; `com.microsoft/MDM/LoginStatus` carries who is logged in. */
  clientEvent: '1224',
  /** End of data for a chunked object not received. */
  noEndOfData: '1225',
  /** Generic alert, e.g. `com.microsoft:mdm.unenrollment.userrequest`. */
  generic: '1226',
} as const;

/** `Meta/Type` of the 1224 alert item whose `Data` is `user`, `others` or `none`. */
export const loginStatusAlertType = 'com.microsoft/MDM/LoginStatus';

/** `Meta/Type` of the 1226 alert a PC sends when its user removes the work account (unenrolls). */
export const unenrollmentAlertType = 'com.microsoft:mdm.unenrollment.userrequest';

export type LoginStatus = 'user' | 'others' | 'none';

/**
 * The LoginStatus value of a 1224 alert item, lower-cased (Microsoft's prose writes `User`, its
 * sample `user`): `user` — the enrolled user is logged in and `./User` settings can be applied;
 * `others` — another user without an MDM account; `none` — nobody. Anything else is null.
 * https://learn.microsoft.com/windows/client-management/oma-dm-protocol-support ("User targeted vs. Device targeted configuration")
 */
export function parseLoginStatus(data: string | null): LoginStatus | null {
  const value = data?.trim().toLowerCase();
  return value === 'user' || value === 'others' || value === 'none' ? value : null;
}
