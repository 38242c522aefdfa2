import type { AuditEvent, AuditActivityResult, AuditOperationType, AuditProperty, NewAuditEvent } from '../../domain/audit/audit-event.ts';
import type { Queryable } from '../db.ts';
import type { Page, PageCursor } from '../list-query.ts';
import { isoTime } from './list-sql.ts';

/** A comparison on one auditEvent property; `activityDateTime` takes ge/gt/le/lt, the others eq. */
export interface AuditFilter {
  field: AuditFilterField;
  op: 'eq' | 'ge' | 'gt' | 'le' | 'lt';
  value: string;
}

export interface AuditEventQuery {
  top: number;
  after: PageCursor | null;
  /** Newest first (`$orderby=activityDateTime desc`); the cursor continues in the same direction. */
  descending: boolean;
  filters: AuditFilter[];
}

/**
 * Graph property paths `$filter` may name, the column each reads and the cast of its value (the
 * HTTP layer has checked that uuid and timestamp values parse). Time, category, activityType, actor
 * and resource filters each have an index.
 */
const filterColumns = {
  activityDateTime: { column: 'created_at', cast: '::timestamptz' },
  category: { column: 'category', cast: '' },
  activityType: { column: 'activity_type', cast: '' },
  activityOperationType: { column: 'activity_operation_type', cast: '' },
  activityResult: { column: 'activity_result', cast: '' },
  componentName: { column: 'component_name', cast: '' },
  correlationId: { column: 'correlation_id', cast: '::uuid' },
  'actor/applicationId': { column: 'actor_token_id', cast: '::uuid' },
  'resources/resourceId': { column: 'resource_id', cast: '' },
} as const;

export type AuditFilterField = keyof typeof filterColumns;
export const auditFilterFields = Object.keys(filterColumns) as AuditFilterField[];

const sqlOps = { eq: '=', ge: '>=', gt: '>', le: '<=', lt: '<' } as const;

interface AuditRow {
  id: string;
  created_at: Date | string;
  component_name: string;
  category: string;
  activity_type: string;
  activity_operation_type: string;
  activity_result: string;
  correlation_id: string;
  actor_token_id: string;
  actor_label: string;
  actor_role: string;
  actor_ip: string | null;
  http_method: string;
  route: string;
  status_code: number;
  resource_type: string;
  resource_id: string | null;
  resource_display_name: string | null;
  modified_properties: AuditProperty[] | string;
}

const columns = `id, created_at, component_name, category, activity_type, activity_operation_type, activity_result,
  correlation_id, actor_token_id, actor_label, actor_role, actor_ip, http_method, route, status_code, resource_type,
  resource_id, resource_display_name, modified_properties`;

function toEvent(row: AuditRow): AuditEvent {
  return {
    id: row.id,
    activityDateTime: isoTime(row.created_at)!,
    route: {
      method: row.http_method as AuditEvent['route']['method'],
      route: row.route,
      componentName: row.component_name,
      category: row.category,
      resourceType: row.resource_type,
      activityOperationType: row.activity_operation_type as AuditOperationType,
      activityType: row.activity_type,
    },
    activityResult: row.activity_result as AuditActivityResult,
    statusCode: row.status_code,
    correlationId: row.correlation_id,
    actor: { tokenId: row.actor_token_id, label: row.actor_label, role: row.actor_role, ipAddress: row.actor_ip },
    resource: { id: row.resource_id, displayName: row.resource_display_name },
    modifiedProperties: typeof row.modified_properties === 'string' ? (JSON.parse(row.modified_properties) as AuditProperty[]) : row.modified_properties,
  };
}

/** The append-only audit trail (migration 0015): insert, page, get. */
export class AuditEventStore {
  readonly #db: Queryable;

  constructor(db: Queryable) {
    this.#db = db;
  }

  /** Appends one event; the actor's label is the token's label as it is now (empty if none). */
  async insert(event: NewAuditEvent): Promise<void> {
    const r = event.route;
    await this.#db.query(
      `INSERT INTO audit_events (tenant_id, id, display_name, component_name, category, activity, activity_type,
         activity_operation_type, activity_result, correlation_id, actor_token_id, actor_label, actor_role, actor_ip,
         http_method, route, status_code, resource_type, resource_id, resource_display_name, modified_properties)
       VALUES ($1, $2, $3, $4, $5, $6, $3, $7, $8, $9, $10,
         coalesce((SELECT label FROM api_tokens WHERE tenant_id = $1 AND id = $10), ''),
         $11, $12, $13, $14, $15, $16, $17, $18, $19::jsonb)`,
      [
        event.tenantId, event.id, r.activityType, r.componentName, r.category, `${r.method} ${r.route}`,
        r.activityOperationType, event.activityResult, event.correlationId, event.actor.tokenId, event.actor.role,
        event.actor.ipAddress, r.method, r.route, event.statusCode, r.resourceType, event.resource.id,
        event.resource.displayName, JSON.stringify(event.modifiedProperties),
      ],
    );
  }

  async get(tenantId: string, id: string): Promise<AuditEvent | null> {
    const rows = await this.#db.query<AuditRow>(`SELECT ${columns} FROM audit_events WHERE tenant_id = $1 AND id = $2`, [tenantId, id]);
    return rows[0] ? toEvent(rows[0]) : null;
  }

  /**
   * One page of the tenant's events in time order (then id), filtered; keyset-paged on
   * (created_at, id), which every index of the table ends with.
   */
  async list(tenantId: string, query: AuditEventQuery): Promise<Page<AuditEvent>> {
    const params: unknown[] = [tenantId];
    const where = ['tenant_id = $1'];
    for (const filter of query.filters) {
      params.push(filter.value);
      const { column, cast } = filterColumns[filter.field];
      where.push(`${column} ${sqlOps[filter.op]} $${params.length}${cast}`);
    }
    const direction = query.descending ? 'DESC' : 'ASC';
    if (query.after) {
      params.push(query.after.key, query.after.id);
      where.push(`(created_at, id) ${query.descending ? '<' : '>'} ($${params.length - 1}::timestamptz, $${params.length}::uuid)`);
    }
    params.push(query.top + 1);
    const rows = await this.#db.query<AuditRow>(
      `SELECT ${columns} FROM audit_events WHERE ${where.join(' AND ')}
       ORDER BY created_at ${direction}, id ${direction} LIMIT $${params.length}`,
      params,
    );
    const more = rows.length > query.top;
    const items = (more ? rows.slice(0, query.top) : rows).map(toEvent);
    const last = items[items.length - 1];
    return { items, next: more && last ? { key: last.activityDateTime, id: last.id } : null };
  }
}
