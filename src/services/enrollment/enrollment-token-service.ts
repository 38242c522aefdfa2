import { createHash, randomBytes } from 'node:crypto';
import { badRequest, notFound } from '../../domain/errors.ts';
import type { ListQuery, Page } from '../../store/list-query.ts';
import { enrollmentPlatforms, type EnrollmentPlatform, type EnrollmentTokenRecord, type EnrollmentTokenStore } from '../../store/postgres/enrollment-token-store.ts';
import { enrollmentUrlFor, publicUrlMissing } from './enrollment-urls.ts';

/** A token lives a week unless the admin says otherwise, and never more than 30 days. */
export const defaultEnrollmentTokenLifetimeDays = 7;
export const maxEnrollmentTokenLifetimeDays = 30;
export const maxDevicesPerEnrollmentToken = 100;

const dayMs = 24 * 3600 * 1000;

export interface EnrollmentTokenRequest {
  userId: string;
  platform: string;
  maxDevices?: number;
  /** ISO-8601; default now + 7 days; must be in the future and at most 30 days away. */
  expirationDateTime?: string;
}

/** The response to a create: the only time the token value is shown. */
export interface IssuedEnrollmentToken {
  id: string;
  token: string;
  enrollmentUrl: string;
  expirationDateTime: string;
  maxDevices: number;
}

export interface EnrollmentTokenServiceDeps {
  enrollmentTokens: EnrollmentTokenStore;
  /** ENVELOPE_PUBLIC_URL: enrollment links are built on it. */
  publicUrl: string | null;
  newId: () => string;
  now?: () => Date;
}

/** A new enrollment token: `enr_` + 32 random bytes, base64url (stored only as its SHA-256). */
export function generateEnrollmentToken(): string {
  return `enr_${randomBytes(32).toString('base64url')}`;
}

export function hashEnrollmentToken(token: string): Buffer {
  return createHash('sha256').update(token, 'utf8').digest();
}

/**
 * Enrollment tokens: links an admin hands to a user, each enrolling up to `maxDevices` devices of that
 * user on one platform until it expires or is revoked. The value is returned once, on create; only its
 * SHA-256 is stored. Every operation is scoped to the caller's tenant.
 */
export class EnrollmentTokenService {
  readonly #tokens: EnrollmentTokenStore;
  readonly #publicUrl: string | null;
  readonly #newId: () => string;
  readonly #now: () => Date;

  constructor(deps: EnrollmentTokenServiceDeps) {
    this.#tokens = deps.enrollmentTokens;
    this.#publicUrl = deps.publicUrl;
    this.#newId = deps.newId;
    this.#now = deps.now ?? (() => new Date());
  }

