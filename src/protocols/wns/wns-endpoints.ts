/**
 * Microsoft's OAuth endpoint for WNS access tokens.
 * Microsoft: https://learn.microsoft.com/previous-versions/windows/apps/hh465435(v=win.10) ("Access token request")
 */
export const wnsTokenUrl = 'https://login.live.com/accesstoken.srf';

/** Channel URIs live on this domain's subdomains (`https://db5p.notify.windows.com/?token=…`). */
const wnsChannelDomain = '.notify.windows.com';

/** Where Envelope talks to WNS: the token URL, and which channel URIs it may POST to. */
export interface WnsEndpoints {
  tokenUrl: string;
  /**
   * Whether a channel URI a device reported may be pushed. The URI comes from the device, and the
   * push carries Envelope's access token: anything but WNS's own hosts is refused, so a device cannot
   * make Envelope POST to an address of its choosing (SSRF) or collect the token.
   */
  isAllowedChannelUri(uri: string): boolean;
  /** For logs: where channel URIs must point. */
  readonly channelRule: string;
}

/**
 * Microsoft's WNS when `overrideUrl` is null: tokens from `https://login.live.com/accesstoken.srf`,
 * notifications only to `https://<host>.notify.windows.com/…` on the default port — Microsoft tells
 * services to check this ("The service should never push notifications to a channel on any other
 * domain", WNS overview, "Requesting a notification channel"). With an override (a test stand-in,
 * ENVELOPE_WNS_URL), the token is fetched from `<origin>/accesstoken.srf` and notifications go only
 * to channel URIs on exactly that origin. URIs with user info are always refused.
 */
export function wnsEndpoints(overrideUrl: string | null): WnsEndpoints {
  if (overrideUrl === null) {
    return {
      tokenUrl: wnsTokenUrl,
      channelRule: `https://*${wnsChannelDomain}/`,
      isAllowedChannelUri(uri) {
        const url = parse(uri);
        return url !== null && url.protocol === 'https:' && url.port === '' && url.hostname.endsWith(wnsChannelDomain) && url.hostname.length > wnsChannelDomain.length;
      },
    };
  }
  const origin = new URL(overrideUrl).origin;
  return {
    tokenUrl: `${origin}/accesstoken.srf`,
    channelRule: `${origin}/`,
    isAllowedChannelUri(uri) {
      const url = parse(uri);
      return url !== null && url.protocol === 'https:' && url.origin === origin;
    },
  };
}

function parse(uri: string): URL | null {
  if (uri.length > 2048) return null;
  try {
    const url = new URL(uri);
    return url.username === '' && url.password === '' ? url : null;
  } catch {
    return null;
  }
}
