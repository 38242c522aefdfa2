-- Apple enrollment, the admin side up to the device's first check-in (docs/decisions/0012):
-- enrollment tokens, each tenant's MDM push certificate, the pending enrollments that profile
-- downloads create, and the enrolled devices' channel state.

-- A link an admin hands to a user: it enrolls up to max_devices devices of that user until it expires
-- or is revoked. Stored as the SHA-256 of the token only, like API tokens. used_count counts completed
-- enrollments (the device's Authenticate), never downloads.
CREATE TABLE enrollment_tokens (
  tenant_id uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  id uuid NOT NULL,
  token_hash bytea NOT NULL UNIQUE CHECK (octet_length(token_hash) = 32),
  user_id uuid NOT NULL,
  platform text NOT NULL CHECK (platform IN ('iOS', 'Windows', 'Android')),
  max_devices integer NOT NULL CHECK (max_devices BETWEEN 1 AND 100),
  used_count integer NOT NULL DEFAULT 0 CHECK (used_count BETWEEN 0 AND max_devices),
  expires_at timestamptz NOT NULL,
  revoked_at timestamptz,
  created_at timestamptz NOT NULL DEFAULT date_trunc('milliseconds', now()),
  PRIMARY KEY (tenant_id, id),
  -- A deleted user's links die with the user.
  FOREIGN KEY (tenant_id, user_id) REFERENCES users (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX enrollment_tokens_user ON enrollment_tokens (tenant_id, user_id);

-- One MDM push certificate per tenant (its UID is the Topic of every enrollment profile). The key is
-- sealed with the server's secret key; version counts uploads, so every process can tell a renewed
-- certificate from the one it loaded (delivery-protocols a.6).
CREATE TABLE apple_push_certificates (
  tenant_id uuid PRIMARY KEY REFERENCES tenants (id) ON DELETE CASCADE,
  topic text NOT NULL CHECK (topic LIKE 'com.apple.mgmt%'),
  certificate_pem text NOT NULL,
  sealed_private_key bytea NOT NULL,
  subject text NOT NULL,
  issuer text NOT NULL,
  serial_number text NOT NULL,
  not_before timestamptz NOT NULL,
  not_after timestamptz NOT NULL,
  version integer NOT NULL DEFAULT 1 CHECK (version >= 1),
  updated_at timestamptz NOT NULL DEFAULT date_trunc('milliseconds', now())
);

-- One row per enrollment profile served: the device identity in that profile is bound to the token
-- and user that asked for it. certificate_sha256 (SHA-256 of the identity's DER) is what the check-in
-- endpoint looks up from the Mdm-Signature header. completed_at is set by the device's Authenticate.
CREATE TABLE apple_pending_enrollments (
  tenant_id uuid NOT NULL,
  id uuid NOT NULL,
  token_id uuid NOT NULL,
  user_id uuid NOT NULL,
  certificate_sha256 bytea NOT NULL CHECK (octet_length(certificate_sha256) = 32),
  topic text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT date_trunc('milliseconds', now()),
  expires_at timestamptz NOT NULL,
  completed_at timestamptz,
  PRIMARY KEY (tenant_id, id),
  FOREIGN KEY (tenant_id, token_id) REFERENCES enrollment_tokens (tenant_id, id) ON DELETE CASCADE,
  FOREIGN KEY (tenant_id, user_id) REFERENCES users (tenant_id, id) ON DELETE CASCADE
);
CREATE UNIQUE INDEX apple_pending_enrollments_certificate ON apple_pending_enrollments (certificate_sha256);

-- An enrolled device's MDM channel (NanoMDM's enrollments table, device channel only): keyed by the
-- enrollment id (UDID, or EnrollmentID under User Enrollment), bound to one identity certificate.
CREATE TABLE apple_enrollments (
  tenant_id uuid NOT NULL,
  enrollment_id text NOT NULL CHECK (length(enrollment_id) BETWEEN 1 AND 128),
  device_id uuid NOT NULL,
  certificate_sha256 bytea NOT NULL CHECK (octet_length(certificate_sha256) = 32),
  enrollment_type text NOT NULL,
  serial_number text,
  topic text NOT NULL,
  push_token_hex text CHECK (push_token_hex ~ '^[0-9a-f]+$'),
  push_magic text,
  enabled boolean NOT NULL DEFAULT true,
  token_update_count integer NOT NULL DEFAULT 0 CHECK (token_update_count >= 0),
  last_seen_at timestamptz NOT NULL DEFAULT now(),
  created_at timestamptz NOT NULL DEFAULT date_trunc('milliseconds', now()),
  PRIMARY KEY (tenant_id, enrollment_id),
  FOREIGN KEY (tenant_id, device_id) REFERENCES managed_devices (tenant_id, id) ON DELETE CASCADE,
  -- A push token and its PushMagic arrive together (TokenUpdate).
  CHECK ((push_token_hex IS NULL) = (push_magic IS NULL))
);
-- The check-in endpoint's lookup: one certificate is bound to at most one enrollment.
CREATE UNIQUE INDEX apple_enrollments_certificate ON apple_enrollments (certificate_sha256);
CREATE UNIQUE INDEX apple_enrollments_device ON apple_enrollments (tenant_id, device_id);
