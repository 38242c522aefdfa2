import { randomUUID } from 'node:crypto';
import { badRequest, conflict, notFound, unauthenticated } from '../../domain/errors.ts';
import type { Tenant, TenantStore, TokenInfo, TokenPrincipal } from '../../store/postgres/tenant-store.ts';
import { generateToken, hashToken, isTokenRole, maxTokenLifetimeDays, tokenLastUsedResolutionMs, type TokenRole } from './tokens.ts';

export const defaultTenantName = 'default';

export interface IssuedToken {
  token: string;
  tokenId: string;
  tenant: Tenant;
  role: TokenRole;
  /** Null: the token does not expire. */
  expirationDateTime: string | null;
}

/** Tenants and API tokens: creation (CLI, first start) and bearer-token authentication. */
export class TenantService {
  readonly #store: TenantStore;
  readonly #now: () => Date;

  constructor(store: TenantStore, now: () => Date = () => new Date()) {
    this.#store = store;
    this.#now = now;
  }

  /** Creates the default tenant if there is none (idempotent, safe under concurrent starts). */
  async ensureDefaultTenant(): Promise<Tenant> {
    const existing = await this.#store.findDefault();
    if (existing) return existing;
    const created = (await this.#store.create({ id: randomUUID(), name: defaultTenantName, isDefault: true })) ?? (await this.#store.findDefault());
    if (!created) throw new Error('Could not create or find the default tenant.');
    return created;
  }

  /**
   * First start: when the default tenant has no token yet, issues its first admin token —
   * `presetToken` (ENVELOPE_ADMIN_TOKEN, for automation) or a random one — and returns it (to print
   * once). Returns null when the tenant already has a token.
   */
  async issueFirstAdminToken(presetToken: string | null): Promise<IssuedToken | null> {
    const tenant = await this.ensureDefaultTenant();
    if ((await this.#store.countTokens(tenant.id)) > 0) return null;
    return this.#issue(tenant, 'admin', presetToken ?? generateToken(), 'first admin token');
  }

  async createTenant(name: string): Promise<Tenant> {
    if (!/^[a-z0-9][a-z0-9._-]{0,62}$/.test(name)) {
      throw badRequest(`Tenant name '${name}' is invalid: use 1-63 lower-case letters, digits, '.', '_' or '-'.`, 'name');
    }
    const tenant = await this.#store.create({ id: randomUUID(), name, isDefault: false });
    if (!tenant) throw conflict(`A tenant named '${name}' already exists.`, 'name');
    return tenant;
  }

  async getTenant(id: string): Promise<Tenant> {
    const tenant = await this.#store.findById(id);
    if (!tenant) throw notFound('Tenant', id);
    return tenant;
  }

  listTenants(): Promise<Tenant[]> {
    return this.#store.list();
  }

  /**
   * Issues a token. `expiresDays`: whole days until it expires (1–3650); empty or absent: it never
   * expires. 400 naming `role` or `expires` when they are wrong.
   */
  async createToken(tenantName: string, role: string, label = '', expiresDays = ''): Promise<IssuedToken> {
    return this.#createToken(await this.#tenantByName(tenantName), role, label, expiresDays, 'expires');
  }

  /** `createToken` for a tenant known by id (the admin API); `expiresField` names the field in errors. */
  async createTokenIn(tenantId: string, role: string, label: string, expiresDays: string, expiresField: string): Promise<IssuedToken> {
    return this.#createToken(await this.getTenant(tenantId), role, label, expiresDays, expiresField);
  }

  async #createToken(tenant: Tenant, role: string, label: string, expiresDays: string, expiresField: string): Promise<IssuedToken> {
    if (!isTokenRole(role)) throw badRequest(`Role '${role}' is invalid: use admin, readOnly or scim.`, 'role');
    let expiresAt: Date | null = null;
    if (expiresDays !== '') {
      const days = /^\d{1,5}$/.test(expiresDays) ? Number(expiresDays) : NaN;
      if (!(days >= 1 && days <= maxTokenLifetimeDays)) {
        throw badRequest(`${expiresField === 'expires' ? '--expires' : expiresField} must be a whole number of days from 1 to ${maxTokenLifetimeDays}, not '${expiresDays}'.`, expiresField);
      }
      expiresAt = new Date(this.#now().getTime() + days * 86_400_000);
    }
    return this.#issue(tenant, role, generateToken(), label, expiresAt);
  }

  async listTokens(tenantName: string): Promise<TokenInfo[]> {
    return this.#store.listTokens((await this.#tenantByName(tenantName)).id);
  }

  listTokensIn(tenantId: string): Promise<TokenInfo[]> {
    return this.#store.listTokens(tenantId);
  }

  /** Revokes a token at once: the next request with it gets 401. */
  async revokeToken(tenantName: string, tokenId: string): Promise<void> {
    await this.revokeTokenIn((await this.#tenantByName(tenantName)).id, tokenId);
  }

  /** `revokeToken` for a tenant known by id; 404 for a token of another tenant or one already revoked. */
  async revokeTokenIn(tenantId: string, tokenId: string): Promise<void> {
    if (!/^[0-9a-f-]{36}$/i.test(tokenId) || !(await this.#store.revokeToken(tenantId, tokenId))) {
      throw notFound('Active token', tokenId);
    }
  }

  async #tenantByName(name: string): Promise<Tenant> {
    const tenant = await this.#store.findByName(name);
    if (!tenant) throw notFound('Tenant', name);
    return tenant;
  }

  /**
   * Resolves an `Authorization` header value to the token's tenant and role, or throws 401 (missing,
   * unknown, revoked or expired token; an expired one is named as such). Records the use at most once
   * a minute per token, so most requests authenticate without a write.
   */
  async authenticate(authorization: string | undefined): Promise<TokenPrincipal> {
    const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization ?? '');
    if (!match?.[1]) throw unauthenticated();
    const found = await this.#store.findToken(hashToken(match[1]));
    if (!found) throw unauthenticated();
    const now = this.#now();
    if (found.expiresAt !== null && found.expiresAt.getTime() <= now.getTime()) {
      throw unauthenticated(`The bearer token expired at ${found.expiresAt.toISOString()}; issue a new one (envelope token create).`);
    }
    if (found.lastUsedAt === null || now.getTime() - found.lastUsedAt.getTime() >= tokenLastUsedResolutionMs) {
      await this.#store.touchToken(found.tenantId, found.tokenId, now, tokenLastUsedResolutionMs);
    }
    return { tokenId: found.tokenId, tenantId: found.tenantId, role: found.role };
  }

  async #issue(tenant: Tenant, role: TokenRole, token: string, label: string, expiresAt: Date | null = null): Promise<IssuedToken> {
    const tokenId = randomUUID();
    await this.#store.insertToken({ id: tokenId, tenantId: tenant.id, hash: hashToken(token), role, label, expiresAt });
    return { token, tokenId, tenant, role, expirationDateTime: expiresAt?.toISOString() ?? null };
  }
}
