-- Samsung Knox through Envelope's own device agent (issue 9, docs/agent-protocol.md, decision 0019).

-- One row per enrolled Knox device, created by POST /mdm/android/enroll in the transaction that
-- consumed an Android enrollment token. The agent authenticates every request with a random device
-- credential (`Authorization: Bearer kxa_…`); only its SHA-256 is kept, as for enrollment tokens.
-- serial_number identifies the hardware: a device that enrolls again replaces its old enrollment
-- (and managed device). fcm_token is the Firebase registration token the agent reported last.
CREATE TABLE knox_enrollments (
  tenant_id uuid NOT NULL,
  device_id uuid NOT NULL,
  credential_sha256 bytea NOT NULL CHECK (octet_length(credential_sha256) = 32),
  serial_number text NOT NULL CHECK (length(serial_number) BETWEEN 1 AND 64),
  android_version text NOT NULL CHECK (length(android_version) BETWEEN 1 AND 32),
  knox_version text CHECK (length(knox_version) BETWEEN 1 AND 32),
  fcm_token text CHECK (length(fcm_token) BETWEEN 1 AND 4096),
  token_id uuid,
  -- False once the agent unenrolled (DELETE /mdm/knox/v1/device): its credential is refused from then on.
  enabled boolean NOT NULL DEFAULT true,
  last_seen_at timestamptz,
  created_at timestamptz NOT NULL DEFAULT date_trunc('milliseconds', now()),
  PRIMARY KEY (tenant_id, device_id),
  FOREIGN KEY (tenant_id, device_id) REFERENCES managed_devices (tenant_id, id) ON DELETE CASCADE,
  FOREIGN KEY (tenant_id, token_id) REFERENCES enrollment_tokens (tenant_id, id) ON DELETE SET NULL (token_id)
);
CREATE UNIQUE INDEX knox_enrollments_credential ON knox_enrollments (credential_sha256);
CREATE UNIQUE INDEX knox_enrollments_serial ON knox_enrollments (tenant_id, serial_number);
CREATE INDEX knox_enrollments_fcm ON knox_enrollments (tenant_id, device_id) WHERE fcm_token IS NOT NULL;

-- Per (device, profile): what the agent told about the Knox account beyond the delivery ledger.
-- overwritten_count counts the user-made accounts with the same address the agent overwrote
-- (Knox keys accounts by address: Intune's documented "overwritten, and overwritten again");
-- last_overwrite_command_id makes a repeated `applied` event count once. last_event is the latest
-- add-result event (applied, validated, failed) with its command, for support.
CREATE TABLE knox_accounts (
  tenant_id uuid NOT NULL,
  device_id uuid NOT NULL,
  profile_id uuid NOT NULL,
  overwritten_count integer NOT NULL DEFAULT 0 CHECK (overwritten_count >= 0),
  last_overwrite_command_id uuid,
  last_command_id uuid,
  last_event text CHECK (last_event IN ('applied', 'validated', 'failed')),
  last_event_code text CHECK (length(last_event_code) <= 64),
  last_event_at timestamptz,
  PRIMARY KEY (tenant_id, device_id, profile_id),
  FOREIGN KEY (tenant_id, device_id) REFERENCES managed_devices (tenant_id, id) ON DELETE CASCADE
);

-- FCM wake-ups for Knox agents: each tenant's Firebase service account, whose OAuth2 token lets
-- Envelope send FCM HTTP v1 messages to the registration tokens its agents report. The service-account
-- JSON (it holds the private key) is sealed with the server's secret key; project_id and client_email
-- are kept in clear for the admin API. version comes from one sequence, so it changes on every PUT:
-- every server process compares it before a push and rebuilds its FCM client (dropping its token).
CREATE SEQUENCE knox_push_settings_version AS integer;

CREATE TABLE knox_push_settings (
  tenant_id uuid PRIMARY KEY REFERENCES tenants (id) ON DELETE CASCADE,
  project_id text NOT NULL CHECK (project_id ~ '^[a-z][a-z0-9-]{4,28}[a-z0-9]$'),
  client_email text NOT NULL CHECK (length(client_email) BETWEEN 3 AND 320),
  sealed_service_account bytea NOT NULL,
  version integer NOT NULL DEFAULT nextval('knox_push_settings_version') CHECK (version >= 1),
  updated_at timestamptz NOT NULL DEFAULT date_trunc('milliseconds', now())
);
