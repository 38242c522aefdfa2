import { createHash, randomBytes } from 'node:crypto';

/** Token roles: `admin` reads and writes; `readOnly` (helpdesk) only reads. */
export const tokenRoles = ['admin', 'readOnly'] as const;
export type TokenRole = (typeof tokenRoles)[number];

export function isTokenRole(value: string): value is TokenRole {
  return (tokenRoles as readonly string[]).includes(value);
}

/** A new bearer token: `env_` + 32 random bytes, base64url. Shown once, stored only as its hash. */
export function generateToken(): string {
  return `env_${randomBytes(32).toString('base64url')}`;
}

/** The stored form of a token: its SHA-256 (tokens are high-entropy, so no salt or slow hash is needed). */
export function hashToken(token: string): Buffer {
  return createHash('sha256').update(token, 'utf8').digest();
}
