import type { AssignmentTarget } from '../../domain/assignments/assignment-target.ts';
import { badRequest, conflict, notFound } from '../../domain/errors.ts';
import { changedIdentityFields, isEmailProfileType, type Profile } from '../../domain/profiles/index.ts';
import { replaceDeviceEffect } from '../../domain/safe-changes/replace-effect.ts';
import type { DryRunStore } from '../../store/postgres/dry-run-store.ts';
import type { ProfileReplacement, ReplacementProgress } from '../../store/postgres/replacement-store.ts';
import type { Stores, Transactor } from '../../store/postgres/stores.ts';
import type { TargetingStore } from '../../store/postgres/targeting-store.ts';
import type { ProfileService } from '../profiles/profile-service.ts';
import { assigned, deviceItem, listAdder, scopePages } from './scope-pages.ts';
import type { DryRunDeviceItem, DryRunList } from './dry-run-service.ts';

/** Who asked for the replace (the audit trail records the same principal). */
export interface ReplaceActor {
  tokenId: string | null;
  role: string;
}

/** A profile as a replace summary names it. */
export interface ReplacedProfileRef {
  id: string | null;
  displayName: string;
  hostName: string;
  emailAddressSource: string;
}

export interface ReplaceResult {
  dryRun: boolean;
  oldProfile: ReplacedProfileRef & { id: string };
  /** The new profile (`id` null in a dry run: nothing was created). */
  newProfile: ReplacedProfileRef & { version: number };
  /** `hostName`, `emailAddressSource`: the identity fields that differ. Empty: an in-place PATCH would have done. */
  identityChanged: string[];
  /** One sentence saying what happened (or would). */
  message: string;
  assignmentsMoved: number;
  /** Devices in scope of the assignments. */
  devicesEvaluated: number;
  removeOld: DryRunList<DryRunDeviceItem>;
  installNew: DryRunList<DryRunDeviceItem>;
  blocked: DryRunList<DryRunDeviceItem & { reasonCode: string; message: string; oldAccount: 'remove' | 'kept' | 'none' }>;
  notApplicableCount: number;
}

export interface ReplacementSummary {
  oldProfile: { id: string; displayName: string; exists: boolean };
  newProfile: { id: string; displayName: string };
  replacedDateTime: string;
  replacedBy: { tokenId: string | null; role: string };
  assignmentsMoved: number;
  progress: ReplacementProgress;
}

/** Thrown inside a dry run's transaction to roll it back after every check passed. */
class RollBack extends Error {
  readonly profile: Profile;
  readonly assignmentsMoved: number;
  constructor(profile: Profile, assignmentsMoved: number) {
    super('dry run');
    this.profile = profile;
    this.assignmentsMoved = assignmentsMoved;
  }
}

const defaultPageSize = 2000;
const maxDisplayName = 200;

/**
 * The one-step replace of a deployed email profile (SPEC §6, issue 11, decision 0028): changing
 * `hostName` or `emailAddressSource` of an assigned profile is refused in place, so a new profile
 * takes the old one's assignments in one transaction, the old one is marked replaced (and can no
 * longer be assigned), and devices remove the old account and install the new one through the
 * ordinary delivery core (its plans queue the removal before the install).
 *
 * A dry run (`dryRun: true`) runs the same transaction — every check, the name's uniqueness
 * included — and rolls it back; the device summary is computed afterwards, outside any transaction,
 * with the delivery core's own rules (`replaceDeviceEffect`) over the devices in scope, page by page.
 */
export class ReplaceService {
  readonly #stores: Stores;
  readonly #transact: Transactor;
  readonly #profiles: ProfileService;
  readonly #targeting: TargetingStore;
  readonly #store: DryRunStore;
  readonly #newId: () => string;
  readonly #uuidNamespace: Uint8Array;
  readonly #keepOnlyEmailProfile: boolean;
  readonly #now: () => number;
  readonly #pageSize: number;

  constructor(deps: {
    stores: Stores;
    transact: Transactor;
    profiles: ProfileService;
    targeting: TargetingStore;
    store: DryRunStore;
    newId: () => string;
    uuidNamespace: Uint8Array;
    keepOnlyEmailProfile: boolean;
    now: () => number;
    pageSize?: number;
  }) {
    this.#stores = deps.stores;
    this.#transact = deps.transact;
    this.#profiles = deps.profiles;
    this.#targeting = deps.targeting;
    this.#store = deps.store;
    this.#newId = deps.newId;
    this.#uuidNamespace = deps.uuidNamespace;
    this.#keepOnlyEmailProfile = deps.keepOnlyEmailProfile;
    this.#now = deps.now;
    this.#pageSize = deps.pageSize ?? defaultPageSize;
  }

