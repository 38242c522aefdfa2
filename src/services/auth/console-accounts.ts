import { randomBytes, randomUUID, scrypt as scryptCallback, timingSafeEqual, type ScryptOptions } from 'node:crypto';
import { EnvelopeError, badRequest, conflict, notFound, unauthenticated } from '../../domain/errors.ts';
import type { ConsoleAccount, ConsoleAccountCredential, ConsoleAccountRole, ConsoleAccountStore } from '../../store/postgres/console-account-store.ts';
import type { Tenant, TenantStore } from '../../store/postgres/tenant-store.ts';
import { generateToken, hashToken } from './tokens.ts';

/** How sign-in is throttled and how long a session lasts (decision 0030). */
export interface ConsoleSignInPolicy {
  /** Consecutive failures that lock an account. */
  accountFailureLimit: number;
  accountLockMs: number;
  /** Failures one client address may make per window, over all accounts and tenants. */
  addressFailureLimit: number;
  addressWindowMs: number;
  sessionLifetimeMs: number;
}

export const defaultConsoleSignInPolicy: ConsoleSignInPolicy = Object.freeze({
  accountFailureLimit: 5,
  accountLockMs: 15 * 60_000,
  addressFailureLimit: 20,
  addressWindowMs: 15 * 60_000,
  sessionLifetimeMs: 8 * 3_600_000,
});

export const minPasswordLength = 12;
export const maxPasswordLength = 256;
const userNamePattern = /^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$/;

// scrypt with N = 2^15, r = 8, p = 1: 32 MiB per check (OWASP suggests 2^17; 2^15 keeps a sign-in to a
// few hundred ms on a small busy server, and the lockout bounds online guessing). Decision 0030.
const scryptParams = { N: 2 ** 15, r: 8, p: 1 } as const;
const keyLength = 32;

function scrypt(password: string, salt: Buffer, keylen: number, options: ScryptOptions): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    scryptCallback(password.normalize('NFC'), salt, keylen, { ...options, maxmem: 128 * options.N! * options.r! * 2 }, (error, key) => (error ? reject(error) : resolve(key)));
  });
}

/** `scrypt$N$r$p$salt$hash` (salt and hash base64): the only form a password is ever stored in. */
export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(16);
  const key = await scrypt(password, salt, keyLength, scryptParams);
  return `scrypt$${scryptParams.N}$${scryptParams.r}$${scryptParams.p}$${salt.toString('base64')}$${key.toString('base64')}`;
}

/** True when `password` matches `stored` (compared in constant time); false for a malformed hash. */
export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const [scheme, n, r, p, salt, hash] = stored.split('$');
  if (scheme !== 'scrypt' || !n || !r || !p || salt === undefined || hash === undefined) return false;
  const expected = Buffer.from(hash, 'base64');
  if (expected.length === 0) return false;
  const key = await scrypt(password, Buffer.from(salt, 'base64'), expected.length, { N: Number(n), r: Number(r), p: Number(p) });
  return timingSafeEqual(key, expected);
}

/** A hash no password matches, verified when the user name is unknown so that both cases take as long. */
const decoyHash = hashPassword(randomBytes(32).toString('base64'));

export interface ConsoleSession {
  /** The tenant the session belongs to (for the audit trail; not part of the response). */
  tenantId: string;
  token: string;
  tokenId: string;
  userName: string;
  role: ConsoleAccountRole;
  expirationDateTime: string;
}

const wrongCredentials = 'The user name or password is not correct.';

function tooManyFailures(until: Date, now: Date): EnvelopeError {
  const seconds = Math.max(1, Math.ceil((until.getTime() - now.getTime()) / 1000));
  return new EnvelopeError('TooManyRequests', 429, `Too many failed sign-ins: try again in ${Math.ceil(seconds / 60)} minute${seconds > 60 ? 's' : ''}.`, undefined, { retryAfterSeconds: seconds });
}

function isRole(value: string): value is ConsoleAccountRole {
  return value === 'admin' || value === 'readOnly';
}

/**
 * Console accounts: a user name and password per tenant, for people who sign in to the console
 * rather than paste an API token. Signing in issues a session, an ordinary API token with an expiry
 * (so every endpoint keeps the one bearer-token path), throttled per account and per address.
 */
export class ConsoleAccountService {
  readonly #store: ConsoleAccountStore;
  readonly #tenants: TenantStore;
  readonly #now: () => Date;
  readonly #policy: ConsoleSignInPolicy;

