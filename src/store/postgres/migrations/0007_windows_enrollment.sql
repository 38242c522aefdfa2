-- Windows enrollment (MS-MDE2) and the OMA-DM channel's per-device state (issue 8).

-- One row per enrolled PC, created by the MS-WSTEP RequestSecurityToken that consumed an enrollment
-- token. windows_device_id is the client's DeviceID (AdditionalContext), which the PC then sends as
-- SyncHdr/Source in every OMA-DM message; hw_dev_id (HWDevID) identifies the hardware, so a PC that
-- enrolls again replaces its old enrollment (Windows refuses a second MDM: 0x8018000a).
-- certificate_sha256 is the SHA-256 of the client certificate Envelope issued from the PC's PKCS#10:
-- the session is authenticated by it when TLS ends at Envelope. Behind a TLS-terminating load
-- balancer the PC authenticates with SyncML DIGEST under digest_username; the secret is sealed with
-- the server's secret key (DIGEST needs it to check the credential, so it cannot be a one-way hash).
CREATE TABLE windows_enrollments (
  tenant_id uuid NOT NULL,
  device_id uuid NOT NULL,
  windows_device_id text NOT NULL CHECK (length(windows_device_id) BETWEEN 1 AND 128),
  hw_dev_id text CHECK (length(hw_dev_id) BETWEEN 1 AND 256),
  enrollment_type text NOT NULL CHECK (enrollment_type IN ('Device', 'Full')),
  token_id uuid,
  certificate_sha256 bytea NOT NULL CHECK (octet_length(certificate_sha256) = 32),
  certificate_serial text NOT NULL,
  certificate_not_after timestamptz NOT NULL,
  digest_username text NOT NULL CHECK (length(digest_username) BETWEEN 1 AND 128),
  sealed_digest_secret bytea NOT NULL,
  -- False once the PC reported its unenrollment (Alert 1226); its sessions are refused from then on.
  enabled boolean NOT NULL DEFAULT true,
  -- What the last session said: ./Vendor/MSFT/DMClient/Provider/<id>/Push/ChannelURI (WNS) and the
  -- LoginStatus alert (user, others, none); ./User commands wait while no user is logged in.
  push_channel_uri text CHECK (length(push_channel_uri) <= 2048),
  push_channel_updated_at timestamptz,
  login_status text CHECK (login_status IN ('user', 'others', 'none')),
  last_seen_at timestamptz,
  created_at timestamptz NOT NULL DEFAULT date_trunc('milliseconds', now()),
  PRIMARY KEY (tenant_id, device_id),
  FOREIGN KEY (tenant_id, device_id) REFERENCES managed_devices (tenant_id, id) ON DELETE CASCADE,
  FOREIGN KEY (tenant_id, token_id) REFERENCES enrollment_tokens (tenant_id, id) ON DELETE SET NULL (token_id)
);
-- Session lookups: by the TLS client certificate, or by the DIGEST user name.
CREATE UNIQUE INDEX windows_enrollments_certificate ON windows_enrollments (certificate_sha256);
CREATE UNIQUE INDEX windows_enrollments_digest_username ON windows_enrollments (digest_username);
CREATE UNIQUE INDEX windows_enrollments_windows_device ON windows_enrollments (tenant_id, windows_device_id);
-- Re-enrollment of the same hardware finds the old enrollment.
CREATE INDEX windows_enrollments_hardware ON windows_enrollments (tenant_id, hw_dev_id) WHERE hw_dev_id IS NOT NULL;
