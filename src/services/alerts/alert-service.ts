import { alertDefinitions, alertKinds, pushCertificateWarningMs, type AlertKind, type AlertSeverity } from '../../domain/alerts/alert-kinds.ts';
import { badRequest } from '../../domain/errors.ts';
import type { ListQuery, Page } from '../../store/list-query.ts';
import type { AffectedDeviceRecord, AlertStore, LedgerAlertKind } from '../../store/postgres/alert-store.ts';

/** One active alert: what is wrong, how many devices it affects, and the fix in one sentence. */
export interface Alert {
  id: AlertKind;
  kind: AlertKind;
  severity: AlertSeverity;
  title: string;
  affectedCount: number;
  fix: string;
  /** When the alert concerns a date (the push certificate's expiry), that date; else null. */
  dueDateTime: string | null;
}

/**
 * Alerts (SPEC §7) computed from delivery status when asked: the ledger rows that need an admin,
 * counted over partial indexes (migration 0016), and the Apple push certificate's expiry. Nothing
 * is stored: an alert is gone as soon as its cause is.
 */
export class AlertService {
  readonly #store: AlertStore;
  readonly #now: () => number;
  readonly #stuckAfterMs: number;

  constructor(deps: { store: AlertStore; now: () => number; stuckAfterMs: number }) {
    this.#store = deps.store;
    this.#now = deps.now;
    this.#stuckAfterMs = deps.stuckAfterMs;
  }

  /** The active alerts (affecting at least one device, or a push certificate due), in `alertKinds` order. */
  async list(tenantId: string): Promise<Alert[]> {
    const now = this.#now();
    const counts = await this.#store.ledgerCounts(tenantId, now - this.#stuckAfterMs);
    const alerts: Alert[] = [];
    const knoxLoops = await this.#store.knoxOverwriteLoopCount(tenantId);
    for (const kind of alertKinds) {
      if (kind === 'pushCertificateExpiring') continue;
      const count = kind === 'knoxOverwriteLoop' ? knoxLoops : counts[kind];
      if (count > 0) alerts.push(alertOf(kind, count, null));
    }
    const expiry = await this.#store.pushCertificateExpiry(tenantId);
    if (expiry !== null && expiry - now <= pushCertificateWarningMs) {
      const alert = alertOf('pushCertificateExpiring', await this.#store.appleDeviceCount(tenantId), new Date(expiry).toISOString());
      alerts.push(expiry <= now ? { ...alert, severity: 'critical', title: 'The Apple MDM push certificate has expired: Apple devices cannot be woken' } : alert);
    }
    return alerts;
  }

  /** The devices `kind` affects (whether or not the alert is active now). 400 naming `kind` for an unknown kind. */
  affected(tenantId: string, kind: string, query: ListQuery): Promise<Page<AffectedDeviceRecord>> {
    if (!isAlertKind(kind)) throw badRequest(`kind must be one of ${alertKinds.join(', ')}; got '${kind}'.`, 'kind');
    if (kind === 'pushCertificateExpiring') return this.#store.affectedAppleDevices(tenantId, query);
    if (kind === 'knoxOverwriteLoop') return this.#store.affectedKnoxOverwriteLoops(tenantId, query);
    return this.#store.affectedByLedger(tenantId, kind satisfies LedgerAlertKind, this.#now() - this.#stuckAfterMs, query);
  }
}

function alertOf(kind: AlertKind, affectedCount: number, dueDateTime: string | null): Alert {
  const definition = alertDefinitions[kind];
  return { id: kind, kind, severity: definition.severity, title: definition.title, affectedCount, fix: definition.fix, dueDateTime };
}

function isAlertKind(value: string): value is AlertKind {
  return (alertKinds as readonly string[]).includes(value);
}
