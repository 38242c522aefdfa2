/**
 * How collections are listed: a page size, a keyset cursor, equality filters on Graph property names.
 * The HTTP layer parses OData options into this; stores translate it into SQL.
 */
export interface ListQuery {
  top: number;
  after: PageCursor | null;
  select: string[] | null;
  filters: FilterClause[];
}

export interface FilterClause {
  field: string;
  value: string | number | boolean | null;
}

/** Keyset cursor: the last row's creation time and id. */
export interface PageCursor {
  createdAt: string;
  id: string;
}

export interface Page<T> {
  items: T[];
  next: PageCursor | null;
}
