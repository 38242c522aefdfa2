-- Envelope foundation: tenants, API tokens, directory (users, groups, members, managed devices),
-- device configurations (email and certificate profiles), assignments, encrypted tenant secrets.
-- Every table but `tenants` carries tenant_id and keys on (tenant_id, id); foreign keys include the
-- tenant, so no row can ever point into another tenant. created_at is kept at millisecond precision so
-- that keyset paging cursors (ISO-8601 text) are exact.

CREATE TABLE tenants (
  id uuid PRIMARY KEY,
  name text NOT NULL UNIQUE CHECK (name ~ '^[a-z0-9][a-z0-9._-]{0,62}$'),
  is_default boolean NOT NULL DEFAULT false,
  created_at timestamptz NOT NULL DEFAULT date_trunc('milliseconds', now())
);
CREATE UNIQUE INDEX tenants_one_default ON tenants (is_default) WHERE is_default;

CREATE TABLE api_tokens (
  tenant_id uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  id uuid NOT NULL,
  -- SHA-256 of the token; the token itself is shown once and never stored.
  token_hash bytea NOT NULL UNIQUE CHECK (octet_length(token_hash) = 32),
  role text NOT NULL CHECK (role IN ('admin', 'readOnly')),
  label text NOT NULL DEFAULT '',
  created_at timestamptz NOT NULL DEFAULT date_trunc('milliseconds', now()),
  revoked_at timestamptz,
  PRIMARY KEY (tenant_id, id)
);

CREATE TABLE users (
  tenant_id uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  id uuid NOT NULL,
  display_name text NOT NULL CHECK (length(display_name) BETWEEN 1 AND 256),
  user_principal_name text NOT NULL CHECK (user_principal_name ~ '^[^@\s]+@[^@\s]+$'),
  mail text CHECK (mail ~ '^[^@\s]+@[^@\s]+$'),
  on_premises_sam_account_name text CHECK (length(on_premises_sam_account_name) BETWEEN 1 AND 64),
  on_premises_domain_name text,
  on_premises_net_bios_name text,
  created_at timestamptz NOT NULL DEFAULT date_trunc('milliseconds', now()),
  PRIMARY KEY (tenant_id, id)
);
CREATE UNIQUE INDEX users_upn_unique ON users (tenant_id, lower(user_principal_name));

CREATE TABLE groups (
  tenant_id uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  id uuid NOT NULL,
  display_name text NOT NULL CHECK (length(display_name) BETWEEN 1 AND 256),
  description text,
  created_at timestamptz NOT NULL DEFAULT date_trunc('milliseconds', now()),
  PRIMARY KEY (tenant_id, id)
);
CREATE UNIQUE INDEX groups_name_unique ON groups (tenant_id, lower(display_name));

CREATE TABLE managed_devices (
  tenant_id uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  id uuid NOT NULL,
  device_name text NOT NULL CHECK (length(device_name) BETWEEN 1 AND 256),
  operating_system text NOT NULL CHECK (operating_system IN ('iOS', 'iPadOS', 'Windows', 'WindowsPhone', 'Android')),
  os_version text NOT NULL,
  model text,
  android_management_mode text CHECK (android_management_mode IN ('knox', 'workProfile')),
  user_id uuid,
  enrolled_at timestamptz NOT NULL DEFAULT now(),
  last_sync_at timestamptz,
  created_at timestamptz NOT NULL DEFAULT date_trunc('milliseconds', now()),
  PRIMARY KEY (tenant_id, id),
  -- Deleting a user who is some device's primary user is refused (the API says which devices).
  FOREIGN KEY (tenant_id, user_id) REFERENCES users (tenant_id, id) ON DELETE RESTRICT,
  CHECK ((operating_system = 'Android') = (android_management_mode IS NOT NULL))
);
CREATE INDEX managed_devices_user ON managed_devices (tenant_id, user_id);

