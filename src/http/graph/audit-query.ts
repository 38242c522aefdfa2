import { badRequest } from '../../domain/errors.ts';
import { isUuid } from '../../domain/ids.ts';
import { auditFilterFields, type AuditFilter, type AuditFilterField } from '../../store/postgres/audit-event-store.ts';

/** ` and ` outside string literals (an even number of quotes follows). */
const andOutsideQuotes = /\s+and\s+(?=(?:[^']*'[^']*')*[^']*$)/i;
const comparison = /^([A-Za-z/]+)\s+(eq|ge|gt|le|lt)\s+('(?:[^']|'')*'|\S+)$/;
const resourceAny = /^resources\/any\(\s*(\w+)\s*:\s*\1\/resourceId\s+eq\s+('(?:[^']|'')*')\s*\)$/;
const isoDateTime = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,7})?)?(?:Z|[+-]\d{2}:\d{2})$/;

/**
 * `$filter` on auditEvents: clauses joined by `and` —
 * `activityDateTime ge|gt|le|lt|eq 2026-01-01T00:00:00Z` (quoted or not), `<property> eq '<text>'` for
 * category, activityType, activityOperationType, activityResult, componentName, correlationId and
 * actor/applicationId, and `resources/any(r:r/resourceId eq '<id>')`. Anything else is a 400 naming
 * $filter; GUID and time values are checked here, so the database never sees a malformed one.
 */
export function parseAuditFilter(raw: unknown): AuditFilter[] {
  if (raw === undefined) return [];
  if (typeof raw !== 'string') throw badRequest("Query option '$filter' may be given once.", '$filter');
  if (raw.trim() === '') return [];
  return raw.trim().split(andOutsideQuotes).map((part) => parseClause(part.trim()));
}

function parseClause(clause: string): AuditFilter {
  const any = resourceAny.exec(clause);
  if (any) return { field: 'resources/resourceId', op: 'eq', value: unquote(any[2]!) };
  const match = comparison.exec(clause);
  if (!match) {
    throw badRequest(`$filter: '${clause}' is not supported; use "<property> eq '<value>'" or "activityDateTime ge <time>", joined by "and".`, '$filter');
  }
  const [, field, op, literal] = match as unknown as [string, string, AuditFilter['op'], string];
  if (!(auditFilterFields as string[]).includes(field) || field === 'resources/resourceId') {
    throw badRequest(`$filter: '${field}' cannot be filtered on; filterable: ${auditFilterFields.filter((f) => f !== 'resources/resourceId').join(', ')}, resources/any(r:r/resourceId eq '…').`, '$filter');
  }
  const value = literal.startsWith("'") ? unquote(literal) : literal;
  if (field === 'activityDateTime') {
    if (!isoDateTime.test(value) || Number.isNaN(Date.parse(value))) {
      throw badRequest(`$filter: activityDateTime takes an ISO 8601 time such as 2026-01-31T00:00:00Z, not '${value}'.`, '$filter');
    }
    return { field, op, value };
  }
  if (op !== 'eq') throw badRequest(`$filter: '${field}' takes eq only.`, '$filter');
  if (!literal.startsWith("'")) throw badRequest(`$filter: the value for '${field}' is a quoted string.`, '$filter');
  if ((field === 'correlationId' || field === 'actor/applicationId') && !isUuid(value)) {
    throw badRequest(`$filter: '${field}' is a GUID, not '${value}'.`, '$filter');
  }
  return { field: field as AuditFilterField, op, value };
}

function unquote(literal: string): string {
  return literal.slice(1, -1).replace(/''/g, "'");
}

/** `$orderby`: activityDateTime, ascending (default) or descending. */
export function parseAuditOrderBy(raw: unknown): boolean {
  if (raw === undefined) return false;
  const match = typeof raw === 'string' ? /^\s*activityDateTime(?:\s+(asc|desc))?\s*$/i.exec(raw) : null;
  if (!match) throw badRequest("$orderby: only 'activityDateTime asc' or 'activityDateTime desc' is supported.", '$orderby');
  return match[1]?.toLowerCase() === 'desc';
}
