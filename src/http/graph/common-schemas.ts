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

/** `{ value: T[], "@odata.count"?, "@odata.nextLink"? }` */
export function Collection<T extends TSchema>(item: T) {
  return Type.Object({
    '@odata.count': Type.Optional(Type.Integer({ minimum: 0, description: 'With $count=true: the items the query matches, on every page.' })),
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
    $filter: Type.Optional(Type.String({ description: "OData filter: eq, ne, in, and, or, not, startswith(), e.g. startswith(displayName,'Sa')." })),
    $orderby: Type.Optional(Type.String({ description: 'One sortable property, asc or desc.' })),
    $count: Type.Optional(Type.String({ description: "'true' adds @odata.count." })),
    $search: Type.Optional(Type.String({ description: 'Graph search, e.g. "displayName:ann" (needs ConsistencyLevel: eventual).' })),
    $expand: Type.Optional(Type.String({ description: 'Navigation properties to inline (assignments, on profiles).' })),
  },
  { additionalProperties: true },
);

/** Query options of a single item's GET (`$select`; any other option is a 400 naming it). */
export const ItemQueryString = Type.Object(
  { $select: Type.Optional(Type.String({ description: 'Comma-separated properties to return (id always).' })) },
  { additionalProperties: true },
);

/** `/$count` of a collection: the number of items `$filter` / `$search` match, as text/plain. */
export const CountText = Type.String({ description: 'The count, as text/plain.', pattern: '^[0-9]+$' });

/** A reference to the shared GraphError schema: one component in the OpenAPI document, not a copy per response. */
const GraphErrorRef = Type.Unsafe<Static<typeof GraphError>>({ $ref: 'GraphError#' });
const errorResponses = { 400: GraphErrorRef, 401: GraphErrorRef, 403: GraphErrorRef, 404: GraphErrorRef, 409: GraphErrorRef };

/** Standard error responses added to every Graph route's response map. */
export function withErrors<R extends Record<number, TSchema>>(responses: R): R & typeof errorResponses {
  return { ...errorResponses, ...responses };
}
