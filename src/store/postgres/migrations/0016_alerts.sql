-- Alerts (issue 11, docs/decisions/0023): tenant-wide counts and lists of ledger rows that need
-- attention, without scanning a tenant's whole ledger. The delivery_ledger_stuck index of 0002 has no
-- tenant column; this one pages one tenant's stuck rows by time.
CREATE INDEX delivery_ledger_attention ON delivery_ledger (tenant_id, reason_code, last_error_code, device_id)
  WHERE state IN ('conflict', 'error', 'missingDependency');
CREATE INDEX delivery_ledger_waiting ON delivery_ledger (tenant_id, state_changed_at, device_id)
  WHERE state IN ('pending', 'sent', 'waitingForDependency');
