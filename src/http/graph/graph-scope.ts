import type { FastifyBaseLogger, FastifyInstance, FastifyRequest, RawReplyDefaultExpression, RawRequestDefaultExpression, RawServerDefault } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';

declare module 'fastify' {
  interface FastifyInstance {
    /** The externally visible base URL of the Graph API (`…/graph/beta`), for @odata links. */
    baseUrl(request: FastifyRequest): string;
  }
}

/** The authenticated `/graph/beta` route scope, typed by TypeBox schemas (HTTPS shares these types). */
export type GraphScope = FastifyInstance<
  RawServerDefault,
  RawRequestDefaultExpression<RawServerDefault>,
  RawReplyDefaultExpression<RawServerDefault>,
  FastifyBaseLogger,
  TypeBoxTypeProvider
>;
