-- The company portal (issue 11, decision 0031): personal links an admin issues to a user, and the
-- per-device "check again" times that rate-limit the portal's push requests.

-- One row per link. Only the SHA-256 of the secret is stored (the URL is shown once). A link
-- authenticates exactly one user of one tenant until it expires or is revoked; a deleted user's
-- links die with the user.
CREATE TABLE portal_links (
  tenant_id uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  id uuid NOT NULL,
  secret_hash bytea NOT NULL UNIQUE CHECK (octet_length(secret_hash) = 32),
  user_id uuid NOT NULL,
  expires_at timestamptz NOT NULL,
  revoked_at timestamptz,
  last_used_at timestamptz,
  created_at timestamptz NOT NULL DEFAULT date_trunc('milliseconds', now()),
  PRIMARY KEY (tenant_id, id),
  FOREIGN KEY (tenant_id, user_id) REFERENCES users (tenant_id, id) ON DELETE CASCADE,
  CHECK (expires_at > created_at)
);
CREATE INDEX portal_links_user ON portal_links (tenant_id, user_id, created_at);

-- The last time the portal asked a device to check in again. The conditional upsert that claims a
-- slot is atomic, so the limit holds across any number of Envelope processes on one database.
CREATE TABLE portal_device_checks (
  tenant_id uuid NOT NULL,
  device_id uuid NOT NULL,
  requested_at timestamptz NOT NULL,
  PRIMARY KEY (tenant_id, device_id),
  FOREIGN KEY (tenant_id, device_id) REFERENCES managed_devices (tenant_id, id) ON DELETE CASCADE
);
