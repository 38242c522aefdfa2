import { Type, type Static, type TSchema } from 'typebox';

/** Graph's error body, used as the response schema of every 4xx/5xx. */
export const GraphError = Type.Object(
  {
    error: Type.Object({
      code: Type.String(),
      message: Type.String(),
      target: Type.Optional(Type.String()),
    }),
  },
  { $id: 'GraphError', description: 'Microsoft Graph error body.' },
);

/** `{ value: T[], "@odata.nextLink"? }` */
export function Collection<T extends TSchema>(item: T) {
  return Type.Object({
    value: Type.Array(item),
    '@odata.nextLink': Type.Optional(Type.String({ format: 'uri' })),
  });
}

export const IdParams = Type.Object({ id: Type.String({ format: 'uuid' }) });

/** OData list options, as strings (parsed by odata-query.ts so that errors name the option). */
export const ListQueryString = Type.Object(
  {
    $top: Type.Optional(Type.String({ description: 'Page size, 1–999 (default 100).' })),
    $skiptoken: Type.Optional(Type.String({ description: 'Opaque cursor from @odata.nextLink.' })),
    $select: Type.Optional(Type.String({ description: 'Comma-separated properties to return.' })),
    $filter: Type.Optional(Type.String({ description: "Equality filters joined by 'and', e.g. displayName eq 'Sales'." })),
  },
  { additionalProperties: true },
);

/** A reference to the shared GraphError schema: one component in the OpenAPI document, not a copy per response. */
const GraphErrorRef = Type.Unsafe<Static<typeof GraphError>>({ $ref: 'GraphError#' });
const errorResponses = { 400: GraphErrorRef, 401: GraphErrorRef, 403: GraphErrorRef, 404: GraphErrorRef, 409: GraphErrorRef };

/** Standard error responses added to every Graph route's response map. */
export function withErrors<R extends Record<number, TSchema>>(responses: R): R & typeof errorResponses {
  return { ...errorResponses, ...responses };
}
