-- The OMA-DM management channel of Windows PCs (issue 8, docs/decisions/0017). A session is several
-- HTTP messages that may reach different server processes: everything a later message needs lives
-- here, never in a process's memory. Every table is bounded per device; the maintenance worker
-- deletes what is left behind (windows-mdm-store.ts `prune`).

-- One row per OMA-DM session of a PC. session_id is the PC's SessionID, which Windows reuses over
-- time: a message with MsgID 1 starts the session anew. A PC runs one session at a time, so when one
-- starts, the PC's sessions idle for a while are deleted with what was sent in them.
CREATE TABLE windows_mdm_sessions (
  tenant_id uuid NOT NULL,
  device_id uuid NOT NULL,
  session_id text NOT NULL CHECK (length(session_id) BETWEEN 1 AND 64),
  -- How the session's first message was authenticated: TLS client certificate, or SyncML DIGEST.
  auth text NOT NULL CHECK (auth IN ('certificate', 'digest')),
  -- The PC's last message processed. Envelope answers each message with its MsgID, so a repeated
  -- message (a lost answer) is recognised and the server's MsgIDs increase as the PC's do.
  last_device_msg_id integer NOT NULL CHECK (last_device_msg_id >= 1),
  -- The 1224 LoginStatus alert of the session; ./User commands wait unless it is 'user'.
  login_status text CHECK (login_status IN ('user', 'others', 'none')),
  started_at timestamptz NOT NULL,
  updated_at timestamptz NOT NULL,
  PRIMARY KEY (tenant_id, device_id, session_id),
  FOREIGN KEY (tenant_id, device_id) REFERENCES managed_devices (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX windows_mdm_sessions_updated ON windows_mdm_sessions (updated_at);

-- What the server sent under which CmdIDs. A device Status or Results names (MsgRef, CmdRef); the
-- unit whose CmdID range holds CmdRef answers it. A unit is one delivery command's SyncML (a Delete
-- and an Atomic of Adds, say), the Gets that read an account back (probe) or look for a user-made
-- duplicate before a first install (scan), a verification round, or the session's own reads
-- (ChannelURI, software version). detail holds what the answer is checked against.
CREATE TABLE windows_mdm_sent (
  tenant_id uuid NOT NULL,
  device_id uuid NOT NULL,
  session_id text NOT NULL,
  msg_id integer NOT NULL,
  first_cmd_id integer NOT NULL,
  last_cmd_id integer NOT NULL,
  purpose text NOT NULL CHECK (purpose IN ('delivery', 'probe', 'scan', 'verify', 'read')),
  command_id uuid,
  profile_id uuid,
  detail jsonb NOT NULL,
  CHECK (first_cmd_id BETWEEN 1 AND last_cmd_id),
  CHECK ((purpose IN ('delivery', 'probe', 'scan')) = (command_id IS NOT NULL AND profile_id IS NOT NULL)),
  PRIMARY KEY (tenant_id, device_id, session_id, msg_id, first_cmd_id),
  FOREIGN KEY (tenant_id, device_id, session_id) REFERENCES windows_mdm_sessions (tenant_id, device_id, session_id) ON DELETE CASCADE
);

-- SyncML DIGEST nonces, shared by every server process. Issued in a 401/407 challenge (Chal
-- NextNonce), valid for a few minutes, bound to the first session that uses it: the PC sends the same
-- credential in each message of that session, and the nonce is refused for any other session.
CREATE TABLE windows_mdm_nonces (
  tenant_id uuid NOT NULL,
  device_id uuid NOT NULL,
  nonce bytea NOT NULL CHECK (octet_length(nonce) = 16),
  session_id text,
  expires_at timestamptz NOT NULL,
  PRIMARY KEY (tenant_id, device_id, nonce),
  FOREIGN KEY (tenant_id, device_id) REFERENCES managed_devices (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX windows_mdm_nonces_expiry ON windows_mdm_nonces (expires_at);

-- Per (PC, profile): what the PC confirmed, in its native form (the ActiveSync account's CSP root,
-- GUID and leaves; a certificate's node). The ledger keeps only versions; an in-place update needs
-- the leaves the PC holds. add_sent_node is a node an Add went to whose outcome is not confirmed:
-- before another Add there the account is read back (re-adding a live account GUID deletes it).
-- Deleted when the profile is removed from the PC.
CREATE TABLE windows_mdm_profile_state (
  tenant_id uuid NOT NULL,
  device_id uuid NOT NULL,
  profile_id uuid NOT NULL,
  confirmed jsonb,
  add_sent_node text,
  updated_at timestamptz NOT NULL,
  PRIMARY KEY (tenant_id, device_id, profile_id),
  FOREIGN KEY (tenant_id, device_id) REFERENCES managed_devices (tenant_id, id) ON DELETE CASCADE
);

-- Per PC: what it reported about itself, and when its profiles are next read back (verification).
CREATE TABLE windows_mdm_devices (
  tenant_id uuid NOT NULL,
  device_id uuid NOT NULL,
  dev_info jsonb,
  software_version text CHECK (length(software_version) <= 256),
  verify_due_at timestamptz,
  verified_at timestamptz,
  updated_at timestamptz NOT NULL,
  PRIMARY KEY (tenant_id, device_id),
  FOREIGN KEY (tenant_id, device_id) REFERENCES managed_devices (tenant_id, id) ON DELETE CASCADE
);

-- The PC's last messages as received (credentials removed, each cut at 64 KiB), for support. The
-- store keeps the newest few per PC and deletes older ones as it adds one.
CREATE TABLE windows_mdm_messages (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  tenant_id uuid NOT NULL,
  device_id uuid NOT NULL,
  session_id text NOT NULL,
  msg_id integer NOT NULL,
  received_at timestamptz NOT NULL,
  body text NOT NULL,
  truncated boolean NOT NULL,
  FOREIGN KEY (tenant_id, device_id) REFERENCES managed_devices (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX windows_mdm_messages_device ON windows_mdm_messages (tenant_id, device_id, id);
