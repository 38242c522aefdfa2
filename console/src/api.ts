/** The console's client of Envelope's admin API (`/graph/beta`), with the signed-in token. */

export type Role = 'admin' | 'readOnly';
export interface Session {
  token: string;
  role: Role;
}

const storageKey = 'envelope.console.session';
export const graphBase = '/graph/beta';

export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  constructor(status: number, code: string, message: string) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

export function loadSession(): Session | null {
  try {
    const raw = sessionStorage.getItem(storageKey);
    if (!raw) return null;
    const parsed = JSON.parse(raw) as Partial<Session>;
    if (typeof parsed.token === 'string' && (parsed.role === 'admin' || parsed.role === 'readOnly')) return { token: parsed.token, role: parsed.role };
  } catch {
    // A damaged entry is the same as none.
  }
  return null;
}

export function saveSession(session: Session | null): void {
  if (session) sessionStorage.setItem(storageKey, JSON.stringify(session));
  else sessionStorage.removeItem(storageKey);
}

async function send<T>(token: string, method: string, path: string, body?: unknown): Promise<T> {
  let response: Response;
  try {
    response = await fetch(path.startsWith('/') ? path : `${graphBase}/${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, accept: 'application/json', ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
  } catch {
    throw new ApiError(0, 'networkError', 'Envelope could not be reached. Check the connection and try again.');
  }
  if (response.status === 204) return undefined as T;
  const text = await response.text();
  let parsed: unknown = undefined;
  try {
    parsed = text ? JSON.parse(text) : undefined;
  } catch {
    parsed = undefined;
  }
  if (!response.ok) {
    const error = (parsed as { error?: { code?: string; message?: string } } | undefined)?.error;
    throw new ApiError(response.status, error?.code ?? `http${response.status}`, error?.message ?? `Envelope answered ${response.status}.`);
  }
  return parsed as T;
}

/** Checks a token and learns its role (a token's own description needs no role). */
export async function signIn(token: string): Promise<Session> {
  const me = await send<{ role: Role }>(token, 'GET', 'envelope/currentToken');
  return { token, role: me.role };
}

/**
 * Signs in with a console account (user name and password, `tenant` empty for the default tenant):
 * the server answers a session token that expires after a few hours. A wrong name or password is a 401
 * that does not say which; repeated failures are a 429.
 */
export async function signInWithAccount(tenant: string, userName: string, password: string): Promise<Session> {
  let response: Response;
  try {
    response = await fetch(`${graphBase}/envelope/consoleSession`, {
      method: 'POST',
      headers: { accept: 'application/json', 'content-type': 'application/json' },
      body: JSON.stringify({ ...(tenant === '' ? {} : { tenant }), userName, password }),
    });
  } catch {
    throw new ApiError(0, 'networkError', 'Envelope could not be reached. Check the connection and try again.');
  }
  const body = (await response.json().catch(() => undefined)) as { token?: string; role?: Role; error?: { code?: string; message?: string } } | undefined;
  if (!response.ok || !body?.token || !body.role) {
    throw new ApiError(response.status, body?.error?.code ?? `http${response.status}`, body?.error?.message ?? `Envelope answered ${response.status}.`);
  }
  return { token: body.token, role: body.role };
}

export interface Collection<T> {
  value: T[];
  '@odata.nextLink'?: string;
}

export interface Api {
  get<T>(path: string): Promise<T>;
  /** Every item of a collection, following @odata.nextLink up to `limit` items. */
  all<T>(path: string, limit?: number): Promise<{ items: T[]; truncated: boolean }>;
  post<T>(path: string, body?: unknown): Promise<T>;
  patch<T>(path: string, body: unknown): Promise<T>;
  del(path: string): Promise<void>;
}

/** The API with the session's token; `onUnauthorized` runs when the server no longer accepts it (revoked). */
export function apiFor(session: Session, onUnauthorized: () => void): Api {
  const request = async <T>(token: string, method: string, path: string, body?: unknown): Promise<T> => {
    try {
      return await send<T>(token, method, path, body);
    } catch (error) {
      if (error instanceof ApiError && error.status === 401) onUnauthorized();
      throw error;
    }
  };
  const { token } = session;
  return {
    get: (path) => request(token, 'GET', path),
    async all<T>(path: string, limit = 5000) {
      const items: T[] = [];
      let next: string | undefined = path;
      while (next !== undefined && items.length < limit) {
        // nextLink is absolute (the server's public URL); only its path and query are followed.
        const url: string = next.startsWith('http') ? (() => { const u = new URL(next); return `${u.pathname}${u.search}`; })() : next;
        const page: Collection<T> = await request<Collection<T>>(token, 'GET', url);
        items.push(...page.value);
        next = page['@odata.nextLink'];
      }
      return { items: items.slice(0, limit), truncated: next !== undefined || items.length > limit };
    },
    post: (path, body) => request(token, 'POST', path, body),
    patch: (path, body) => request(token, 'PATCH', path, body),
    del: (path) => request(token, 'DELETE', path),
  };
}
