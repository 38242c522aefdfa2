/** The console's client of the staged-rollout extension (`…/deviceConfigurations/{id}/envelope/rollout`, decision 0029). */
import type { Api } from './api.ts';

export type RolloutRing = { percent: number } | { groupIds: string[] };
export type RolloutState = 'running' | 'paused' | 'stopped' | 'rolledBack' | 'completed' | 'superseded';

export interface Rollout {
  id: string;
  profileId: string;
  kind: 'assign' | 'update';
  state: RolloutState;
  rings: RolloutRing[];
  currentRing: number;
  ringCount: number;
  errorThresholdPercent: number;
  soakMinutes: number;
  autoAdvance: boolean;
  previousVersion: number;
  targetVersion: number;
  pausedReason: string | null;
  ringStartedDateTime: string;
  soakEndsDateTime: string | null;
  createdDateTime: string;
  finishedDateTime: string | null;
  reached: { reached: number; succeeded: number; errors: number; pending: number; errorRatePercent: number };
  history: { dateTime: string; action: string; ring: number; by: string; reason: string | null }[];
}

export interface StartRollout {
  assign?: { assignments: { target: { '@odata.type': string; groupId?: string } }[] };
  update?: Record<string, unknown>;
  rings: RolloutRing[];
  errorThresholdPercent: number;
  soakMinutes: number;
  autoAdvance: boolean;
}

const rolloutPath = (profileId: string) => `deviceManagement/deviceConfigurations/${encodeURIComponent(profileId)}/envelope/rollout`;

/** The profile's latest rollout, or null when it never had one (read from the list, which answers 200 either way). */
export async function getRollout(api: Api, profileId: string): Promise<Rollout | null> {
  const list = await api.get<{ value: Rollout[] }>(`${rolloutPath(profileId)}s`);
  return list.value[0] ?? null;
}

export function startRollout(api: Api, profileId: string, body: StartRollout): Promise<Rollout> {
  return api.post<Rollout>(rolloutPath(profileId), body);
}

export type RolloutAction = 'advance' | 'pause' | 'resume' | 'stop' | 'rollBack';

/** advance, pause, resume, stop (kill switch), or stop with roll back. */
export function moveRollout(api: Api, profileId: string, action: RolloutAction): Promise<Rollout> {
  if (action === 'rollBack') return api.post<Rollout>(`${rolloutPath(profileId)}/stop`, { rollBack: true });
  return api.post<Rollout>(`${rolloutPath(profileId)}/${action}`, action === 'stop' ? {} : undefined);
}

/** "1 % of devices", or the groups' names. */
export function describeRing(ring: RolloutRing, groupName: (id: string) => string): string {
  if ('percent' in ring) return ring.percent === 100 ? 'Everyone (100 % of devices)' : `${ring.percent} % of devices`;
  return `Groups: ${ring.groupIds.map(groupName).join(', ')}`;
}

export const rolloutStateLabels: Record<RolloutState, string> = {
  running: 'Running',
  paused: 'Paused',
  stopped: 'Stopped',
  rolledBack: 'Rolled back',
  completed: 'Completed',
  superseded: 'Superseded',
};

/**
 * Parses "1, 10, 100" into percentage rings (increasing, the last 100), or says what is wrong.
 * A pilot group, when given, goes first.
 */
export function ringsFromInput(percentages: string, pilotGroupId: string): { rings: RolloutRing[] } | { error: string } {
  const parts = percentages.split(',').map((p) => p.trim()).filter((p) => p !== '');
  const numbers = parts.map(Number);
  if (numbers.length === 0 || numbers.some((n) => !Number.isFinite(n) || n <= 0 || n > 100)) return { error: 'Rings: give percentages from 0.01 to 100, separated by commas, e.g. 1, 10, 100.' };
  if (numbers.some((n, i) => i > 0 && n <= numbers[i - 1]!)) return { error: 'Rings: each percentage must be larger than the one before.' };
  if (numbers[numbers.length - 1] !== 100) return { error: 'Rings: the last ring must be 100 (everyone).' };
  return { rings: [...(pilotGroupId ? [{ groupIds: [pilotGroupId] }] : []), ...numbers.map((percent) => ({ percent }))] };
}
