-- PKCS identities Envelope issued from the tenant CA, one per (device, certificate profile version,
-- user) (docs/decisions/0010): every profile that carries the identity (the standalone certificate
-- profile and each email profile that embeds it) and every server process hands out the same one
-- until it reaches its renewal point. The PKCS#12 file and its transport password are sealed with
-- the server's secret key (SecretBox, bound to the row's key and serial); the certificate is public
-- and kept in clear with its serial and validity, which decide renewal and cleanup.
CREATE TABLE issued_identities (
  tenant_id uuid NOT NULL,
  device_id uuid NOT NULL,
  profile_id uuid NOT NULL,
  profile_version integer NOT NULL CHECK (profile_version >= 1),
  user_id uuid NOT NULL,
  sealed_pkcs12 bytea NOT NULL,
  sealed_password bytea NOT NULL,
  certificate_der bytea NOT NULL,
  serial_number text NOT NULL CHECK (serial_number ~ '^[0-9a-f]+$'),
  not_before timestamptz NOT NULL,
  not_after timestamptz NOT NULL CHECK (not_after > not_before),
  created_at timestamptz NOT NULL DEFAULT date_trunc('milliseconds', now()),
  PRIMARY KEY (tenant_id, device_id, profile_id, profile_version, user_id),
  FOREIGN KEY (tenant_id, device_id) REFERENCES managed_devices (tenant_id, id) ON DELETE CASCADE,
  FOREIGN KEY (tenant_id, profile_id) REFERENCES device_configurations (tenant_id, id) ON DELETE CASCADE,
  FOREIGN KEY (tenant_id, user_id) REFERENCES users (tenant_id, id) ON DELETE CASCADE
);
-- Maintenance deletes identities long expired; the other two serve the cascades of a deleted
-- profile or user (a deleted device's rows are found through the primary key).
CREATE INDEX issued_identities_not_after ON issued_identities (not_after);
CREATE INDEX issued_identities_profile ON issued_identities (tenant_id, profile_id);
CREATE INDEX issued_identities_user ON issued_identities (tenant_id, user_id);
