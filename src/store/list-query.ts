/**
 * How collections are listed: a page size, a keyset cursor, a filter tree, one sort key, an optional
 * search and count, all on Graph property names. The HTTP layer parses OData options into this
 * (validating every property against the collection's lists); stores translate it into SQL.
 */
export interface ListQuery {
  /** Rows per page, 1–999; 0 reads no rows (only the count, for `/$count`). */
  top: number;
  after: PageCursor | null;
  select: string[] | null;
  filter: FilterNode | null;
  /** The sort property (null: the collection's default, creation time) and direction; `id` breaks ties. */
  orderBy: OrderBy | null;
  search: SearchNode | null;
  /** Also count every row the filter and search match (`$count=true`, `/$count`). */
  count: boolean;
  /** Navigation properties to expand (`$expand=assignments`). */
  expand: string[];
}

export type FilterValue = string | number | boolean | null;

export type FilterNode =
  | { op: 'and' | 'or'; left: FilterNode; right: FilterNode }
  | { op: 'not'; operand: FilterNode }
  | { op: 'eq' | 'ne'; property: string; value: FilterValue }
  | { op: 'in'; property: string; values: FilterValue[] }
  | { op: 'startswith'; property: string; value: string }
  /** `isof('microsoft.graph.<type>')`: the bare type name. */
  | { op: 'isof'; type: string };

/** Graph's `$search="property:words"`, joined by AND / OR. */
export type SearchNode =
  | { op: 'and' | 'or'; left: SearchNode; right: SearchNode }
  | { op: 'phrase'; property: string; value: string };

export interface OrderBy {
  property: string;
  descending: boolean;
}

/** Keyset cursor: the last row's sort key (as text) and id. */
export interface PageCursor {
  key: string;
  id: string;
}

export interface Page<T> {
  items: T[];
  next: PageCursor | null;
  /** Present when the query asked for a count. */
  count?: number;
}