CREATE TABLE group_members (
  tenant_id uuid NOT NULL,
  group_id uuid NOT NULL,
  user_id uuid,
  device_id uuid,
  added_at timestamptz NOT NULL DEFAULT now(),
  FOREIGN KEY (tenant_id, group_id) REFERENCES groups (tenant_id, id) ON DELETE CASCADE,
  FOREIGN KEY (tenant_id, user_id) REFERENCES users (tenant_id, id) ON DELETE CASCADE,
  FOREIGN KEY (tenant_id, device_id) REFERENCES managed_devices (tenant_id, id) ON DELETE CASCADE,
  CHECK ((user_id IS NULL) <> (device_id IS NULL))
);
CREATE UNIQUE INDEX group_members_user ON group_members (tenant_id, group_id, user_id) WHERE user_id IS NOT NULL;
CREATE UNIQUE INDEX group_members_device ON group_members (tenant_id, group_id, device_id) WHERE device_id IS NOT NULL;
CREATE INDEX group_members_by_user ON group_members (tenant_id, user_id) WHERE user_id IS NOT NULL;
CREATE INDEX group_members_by_device ON group_members (tenant_id, device_id) WHERE device_id IS NOT NULL;

CREATE TABLE device_configurations (
  tenant_id uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  id uuid NOT NULL,
  -- Graph @odata.type without '#microsoft.graph.'; the domain layer owns the list of valid types.
  odata_type text NOT NULL CHECK (odata_type ~ '^[A-Za-z0-9]+$'),
  display_name text NOT NULL CHECK (length(display_name) BETWEEN 1 AND 200),
  description text,
  role_scope_tag_ids jsonb NOT NULL DEFAULT '["0"]',
  -- Every other Graph property of the type, validated and normalised by the domain layer.
  settings jsonb NOT NULL,
  version integer NOT NULL DEFAULT 1 CHECK (version >= 1),
  identity_certificate_id uuid,
  smime_signing_certificate_id uuid,
  smime_encryption_certificate_id uuid,
  root_certificate_id uuid,
  created_at timestamptz NOT NULL DEFAULT date_trunc('milliseconds', now()),
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, id),
  -- A certificate profile that an email (or SCEP) profile uses cannot be deleted from under it.
  FOREIGN KEY (tenant_id, identity_certificate_id) REFERENCES device_configurations (tenant_id, id) ON DELETE RESTRICT,
  FOREIGN KEY (tenant_id, smime_signing_certificate_id) REFERENCES device_configurations (tenant_id, id) ON DELETE RESTRICT,
  FOREIGN KEY (tenant_id, smime_encryption_certificate_id) REFERENCES device_configurations (tenant_id, id) ON DELETE RESTRICT,
  FOREIGN KEY (tenant_id, root_certificate_id) REFERENCES device_configurations (tenant_id, id) ON DELETE RESTRICT
);
CREATE UNIQUE INDEX device_configurations_name_unique ON device_configurations (tenant_id, lower(display_name));

CREATE TABLE device_configuration_assignments (
  tenant_id uuid NOT NULL,
  configuration_id uuid NOT NULL,
  -- Intune's id convention: '{configurationId}_{groupId}' (virtual group ids for all users/devices).
  id text NOT NULL,
  target_type text NOT NULL CHECK (target_type IN (
    'groupAssignmentTarget', 'exclusionGroupAssignmentTarget',
    'allLicensedUsersAssignmentTarget', 'allDevicesAssignmentTarget')),
  group_id uuid,
  intent text NOT NULL DEFAULT 'apply' CHECK (intent IN ('apply', 'remove')),
  created_at timestamptz NOT NULL DEFAULT date_trunc('milliseconds', now()),
  PRIMARY KEY (tenant_id, configuration_id, id),
  FOREIGN KEY (tenant_id, configuration_id) REFERENCES device_configurations (tenant_id, id) ON DELETE CASCADE,
  -- A group that a profile is assigned to cannot be deleted (the API says which profiles).
  FOREIGN KEY (tenant_id, group_id) REFERENCES groups (tenant_id, id) ON DELETE RESTRICT,
  CHECK ((target_type IN ('groupAssignmentTarget', 'exclusionGroupAssignmentTarget')) = (group_id IS NOT NULL))
);
CREATE INDEX device_configuration_assignments_group ON device_configuration_assignments (tenant_id, group_id);

-- Secrets at rest (tenant CA private key, profile-signing identity): AES-256-GCM sealed with the
-- server's secret key; `kind` names the secret, one per tenant and kind.
CREATE TABLE tenant_secrets (
  tenant_id uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  kind text NOT NULL CHECK (kind IN ('certificateAuthority', 'profileSigning')),
  certificate_der bytea NOT NULL,
  sealed_private_key bytea NOT NULL,
  created_at timestamptz NOT NULL DEFAULT date_trunc('milliseconds', now()),
  PRIMARY KEY (tenant_id, kind)
);
