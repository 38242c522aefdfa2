-- The audit trail (issue 10, decision 0022): one row per admin or SCIM write request — who (the API
-- token, its label and role, as they were at the time), what (method, route, resource, the changed
-- properties with secrets already redacted), when, and the result — read back as Graph's
-- deviceManagement/auditEvents.
--
-- Append-only: a trigger refuses UPDATE and DELETE, so not even a bug in Envelope can rewrite
-- history; deleting a whole tenant (ON DELETE CASCADE) is the one way rows go. A retention purge,
-- when one is wanted, is a later migration that replaces the trigger.
--
-- created_at is activityDateTime (millisecond precision, so the keyset paging cursor is exact).
-- actor_token_id is not a foreign key: a token's events outlive the token.
CREATE TABLE audit_events (
  tenant_id uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  id uuid NOT NULL,
  created_at timestamptz NOT NULL DEFAULT date_trunc('milliseconds', now()),
  display_name text NOT NULL,
  component_name text NOT NULL,
  category text NOT NULL,
  activity text NOT NULL,
  activity_type text NOT NULL,
  activity_operation_type text NOT NULL,
  activity_result text NOT NULL CHECK (activity_result IN ('Success', 'ClientError', 'Failure')),
  correlation_id uuid NOT NULL,
  actor_token_id uuid NOT NULL,
  actor_label text NOT NULL,
  actor_role text NOT NULL,
  actor_ip text,
  http_method text NOT NULL CHECK (http_method IN ('POST', 'PUT', 'PATCH', 'DELETE')),
  route text NOT NULL,
  status_code integer NOT NULL CHECK (status_code BETWEEN 100 AND 599),
  resource_type text NOT NULL,
  resource_id text,
  resource_display_name text,
  -- Graph auditProperty objects: [{displayName, oldValue, newValue}], values as text, secrets redacted.
  modified_properties jsonb NOT NULL DEFAULT '[]' CHECK (jsonb_typeof(modified_properties) = 'array'),
  PRIMARY KEY (tenant_id, id)
);

-- Paging walks (tenant_id, created_at, id); each filter Graph clients use has its own index in the
-- same order, so a filtered page is an index range scan too.
CREATE INDEX audit_events_by_time ON audit_events (tenant_id, created_at, id);
CREATE INDEX audit_events_by_category ON audit_events (tenant_id, category, created_at, id);
CREATE INDEX audit_events_by_activity_type ON audit_events (tenant_id, activity_type, created_at, id);
CREATE INDEX audit_events_by_actor ON audit_events (tenant_id, actor_token_id, created_at, id);
CREATE INDEX audit_events_by_resource ON audit_events (tenant_id, resource_id, created_at, id) WHERE resource_id IS NOT NULL;

CREATE FUNCTION audit_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  -- A cascade from a deleted tenant is the one allowed delete (pg_trigger_depth() > 1 inside it).
  IF TG_OP = 'DELETE' AND pg_trigger_depth() > 1 THEN
    RETURN OLD;
  END IF;
  RAISE EXCEPTION 'audit_events is append-only' USING ERRCODE = 'insufficient_privilege';
END;
$$;

CREATE TRIGGER audit_events_append_only BEFORE UPDATE OR DELETE ON audit_events
  FOR EACH ROW EXECUTE FUNCTION audit_events_append_only();
CREATE TRIGGER audit_events_no_truncate BEFORE TRUNCATE ON audit_events
  FOR EACH STATEMENT EXECUTE FUNCTION audit_events_append_only();
