/**
 * The one error catalogue. Every failure that reaches a client is an EnvelopeError with a Graph error
 * `code`, an HTTP `status`, a human message and, for input errors, the `target` field it concerns.
 * The HTTP layer renders these as `{"error":{"code","message","target"?}}`; anything else is a bug and
 * becomes a generic 500.
 */
export class EnvelopeError extends Error {
  readonly code: string;
  readonly status: number;
  /** The offending property path (e.g. `hostName`, `assignments[0].target.groupId`), when there is one. */
  readonly target: string | undefined;
  /** For 503s: seconds after which the client may retry (sent as `Retry-After`). */
  readonly retryAfterSeconds: number | undefined;

  constructor(code: string, status: number, message: string, target?: string, options: { retryAfterSeconds?: number; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'EnvelopeError';
    this.code = code;
    this.status = status;
    this.target = target;
    this.retryAfterSeconds = options.retryAfterSeconds;
  }
}

export function isEnvelopeError(value: unknown): value is EnvelopeError {
  return value instanceof EnvelopeError;
}

/** 400: the request names `field` and says what is wrong with it. */
export function badRequest(message: string, field?: string): EnvelopeError {
  return new EnvelopeError('BadRequest', 400, message, field);
}

/** 401: no bearer token, or one that is unknown or revoked. */
export function unauthenticated(message = 'Missing or invalid bearer token.'): EnvelopeError {
  return new EnvelopeError('InvalidAuthenticationToken', 401, message);
}

/** 403: authenticated, but the token's role may not do this. */
export function forbidden(message = 'This token is read-only; the operation needs the admin role.'): EnvelopeError {
  return new EnvelopeError('Forbidden', 403, message);
}

/** 404: the object does not exist in the caller's tenant (objects of other tenants look the same). */
export function notFound(kind: string, id: string): EnvelopeError {
  return new EnvelopeError('ResourceNotFound', 404, `${kind} '${id}' was not found.`);
}

/** 409: the request is valid but clashes with the current state. */
export function conflict(message: string, field?: string): EnvelopeError {
  return new EnvelopeError('Conflict', 409, message, field);
}

/**
 * 422: a valid profile cannot be rendered for this user or device (a missing directory attribute, a
 * certificate the platform cannot use). Admin input errors stay 400, as in Graph.
 */
export function unprocessable(code: string, message: string, field?: string): EnvelopeError {
  return new EnvelopeError(code, 422, message, field);
}

/**
 * 503: a dependency (the database) cannot be reached right now; nothing was changed by this request
 * unless a commit raced the outage. Rendered with `Retry-After`. `cause` keeps the driver's error for logs.
 */
export function serviceUnavailable(message: string, cause?: unknown, retryAfterSeconds = 5): EnvelopeError {
  return new EnvelopeError('ServiceUnavailable', 503, message, undefined, { retryAfterSeconds, cause });
}
