-- One-step replace of a deployed email profile (issue 11, docs/decisions/0028): which profile
-- replaced which, when and by whom. A replaced profile keeps its row (read-only for assignments)
-- until the admin deletes it; the record outlives it (no foreign key on the old id, like the
-- ledger's profile_id), so the new profile still says what it replaced. Deleting the new profile
-- deletes the record: the old one may then be assigned again.
CREATE TABLE profile_replacements (
  tenant_id uuid NOT NULL,
  old_profile_id uuid NOT NULL,
  new_profile_id uuid NOT NULL,
  old_display_name text NOT NULL,
  old_odata_type text NOT NULL CHECK (old_odata_type ~ '^[A-Za-z0-9]+$'),
  assignments_moved integer NOT NULL CHECK (assignments_moved >= 0),
  replaced_at timestamptz NOT NULL DEFAULT date_trunc('milliseconds', now()),
  replaced_by_token_id uuid,
  replaced_by_role text NOT NULL,
  PRIMARY KEY (tenant_id, old_profile_id),
  UNIQUE (tenant_id, new_profile_id),
  CHECK (old_profile_id <> new_profile_id),
  FOREIGN KEY (tenant_id, new_profile_id) REFERENCES device_configurations (tenant_id, id) ON DELETE CASCADE
);
