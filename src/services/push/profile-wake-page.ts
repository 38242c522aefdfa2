import { targetPlatformCriteria } from '../../domain/assignments/device-platform.ts';
import { targetPlatformOf } from '../../domain/delivery/index.ts';
import type { Stores } from '../../store/postgres/stores.ts';
import type { WakeStore } from '../../store/postgres/wake-store.ts';

/** One page of a profile fan-out: the devices to push, and the cursor after it (null: the last page). */
export interface ProfileWakePage {
  deviceIds: string[];
  next: string | null;
}

export type ProfileWakePageSource = (tenantId: string, profileId: string, afterDeviceId: string | null, limit: number) => Promise<ProfileWakePage>;

/**
 * The devices a change to a profile concerns, a page at a time in device-id order: those its `apply`
 * assignments target now (a platform match with a primary user: the ones that get it) and those
 * holding it — installed or with a command on its way — which must update or remove it. A deleted
 * profile has only holders.
 *
 * Both sources are read `limit` ids past the cursor and merged; the page is the first `limit` of the
 * merge, so no id of either source at or before the page's last id is skipped. The cursor moves over
 * every in-scope id, pushed or not, so a page may push fewer than `limit` devices.
 */
export function profileWakePages(deps: { stores: Pick<Stores, 'profiles' | 'assignments' | 'targeting'>; wakes: WakeStore }): ProfileWakePageSource {
  const { profiles, assignments, targeting } = deps.stores;
  return async (tenantId, profileId, after, limit) => {
    const profile = await profiles.get(tenantId, profileId);
    const targets = profile === null ? [] : (await assignments.list(tenantId, profileId)).filter((a) => a.intent === 'apply').map((a) => a.target);
    const scoped = profile === null || targets.length === 0
      ? []
      : await targeting.scopePage(tenantId, targets, targetPlatformCriteria[targetPlatformOf(profile.odataType)], after, limit);
    const holders = await deps.wakes.profileHolders(tenantId, profileId, after, limit);
    const wanted = new Set([...scoped.filter((device) => device.outcome === 'targeted').map((device) => device.deviceId), ...holders]);
    const merged = [...new Set([...scoped.map((device) => device.deviceId), ...holders])].sort();
    const page = merged.slice(0, limit);
    const exhausted = scoped.length < limit && holders.length < limit && page.length === merged.length;
    return { deviceIds: page.filter((id) => wanted.has(id)), next: exhausted ? null : (page[page.length - 1] ?? null) };
  };
}
