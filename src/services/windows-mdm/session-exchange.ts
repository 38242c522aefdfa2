import type { SyncMlCommand } from '../../payloads/windows/syncml-commands.ts';
import type { DeviceSyncHdr, ServerStatus } from '../../protocols/omadm/index.ts';
import type { SentUnit } from '../../store/postgres/windows-mdm-store.ts';
import type { RenderedUnit } from './windows-command-renderer.ts';

/** A unit to send in the answer and record with its CmdIDs. */
export interface Outgoing {
  commands: SyncMlCommand[];
  unit: Omit<SentUnit, 'msgId' | 'firstCmdId' | 'lastCmdId'>;
}

/** The next step of a delivery command already on its way (or of the session's own reads), rendered with the CmdIDs it gets. */
export interface FollowUp {
  /** The delivery command it continues; null for the session's own (the write of the WNS PFN). */
  commandId: string | null;
  render: (firstCmdId: number) => Promise<Outgoing | null>;
}

/** The answer's commands and the units they form. */
export interface Sent {
  units: SentUnit[];
  commands: SyncMlCommand[];
}

/** What one device message leads to, gathered while processing it. */
export interface Exchange {
  tenantId: string;
  deviceId: string;
  header: DeviceSyncHdr;
  now: number;
  statuses: ServerStatus[];
  /** Commands decided while reading answers (a read-back, the Add after it), sent first. */
  followUps: FollowUp[];
}

/** A rendered unit as it goes out for `commandId`; null when nothing goes out. */
export function outgoingOf(unit: RenderedUnit, commandId: string, profileId: string): Outgoing | null {
  if (unit.kind === 'nothing') return null;
  return { commands: unit.commands, unit: { purpose: unit.kind, commandId, profileId, detail: unit.detail } };
}
