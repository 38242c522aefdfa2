-- Android Enterprise (work profile) delivery through Google's Android Management API (issue 9,
-- part 2; docs/decisions/0020). Envelope is the EMM with the customer's own Google Cloud project.

-- One row per tenant: the enterprise (`enterprises/…`) and the service account that manages it. The
-- key JSON is sealed with the server's secret key and never returned; client_email and project_id are
-- copied out of it for display and for the per-project rate limiter. pubsub_token_hash is the SHA-256
-- of the secret token the Pub/Sub push subscription carries in its URL (?token=…); the token itself is
-- shown once, when the settings are first stored or when it is rotated. version changes with every
-- PUT (one sequence), so every process rebuilds its client when the settings change.
CREATE SEQUENCE android_enterprise_settings_version AS integer;

CREATE TABLE android_enterprise_settings (
  tenant_id uuid PRIMARY KEY REFERENCES tenants (id) ON DELETE CASCADE,
  enterprise_name text NOT NULL CHECK (enterprise_name ~ '^enterprises/[A-Za-z0-9_-]{1,128}$'),
  client_email text NOT NULL,
  project_id text NOT NULL,
  sealed_service_account_key bytea NOT NULL,
  mail_app_install_type text NOT NULL CHECK (mail_app_install_type IN ('FORCE_INSTALLED', 'AVAILABLE')),
  pubsub_token_hash bytea NOT NULL UNIQUE,
  version integer NOT NULL DEFAULT nextval('android_enterprise_settings_version'),
  updated_at timestamptz NOT NULL DEFAULT date_trunc('milliseconds', now())
);

-- One row per Envelope device managed through AMAPI. amapi_device_name is `enterprises/E/devices/D`
-- (from the ENROLLMENT notification); policy_name `enterprises/E/policies/envelope-<device id>`.
-- sync_due_at: the device has work for the sync worker (a wake, a retry); the worker claims due rows
-- (sync_claim, sync_lease_until) with SKIP LOCKED and clears sync_due_at under its claim only when
-- sync_requests did not move meanwhile. last_policy_version: the version Google returned for the last
-- patch Envelope recorded; applied_policy_version: what the device last reported.
CREATE TABLE android_enterprise_devices (
  tenant_id uuid NOT NULL,
  device_id uuid NOT NULL,
  amapi_device_name text NOT NULL,
  policy_name text NOT NULL,
  policy_assigned boolean NOT NULL DEFAULT false,
  last_policy_version bigint,
  applied_policy_version bigint,
  sync_due_at timestamptz,
  sync_requests integer NOT NULL DEFAULT 0,
  sync_claim uuid,
  sync_lease_until timestamptz,
  last_status_report_at timestamptz,
  PRIMARY KEY (tenant_id, device_id),
  UNIQUE (tenant_id, amapi_device_name),
  FOREIGN KEY (tenant_id, device_id) REFERENCES managed_devices (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX android_enterprise_devices_due ON android_enterprise_devices (sync_due_at) WHERE sync_due_at IS NOT NULL;

-- Every delivery command the sync worker took for a device, with the policy `applications[]` entry it
-- puts there (null for a remove). The device's policy is, per profile, the entry of its latest row
-- (seq). policy_version: the patch that carried it (null until patched); resolved_at: the device's
-- report settled it (acknowledged or failed). Kept per device; older rows of a profile are pruned.
CREATE TABLE android_enterprise_policy_commands (
  tenant_id uuid NOT NULL,
  device_id uuid NOT NULL,
  command_id uuid NOT NULL,
  seq bigint GENERATED ALWAYS AS IDENTITY,
  profile_id uuid NOT NULL,
  kind text NOT NULL CHECK (kind IN ('install', 'update', 'replace', 'remove')),
  package_name text NOT NULL,
  application jsonb,
  policy_version bigint,
  resolved_at timestamptz,
  -- The non-compliance reason that failed it (APP_NOT_INSTALLED…): a later report showing the app
  -- installed retries the profile at once.
  failure_code text,
  PRIMARY KEY (tenant_id, command_id),
  FOREIGN KEY (tenant_id, device_id) REFERENCES android_enterprise_devices (tenant_id, device_id) ON DELETE CASCADE
);
CREATE INDEX android_enterprise_policy_commands_device ON android_enterprise_policy_commands (tenant_id, device_id, profile_id, seq);

-- Pub/Sub message ids already processed (at-least-once delivery): a redelivered message changes
-- nothing. Pruned after 8 days by the sync worker (Pub/Sub redelivers for at most 7 days).
CREATE TABLE android_enterprise_pubsub_messages (
  tenant_id uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  message_id text NOT NULL,
  received_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, message_id)
);
CREATE INDEX android_enterprise_pubsub_messages_received ON android_enterprise_pubsub_messages (received_at);
