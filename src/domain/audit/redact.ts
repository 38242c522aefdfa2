/**
 * What the audit trail must never hold: secrets. A value is replaced by `redactedValue` when
 * - its property name says it is one (`isSecretPropertyName`), or
 * - the route's schema marks the property `writeOnly` (OpenAPI's "sent, never returned") or
 *   `format: 'password'` (`secretPropertiesOfSchema`), or
 * - it is the `value` of a SCIM or JSON Patch operation whose `path` names a secret, or
 * - the value itself looks like one: a PEM private key, an Envelope API token (`env_…`), an
 *   enrollment token (`enr_…`) or a company portal secret (`ptl_…`), wherever it appears.
 */
export const redactedValue = '[redacted]';

/** Lower-cased, letters and digits only: `private_key`, `privateKey` and `PrivateKey` read alike. */
function normalize(name: string): string {
  return name.toLowerCase().replace(/[^a-z0-9]/g, '');
}

const secretFragments = ['password', 'passwd', 'passphrase', 'secret', 'privatekey', 'pfx', 'pkcs12', 'credential', 'apikey', 'sharedkey', 'signingkey'];
const secretNames = new Set(['key', 'pin', 'authorization', 'cookie']);

/**
 * True for property names that hold secrets: any name containing password, passphrase, secret,
 * privateKey, pfx, pkcs12, credential, apiKey, sharedKey, signingKey; any name ending in `token`
 * (`token`, `accessToken`, `enrollmentToken`, but not `tokenId`); and `key`, `pin`, `authorization`,
 * `cookie` themselves. `passwordProfile` is a secret as a whole.
 */
export function isSecretPropertyName(name: string): boolean {
  const n = normalize(name);
  return secretNames.has(n) || n.endsWith('token') || secretFragments.some((fragment) => n.includes(fragment));
}

const secretValuePatterns = [
  /-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----/,
  /\benv_[A-Za-z0-9_-]{16,}/,
  /\benr_[A-Za-z0-9_-]{16,}/,
  /\bptl_[A-Za-z0-9_-]{16,}/,
];

export function isSecretValue(value: string): boolean {
  return secretValuePatterns.some((pattern) => pattern.test(value));
}

/** How deep `redact` copies; deeper values (no valid body nests this far) become `truncatedValue`. */
export const maxRedactDepth = 8;
export const truncatedValue = '[truncated]';

/**
 * A copy of `value` with every secret replaced by `redactedValue`: properties named as secrets or
 * listed in `schemaSecrets` (at any depth), and strings that look like secrets. Only own
 * enumerable properties are read, and written as own data properties, so keys such as `__proto__`
 * or `toString` are plain names; anything nested deeper than `maxRedactDepth` is cut.
 */
export function redact(value: unknown, schemaSecrets: ReadonlySet<string> = new Set(), depth = 0): unknown {
  if (typeof value === 'string') return isSecretValue(value) ? redactedValue : value;
  if (value === null || typeof value !== 'object') return value;
  if (depth >= maxRedactDepth) return truncatedValue;
  if (Array.isArray(value)) return value.map((item) => redact(item, schemaSecrets, depth + 1));
  const patchesSecret = isPatchOfSecret(value, schemaSecrets);
  return Object.fromEntries(Object.entries(value).map(([key, item]) => [
    key,
    isSecretProperty(key, schemaSecrets) || (patchesSecret && key === 'value') ? redactedValue : redact(item, schemaSecrets, depth + 1),
  ]));
}

/**
 * A patch operation whose `path` names a secret — SCIM (`{"op":"replace","path":"password","value":…}`,
 * RFC 7644 §3.5.2) or JSON Patch (`"path":"/clientSecret"`): its `value` is that secret.
 */
function isPatchOfSecret(value: object, schemaSecrets: ReadonlySet<string>): boolean {
  const path = (value as { path?: unknown }).path;
  if (typeof path !== 'string' || !Object.hasOwn(value, 'value')) return false;
  const last = path.split(/[.:/[\]\s]/).filter(Boolean).pop();
  return last !== undefined && isSecretProperty(last, schemaSecrets);
}

export function isSecretProperty(name: string, schemaSecrets: ReadonlySet<string>): boolean {
  return schemaSecrets.has(name) || isSecretPropertyName(name);
}

/**
 * The property names a JSON schema (TypeBox or plain) marks as secret — `writeOnly: true` or
 * `format: 'password'` — at any depth, through `properties`, `items`, `anyOf`/`oneOf`/`allOf`.
 */
export function secretPropertiesOfSchema(schema: unknown): Set<string> {
  const found = new Set<string>();
  const pending: unknown[] = [schema];
  const seen = new Set<unknown>();
  while (pending.length > 0) {
    const node = pending.pop();
    if (node === null || typeof node !== 'object' || seen.has(node)) continue;
    seen.add(node);
    const s = node as Record<string, unknown>;
    const properties = s.properties;
    if (properties !== null && typeof properties === 'object') {
      for (const [name, sub] of Object.entries(properties as Record<string, unknown>)) {
        const p = sub as Record<string, unknown> | null;
        if (p && typeof p === 'object' && (p.writeOnly === true || p.format === 'password')) found.add(name);
        pending.push(sub);
      }
    }
    for (const key of ['items', 'additionalProperties']) pending.push(s[key]);
    for (const key of ['anyOf', 'oneOf', 'allOf']) if (Array.isArray(s[key])) pending.push(...(s[key] as unknown[]));
  }
  return found;
}
