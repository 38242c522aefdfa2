import { isIP } from 'node:net';
import { isAbsolute, resolve } from 'node:path';

/**
 * Envelope's configuration: read from the environment once, at start, validated, frozen, and passed
 * to whatever needs it. Nothing else reads `process.env`.
 */
export interface Config {
  port: number;
  host: string;
  /** PostgreSQL server URL; null = embedded PGlite in `dataDir`. */
  databaseUrl: string | null;
  dataDir: string;
  /** If set when the default tenant is first created, it becomes that tenant's first admin token. */
  adminToken: string | null;
  /** ENVELOPE_TOKEN: the API token `envelope export` / `apply` call a server's API with. */
  apiToken: string | null;
  tlsCertPath: string | null;
  tlsKeyPath: string | null;
  /** 32-byte key sealing secrets at rest; null = read or generate `<dataDir>/secret.key`. */
  secretKey: Buffer | null;
  logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  /** `pretty` (human-readable lines) or `json` (one object per line); LOG_FORMAT, else pretty on a terminal. */
  logFormat: 'pretty' | 'json';
  /** The externally visible base URL (for @odata.nextLink and device URLs); default from HOST/PORT. */
  publicUrl: string | null;
  /** APNs base URL for MDM pushes (ENVELOPE_APNS_URL); Apple's production service unless a test stand-in is named. */
  apnsUrl: string;
  /** ENVELOPE_APNS_CA: a PEM file of extra roots to trust for the APNs host (a local stand-in); null = Node's default roots. */
  apnsCaPath: string | null;
  /** ENVELOPE_WAKE_POLL_MS: how often an idle wake worker looks for devices to push. */
  wakePollIntervalMs: number;
  /**
   * ENVELOPE_WNS_URL: an https origin (a test stand-in) that replaces both WNS hosts — tokens come from
   * `<origin>/accesstoken.srf` and notifications go only to channel URIs on that origin. Null: Microsoft's
   * login.live.com, and channel URIs only on `*.notify.windows.com`.
   */
  wnsUrl: string | null;
  /** ENVELOPE_WNS_CA: a PEM file of extra roots to trust for the WNS hosts (a local stand-in); null = Node's default roots. */
  wnsCaPath: string | null;
  /**
   * ENVELOPE_TRUST_PROXY: the reverse proxies (addresses, CIDR ranges, or `loopback`, `linklocal`,
   * `uniquelocal`) whose `X-Forwarded-For`/`-Proto`/`-Host` Envelope believes; empty = none, so the
   * client address is the TCP peer's (rate limits, logs).
   */
  trustProxy: readonly string[];
  /**
   * ENVELOPE_FCM_URL: an https origin (a test stand-in) that replaces both Google hosts — tokens from
   * `<origin>/token`, messages to `<origin>/v1/projects/{project}/messages:send`. Null: Google's
   * oauth2.googleapis.com and fcm.googleapis.com.
   */
  fcmUrl: string | null;
  /** ENVELOPE_FCM_CA: a PEM file of extra roots to trust for the FCM hosts (a local stand-in); null = Node's default roots. */
  fcmCaPath: string | null;
  /**
   * ENVELOPE_AMAPI_URL: the root URL of an Android Management API stand-in (`http://127.0.0.1:PORT/`;
   * plain http only on loopback), used for API calls and, at `<root>token`, for the service-account
   * token grant. Null: Google's androidmanagement.googleapis.com.
   */
  amapiUrl: string | null;
  /** ENVELOPE_AMAPI_QUOTA: Android Management API queries per 100 s per Cloud project this process keeps to (Google's default 1000). */
  amapiQueriesPer100s: number;
}

export class ConfigError extends Error {
  constructor(variable: string, problem: string) {
    super(`${variable}: ${problem}`);
    this.name = 'ConfigError';
  }
}

/** Apple's production APNs (MDM push certificates from Apple's portal are production-only). */
export const defaultApnsUrl = 'https://api.push.apple.com';

const logLevels = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
const logFormats = ['pretty', 'json'] as const;

/**
 * Parses the environment (the process's, unless given); throws ConfigError naming the variable on
 * bad input. `stdoutIsTty` picks the default log format: pretty for a person, JSON for a collector.
 */