  constructor(deps: { store: ConsoleAccountStore; tenants: TenantStore; now?: () => Date; policy?: Partial<ConsoleSignInPolicy> }) {
    this.#store = deps.store;
    this.#tenants = deps.tenants;
    this.#now = deps.now ?? (() => new Date());
    this.#policy = { ...defaultConsoleSignInPolicy, ...deps.policy };
  }

  /** Creates an account; 400 naming `userName`, `role` or `password`, 409 when the name is taken (in any case). */
  async create(tenantId: string, input: { userName: string; role: string; password: string }): Promise<ConsoleAccount> {
    if (!userNamePattern.test(input.userName)) {
      throw badRequest("userName must be 1-64 letters, digits, '.', '_', '@' or '-', starting with a letter or digit.", 'userName');
    }
    if (!isRole(input.role)) throw badRequest(`role must be admin or readOnly, not '${input.role}'.`, 'role');
    if (input.password.length < minPasswordLength || input.password.length > maxPasswordLength) {
      throw badRequest(`password must be ${minPasswordLength} to ${maxPasswordLength} characters long.`, 'password');
    }
    const passwordHash = await hashPassword(input.password);
    const created = await this.#store.insert({ tenantId, id: randomUUID(), userName: input.userName, role: input.role, passwordHash }, this.#now());
    if (!created) throw conflict(`A console account named '${input.userName}' already exists.`, 'userName');
    return created;
  }

  /** `envelope console-user add`: as `create`, in the tenant named `tenantName`. */
  async createInTenant(tenantName: string, input: { userName: string; role: string; password: string }): Promise<ConsoleAccount> {
    const tenant = await this.#tenants.findByName(tenantName);
    if (!tenant) throw notFound('Tenant', tenantName);
    return this.create(tenant.id, input);
  }

  list(tenantId: string): Promise<ConsoleAccount[]> {
    return this.#store.list(tenantId, this.#now());
  }

  async get(tenantId: string, id: string): Promise<ConsoleAccount> {
    const account = await this.#store.get(tenantId, id, this.#now());
    if (!account) throw notFound('Console account', id);
    return account;
  }

  /** Deletes an account and ends its sessions at once. */
  async delete(tenantId: string, id: string): Promise<void> {
    if (!(await this.#store.delete(tenantId, id))) throw notFound('Console account', id);
  }

  /**
   * Exchanges a user name and password for a session token. `tenantName` absent: the default tenant.
   * An unknown tenant, an unknown name and a wrong password answer the same 401, after the same
   * work. 429 (with Retry-After) while `address` or the account is locked out, whatever the password.
   */
  async signIn(input: { tenant?: string; userName: string; password: string; address: string }): Promise<ConsoleSession> {
    const now = this.#now();
    const address = input.address.slice(0, 64) || 'unknown';
    const windowStart = new Date(now.getTime() - this.#policy.addressWindowMs);
    const fromAddress = await this.#store.addressFailures(address, windowStart);
    if (fromAddress && fromAddress.failures >= this.#policy.addressFailureLimit) {
      throw tooManyFailures(new Date(fromAddress.windowStartedAt.getTime() + this.#policy.addressWindowMs), now);
    }
    const tenant = await this.#tenant(input.tenant);
    const account = tenant ? await this.#store.findCredential(tenant.id, input.userName) : null;
    if (account?.lockedUntil && account.lockedUntil.getTime() > now.getTime()) throw tooManyFailures(account.lockedUntil, now);
    const matches = await verifyPassword(input.password, account?.passwordHash ?? (await decoyHash));
    if (!account || !matches) {
      await this.#store.recordAddressFailure(address, now, windowStart);
      if (account) await this.#store.recordFailure(account.tenantId, account.id, now, this.#policy.accountFailureLimit, new Date(now.getTime() + this.#policy.accountLockMs));
      throw unauthenticated(wrongCredentials);
    }
    return this.#issueSession(account, now);
  }

  async #issueSession(account: ConsoleAccountCredential, now: Date): Promise<ConsoleSession> {
    const token = generateToken();
    const expiresAt = new Date(now.getTime() + this.#policy.sessionLifetimeMs);
    const tokenId = randomUUID();
    await this.#store.recordSignIn(account, { id: tokenId, hash: hashToken(token), expiresAt, label: `console session: ${account.userName}` }, now);
    return { tenantId: account.tenantId, token, tokenId, userName: account.userName, role: account.role, expirationDateTime: expiresAt.toISOString() };
  }

  async #tenant(name: string | undefined): Promise<Tenant | null> {
    return name === undefined || name === '' ? this.#tenants.findDefault() : this.#tenants.findByName(name);
  }
}
