import { isIPv4, isIPv6 } from 'node:net';

/**
 * Syntax of the Exchange server a profile names (`hostName`): a DNS host name (letters, digits, hyphens,
 * dots), an IPv4 literal or a bracketed IPv6 literal — never a URL, path, user info or whitespace, because
 * every platform puts the value verbatim into its native `Host`/`ServerName`/`exchange_host` setting.
 * `host:port` is accepted only where the native setting takes it (Android Enterprise Gmail's
 * `exchange_host`; Nine Work shares the same Graph base type).
 */

/**
 * Returns null when `value` is acceptable, otherwise the reason, phrased to follow "hostName " and to say
 * what is allowed instead.
 */
export function hostNameProblem(value: string, options: { allowPort: boolean }): string | null {
  if (value.includes('://')) {
    return `must be a host name such as mail.contoso.com, not a URL: remove '${value.slice(0, value.indexOf('://') + 3)}'.`;
  }
  if (/\s/.test(value)) return 'must be a host name such as mail.contoso.com and must not contain spaces.';
  if (value.includes('@')) {
    return "must be the server's host name such as mail.contoso.com, not an email address or user@host.";
  }
  if (/[/?#\\]/.test(value)) return 'must be a host name such as mail.contoso.com without a path or query.';

  const split = splitPort(value);
  if (typeof split === 'string') return split;
  if (split.port !== null) {
    if (!options.allowPort) {
      return 'must not include a port: host:port is accepted only on Android Enterprise profiles; give the host name only.';
    }
    if (!isPort(split.port)) return `has an invalid port '${split.port}': use a number from 1 to 65535.`;
  }
  if (split.bracketed) {
    return isIPv6(split.host) ? null : `has an invalid IPv6 literal '[${split.host}]'.`;
  }
  if (isHostName(split.host) || isIPv4(split.host)) return null;
  return 'must be a host name (letters, digits, hyphens and dots, e.g. mail.contoso.com), an IPv4 address or a bracketed IPv6 address.';
}

/** A DNS domain name: one or more dot-separated labels, e.g. `contoso.com` or `CONTOSO`. */
export function isDomainName(value: string): boolean {
  return isHostName(value);
}

const labelPattern = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/i;

/** A host name whose last label is all digits must be a valid IPv4 address instead (`999.1.1.1` is neither). */
function isHostName(value: string): boolean {
  if (value.length === 0 || value.length > 253) return false;
  const labels = value.split('.');
  if (!labels.every((label) => labelPattern.test(label))) return false;
  return !/^\d+$/.test(labels[labels.length - 1] ?? '');
}

function isPort(value: string): boolean {
  if (!/^\d{1,5}$/.test(value)) return false;
  const port = Number(value);
  return port >= 1 && port <= 65535;
}

interface HostAndPort {
  host: string;
  port: string | null;
  bracketed: boolean;
}

/** Splits `host`, `host:port`, `[v6]` or `[v6]:port`; returns a reason string for malformed input. */
function splitPort(value: string): HostAndPort | string {
  if (value.startsWith('[')) {
    const close = value.indexOf(']');
    if (close < 0) return "has an unterminated IPv6 literal: close it with ']'.";
    const rest = value.slice(close + 1);
    if (rest !== '' && !rest.startsWith(':')) return "has unexpected text after the IPv6 literal's ']'.";
    return { host: value.slice(1, close), port: rest === '' ? null : rest.slice(1), bracketed: true };
  }
  const colons = value.split(':').length - 1;
  if (colons === 0) return { host: value, port: null, bracketed: false };
  if (colons > 1) return 'must write an IPv6 address in brackets, e.g. [2001:db8::1].';
  const [host = '', port = ''] = value.split(':');
  return { host, port, bracketed: false };
}
