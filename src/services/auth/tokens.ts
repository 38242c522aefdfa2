import { createHash, randomBytes } from 'node:crypto';

/**
 * Token roles: `admin` reads and writes; `readOnly` (helpdesk) only reads; `scim` (an identity
 * provider's provisioning connector) may use `/scim/v2` and nothing else, and is the only role that may.
 */
export const tokenRoles = ['admin', 'readOnly', 'scim'] as const;
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

/** Longest lifetime `--expires` accepts, in days (ten years). */
export const maxTokenLifetimeDays = 3650;

/** `last_used_at` is written at most this often per token, so authentication stays a read. */
export const tokenLastUsedResolutionMs = 60_000;
