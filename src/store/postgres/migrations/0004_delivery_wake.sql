-- Waking devices after a change (docs/decisions/0013): a platform-neutral wake queue, one row per
-- device to push, and profile fan-out jobs, one row per profile whose devices must be pushed. Both
-- are written by triggers in the transaction of the change and worked by any number of server
-- processes with FOR UPDATE SKIP LOCKED.

-- One row per (tenant, device) that should be pushed at due_at. A new request keeps the earliest
-- due time. `claim` is set while a worker pushes the device (due_at then holds the claim's expiry,
-- after which another worker may take it); a request arriving meanwhile clears it, so the worker's
-- outcome no longer applies to the row and the new request is pushed on its own. `attempts` counts
-- failed pushes (backoff); a delivered push deletes the row.
CREATE TABLE wake_queue (
  tenant_id uuid NOT NULL,
  device_id uuid NOT NULL,
  due_at timestamptz NOT NULL,
  attempts integer NOT NULL DEFAULT 0 CHECK (attempts >= 0),
  reason text NOT NULL CHECK (length(reason) BETWEEN 1 AND 64),
  claim uuid,
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, device_id),
  FOREIGN KEY (tenant_id, device_id) REFERENCES managed_devices (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX wake_queue_due ON wake_queue (due_at);

-- Requests a push of `devices` (those that exist in the tenant) at `due`; returns how many rows it
-- wrote. The one place the upsert rule lives: an unclaimed row keeps the earlier due time and its
-- reason; a claimed row takes the new time and loses its claim.
CREATE FUNCTION wake_enqueue(p_tenant uuid, p_devices uuid[], p_due timestamptz, p_reason text) RETURNS integer
LANGUAGE plpgsql AS $$
DECLARE
  written integer;
BEGIN
  INSERT INTO wake_queue AS q (tenant_id, device_id, due_at, reason)
    SELECT d.tenant_id, d.id, p_due, p_reason FROM managed_devices d WHERE d.tenant_id = p_tenant AND d.id = ANY(p_devices)
    ON CONFLICT (tenant_id, device_id) DO UPDATE SET
      due_at = CASE WHEN q.claim IS NULL THEN LEAST(q.due_at, EXCLUDED.due_at) ELSE EXCLUDED.due_at END,
      reason = CASE WHEN q.claim IS NULL AND q.due_at <= EXCLUDED.due_at THEN q.reason ELSE EXCLUDED.reason END,
      claim = NULL,
      updated_at = now();
  GET DIAGNOSTICS written = ROW_COUNT;
  RETURN written;
END $$;

-- A device that becomes stale (a directory change to it or its user, an admin resend) is pushed now.
CREATE FUNCTION wake_on_stale() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM wake_enqueue(NEW.tenant_id, ARRAY[NEW.device_id], now(), 'deviceStale');
  RETURN NULL;
END $$;

CREATE TRIGGER wake_on_delivery_stale AFTER UPDATE OF stale ON delivery_devices
  FOR EACH ROW WHEN (NEW.stale AND NOT OLD.stale) EXECUTE FUNCTION wake_on_stale();

-- One row per profile whose devices must be pushed: the devices its assignments target plus those
-- holding it. Never a row per device at change time. `changes` counts the changes requested; a run
-- records in `run_changes` the count it started from, so a change during a run (which may concern
-- devices behind the cursor) starts the run over once it ends, and changes before the run starts
-- coalesce into it. A worker holds the job by lease (`lease_owner`, `lease_until`) and keeps its keyset
-- `cursor_device_id` here, so a job whose worker died is resumed by another once the lease expires.
CREATE TABLE wake_fanouts (
  tenant_id uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  profile_id uuid NOT NULL,
  reason text NOT NULL CHECK (length(reason) BETWEEN 1 AND 64),
  changes bigint NOT NULL DEFAULT 1 CHECK (changes >= 1),
  run_changes bigint,
  cursor_device_id uuid,
  lease_owner uuid,
  lease_until timestamptz,
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, profile_id)
);
CREATE INDEX wake_fanouts_created ON wake_fanouts (created_at);

-- profile_id is not a foreign key: a deleted profile's job still wakes the devices that must remove
-- it. The tenant guard skips the job while the tenant itself is being deleted.
CREATE FUNCTION wake_request_fanout() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  changed record;
  changed_profile uuid;
  why text;
BEGIN
  IF TG_OP = 'DELETE' THEN changed := OLD; ELSE changed := NEW; END IF;
  IF TG_TABLE_NAME = 'device_configurations' THEN
    changed_profile := changed.id;
    why := CASE WHEN TG_OP = 'DELETE' THEN 'profileDeleted' ELSE 'profileUpdated' END;
  ELSE
    changed_profile := changed.configuration_id;
    why := 'assignmentChanged';
  END IF;
  INSERT INTO wake_fanouts AS f (tenant_id, profile_id, reason)
    SELECT changed.tenant_id, changed_profile, why WHERE EXISTS (SELECT 1 FROM tenants WHERE id = changed.tenant_id)
    ON CONFLICT (tenant_id, profile_id) DO UPDATE SET changes = f.changes + 1, reason = EXCLUDED.reason;
  RETURN NULL;
END $$;

CREATE TRIGGER wake_fanout_on_assignments AFTER INSERT OR UPDATE OR DELETE ON device_configuration_assignments
  FOR EACH ROW EXECUTE FUNCTION wake_request_fanout();
CREATE TRIGGER wake_fanout_on_profile_change AFTER UPDATE OR DELETE ON device_configurations
  FOR EACH ROW EXECUTE FUNCTION wake_request_fanout();
