-- Delivery (issue 7): the per-device ledger of what Envelope asked each device to do, the per-device
-- command queue, overview counters kept by deltas, and the epochs that tell a check-in whether the
-- device must be reconciled. See src/domain/delivery/README.md §7 and docs/decisions/0011.

-- One row per tenant: bumped (by the triggers below, in the writing transaction) by every change that
-- can alter the desired set of many devices: assignments, profile edits and deletions. A device whose
-- reconciled epoch is behind is reconciled at its next check-in; nothing per device is written.
CREATE TABLE delivery_epochs (
  tenant_id uuid PRIMARY KEY REFERENCES tenants (id) ON DELETE CASCADE,
  epoch bigint NOT NULL CHECK (epoch >= 1)
);

-- Per device: the tenant epoch its last reconcile saw, `stale` for a change that concerns this device
-- only (its platform, primary user, group memberships, its user's attributes or groups, an admin
-- resend), and the earliest automatic retry among its ledger rows. Locked FOR UPDATE by every
-- transaction that reconciles or records a result for the device, so two processes never do it at once.
CREATE TABLE delivery_devices (
  tenant_id uuid NOT NULL,
  device_id uuid NOT NULL,
  reconciled_epoch bigint NOT NULL DEFAULT 0,
  stale boolean NOT NULL DEFAULT true,
  next_attempt_at timestamptz,
  reconciled_at timestamptz,
  PRIMARY KEY (tenant_id, device_id),
  FOREIGN KEY (tenant_id, device_id) REFERENCES managed_devices (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX delivery_devices_retry ON delivery_devices (next_attempt_at) WHERE next_attempt_at IS NOT NULL;

-- The ledger (domain README §7): one row per (tenant, device, profile), never deleted while the device
-- exists (generation keeps counting), deleted with the device. profile_id is not a foreign key: rows
-- outlive deleted profiles so their removal can be planned.
CREATE TABLE delivery_ledger (
  tenant_id uuid NOT NULL,
  device_id uuid NOT NULL,
  profile_id uuid NOT NULL,
  odata_type text NOT NULL CHECK (odata_type ~ '^[A-Za-z0-9]+$'),
  display_name text NOT NULL,
  state text NOT NULL CHECK (state IN ('pending', 'sent', 'succeeded', 'verified', 'error', 'conflict', 'removed', 'kept',
    'notApplicable', 'waitingForDependency', 'missingDependency')),
  reason_code text NOT NULL CHECK (reason_code IN ('platformMismatch', 'osVersionTooOld', 'noPrimaryUser', 'userAttributeMissing',
    'accountConflict', 'certificateNotAssigned', 'certificateNotDeliverable', 'waitingForCertificate', 'newAssignment',
    'profileUpdated', 'userValuesChanged', 'certificateUpdated', 'primaryUserChanged', 'accountMustBeRecreated',
    'awaitingAcknowledgement', 'retrying', 'adminResend', 'upToDate', 'notAssigned', 'onlyEmailProfile', 'certificateInUse',
    'installed', 'verified', 'removed', 'deliveryFailed', 'duplicateAccount')),
  message text NOT NULL,
  operation text CHECK (operation IN ('install', 'update', 'replace', 'remove')),
  command_id uuid UNIQUE,
  generation integer NOT NULL CHECK (generation >= 0),
  attempts integer NOT NULL CHECK (attempts >= 0),
  -- DeliveredSnapshot as JSON: what the current operation delivers, and what the device confirmed
  -- holding (NULL = nothing of this profile on the device).
  target jsonb,
  installed jsonb,
  account_incarnation integer NOT NULL CHECK (account_incarnation >= 0),
  last_error_class text CHECK (last_error_class IN ('transient', 'duplicateAccount', 'terminal')),
  last_error_code text,
  last_error_message text,
  next_attempt_at timestamptz,
  resend_requested boolean NOT NULL DEFAULT false,
  user_prompt text CHECK (user_prompt IN ('reenterPassword')),
  state_changed_at timestamptz NOT NULL,
  last_reported_at timestamptz,
  -- How the overview counters count this row now: its Graph complianceStatus and the user it is
  -- tallied under (the device's primary user when the row was last written). The next write takes
  -- the counters from this to the new status.
  compliance_status text NOT NULL CHECK (compliance_status IN ('unknown', 'notApplicable', 'compliant', 'remediated',
    'nonCompliant', 'error', 'conflict', 'notAssigned')),
  counted_user_id uuid,
  updated_at timestamptz NOT NULL,
  PRIMARY KEY (tenant_id, device_id, profile_id),
  FOREIGN KEY (tenant_id, device_id) REFERENCES managed_devices (tenant_id, id) ON DELETE CASCADE,
  CHECK ((operation IS NULL) = (command_id IS NULL)),
  CHECK ((last_error_class IS NULL) = (last_error_code IS NULL) AND (last_error_code IS NULL) = (last_error_message IS NULL))
);
CREATE INDEX delivery_ledger_profile_state ON delivery_ledger (tenant_id, profile_id, state);
-- Status pages of one profile, keyset-ordered by device id.
CREATE INDEX delivery_ledger_profile_device ON delivery_ledger (tenant_id, profile_id, device_id);
CREATE INDEX delivery_ledger_retry ON delivery_ledger (next_attempt_at) WHERE next_attempt_at IS NOT NULL;
CREATE INDEX delivery_ledger_stuck ON delivery_ledger (state, state_changed_at) WHERE state IN ('pending', 'sent', 'waitingForDependency');

-- The per-device queue (delivery-protocols §d.1). The key is the domain's deterministic command id, so
-- a reconcile that runs twice enqueues once (ON CONFLICT DO NOTHING). Payload bytes are not stored:
-- the channel renders them at fetch time from the profile, version, user and snapshots here.
-- A final result sets active = false in the transaction that writes the ledger row, so acknowledged
-- work leaves the hot partial index; inactive rows are garbage-collected after a while.
CREATE TABLE delivery_commands (
  command_id uuid PRIMARY KEY,
  tenant_id uuid NOT NULL,
  device_id uuid NOT NULL,
  profile_id uuid NOT NULL,
  -- Queue order (plan order within one reconcile, then age).
  seq bigint GENERATED ALWAYS AS IDENTITY,
  kind text NOT NULL CHECK (kind IN ('install', 'update', 'replace', 'remove')),
  odata_type text NOT NULL,
  version integer NOT NULL,
  generation integer NOT NULL,
  remove_command_id uuid,
  user_prompt text CHECK (user_prompt IN ('reenterPassword')),
  target jsonb NOT NULL,
  previous jsonb,
  status text NOT NULL DEFAULT 'queued' CHECK (status IN ('queued', 'sent', 'notNow', 'acknowledged', 'failed', 'superseded')),
  active boolean NOT NULL DEFAULT true,
  not_now_count integer NOT NULL DEFAULT 0,
  created_at timestamptz NOT NULL,
  sent_at timestamptz,
  not_now_at timestamptz,
  updated_at timestamptz NOT NULL,
  CHECK (active = (status IN ('queued', 'sent', 'notNow'))),
  FOREIGN KEY (tenant_id, device_id) REFERENCES managed_devices (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX delivery_commands_active ON delivery_commands (tenant_id, device_id, seq) WHERE active;
CREATE INDEX delivery_commands_inactive ON delivery_commands (updated_at) WHERE NOT active;

-- Overview counters per (tenant, profile, device|user), split into 16 shards by the device id's first
-- hex digit: a 100,000-device rollout's acknowledgements spread over 16 rows instead of queueing on
-- one. Reads sum the shards.
CREATE TABLE delivery_overview (
  tenant_id uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  profile_id uuid NOT NULL,
  kind text NOT NULL CHECK (kind IN ('device', 'user')),
  shard smallint NOT NULL CHECK (shard BETWEEN 0 AND 15),
  pending_count integer NOT NULL DEFAULT 0,
  not_applicable_count integer NOT NULL DEFAULT 0,
  not_applicable_platform_count integer NOT NULL DEFAULT 0,
  success_count integer NOT NULL DEFAULT 0,
  error_count integer NOT NULL DEFAULT 0,
  failed_count integer NOT NULL DEFAULT 0,
  conflict_count integer NOT NULL DEFAULT 0,
  updated_at timestamptz NOT NULL,
  PRIMARY KEY (tenant_id, profile_id, kind, shard)
);

-- Per (profile, user): how many of the user's device rows are in each bucket (statusCountDeltas'
-- UserDeviceTally); the user overview counts users by their most urgent bucket.
CREATE TABLE delivery_user_tally (
  tenant_id uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  profile_id uuid NOT NULL,
  user_id uuid NOT NULL,
  pending integer NOT NULL DEFAULT 0 CHECK (pending >= 0),
  not_applicable integer NOT NULL DEFAULT 0 CHECK (not_applicable >= 0),
  not_applicable_platform integer NOT NULL DEFAULT 0 CHECK (not_applicable_platform >= 0),
  success integer NOT NULL DEFAULT 0 CHECK (success >= 0),
  error integer NOT NULL DEFAULT 0 CHECK (error >= 0),
  failed integer NOT NULL DEFAULT 0 CHECK (failed >= 0),
  conflict integer NOT NULL DEFAULT 0 CHECK (conflict >= 0),
  PRIMARY KEY (tenant_id, profile_id, user_id)
);

-- Epoch bumps and stale marks, in the transaction of the change that causes them. Triggers rather
-- than calls in each service: every write path (API, CLI, a future directory sync) is covered.
-- The tenant guard skips the bump while a tenant itself is being deleted.
CREATE FUNCTION delivery_bump_epoch() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  changed_tenant uuid := CASE WHEN TG_OP = 'DELETE' THEN OLD.tenant_id ELSE NEW.tenant_id END;
BEGIN
  INSERT INTO delivery_epochs (tenant_id, epoch)
    SELECT changed_tenant, 1 WHERE EXISTS (SELECT 1 FROM tenants WHERE id = changed_tenant)
    ON CONFLICT (tenant_id) DO UPDATE SET epoch = delivery_epochs.epoch + 1;
  RETURN NULL;
END $$;

CREATE TRIGGER delivery_epoch_on_assignments AFTER INSERT OR UPDATE OR DELETE ON device_configuration_assignments
  FOR EACH ROW EXECUTE FUNCTION delivery_bump_epoch();
CREATE TRIGGER delivery_epoch_on_profile_change AFTER UPDATE OR DELETE ON device_configurations
  FOR EACH ROW EXECUTE FUNCTION delivery_bump_epoch();

-- A change to one device, or to one user (attributes, groups), makes only their devices stale.
CREATE FUNCTION delivery_mark_stale() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  changed record;
BEGIN
  IF TG_OP = 'DELETE' THEN changed := OLD; ELSE changed := NEW; END IF;
  IF TG_TABLE_NAME = 'managed_devices' THEN
    UPDATE delivery_devices SET stale = true WHERE tenant_id = changed.tenant_id AND device_id = changed.id AND NOT stale;
  ELSIF TG_TABLE_NAME = 'users' THEN
    UPDATE delivery_devices s SET stale = true FROM managed_devices d
     WHERE d.tenant_id = changed.tenant_id AND d.user_id = changed.id
       AND s.tenant_id = d.tenant_id AND s.device_id = d.id AND NOT s.stale;
  ELSIF changed.device_id IS NOT NULL THEN
    UPDATE delivery_devices SET stale = true WHERE tenant_id = changed.tenant_id AND device_id = changed.device_id AND NOT stale;
  ELSE
    UPDATE delivery_devices s SET stale = true FROM managed_devices d
     WHERE d.tenant_id = changed.tenant_id AND d.user_id = changed.user_id
       AND s.tenant_id = d.tenant_id AND s.device_id = d.id AND NOT s.stale;
  END IF;
  RETURN NULL;
END $$;

CREATE TRIGGER delivery_stale_on_device AFTER UPDATE OF operating_system, os_version, android_management_mode, user_id ON managed_devices
  FOR EACH ROW EXECUTE FUNCTION delivery_mark_stale();
CREATE TRIGGER delivery_stale_on_user AFTER UPDATE ON users
  FOR EACH ROW EXECUTE FUNCTION delivery_mark_stale();
CREATE TRIGGER delivery_stale_on_membership AFTER INSERT OR DELETE ON group_members
  FOR EACH ROW EXECUTE FUNCTION delivery_mark_stale();

-- A device's ledger rows go with the device (ON DELETE CASCADE); this takes them out of the counters
-- in the same transaction. The two functions mirror overviewBucketOf and userBucketOf
-- (src/domain/delivery/status-count-deltas.ts); the counter recount test deletes devices to hold
-- them together.
CREATE FUNCTION delivery_bucket(status text, reason text) RETURNS text LANGUAGE sql IMMUTABLE AS $$
  SELECT CASE status
    WHEN 'unknown' THEN 'pending' WHEN 'compliant' THEN 'success' WHEN 'remediated' THEN 'success'
    WHEN 'nonCompliant' THEN 'failed' WHEN 'error' THEN 'error' WHEN 'conflict' THEN 'conflict'
    WHEN 'notApplicable' THEN CASE WHEN reason = 'platformMismatch' THEN 'notApplicablePlatform' ELSE 'notApplicable' END
  END $$;

CREATE FUNCTION delivery_user_bucket(t delivery_user_tally) RETURNS text LANGUAGE sql IMMUTABLE AS $$
  SELECT CASE WHEN t.error > 0 THEN 'error' WHEN t.conflict > 0 THEN 'conflict' WHEN t.failed > 0 THEN 'failed'
    WHEN t.pending > 0 THEN 'pending' WHEN t.success > 0 THEN 'success'
    WHEN t.not_applicable > 0 OR t.not_applicable_platform > 0 THEN 'notApplicable' END $$;

CREATE FUNCTION delivery_uncount_deleted_row() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  bucket text := delivery_bucket(OLD.compliance_status, OLD.reason_code);
  row_shard smallint := position(substr(OLD.device_id::text, 1, 1) IN '0123456789abcdef') - 1;
  tally_before delivery_user_tally;
  tally_after delivery_user_tally;
  user_before text;
  user_after text;
  has_tally boolean := false;
BEGIN
  -- Nothing counted, or the whole tenant is being deleted (its counters go with it).
  IF bucket IS NULL OR NOT EXISTS (SELECT 1 FROM tenants WHERE id = OLD.tenant_id) THEN RETURN NULL; END IF;
  -- Locks in the service's order (tally, then device overview, then user overview), so a deletion
  -- cannot deadlock with a reconcile of another device of the same user.
  IF OLD.counted_user_id IS NOT NULL THEN
    SELECT * INTO tally_before FROM delivery_user_tally
      WHERE tenant_id = OLD.tenant_id AND profile_id = OLD.profile_id AND user_id = OLD.counted_user_id FOR UPDATE;
    has_tally := FOUND;
  END IF;
  UPDATE delivery_overview SET
      pending_count = pending_count - (bucket = 'pending')::int,
      not_applicable_count = not_applicable_count - (bucket IN ('notApplicable', 'notApplicablePlatform'))::int,
      not_applicable_platform_count = not_applicable_platform_count - (bucket = 'notApplicablePlatform')::int,
      success_count = success_count - (bucket = 'success')::int,
      error_count = error_count - (bucket = 'error')::int,
      failed_count = failed_count - (bucket = 'failed')::int,
      conflict_count = conflict_count - (bucket = 'conflict')::int,
      updated_at = now()
    WHERE tenant_id = OLD.tenant_id AND profile_id = OLD.profile_id AND kind = 'device' AND shard = row_shard;
  IF NOT has_tally THEN RETURN NULL; END IF;
  UPDATE delivery_user_tally SET
      pending = pending - (bucket = 'pending')::int,
      not_applicable = not_applicable - (bucket = 'notApplicable')::int,
      not_applicable_platform = not_applicable_platform - (bucket = 'notApplicablePlatform')::int,
      success = success - (bucket = 'success')::int,
      error = error - (bucket = 'error')::int,
      failed = failed - (bucket = 'failed')::int,
      conflict = conflict - (bucket = 'conflict')::int
    WHERE tenant_id = OLD.tenant_id AND profile_id = OLD.profile_id AND user_id = OLD.counted_user_id
    RETURNING * INTO tally_after;
  user_before := delivery_user_bucket(tally_before);
  user_after := delivery_user_bucket(tally_after);
  IF user_before IS DISTINCT FROM user_after THEN
    INSERT INTO delivery_overview AS o (tenant_id, profile_id, kind, shard, pending_count, not_applicable_count, success_count,
        error_count, failed_count, conflict_count, updated_at)
      VALUES (OLD.tenant_id, OLD.profile_id, 'user', row_shard,
        COALESCE((user_after = 'pending')::int, 0) - COALESCE((user_before = 'pending')::int, 0),
        COALESCE((user_after = 'notApplicable')::int, 0) - COALESCE((user_before = 'notApplicable')::int, 0),
        COALESCE((user_after = 'success')::int, 0) - COALESCE((user_before = 'success')::int, 0),
        COALESCE((user_after = 'error')::int, 0) - COALESCE((user_before = 'error')::int, 0),
        COALESCE((user_after = 'failed')::int, 0) - COALESCE((user_before = 'failed')::int, 0),
        COALESCE((user_after = 'conflict')::int, 0) - COALESCE((user_before = 'conflict')::int, 0),
        now())
      ON CONFLICT (tenant_id, profile_id, kind, shard) DO UPDATE SET
        pending_count = o.pending_count + EXCLUDED.pending_count,
        not_applicable_count = o.not_applicable_count + EXCLUDED.not_applicable_count,
        success_count = o.success_count + EXCLUDED.success_count,
        error_count = o.error_count + EXCLUDED.error_count,
        failed_count = o.failed_count + EXCLUDED.failed_count,
        conflict_count = o.conflict_count + EXCLUDED.conflict_count,
        updated_at = EXCLUDED.updated_at;
  END IF;
  RETURN NULL;
END $$;

CREATE TRIGGER delivery_uncount_on_ledger_delete AFTER DELETE ON delivery_ledger
  FOR EACH ROW EXECUTE FUNCTION delivery_uncount_deleted_row();
