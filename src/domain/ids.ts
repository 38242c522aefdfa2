/**
 * Object ids are UUIDs in their canonical text form (`8-4-4-4-12` hex digits, either case), as Graph
 * writes them and as PostgreSQL's `uuid` columns accept them. Anything else can name no object, so it
 * is refused at the boundary with a 400 naming the field, never handed to the database.
 */
export const uuidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function isUuid(value: unknown): value is string {
  return typeof value === 'string' && uuidPattern.test(value);
}
