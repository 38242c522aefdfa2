import { ApiError, graphBase, type Session } from './api.ts';

/** An API error with the field it names (Graph error `target`), so a form can show it on that field. */
export class FieldError extends ApiError {
  readonly target: string | undefined;
  constructor(status: number, code: string, message: string, target: string | undefined) {
    super(status, code, message);
    this.target = target;
  }
}

/**
 * POSTs `body` to `path` under the Graph base and returns the answer; an error answer throws a
 * `FieldError` carrying the message and `target` exactly as the API sent them (the wizard shows them on
 * the field, adding nothing of its own). A 401 calls `onUnauthorized` like the console's other requests.
 */
export async function postForForm<T>(session: Session, path: string, body: unknown, onUnauthorized: () => void): Promise<T> {
  let response: Response;
  try {
    response = await fetch(`${graphBase}/${path}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${session.token}`, accept: 'application/json', 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
  } catch {
    throw new FieldError(0, 'networkError', 'Envelope could not be reached. Check the connection and try again.', undefined);
  }
  const text = await response.text();
  let parsed: unknown;
  try {
    parsed = text ? JSON.parse(text) : undefined;
  } catch {
    parsed = undefined;
  }
  if (!response.ok) {
    if (response.status === 401) onUnauthorized();
    const error = (parsed as { error?: { code?: string; message?: string; target?: string } } | undefined)?.error;
    throw new FieldError(response.status, error?.code ?? `http${response.status}`, error?.message ?? `Envelope answered ${response.status}.`, error?.target);
  }
  return parsed as T;
}
