import { createHash, randomBytes } from 'node:crypto';
import { badRequest, EnvelopeError, notFound, unauthenticated } from '../../domain/errors.ts';
import { isEmailProfileType, isProfileType } from '../../domain/profiles/profile-types.ts';
import type { Db, Queryable } from '../../store/db.ts';
import { EnrollmentTokenStore } from '../../store/postgres/enrollment-token-store.ts';
import { PortalLinkStore, type PortalDeviceRow, type PortalLinkRecord, type PortalUser } from '../../store/postgres/portal-link-store.ts';
import type { DeliveryStatusService } from '../delivery/delivery-status-service.ts';
import { EnrollmentTokenService, type IssuedEnrollmentToken } from '../enrollment/enrollment-token-service.ts';
import type { WakeService } from '../push/wake-service.ts';
import { accountOfIdentityKey, conditionOrder, guidanceFor, type PortalCondition, type PortalGuidance } from './portal-guidance.ts';

const dayMs = 24 * 3600 * 1000;
export const defaultPortalLinkLifetimeDays = 7;
export const maxPortalLinkLifetimeDays = 30;
/** A device may be asked to check again once a minute from the portal. */
export const portalCheckIntervalMs = 60_000;
/** Enrollment tokens a user may hold at once (any origin) before the portal issues another. */
export const maxActiveEnrollmentTokensPerUser = 3;
/** Lifetime of an enrollment link the portal issues (one device). */
export const portalEnrollmentLinkLifetimeDays = 1;
/** `last_used_at` is written at most this often per link. */
const lastUsedResolutionMs = 60_000;

/** A portal secret: `ptl_` + 32 random bytes, base64url; stored only as its SHA-256. */
export function generatePortalSecret(): string {
  return `ptl_${randomBytes(32).toString('base64url')}`;
}

export function hashPortalSecret(secret: string): Buffer {
  return createHash('sha256').update(secret, 'utf8').digest();
}

/** Who a portal request is: one user of one tenant, through one link. */
export interface PortalPrincipal {
  tenantId: string;
  userId: string;
  linkId: string;
  expiresAt: string;
}

/** The answer to a create: the only time the URL (with the secret) is shown. */
export interface IssuedPortalLink {
  id: string;
  userId: string;
  url: string;
  expirationDateTime: string;
}

export interface PortalProfileView extends PortalGuidance {
  profileId: string;
  displayName: string;
  /** The server's reason code (the same as the admin API's), for the IT department. */
  reasonCode: string;
  /** The account the profile sets up, when known. */
  emailAddress: string | null;
}

export interface PortalDeviceView {
  id: string;
  deviceName: string;
  operatingSystem: string;
  osVersion: string;
  model: string | null;
  lastCheckInDateTime: string | null;
  /** The most urgent condition of its profiles; `none` without email profiles. */
  condition: PortalCondition | 'none';
  label: string;
  profiles: PortalProfileView[];
}

export interface PortalView {
  user: { displayName: string; userPrincipalName: string; mail: string | null };
  linkExpirationDateTime: string;
  devices: PortalDeviceView[];
}

export interface PortalServiceDeps {
  db: Db;
  deliveryStatus: Pick<DeliveryStatusService, 'deviceConfigurationStates'>;
  /** Marks the device's profiles in error or conflict for a new attempt (the admin resend, per profile). */
  resend(tenantId: string, profileId: string, filter: { deviceIds: readonly string[] }): Promise<number>;
  wake: Pick<WakeService, 'wakeNow'>;
  /** ENVELOPE_PUBLIC_URL: enrollment links need it; portal links fall back to the request's origin. */
  publicUrl: string | null;
  newId: () => string;
  now?: () => Date;
}

/**
 * The company portal (decision 0031): personal links an admin issues to a user, and what the holder
 * of a link may see and do — only that user's devices, their email profiles' status in plain words
 * with what to do, a "check again" that retries and wakes one device (once a minute), and
 * enrollment links for a new device (at most 3 active per user).
 */
export class PortalService {
  readonly #db: Db;
  readonly #links: PortalLinkStore;
  readonly #deps: PortalServiceDeps;
  readonly #now: () => Date;

  constructor(deps: PortalServiceDeps) {
    this.#db = deps.db;
    this.#links = new PortalLinkStore(deps.db);
    this.#deps = deps;
    this.#now = deps.now ?? (() => new Date());
  }

