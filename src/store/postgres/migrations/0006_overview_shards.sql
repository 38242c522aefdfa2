-- Overview counters in 256 shards (the device id's first two hex digits) instead of 16: the fleet
-- benchmark found acknowledgements of one rollout queueing on the 16 shard rows' locks (held until
-- commit). Rows written under the old scheme (shards 0-15) stay valid: reads sum every shard.
ALTER TABLE delivery_overview DROP CONSTRAINT delivery_overview_shard_check;
ALTER TABLE delivery_overview ADD CONSTRAINT delivery_overview_shard_check CHECK (shard BETWEEN 0 AND 255);

CREATE OR REPLACE FUNCTION delivery_uncount_deleted_row() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  bucket text := delivery_bucket(OLD.compliance_status, OLD.reason_code);
  row_shard smallint := (position(substr(OLD.device_id::text, 1, 1) IN '0123456789abcdef') - 1) * 16
    + position(substr(OLD.device_id::text, 2, 1) IN '0123456789abcdef') - 1;
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

