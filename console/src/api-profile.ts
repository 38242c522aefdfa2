/** The profile page's write and preview calls: in-place edits, the one-step replace, payload previews, resend. */
import type { Api } from './api.ts';
import type { GraphProfile } from './pages/common.ts';

const profileUrl = (id: string) => `deviceManagement/deviceConfigurations/${encodeURIComponent(id)}`;

export interface ReplaceDevice {
  deviceId: string;
  deviceName: string;
  userPrincipalName: string | null;
}

/** The answer of `…/envelope/replace` (dry run or done). */
export interface ReplaceResult {
  dryRun: boolean;
  oldProfile: { id: string; displayName: string; hostName: string; emailAddressSource: string };
  newProfile: { id: string | null; displayName: string; hostName: string; emailAddressSource: string; version: number };
  identityChanged: string[];
  message: string;
  assignmentsMoved: number;
  devicesEvaluated: number;
  removeOld: { count: number; items: ReplaceDevice[] };
  installNew: { count: number; items: ReplaceDevice[] };
  blocked: { count: number; items: (ReplaceDevice & { reasonCode: string; message: string; oldAccount: string })[] };
  notApplicableCount: number;
}

export interface ReplacementSummary {
  oldProfile: { id: string; displayName: string; exists: boolean };
  newProfile: { id: string; displayName: string };
  replacedDateTime: string;
  assignmentsMoved: number;
  progress: { oldOnDevices: number; oldRemoving: number; oldKept: number; oldRemoved: number; newInstalled: number; newPending: number; newFailed: number };
}

export interface PayloadPreview {
  format: string;
  mediaType: string;
  deviceName: string;
  emailAddress: string;
  accountIdentityKey: string;
  content: unknown;
  notes: string[];
}

/** PATCH: an in-place edit (never hostName or emailAddressSource of an assigned profile: the server answers 409). */
export function updateProfile(api: Api, profile: GraphProfile, changes: Record<string, unknown>): Promise<GraphProfile> {
  return api.patch<GraphProfile>(profileUrl(profile.id), { '@odata.type': profile['@odata.type'], ...changes });
}

/** The one-step replace; `dryRun` answers what would happen and saves nothing. */
export function replaceProfile(api: Api, id: string, changes: Record<string, unknown>, dryRun: boolean): Promise<ReplaceResult> {
  return api.post<ReplaceResult>(`${profileUrl(id)}/envelope/replace?$top=20`, { ...changes, dryRun });
}

/** The replaces this profile took part in (as the old profile first; none for most profiles). */
export async function replacementsOf(api: Api, id: string): Promise<ReplacementSummary[]> {
  return (await api.get<{ value: ReplacementSummary[] }>(`${profileUrl(id)}/envelope/replacements`)).value;
}

export function previewPayload(api: Api, id: string, userId: string): Promise<PayloadPreview> {
  return api.get<PayloadPreview>(`${profileUrl(id)}/preview?userId=${encodeURIComponent(userId)}`);
}

/** Resends the profile to these devices (at most 1,000 per call; the server resends rows in error, conflict or stuck). */
export async function resendToDevices(api: Api, id: string, deviceIds: readonly string[]): Promise<number> {
  let total = 0;
  for (let i = 0; i < deviceIds.length; i += 1000) {
    const answer = await api.post<{ deviceCount: number }>(`${profileUrl(id)}/resend`, { deviceIds: deviceIds.slice(i, i + 1000) });
    total += answer.deviceCount;
  }
  return total;
}
