/**
 * The company portal's client of `/portal/api`, authenticated by the secret of the user's personal
 * link. The secret arrives in the link's fragment (`/portal#t=ptl_…`), which browsers never send to a
 * server or put in a Referer; the page keeps it for the tab (sessionStorage) and takes it out of the
 * address bar at once.
 */

export type Condition = 'actionNeeded' | 'contactIt' | 'inProgress' | 'ready' | 'kept' | 'none';

export interface PortalProfile {
  profileId: string;
  displayName: string;
  condition: Exclude<Condition, 'none'>;
  label: string;
  message: string;
  steps: string[];
  reasonCode: string;
  emailAddress: string | null;
}

export interface PortalDevice {
  id: string;
  deviceName: string;
  operatingSystem: string;
  osVersion: string;
  model: string | null;
  lastCheckInDateTime: string | null;
  condition: Condition;
  label: string;
  profiles: PortalProfile[];
}

export interface PortalMe {
  user: { displayName: string; userPrincipalName: string; mail: string | null };
  linkExpirationDateTime: string;
  devices: PortalDevice[];
}

export interface EnrollmentLink {
  id: string;
  token: string;
  enrollmentUrl: string;
  expirationDateTime: string;
  maxDevices: number;
}

export class PortalError extends Error {
  readonly status: number;
  constructor(status: number, message: string) {
    super(message);
    this.status = status;
  }
}

const storageKey = 'envelope.portal.secret';

/** The secret from the address (moved into the tab's storage and out of the address bar) or the tab's storage. */
export function takeSecret(): string | null {
  const match = /(?:^#|&)t=(ptl_[A-Za-z0-9_-]+)/.exec(window.location.hash);
  if (match?.[1]) {
    sessionStorage.setItem(storageKey, match[1]);
    window.history.replaceState(null, '', window.location.pathname);
    return match[1];
  }
  return sessionStorage.getItem(storageKey);
}

export function forgetSecret(): void {
  sessionStorage.removeItem(storageKey);
}

export async function portalRequest<T>(secret: string, method: 'GET' | 'POST', path: string, body?: unknown): Promise<T> {
  let response: Response;
  try {
    response = await fetch(`/portal/api${path}`, {
      method,
      headers: { authorization: `Bearer ${secret}`, accept: 'application/json', ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
  } catch {
    throw new PortalError(0, 'The company portal could not be reached. Check your internet connection and try again.');
  }
  const text = await response.text();
  let parsed: unknown;
  try {
    parsed = text ? JSON.parse(text) : undefined;
  } catch {
    parsed = undefined;
  }
  if (!response.ok) {
    const message = (parsed as { error?: { message?: string } } | undefined)?.error?.message;
    throw new PortalError(response.status, message ?? `The company portal answered ${response.status}.`);
  }
  return parsed as T;
}