  /**
   * Replaces email profile `oldId` by a new one: `body` is a PATCH body merged over the old profile
   * (validated like any profile; `displayName` defaults to the old name + " (replacement)", since
   * names are unique) plus an optional `dryRun`. 404 outside the tenant; 400 naming the field for a
   * bad body or a certificate profile; 409 when it was replaced already. Nothing is written on any
   * refusal, nor in a dry run.
   */
  async replace(tenantId: string, oldId: string, body: unknown, actor: ReplaceActor, options: { top: number }): Promise<ReplaceResult> {
    if (body === null || typeof body !== 'object' || Array.isArray(body)) throw badRequest('The body must be a JSON object: the new profile\'s properties (a PATCH body over the old profile) and optionally dryRun.');
    const { dryRun = false, ...properties } = body as Record<string, unknown>;
    if (typeof dryRun !== 'boolean') throw badRequest('dryRun must be true or false.', 'dryRun');
    const old = await this.#profiles.getOrThrow(tenantId, oldId);
    if (!isEmailProfileType(old.odataType)) {
      throw badRequest(`Replace applies to email profiles; '${old.displayName}' is a certificate profile: edit it in place (PATCH).`, 'id');
    }
    if (properties.displayName === undefined) properties.displayName = `${old.displayName} (replacement)`.slice(0, maxDisplayName);
    const newId = this.#newId();
    let created: Profile;
    let assignmentsMoved: number;
    let targets: AssignmentTarget[];
    try {
      ({ created, assignmentsMoved, targets } = await this.#transact(async (stores) => {
        if (!(await stores.profiles.lockForUpdate(tenantId, oldId))) throw notFound('Device configuration', oldId);
        const earlier = await stores.replacements.replacedBy(tenantId, oldId);
        if (earlier !== null) {
          throw conflict(`'${old.displayName}' was already replaced (by ${earlier.newProfileId}, ${earlier.replacedDateTime}); replace that profile instead.`, 'id');
        }
        // A running staged rollout of the old profile refuses (409); a stopped one ends (decision 0029).
        await stores.rollouts.endForDirectChange(tenantId, oldId, Date.now(), 'replace');
        const draft = await this.#profiles.replacementDraft(stores, tenantId, old, properties);
        const assignments = await stores.assignments.list(tenantId, oldId);
        const profile = await stores.profiles.insert(tenantId, newId, draft);
        await stores.assignments.replace(tenantId, newId, assignments);
        await stores.assignments.replace(tenantId, oldId, []);
        await stores.replacements.insert(tenantId, {
          oldProfileId: oldId,
          newProfileId: newId,
          oldDisplayName: old.displayName,
          oldOdataType: old.odataType,
          assignmentsMoved: assignments.length,
          replacedByTokenId: actor.tokenId,
          replacedByRole: actor.role,
        });
        if (dryRun) throw new RollBack(profile, assignments.length);
        return { created: profile, assignmentsMoved: assignments.length, targets: assignments.filter((a) => a.intent === 'apply').map((a) => a.target) };
      }));
    } catch (error) {
      if (!(error instanceof RollBack)) throw error;
      created = error.profile;
      assignmentsMoved = error.assignmentsMoved;
      targets = (await this.#stores.assignments.list(tenantId, oldId)).filter((a) => a.intent === 'apply').map((a) => a.target);
    }
    const identityChanged = changedIdentityFields(old, created);
    const result: ReplaceResult = {
      dryRun,
      oldProfile: { ...ref(old, old.id), id: old.id },
      newProfile: { ...ref(created, dryRun ? null : created.id), version: created.version },
      identityChanged,
      message: '',
      assignmentsMoved,
      devicesEvaluated: 0,
      removeOld: { count: 0, items: [] },
      installNew: { count: 0, items: [] },
      blocked: { count: 0, items: [] },
      notApplicableCount: 0,
    };
    await this.#summarize(tenantId, old, created, targets, result, options.top);
    result.message = messageOf(result);
    return result;
  }

  /** The replace `profileId` took part in (as the old profile, else as the new one), with the ledger counts of both; 404 for neither. */
  async replacement(tenantId: string, profileId: string): Promise<ReplacementSummary> {
    const [first] = await this.replacements(tenantId, profileId);
    if (first === undefined) throw notFound('Replacement of device configuration', profileId);
    return first;
  }

  /** Every replace `profileId` took part in (0–2, as the old profile first); 404 only when the profile does not exist. */
  async replacements(tenantId: string, profileId: string): Promise<ReplacementSummary[]> {
    await this.#profiles.getOrThrow(tenantId, profileId);
    const records = await this.#stores.replacements.forProfile(tenantId, profileId);
    return Promise.all(records.map(async (record) => {
      const [old, replacement, progress] = await Promise.all([
        this.#stores.profiles.get(tenantId, record.oldProfileId),
        this.#stores.profiles.get(tenantId, record.newProfileId),
        this.#stores.replacements.progress(tenantId, record.oldProfileId, record.newProfileId),
      ]);
      return summaryOf(record, old, replacement, progress);
    }));
  }

  async #summarize(tenantId: string, old: Profile, created: Profile, targets: AssignmentTarget[], result: ReplaceResult, top: number): Promise<void> {
    if (targets.length === 0) return;
    const add = listAdder(top);
    const others = (await this.#store.assignedProfiles(tenantId)).filter((p) => p.profile.id !== old.id && p.profile.id !== created.id);
    const ctx = { now: this.#now(), uuidNamespace: this.#uuidNamespace, keepOnlyEmailProfile: this.#keepOnlyEmailProfile };
    const pages = scopePages({ targeting: this.#targeting, store: this.#store, pageSize: this.#pageSize }, tenantId, [targets], others);
    for await (const { devices, verdicts, othersAssigned } of pages) {
      const newVerdicts = verdicts(created, targets);
      const ledger = await this.#store.ledgerRows(tenantId, devices.map((d) => d.delivery.id));
      for (const device of devices) {
        const id = device.delivery.id;
        const targeting = newVerdicts.get(id);
        const effect = replaceDeviceEffect(device.delivery, old.id, targeting === undefined ? null : assigned(created, targeting), othersAssigned(id), ledger.get(id) ?? [], ctx);
        result.devicesEvaluated += 1;
        const item = () => deviceItem(device);
        if (effect.old === 'remove') add(result.removeOld, item);
        if (effect.new === 'install') add(result.installNew, item);
        if (effect.new === 'notApplicable') result.notApplicableCount += 1;
        if (effect.new === 'blocked') {
          const reason = effect.blockedReason!;
          add(result.blocked, () => ({ ...item(), reasonCode: reason.code, message: reason.message, oldAccount: effect.old }));
        }
      }
    }
  }
}

function ref(profile: Profile, id: string | null): ReplacedProfileRef {
  return {
    id,
    displayName: profile.displayName,
    hostName: String(profile.settings.hostName ?? ''),
    emailAddressSource: String(profile.settings.emailAddressSource ?? 'userPrincipalName'),
  };
}

function messageOf(r: ReplaceResult): string {
  const head = r.dryRun
    ? `Replacing '${r.oldProfile.displayName}' by '${r.newProfile.displayName}' would move ${r.assignmentsMoved} assignment(s)`
    : `'${r.newProfile.displayName}' replaced '${r.oldProfile.displayName}' and took its ${r.assignmentsMoved} assignment(s)`;
  const identity = r.identityChanged.length > 0 ? ` (${r.identityChanged.join(' and ')} changed)` : '';
  const [remove, install] = r.dryRun ? ['would remove', 'would install'] : ['remove', 'install'];
  const devices = `${r.removeOld.count} device(s) ${remove} the old account, ${r.installNew.count} ${install} the new one, ${r.blocked.count} blocked.`;
  const note = r.identityChanged.length === 0 ? ' hostName and emailAddressSource are unchanged: nothing needed replacing, a PATCH would have updated the profile in place.' : '';
  return `${head}${identity}. ${devices}${note}`;
}

function summaryOf(record: ProfileReplacement, old: Profile | null, replacement: Profile | null, progress: ReplacementProgress): ReplacementSummary {
  return {
    oldProfile: { id: record.oldProfileId, displayName: old?.displayName ?? record.oldDisplayName, exists: old !== null },
    newProfile: { id: record.newProfileId, displayName: replacement?.displayName ?? record.newProfileId },
    replacedDateTime: record.replacedDateTime,
    replacedBy: { tokenId: record.replacedByTokenId, role: record.replacedByRole },
    assignmentsMoved: record.assignmentsMoved,
    progress,
  };
}
