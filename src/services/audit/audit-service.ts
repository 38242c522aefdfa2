import { notFound } from '../../domain/errors.ts';
import type { AuditEvent, NewAuditEvent } from '../../domain/audit/audit-event.ts';
import type { Page } from '../../store/list-query.ts';
import type { AuditEventQuery, AuditEventStore } from '../../store/postgres/audit-event-store.ts';

/** The audit trail: appends events (the HTTP audit hook does) and reads them back per tenant. */
export class AuditService {
  readonly #store: AuditEventStore;
  readonly #newId: () => string;

  constructor(store: AuditEventStore, newId: () => string) {
    this.#store = store;
    this.#newId = newId;
  }

  /** Appends one event with a fresh id. Throws when the database does (the caller decides what then). */
  async record(event: Omit<NewAuditEvent, 'id'>): Promise<void> {
    await this.#store.insert({ ...event, id: this.#newId() });
  }

  list(tenantId: string, query: AuditEventQuery): Promise<Page<AuditEvent>> {
    return this.#store.list(tenantId, query);
  }

  async getOrThrow(tenantId: string, id: string): Promise<AuditEvent> {
    const event = await this.#store.get(tenantId, id);
    if (!event) throw notFound('auditEvent', id);
    return event;
  }
}
