import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import type { Profile } from '../profiles/profile.ts';
import { computeDesiredSet, deviceTargetingIndex, targetPlatformOf } from '../delivery/index.ts';
import { resolveTargets } from '../assignments/resolve-targets.ts';
import { applyRolloutGates, type CandidateProfile, type RolloutGate } from './rollout-gate.ts';
import { isDeviceReached, reachedScopeOf } from './rollout-rings.ts';

const noLinks = { identityCertificate: null, smimeSigningCertificate: null, smimeEncryptionCertificate: null, rootCertificate: null };
const profile = (version: number, settings: Record<string, unknown>): Profile => ({
  id: 'b1b1b1b1-0000-4000-8000-000000000001', odataType: 'iosEasEmailProfileConfiguration', displayName: `Mail v${version}`, description: null,
  roleScopeTagIds: [], links: noLinks, version, createdDateTime: '2026-11-30T10:00:00Z', lastModifiedDateTime: '2026-11-30T10:00:00Z',
  settings: { accountName: 'Mail', hostName: 'mail.contoso.com', usernameSource: 'userPrincipalName', emailAddressSource: 'userPrincipalName', durationOfEmailToSync: 'oneWeek', ...settings },
});
const everyone = [{ type: 'allLicensedUsersAssignmentTarget' as const }];
const pilotGroup = randomUUID();

/** The desired version of the profile on a device, as the reconcile computes it (null: not delivered). */
function desiredVersion(candidates: CandidateProfile[], gates: RolloutGate[], deviceId: string, memberOf: string[]): number | null {
  const user = { id: 'u1', userPrincipalName: 'ann@contoso.com', displayName: 'Ann', mail: null, onPremisesSamAccountName: null, onPremisesDomainName: null, employeeId: null } as never;
  const resolverDevice = { id: deviceId, operatingSystem: 'iOS' as const, androidManagementMode: null, userId: 'u1', groupIds: [] as string[] };
  const assigned = applyRolloutGates(candidates, gates, { id: deviceId, memberOf }).flatMap(({ profile: p, targets }) => {
    const verdict = deviceTargetingIndex(resolveTargets({ targetPlatform: targetPlatformOf(p.odataType), targets, devices: [resolverDevice], userGroupIds: new Map([['u1', memberOf]]) })).get(deviceId);
    return verdict === undefined ? [] : [{ ...p, targeting: verdict }];
  });
  const entry = computeDesiredSet({ id: deviceId, operatingSystem: 'iOS', osVersion: '17.4', androidManagementMode: null, primaryUser: user }, assigned)[0];
  return entry?.outcome === 'deliver' ? entry.version : null;
}

describe('Staged rollout gate in the reconcile', () => {
  const devices = Array.from({ length: 400 }, () => randomUUID());

  it('gives the new version only to devices in reached rings; the others keep the previous version and settings', () => {
    const current = profile(2, { durationOfEmailToSync: 'twoWeeks' });
    const gate: RolloutGate = {
      rolloutId: randomUUID(), profileId: current.id, rings: [{ percent: 25 }, { percent: 100 }], reachedRings: 1, kind: 'update',
      previous: { version: 1, displayName: 'Mail v1', description: null, settings: profile(1, {}).settings, links: noLinks },
    };
    const scope = reachedScopeOf(gate.rings, 1);
    let reached = 0;
    for (const device of devices) {
      const isReached = isDeviceReached(scope, gate.rolloutId, device, []);
      reached += isReached ? 1 : 0;
      assert.equal(desiredVersion([{ profile: current, targets: everyone }], [gate], device, []), isReached ? 2 : 1);
      const [seen] = applyRolloutGates([{ profile: current, targets: everyone }], [gate], { id: device, memberOf: [] });
      assert.equal(seen!.profile.settings.durationOfEmailToSync, isReached ? 'twoWeeks' : 'oneWeek');
      assert.equal(seen!.profile.displayName, isReached ? 'Mail v2' : 'Mail v1');
    }
    assert.ok(reached > 50 && reached < 150, `about a quarter reached: ${reached}`);
    for (const device of devices) assert.equal(desiredVersion([{ profile: current, targets: everyone }], [{ ...gate, reachedRings: 2 }], device, []), 2);
  });

  it('keeps the previous targets outside the reached rings of an assign rollout (a new assignment reaches only the pilot group)', () => {
    const current = profile(1, {});
    const gate: RolloutGate = { rolloutId: randomUUID(), profileId: current.id, rings: [{ groupIds: [pilotGroup] }, { percent: 100 }], reachedRings: 1, kind: 'assign', previousTargets: [] };
    assert.equal(desiredVersion([{ profile: current, targets: everyone }], [gate], devices[0]!, [pilotGroup]), 1, 'a pilot user’s device gets it');
    assert.equal(desiredVersion([{ profile: current, targets: everyone }], [gate], devices[1]!, []), null, 'others keep having nothing');
    assert.equal(desiredVersion([{ profile: current, targets: everyone }], [{ ...gate, reachedRings: 2 }], devices[1]!, []), 1);
  });

  it('leaves profiles without a rollout, and devices without rollouts, untouched', () => {
    const current = profile(3, {});
    const candidates = [{ profile: current, targets: everyone }];
    const other: RolloutGate = { rolloutId: randomUUID(), profileId: randomUUID(), rings: [{ percent: 100 }], reachedRings: 1, kind: 'assign', previousTargets: [] };
    assert.equal(applyRolloutGates(candidates, [other], { id: devices[0]!, memberOf: [] })[0], candidates[0]);
    assert.deepEqual(applyRolloutGates(candidates, [], { id: devices[0]!, memberOf: [] }), candidates);
  });
});