  /**
   * Issues a token. 400 naming the field for an unknown platform, a `maxDevices` outside 1–100, an
   * expiry in the past or more than 30 days away, or a `userId` that is no user of the tenant; 409 when
   * ENVELOPE_PUBLIC_URL is unset (the link could not be formed). Nothing is stored on failure.
   */
  async create(tenantId: string, request: EnrollmentTokenRequest): Promise<IssuedEnrollmentToken> {
    const platform = platformOrThrow(request.platform);
    const maxDevices = request.maxDevices ?? 1;
    if (!Number.isSafeInteger(maxDevices) || maxDevices < 1 || maxDevices > maxDevicesPerEnrollmentToken) {
      throw badRequest(`maxDevices must be a whole number from 1 to ${maxDevicesPerEnrollmentToken}.`, 'maxDevices');
    }
    const expiresAt = this.#expiryOrThrow(request.expirationDateTime);
    if (this.#publicUrl === null) throw publicUrlMissing();
    const userPrincipalName = await this.#tokens.userPrincipalNameOf(tenantId, request.userId);
    if (userPrincipalName === null) {
      throw badRequest(`userId '${request.userId}' is not a user in this tenant.`, 'userId');
    }
    const token = generateEnrollmentToken();
    const record = await this.#tokens.insert(tenantId, { id: this.#newId(), hash: hashEnrollmentToken(token), userId: request.userId, platform, maxDevices, expiresAt });
    return {
      id: record.id,
      token,
      enrollmentUrl: enrollmentUrlFor(this.#publicUrl, platform, token, userPrincipalName),
      expirationDateTime: record.expirationDateTime,
      maxDevices: record.maxDevices,
    };
  }

  /**
   * The CLI's create: the user by UPN and the lifetime in days (both unchecked text from the command
   * line). 400 naming `user`, `max-devices` or `expires` when they are wrong.
   */
  async createForPrincipalName(tenantId: string, options: { userPrincipalName: string; platform: string; maxDevices?: string; expiresDays?: string }): Promise<IssuedEnrollmentToken> {
    const userId = await this.#tokens.findUserIdByPrincipalName(tenantId, options.userPrincipalName);
    if (userId === null) throw badRequest(`No user '${options.userPrincipalName}' in this tenant.`, 'user');
    const maxDevices = options.maxDevices === undefined ? undefined : wholeNumberOrThrow(options.maxDevices, 'max-devices');
    if (maxDevices !== undefined && (maxDevices < 1 || maxDevices > maxDevicesPerEnrollmentToken)) {
      throw badRequest(`--max-devices must be 1 to ${maxDevicesPerEnrollmentToken}.`, 'max-devices');
    }
    let expirationDateTime: string | undefined;
    if (options.expiresDays !== undefined) {
      const days = wholeNumberOrThrow(options.expiresDays, 'expires');
      if (days < 1 || days > maxEnrollmentTokenLifetimeDays) throw badRequest(`--expires must be 1 to ${maxEnrollmentTokenLifetimeDays} days.`, 'expires');
      expirationDateTime = new Date(this.#now().getTime() + days * dayMs).toISOString();
    }
    return this.create(tenantId, { userId, platform: options.platform, maxDevices, expirationDateTime });
  }

  list(tenantId: string, query: ListQuery): Promise<Page<EnrollmentTokenRecord>> {
    return this.#tokens.list(tenantId, query);
  }

  async getOrThrow(tenantId: string, id: string): Promise<EnrollmentTokenRecord> {
    const token = await this.#tokens.get(tenantId, id);
    if (!token) throw notFound('Enrollment token', id);
    return token;
  }

  /** Revokes at once: no further profile is served and no pending enrollment completes. 404 if unknown or already revoked. */
  async revoke(tenantId: string, id: string): Promise<void> {
    if (!(await this.#tokens.revoke(tenantId, id))) throw notFound('Active enrollment token', id);
  }

  #expiryOrThrow(text: string | undefined): Date {
    const now = this.#now().getTime();
    if (text === undefined) return new Date(now + defaultEnrollmentTokenLifetimeDays * dayMs);
    const time = Date.parse(text);
    if (Number.isNaN(time)) throw badRequest(`expirationDateTime '${text}' is not an ISO-8601 date and time.`, 'expirationDateTime');
    if (time <= now) throw badRequest('expirationDateTime must be in the future.', 'expirationDateTime');
    if (time > now + maxEnrollmentTokenLifetimeDays * dayMs) {
      throw badRequest(`expirationDateTime may be at most ${maxEnrollmentTokenLifetimeDays} days away.`, 'expirationDateTime');
    }
    return new Date(time);
  }
}

function platformOrThrow(platform: string): EnrollmentPlatform {
  const known = enrollmentPlatforms.find((name) => name === platform);
  if (!known) throw badRequest(`platform must be one of ${enrollmentPlatforms.join(', ')}.`, 'platform');
  return known;
}

function wholeNumberOrThrow(text: string, field: string): number {
  if (!/^\d{1,6}$/.test(text)) throw badRequest(`--${field} must be a whole number, not '${text}'.`, field);
  return Number(text);
}
