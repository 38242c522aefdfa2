-- Console accounts (docs/decisions/0030): a user name and password per tenant for the admin console,
-- exchanged at POST /graph/beta/envelope/consoleSession for a short-lived API token. The password is
-- kept only as its scrypt hash (`scrypt$N$r$p$salt$hash`, base64). `failed_attempts` counts the
-- failures since the last success or lockout; at the limit `locked_until` is set, and sign-in is
-- refused until then whatever the password.
CREATE TABLE console_accounts (
  tenant_id uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  id uuid NOT NULL,
  user_name text NOT NULL CHECK (user_name ~ '^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$'),
  role text NOT NULL CHECK (role IN ('admin', 'readOnly')),
  password_hash text NOT NULL CHECK (password_hash LIKE 'scrypt$%'),
  failed_attempts integer NOT NULL DEFAULT 0 CHECK (failed_attempts >= 0),
  locked_until timestamptz,
  last_sign_in_at timestamptz,
  created_at timestamptz NOT NULL DEFAULT date_trunc('milliseconds', now()),
  PRIMARY KEY (tenant_id, id)
);
-- One account per name in a tenant, whatever the case ("Alice" signs in as "alice").
CREATE UNIQUE INDEX console_accounts_user_name ON console_accounts (tenant_id, lower(user_name));

-- A console session is an API token with an expiry (decision 0021) that names its account: deleting
-- the account deletes its sessions, so every request keeps the one bearer-token path.
ALTER TABLE api_tokens ADD COLUMN console_account_id uuid;
ALTER TABLE api_tokens ADD CONSTRAINT api_tokens_console_account_fkey
  FOREIGN KEY (tenant_id, console_account_id) REFERENCES console_accounts (tenant_id, id) ON DELETE CASCADE;
CREATE INDEX api_tokens_console_account ON api_tokens (tenant_id, console_account_id) WHERE console_account_id IS NOT NULL;

-- Failed sign-ins per client address over a fixed window, shared by every Envelope process: at the
-- limit the address is refused (429) until its window ends, whichever accounts it tries.
CREATE TABLE console_sign_in_failures (
  address text PRIMARY KEY CHECK (length(address) BETWEEN 1 AND 64),
  failures integer NOT NULL CHECK (failures >= 1),
  window_started_at timestamptz NOT NULL
);
CREATE INDEX console_sign_in_failures_window ON console_sign_in_failures (window_started_at);
