import { syncMlStatus } from '../../protocols/omadm/index.ts';
import type { CommandAnswer, ReadDetail } from './sent-units.ts';
import type { Outgoing } from './session-exchange.ts';
import { pushChannelUriLocUri, pushPfnLocUri, softwareVersionLocUri } from './windows-mdm-constants.ts';

/**
 * The reads at the start of every session: the WNS channel URI (it changes without notice), the
 * Windows build, and — when the tenant has a WNS Package Family Name — the PFN the PC holds, which
 * is compared with the tenant's (`pfnWrite`). Reading it each session rather than remembering what
 * was last written costs one Get, needs no state, and repairs a PC that lost or changed it.
 */
export function sessionReads(firstCmdId: number, pfn: string | null): Outgoing {
  const reads: ReadDetail['reads'] = [{ cmdId: firstCmdId, what: 'channelUri' }, { cmdId: firstCmdId + 1, what: 'softwareVersion' }];
  if (pfn !== null) reads.push({ cmdId: firstCmdId + 2, what: 'pfn' });
  const locUri = { channelUri: pushChannelUriLocUri, softwareVersion: softwareVersionLocUri, pfn: pushPfnLocUri } as const;
  const detail: ReadDetail = pfn === null ? { reads } : { reads, pfn };
  return {
    commands: reads.map((read) => ({ command: 'Get', CmdID: read.cmdId, LocURI: locUri[read.what] })),
    unit: { purpose: 'read', commandId: null, profileId: null, detail },
  };
}

/**
 * How the tenant's PFN must be written after the PC answered the Get of its own: `Add` when the
 * node is not there (404), `Replace` when it holds another value (or none), null when it holds the
 * tenant's, or when the Get is unanswered or failed otherwise (the next session reads it again).
 * dmclient-csp, `Push/PFN`: Access Type Add, Delete, Get, Replace.
 */
export function pfnWriteNeeded(answer: CommandAnswer | undefined, pfn: string): 'Add' | 'Replace' | null {
  if (answer === undefined) return null;
  if (answer.code === syncMlStatus.notFound) return 'Add';
  const ok = answer.code === null || answer.code === syncMlStatus.ok;
  if (!ok || !answer.hasResults) return null;
  return (answer.data ?? '').trim() === pfn ? null : 'Replace';
}

/**
 * The write of the PFN, then a Get of the ChannelURI: Windows negotiates a channel for the PFN, and
 * "if no valid PFN is currently set, ChannelURI will return null" (dmclient-csp). A channel that is
 * not ready yet reads empty; every later session reads it again.
 */
export function pfnWriteUnit(pfn: string, verb: 'Add' | 'Replace', firstCmdId: number): Outgoing {
  const detail: ReadDetail = { reads: [{ cmdId: firstCmdId + 1, what: 'channelUri' }], pfn, pfnWrite: { cmdId: firstCmdId, verb } };
  return {
    commands: [
      { command: verb, CmdID: firstCmdId, LocURI: pushPfnLocUri, Format: 'chr', Data: pfn },
      { command: 'Get', CmdID: firstCmdId + 1, LocURI: pushChannelUriLocUri },
    ],
    unit: { purpose: 'read', commandId: null, profileId: null, detail },
  };
}