export function loadConfig(
  env: Readonly<Record<string, string | undefined>> = process.env,
  cwd: string = process.cwd(),
  stdoutIsTty: boolean = process.stdout.isTTY === true,
): Readonly<Config> {
  const value = (name: string): string | null => {
    const raw = env[name];
    return raw === undefined || raw.trim() === '' ? null : raw.trim();
  };

  const portText = value('PORT') ?? '8080';
  const port = Number(portText);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new ConfigError('PORT', `'${portText}' is not a TCP port (0-65535).`);
  }

  const tlsCertPath = value('ENVELOPE_TLS_CERT');
  const tlsKeyPath = value('ENVELOPE_TLS_KEY');
  if ((tlsCertPath === null) !== (tlsKeyPath === null)) {
    throw new ConfigError(tlsCertPath ? 'ENVELOPE_TLS_KEY' : 'ENVELOPE_TLS_CERT', 'set both ENVELOPE_TLS_CERT and ENVELOPE_TLS_KEY, or neither.');
  }

  const databaseUrl = value('DATABASE_URL');
  if (databaseUrl !== null && !/^postgres(ql)?:\/\//.test(databaseUrl)) {
    throw new ConfigError('DATABASE_URL', 'must be a postgres:// or postgresql:// URL.');
  }

  const adminToken = value('ENVELOPE_ADMIN_TOKEN');
  if (adminToken !== null && adminToken.length < 24) {
    throw new ConfigError('ENVELOPE_ADMIN_TOKEN', 'must be at least 24 characters.');
  }

  const logLevel = value('LOG_LEVEL') ?? 'info';
  if (!(logLevels as readonly string[]).includes(logLevel)) {
    throw new ConfigError('LOG_LEVEL', `must be one of ${logLevels.join(', ')}.`);
  }

  const logFormat = value('LOG_FORMAT') ?? (stdoutIsTty ? 'pretty' : 'json');
  if (!(logFormats as readonly string[]).includes(logFormat)) {
    throw new ConfigError('LOG_FORMAT', `must be one of ${logFormats.join(', ')}.`);
  }

  const publicUrl = value('ENVELOPE_PUBLIC_URL');
  if (publicUrl !== null && !/^https?:\/\/[^/]+/.test(publicUrl)) {
    throw new ConfigError('ENVELOPE_PUBLIC_URL', 'must be an http(s) URL such as https://envelope.example.com.');
  }

  const apnsUrl = value('ENVELOPE_APNS_URL') ?? defaultApnsUrl;
  if (!/^https:\/\/[^/\s]+$/.test(apnsUrl.replace(/\/+$/, ''))) {
    throw new ConfigError('ENVELOPE_APNS_URL', `'${apnsUrl}' is not an https base URL such as ${defaultApnsUrl}.`);
  }

  const apnsCaPath = value('ENVELOPE_APNS_CA');

  const wnsUrlText = value('ENVELOPE_WNS_URL');
  const wnsUrl = wnsUrlText === null ? null : httpsOrigin(wnsUrlText);
  if (wnsUrl === undefined) {
    throw new ConfigError('ENVELOPE_WNS_URL', `'${wnsUrlText}' is not an https origin such as https://127.0.0.1:8444 (unset = Microsoft's WNS).`);
  }

  const wnsCaPath = value('ENVELOPE_WNS_CA');

  const fcmUrlText = value('ENVELOPE_FCM_URL');
  const fcmUrl = fcmUrlText === null ? null : httpsOrigin(fcmUrlText);
  if (fcmUrl === undefined) {
    throw new ConfigError('ENVELOPE_FCM_URL', `'${fcmUrlText}' is not an https origin such as https://127.0.0.1:8445 (unset = Google's FCM).`);
  }
  const fcmCaPath = value('ENVELOPE_FCM_CA');
  const amapiUrlText = value('ENVELOPE_AMAPI_URL');
  const amapiUrl = amapiUrlText === null ? null : amapiRootUrl(amapiUrlText);
  if (amapiUrl === undefined) {
    throw new ConfigError('ENVELOPE_AMAPI_URL', `'${amapiUrlText}' is not an https origin, or an http origin on 127.0.0.1/localhost, such as http://127.0.0.1:8445/ (unset = Google's Android Management API).`);
  }
  const amapiQuotaText = value('ENVELOPE_AMAPI_QUOTA') ?? '1000';
  const amapiQueriesPer100s = Number(amapiQuotaText);
  if (!Number.isInteger(amapiQueriesPer100s) || amapiQueriesPer100s < 1 || amapiQueriesPer100s > 10_000_000) {
    throw new ConfigError('ENVELOPE_AMAPI_QUOTA', `'${amapiQuotaText}' is not a whole number of queries per 100 seconds from 1 to 10000000.`);
  }

  const wakePollText = value('ENVELOPE_WAKE_POLL_MS') ?? '1000';
  const wakePollIntervalMs = Number(wakePollText);
  if (!Number.isInteger(wakePollIntervalMs) || wakePollIntervalMs < 50 || wakePollIntervalMs > 60_000) {
    throw new ConfigError('ENVELOPE_WAKE_POLL_MS', `'${wakePollText}' is not a whole number of milliseconds from 50 to 60000.`);
  }

  const trustProxy = parseTrustProxy(value('ENVELOPE_TRUST_PROXY'));

  const dataDir = value('ENVELOPE_DATA_DIR') ?? './data';
  return Object.freeze({
    port,
    host: value('HOST') ?? '127.0.0.1',
    databaseUrl,
    dataDir: isAbsolute(dataDir) ? dataDir : resolve(cwd, dataDir),
    adminToken,
    apiToken: value('ENVELOPE_TOKEN'),
    tlsCertPath: tlsCertPath && resolve(cwd, tlsCertPath),
    tlsKeyPath: tlsKeyPath && resolve(cwd, tlsKeyPath),
    secretKey: parseSecretKey(value('ENVELOPE_SECRET_KEY')),
    logLevel: logLevel as Config['logLevel'],
    logFormat: logFormat as Config['logFormat'],
    publicUrl: publicUrl?.replace(/\/+$/, '') ?? null,
    apnsUrl: apnsUrl.replace(/\/+$/, ''),
    apnsCaPath: apnsCaPath && resolve(cwd, apnsCaPath),
    wakePollIntervalMs,
    trustProxy,
    wnsUrl,
    wnsCaPath: wnsCaPath && resolve(cwd, wnsCaPath),
    fcmUrl,
    fcmCaPath: fcmCaPath && resolve(cwd, fcmCaPath),
    amapiUrl,
    amapiQueriesPer100s,
  });
}

