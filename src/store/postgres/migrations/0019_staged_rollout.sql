-- Staged rollouts (issue 11, docs/decisions/0029): an assignment or a profile update that reaches the
-- fleet in rings. The profile and its assignments hold the new state at once; this row holds what the
-- devices outside the reached rings keep (`previous`: the previous `apply` targets, or the previous
-- profile version), and the delivery core's reconcile applies it (rollout-gate.ts). A rollout is in
-- force while running, paused, stopped or rolled back; one per profile.
CREATE TABLE staged_rollouts (
  tenant_id uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  id uuid NOT NULL,
  configuration_id uuid NOT NULL,
  kind text NOT NULL CHECK (kind IN ('assign', 'update')),
  state text NOT NULL CHECK (state IN ('running', 'paused', 'stopped', 'rolledBack', 'completed', 'superseded')),
  -- RolloutRing[]: {"percent": n} or {"groupIds": [...]}, the last {"percent": 100}.
  rings jsonb NOT NULL CHECK (jsonb_typeof(rings) = 'array' AND jsonb_array_length(rings) BETWEEN 1 AND 10),
  reached_rings integer NOT NULL CHECK (reached_rings >= 1 AND reached_rings <= jsonb_array_length(rings)),
  error_threshold_percent double precision NOT NULL CHECK (error_threshold_percent BETWEEN 0 AND 100),
  soak_seconds double precision NOT NULL CHECK (soak_seconds >= 0),
  auto_advance boolean NOT NULL,
  -- assign: {"targets": AssignmentTarget[], "assignments": Assignment[]}; update: the previous profile
  -- (version, displayName, description, settings, links).
  previous jsonb NOT NULL,
  previous_version integer NOT NULL,
  target_version integer NOT NULL,
  paused_reason text,
  -- Who moved it and why, oldest first: [{"at", "action", "ring", "by", "reason"}] (the worker's moves
  -- are not HTTP writes, so the audit trail does not see them; this does).
  history jsonb NOT NULL DEFAULT '[]'::jsonb,
  ring_started_at timestamptz NOT NULL,
  created_at timestamptz NOT NULL,
  updated_at timestamptz NOT NULL,
  finished_at timestamptz,
  PRIMARY KEY (tenant_id, id),
  FOREIGN KEY (tenant_id, configuration_id) REFERENCES device_configurations (tenant_id, id) ON DELETE CASCADE
);
CREATE UNIQUE INDEX staged_rollouts_one_in_force ON staged_rollouts (tenant_id, configuration_id)
  WHERE state IN ('running', 'paused', 'stopped', 'rolledBack');
CREATE INDEX staged_rollouts_by_profile ON staged_rollouts (tenant_id, configuration_id, created_at DESC);
-- The worker's poll: running rollouts whose soak may have passed.
CREATE INDEX staged_rollouts_running ON staged_rollouts (ring_started_at) WHERE state = 'running';

-- A rollout that reaches more rings changes the desired set of the newly reached devices: bump the
-- tenant's epoch (decision 0011) and request the profile's wake fan-out (decision 0013), in the
-- advancing transaction, like an assignment change.
CREATE FUNCTION staged_rollout_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO delivery_epochs (tenant_id, epoch) VALUES (NEW.tenant_id, 1)
    ON CONFLICT (tenant_id) DO UPDATE SET epoch = delivery_epochs.epoch + 1;
  INSERT INTO wake_fanouts AS f (tenant_id, profile_id, reason) VALUES (NEW.tenant_id, NEW.configuration_id, 'rolloutAdvanced')
    ON CONFLICT (tenant_id, profile_id) DO UPDATE SET changes = f.changes + 1, reason = EXCLUDED.reason;
  RETURN NULL;
END $$;

CREATE TRIGGER staged_rollout_on_advance AFTER UPDATE OF reached_rings ON staged_rollouts
  FOR EACH ROW WHEN (NEW.reached_rings IS DISTINCT FROM OLD.reached_rings) EXECUTE FUNCTION staged_rollout_changed();
CREATE TRIGGER staged_rollout_on_insert AFTER INSERT ON staged_rollouts
  FOR EACH ROW EXECUTE FUNCTION staged_rollout_changed();

-- SQL twin of `rolloutBucket` (rollout-rings.ts): the first 32 bits of SHA-256 over
-- 'rolloutId:deviceId' modulo 10,000. Counting a ring's devices in SQL must agree with the reconcile.
CREATE FUNCTION staged_rollout_bucket(p_rollout uuid, p_device uuid) RETURNS integer LANGUAGE sql IMMUTABLE AS $$
  SELECT ((('x' || lpad(substr(encode(sha256(convert_to(p_rollout::text || ':' || p_device::text, 'UTF8')), 'hex'), 1, 8), 16, '0'))::bit(64)::bigint) % 10000)::integer
$$;