  /**
   * Admin: issues a link for the user. 404 for a user not in the tenant; 400 naming
   * `expirationDateTime` when it is not a future time at most 30 days away. `origin` is the base URL
   * when ENVELOPE_PUBLIC_URL is unset.
   */
  async createLink(tenantId: string, userId: string, request: { expirationDateTime?: string }, origin: string): Promise<IssuedPortalLink> {
    const expiresAt = this.#expiryOrThrow(request.expirationDateTime);
    if ((await this.#links.user(tenantId, userId)) === null) throw notFound('User', userId);
    const secret = generatePortalSecret();
    const record = await this.#links.insert(tenantId, { id: this.#deps.newId(), hash: hashPortalSecret(secret), userId, expiresAt });
    const base = (this.#deps.publicUrl ?? origin).replace(/\/+$/, '');
    return { id: record.id, userId, url: `${base}/portal#t=${secret}`, expirationDateTime: record.expirationDateTime };
  }

  async listLinks(tenantId: string, userId: string): Promise<PortalLinkRecord[]> {
    if ((await this.#links.user(tenantId, userId)) === null) throw notFound('User', userId);
    return this.#links.listForUser(tenantId, userId);
  }

  /** Revokes at once: the next portal request with it gets 401. 404 when unknown for this user or revoked already. */
  async revokeLink(tenantId: string, userId: string, linkId: string): Promise<void> {
    if (!(await this.#links.revoke(tenantId, userId, linkId))) throw notFound('Active portal link', linkId);
  }

  /**
   * Resolves an `Authorization: Bearer ptl_…` header to its user, or 401 (missing, unknown, revoked,
   * expired — the last two named). API tokens are not portal secrets: they are unknown here.
   */
  async authenticate(authorization: string | undefined): Promise<PortalPrincipal> {
    const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization ?? '');
    if (!match?.[1]) throw unauthenticated('Missing or invalid portal link.');
    const link = await this.#links.findByHash(hashPortalSecret(match[1]));
    if (!link) throw unauthenticated('Missing or invalid portal link.');
    if (link.revoked) throw unauthenticated('This portal link was revoked. Ask your IT department for a new one.');
    const now = this.#now();
    if (link.expiresAt.getTime() <= now.getTime()) throw unauthenticated('This portal link has expired. Ask your IT department for a new one.');
    if (link.lastUsedAt === null || now.getTime() - link.lastUsedAt.getTime() >= lastUsedResolutionMs) await this.#links.touch(link.tenantId, link.id, now);
    return { tenantId: link.tenantId, userId: link.userId, linkId: link.id, expiresAt: link.expirationDateTime };
  }

  /** The user's devices with their email profiles' status and what to do. */
  async view(principal: PortalPrincipal): Promise<PortalView> {
    const user = await this.#userOrThrow(principal);
    const devices = await this.#links.devicesOf(principal.tenantId, principal.userId);
    const views: PortalDeviceView[] = [];
    for (const device of devices) views.push(await this.#deviceView(principal.tenantId, device));
    return {
      user: { displayName: user.displayName, userPrincipalName: user.userPrincipalName, mail: user.mail },
      linkExpirationDateTime: principal.expiresAt,
      devices: views,
    };
  }

  /** One of the user's devices; 404 for any other device, in this tenant or another. */
  async device(principal: PortalPrincipal, deviceId: string): Promise<PortalDeviceView> {
    const device = (await this.#links.devicesOf(principal.tenantId, principal.userId)).find((d) => d.id === deviceId);
    if (!device) throw notFound('Device', deviceId);
    return this.#deviceView(principal.tenantId, device);
  }

  /**
   * "Check again": the device's email profiles in error or conflict are tried again (as an admin
   * resend would) and the device is woken by push. Once a minute per device (429 with Retry-After);
   * 404 for a device that is not the user's.
   */
  async checkAgain(principal: PortalPrincipal, deviceId: string): Promise<{ retriedProfileCount: number; nextCheckAllowedDateTime: string }> {
    const { tenantId, userId } = principal;
    if (!(await this.#links.isDeviceOf(tenantId, userId, deviceId))) throw notFound('Device', deviceId);
    const now = this.#now();
    const claim = await this.#links.claimCheck(tenantId, deviceId, now, portalCheckIntervalMs);
    if (!claim.claimed) {
      const seconds = Math.max(1, Math.ceil((claim.nextAllowedAt.getTime() - now.getTime()) / 1000));
      throw new EnvelopeError('TooManyRequests', 429, `This device was asked to check in a moment ago. Try again in ${seconds} seconds.`, undefined, { retryAfterSeconds: seconds });
    }
    let retried = 0;
    const accounts = await this.#links.profileAccounts(tenantId, deviceId);
    for (const state of await this.#deps.deliveryStatus.deviceConfigurationStates(tenantId, deviceId)) {
      if (state.state !== 'error' && state.state !== 'conflict') continue;
      const profileId = state.id.slice(deviceId.length + 1);
      if (!accounts.has(profileId)) continue;
      retried += await this.#deps.resend(tenantId, profileId, { deviceIds: [deviceId] }).catch((error: unknown) => {
        // A profile deleted since the read has nothing to retry.
        if (error instanceof EnvelopeError && error.status === 404) return 0;
        throw error;
      });
    }
    await this.#deps.wake.wakeNow(tenantId, [deviceId], 'portalCheckAgain');
    return { retriedProfileCount: retried, nextCheckAllowedDateTime: new Date(now.getTime() + portalCheckIntervalMs).toISOString() };
  }

  /**
   * An enrollment link for a new device of the user (one device, valid a day). 400 naming `platform`
   * for an unknown one; 409 when the user already holds 3 usable enrollment tokens, or when
   * ENVELOPE_PUBLIC_URL is unset. The count and the insert run under a lock of the portal link, so
   * concurrent requests (any process) cannot pass the limit together.
   */
  async createEnrollmentLink(principal: PortalPrincipal, platform: string): Promise<IssuedEnrollmentToken> {
    return this.#db.transaction(async (tx: Queryable) => {
      const links = new PortalLinkStore(tx);
      if (!(await links.lock(principal.tenantId, principal.linkId))) throw unauthenticated('Missing or invalid portal link.');
      const now = this.#now();
      const active = await links.countActiveEnrollmentTokens(principal.tenantId, principal.userId, now);
      if (active >= maxActiveEnrollmentTokensPerUser) {
        throw new EnvelopeError('Conflict', 409, `You already have ${active} enrollment links that are not used yet. Use one of them, or wait until they expire (your IT department can revoke them).`);
      }
      const tokens = new EnrollmentTokenService({ enrollmentTokens: new EnrollmentTokenStore(tx), publicUrl: this.#deps.publicUrl, newId: this.#deps.newId, now: this.#now });
      return tokens.create(principal.tenantId, {
        userId: principal.userId,
        platform,
        maxDevices: 1,
        expirationDateTime: new Date(now.getTime() + portalEnrollmentLinkLifetimeDays * dayMs).toISOString(),
      });
    });
  }

  async #userOrThrow(principal: PortalPrincipal): Promise<PortalUser> {
    const user = await this.#links.user(principal.tenantId, principal.userId);
    // The link's user is deleted together with the link (cascade); a race answers like a dead link.
    if (!user) throw unauthenticated('Missing or invalid portal link.');
    return user;
  }

  async #deviceView(tenantId: string, device: PortalDeviceRow): Promise<PortalDeviceView> {
    const accounts = await this.#links.profileAccounts(tenantId, device.id);
    const profiles: PortalProfileView[] = [];
    for (const state of await this.#deps.deliveryStatus.deviceConfigurationStates(tenantId, device.id)) {
      const profileId = state.id.slice(device.id.length + 1);
      const ledger = accounts.get(profileId);
      if (!ledger || !isProfileType(ledger.odataType) || !isEmailProfileType(ledger.odataType)) continue;
      const account = accountOfIdentityKey(ledger.identityKey);
      const guidance = guidanceFor({
        operatingSystem: device.operatingSystem,
        androidManagementMode: device.androidManagementMode,
        status: state.state,
        reasonCode: state.reasonCode,
        endUserMessage: state.endUserMessage,
        account,
      });
      if (guidance === null) continue;
      profiles.push({ profileId, displayName: state.displayName, reasonCode: state.reasonCode, emailAddress: account?.address ?? null, ...guidance });
    }
    const worst = conditionOrder.find((condition) => profiles.some((p) => p.condition === condition));
    return {
      id: device.id,
      deviceName: device.deviceName,
      operatingSystem: device.operatingSystem,
      osVersion: device.osVersion,
      model: device.model,
      lastCheckInDateTime: device.lastSyncAt,
      condition: worst ?? 'none',
      label: worst === undefined ? 'No company email settings' : profiles.find((p) => p.condition === worst)!.label,
      profiles,
    };
  }

  #expiryOrThrow(text: string | undefined): Date {
    const now = this.#now().getTime();
    if (text === undefined) return new Date(now + defaultPortalLinkLifetimeDays * dayMs);
    const time = Date.parse(text);
    if (Number.isNaN(time)) throw badRequest(`expirationDateTime '${text}' is not an ISO-8601 date and time.`, 'expirationDateTime');
    if (time <= now) throw badRequest('expirationDateTime must be in the future.', 'expirationDateTime');
    if (time > now + maxPortalLinkLifetimeDays * dayMs) throw badRequest(`expirationDateTime may be at most ${maxPortalLinkLifetimeDays} days away.`, 'expirationDateTime');
    return new Date(time);
  }
}
