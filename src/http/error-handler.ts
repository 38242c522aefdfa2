import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { EnvelopeError, isEnvelopeError } from '../domain/errors.ts';

/** Graph's error body: `{"error":{"code","message","target"?}}`. */
export function graphErrorBody(error: EnvelopeError): { error: { code: string; message: string; target?: string } } {
  return {
    error: { code: error.code, message: error.message, ...(error.target ? { target: error.target } : {}) },
  };
}

/**
 * The one error renderer. EnvelopeErrors keep their status and code (a 503 also gets `Retry-After`); Fastify's own client errors
 * (schema validation, bad JSON, body too large) become Graph-shaped 4xx naming the field; anything
 * else is a bug: logged with context, answered with a generic 500 that leaks nothing.
 */
export function installErrorHandler(app: FastifyInstance): void {
  app.setErrorHandler((raw: FastifyError | EnvelopeError | Error, request: FastifyRequest, reply: FastifyReply) => {
    const error = toEnvelopeError(raw);
    if (error) {
      if (error.status >= 500) request.log.error({ err: raw }, 'request failed');
    if (error.retryAfterSeconds !== undefined) reply.header('retry-after', String(error.retryAfterSeconds));
      return reply.status(error.status).send(graphErrorBody(error));
    }
    request.log.error({ err: raw }, 'unhandled error');
    return reply.status(500).send(graphErrorBody(new EnvelopeError('InternalServerError', 500, 'An internal error occurred.')));
  });

  app.setNotFoundHandler((request, reply) =>
    reply.status(404).send(graphErrorBody(new EnvelopeError('ResourceNotFound', 404, `No route for ${request.method} ${request.url.split('?')[0]}.`))),
  );
}

function toEnvelopeError(error: FastifyError | EnvelopeError | Error): EnvelopeError | null {
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
