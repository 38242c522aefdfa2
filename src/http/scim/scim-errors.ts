import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { EnvelopeError, isEnvelopeError } from '../../domain/errors.ts';
import { isScimType } from '../../domain/scim/scim-errors.ts';
import { scimSchemas } from '../../domain/scim/scim-schemas.ts';
import { toEnvelopeError } from '../error-handler.ts';

export const scimContentType = 'application/scim+json; charset=utf-8';

/** SCIM's error body (RFC 7644 §3.12): `status` as a string, `scimType` for 400s and 409 `uniqueness`. */
export function scimErrorBody(error: EnvelopeError): Record<string, unknown> {
  const detail = error.target && !error.message.includes(error.target) ? `${error.message} (${error.target})` : error.message;
  return {
    schemas: [scimSchemas.error],
    status: String(error.status),
    ...(isScimType(error.code) ? { scimType: error.code } : error.status === 400 ? { scimType: 'invalidValue' } : {}),
    detail,
  };
}

/** Renders any error in SCIM's shape (the scope's error handler; also for routing errors under /scim/v2). */
export function renderScimError(raw: FastifyError | EnvelopeError | Error, request: FastifyRequest, reply: FastifyReply): FastifyReply {
  const known = toEnvelopeError(raw);
  const error = known && known.code === 'BadRequest' && !isEnvelopeError(raw)
    ? new EnvelopeError('invalidSyntax', known.status, known.message, known.target)
    : known;
  if (!error) request.log.error({ err: raw }, 'unhandled error');
  const rendered = error ?? new EnvelopeError('InternalServerError', 500, 'An internal error occurred.');
  if (rendered.status >= 500 && error) request.log.error({ err: raw }, 'request failed');
  if (rendered.retryAfterSeconds !== undefined) reply.header('retry-after', String(rendered.retryAfterSeconds));
  return reply.status(rendered.status).type(scimContentType).send(scimErrorBody(rendered));
}

/**
 * The `/scim/v2` scope's renderer: the one error catalogue, in SCIM's shape and media type.
 * Fastify's client errors (bad JSON, body too large) are `invalidSyntax`; anything else is a bug,
 * logged and answered with a generic 500.
 */
export function installScimErrorHandler(scope: FastifyInstance): void {
  scope.setErrorHandler(renderScimError);
  scope.setNotFoundHandler((request, reply) =>
    reply.status(404).type(scimContentType).send(scimErrorBody(new EnvelopeError('ResourceNotFound', 404, `No SCIM endpoint ${request.method} ${request.url.split('?')[0]}.`))),
  );
}
