import { nameBasedUuid } from '../name-based-uuid.ts';
import type { DeliveryOperationKind } from './ledger-row.ts';

export interface CommandIdInput {
  deviceId: string;
  profileId: string;
  version: number;
  operation: DeliveryOperationKind | 'replaceRemove';
  /** The ledger row's command counter for this command (see `LedgerRow.generation`). */
  generation: number;
}

/**
 * The command id of one delivery operation: a name-based UUID (v5) of device, profile, version,
 * operation and generation under the deployment's namespace. A reconcile that crashes before
 * committing and runs again reads the same ledger row and so derives the same ids, which the queue
 * inserts with `ON CONFLICT DO NOTHING`: nothing is queued twice. A new generation (retry, admin
 * resend, new target) gives a new id, because a device's result is keyed by command id and a
 * command that already has a result is not handed out again. `replaceRemove` is the removal half of
 * a replace on channels that need two commands (Apple `RemoveProfile` + `InstallProfile`).
 */
export function deliveryCommandId(namespace: Uint8Array, input: CommandIdInput): string {
  return nameBasedUuid(namespace, ['command', input.deviceId, input.profileId, String(input.version), input.operation, String(input.generation)]);
}

/**
 * The native account id of a (device, profile) pair at one incarnation: the Windows ActiveSync
 * account GUID (the channel adds the braces) and the Knox agent's account key. Incarnation 0 is the
 * first install; each replace moves to the next, so a recreated Windows account never reuses a GUID
 * (re-adding a live GUID deletes the account, payload-formats §2.4).
 */
export function accountIdFor(namespace: Uint8Array, deviceId: string, profileId: string, incarnation: number): string {
  return nameBasedUuid(namespace, ['account', deviceId, profileId, String(incarnation)]);
}
