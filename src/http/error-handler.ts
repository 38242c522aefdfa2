import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { badRequest, EnvelopeError, isEnvelopeError } from '../domain/errors.ts';

/** Graph's error body: `{"error":{"code","message","target"?}}`. */
export function graphErrorBody(error: EnvelopeError): { error: { code: string; message: string; target?: string } } {
  return {
    error: { code: error.code, message: error.message, ...(error.target ? { target: error.target } : {}) },
  };
}

/**
 * The one error renderer. EnvelopeErrors keep their status and code (a 503 also gets `Retry-After`);
 * Fastify's own client errors (schema validation, bad JSON, body too large, unroutable URLs) become
 * Graph-shaped 4xx naming the field; anything else is a bug: logged with context, answered with a
 * generic 500 that leaks nothing.
 */
export function renderError(raw: FastifyError | EnvelopeError | Error, request: FastifyRequest, reply: FastifyReply): FastifyReply {
  const error = toEnvelopeError(raw);
  if (error) {
    if (error.status >= 500) request.log.error({ err: raw }, 'request failed');
    if (error.retryAfterSeconds !== undefined) reply.header('retry-after', String(error.retryAfterSeconds));
    return reply.status(error.status).send(graphErrorBody(error));
  }
  request.log.error({ err: raw }, 'unhandled error');
  return reply.status(500).send(graphErrorBody(new EnvelopeError('InternalServerError', 500, 'An internal error occurred.')));
}

export function installErrorHandler(app: FastifyInstance): void {
  app.setErrorHandler(renderError);
  app.setNotFoundHandler((request, reply) =>
    reply.status(404).send(graphErrorBody(new EnvelopeError('ResourceNotFound', 404, `No route for ${request.method} ${request.url.split('?')[0]}.`))),
  );
}

/**
 * Fastify's `frameworkErrors` option: errors raised while routing, before any route (and so before
 * authentication) sees the request. Unroutable URLs carry nothing to authenticate or leak, so they
 * are answered at once, by the same renderer. A malformed path id is a 400 everywhere (ids are
 * UUIDs; the route schemas refuse other values naming the parameter), a too-long one included.
 */
export function frameworkErrorHandler(error: FastifyError, request: FastifyRequest, reply: FastifyReply): void {
  renderError(frameworkError(error), request, reply);
}

/** A routing error as the error to render: malformed or too long path segments are 400s. */
export function frameworkError(error: FastifyError): FastifyError | EnvelopeError {
  switch (error.code) {
    case 'FST_ERR_BAD_URL':
      return badRequest('The URL path is not validly percent-encoded.');
    case 'FST_ERR_MAX_PARAM_LENGTH':
      return badRequest('A path segment is too long: ids are 36-character UUIDs.');
    default:
      return error;
  }
}

/** Node's HTTP parser errors, as a status, Graph error code and message. */
function clientErrorResponse(code: string | undefined): { status: number; error: EnvelopeError } | null {
  if (code === 'HPE_HEADER_OVERFLOW') {
    return { status: 431, error: new EnvelopeError('RequestHeaderFieldsTooLarge', 431, 'The request line and headers together exceed 16 KB.') };
  }
  if (code === 'ERR_HTTP_REQUEST_TIMEOUT') {
    return { status: 408, error: new EnvelopeError('RequestTimeout', 408, 'The request was not received in time.') };
  }
  if (code?.startsWith('HPE_')) {
    return { status: 400, error: badRequest('The request is not valid HTTP/1.1.') };
  }
  return null;
}

/**
 * Fastify's `clientErrorHandler` option (the Node server's `clientError` event): requests Node's HTTP
 * parser refuses before Fastify sees them — headers or request line over the 16 KB limit (431), a
 * malformed request (400), a request too slow to arrive (408). Answered with Graph's error body and
 * the connection closed; a connection already reset by the client gets nothing.
 */
export function clientErrorHandler(this: FastifyInstance, error: Error & { code?: string }, socket: Socket): void {
  const response = clientErrorResponse(error.code);
  this.log.debug({ err: error }, 'client error');
  if (response === null || !socket.writable || error.code === 'ECONNRESET') {
    socket.destroy();
    return;
  }
  const body = JSON.stringify(graphErrorBody(response.error));
  socket.end(
    `HTTP/1.1 ${response.status} ${STATUS_CODES[response.status]}\r\nContent-Type: application/json; charset=utf-8\r\n` +
      `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
  );
}

/** An EnvelopeError as is; Fastify's own client errors as a 4xx EnvelopeError; null for anything else (a bug). */
export function toEnvelopeError(error: FastifyError | EnvelopeError | Error): EnvelopeError | null {
  if (isEnvelopeError(error)) return error;
  const fastifyError = error as FastifyError;
  if (fastifyError.validation && fastifyError.validation.length > 0) {
    const first = fastifyError.validation[0]!;
    const field = validationField(first.instancePath, first.params as Record<string, unknown>, fastifyError.validationContext);
    const message = first.keyword === 'additionalProperties'
      ? `Property '${field}' is not allowed here.`
      : `Invalid value for '${field}': ${first.message ?? 'invalid'}.`;
    return new EnvelopeError('BadRequest', 400, message, field);
  }
  if (fastifyError.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') {
    return new EnvelopeError('UnsupportedMediaType', 415, 'Send the body as application/json.');
  }
  if (typeof fastifyError.statusCode === 'number' && fastifyError.statusCode >= 400 && fastifyError.statusCode < 500) {
    return new EnvelopeError('BadRequest', fastifyError.statusCode, fastifyError.message);
  }
  return null;
}

/** Turns Ajv's `/a/0/b` paths into Graph-ish `a[0].b`, adding the offending extra or missing property. */
function validationField(instancePath: string, params: Record<string, unknown>, context: string | undefined): string {
  const parts = instancePath.split('/').filter(Boolean);
  const extra = (params.additionalProperty ?? params.missingProperty) as string | undefined;
  if (extra) parts.push(extra);
  const path = parts.reduce((acc, part) => (/^\d+$/.test(part) ? `${acc}[${part}]` : acc ? `${acc}.${part}` : part), '');
  return path || (context ?? 'body');
}