/** An AMAPI stand-in's root URL (`origin/`): https anywhere, http on loopback only; undefined otherwise. */
function amapiRootUrl(text: string): string | undefined {
  try {
    const url = new URL(text);
    if (url.username !== '' || url.password !== '' || url.pathname !== '/' || url.search !== '' || url.hash !== '') return undefined;
    const loopback = url.hostname === '127.0.0.1' || url.hostname === 'localhost' || url.hostname === '[::1]';
    if (url.protocol === 'https:' || (url.protocol === 'http:' && loopback)) return `${url.origin}/`;
    return undefined;
  } catch {
    return undefined;
  }
}

/** `https://host[:port]` (a trailing slash allowed) as its origin; undefined for anything else (a path, a query, user info). */
function httpsOrigin(text: string): string | undefined {
  try {
    const url = new URL(text);
    const bare = url.protocol === 'https:' && url.username === '' && url.password === '' && url.pathname === '/' && url.search === '' && url.hash === '';
    return bare && /^https:\/\/[^/?#\s]+\/?$/i.test(text) ? url.origin : undefined;
  } catch {
    return undefined;
  }
}

/** Accepts 32 bytes as 64 hex characters or as base64/base64url. */
export function parseSecretKey(text: string | null): Buffer | null {
  if (text === null) return null;
  const bytes = /^[0-9a-fA-F]{64}$/.test(text) ? Buffer.from(text, 'hex') : Buffer.from(text, 'base64');
  if (bytes.length !== 32) {
    throw new ConfigError('ENVELOPE_SECRET_KEY', 'must be 32 bytes, as 64 hex characters or base64.');
  }
  return bytes;
}

const namedProxyRanges = ['loopback', 'linklocal', 'uniquelocal'];

/** `10.0.0.5, 10.1.0.0/16, loopback` → the list Fastify's `trustProxy` takes; each entry checked. */
function parseTrustProxy(text: string | null): readonly string[] {
  if (text === null) return Object.freeze([]);
  const entries = text.split(',').map((entry) => entry.trim()).filter((entry) => entry !== '');
  for (const entry of entries) {
    if (namedProxyRanges.includes(entry)) continue;
    const [address, prefix, extra] = entry.split('/');
    const family = isIP(address ?? '');
    const prefixOk = prefix === undefined || (/^\d{1,3}$/.test(prefix) && Number(prefix) <= (family === 6 ? 128 : 32));
    if (family === 0 || !prefixOk || extra !== undefined) {
      throw new ConfigError(
        'ENVELOPE_TRUST_PROXY',
        `'${entry}' is not an IP address, a CIDR range (10.0.0.0/8) or one of ${namedProxyRanges.join(', ')}; list the reverse proxies in front of Envelope, comma-separated.`,
      );
    }
  }
  return Object.freeze(entries);
}
