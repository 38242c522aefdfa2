import type { AssignmentTarget } from '../assignments/assignment-target.ts';
import type { Profile } from '../profiles/profile.ts';
import { isDeviceReached, reachedScopeOf, type RolloutRing } from './rollout-rings.ts';

/** What a profile looked like before an update rollout: what devices not yet reached keep. */
export type PreviousProfile = Pick<Profile, 'version' | 'displayName' | 'description' | 'settings' | 'links'>;

/**
 * A staged rollout in force on one profile, as delivery needs it: which rings are reached, and what
 * the devices outside them keep — the previous `apply` targets (an assign rollout) or the previous
 * profile version (an update rollout). A rollout is in force while running, paused, stopped or
 * rolled back; once completed or superseded every device follows the profile as stored.
 */
export type RolloutGate = {
  rolloutId: string;
  profileId: string;
  rings: RolloutRing[];
  /** Rings reached so far (1..rings.length). */
  reachedRings: number;
} & ({ kind: 'assign'; previousTargets: AssignmentTarget[] } | { kind: 'update'; previous: PreviousProfile });

/** A candidate of a device's reconcile: a profile as stored and its current `apply` targets. */
export interface CandidateProfile {
  profile: Profile;
  targets: AssignmentTarget[];
}

/**
 * The candidates as this device must see them under the rollouts in force: for a device outside the
 * reached rings, an assign rollout's profile keeps its previous targets and an update rollout's
 * profile its previous version; reached devices, and profiles without a rollout, are unchanged
 * (returned as the same objects). `memberOf`: the device's and its primary user's group ids. Pure;
 * the desired set is then computed from the result exactly as without rollouts.
 */
export function applyRolloutGates(
  candidates: readonly CandidateProfile[],
  gates: readonly RolloutGate[],
  device: { id: string; memberOf: readonly string[] },
): CandidateProfile[] {
  if (gates.length === 0) return [...candidates];
  const byProfile = new Map(gates.map((gate) => [gate.profileId, gate]));
  return candidates.map((candidate) => {
    const gate = byProfile.get(candidate.profile.id);
    if (gate === undefined) return candidate;
    if (isDeviceReached(reachedScopeOf(gate.rings, gate.reachedRings), gate.rolloutId, device.id, device.memberOf)) return candidate;
    if (gate.kind === 'assign') return { profile: candidate.profile, targets: gate.previousTargets };
    const { version, displayName, description, settings, links } = gate.previous;
    return { profile: { ...candidate.profile, version, displayName, description, settings, links }, targets: candidate.targets };
  });
}
