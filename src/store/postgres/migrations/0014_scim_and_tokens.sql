-- SCIM provisioning and token lifetimes (decision 0021).

-- Tokens: a third role, `scim`, that may use /scim/v2 only; an optional expiry; the last time a
-- token was used (written at most once a minute per token, never on every request).
ALTER TABLE api_tokens DROP CONSTRAINT api_tokens_role_check;
ALTER TABLE api_tokens ADD CONSTRAINT api_tokens_role_check CHECK (role IN ('admin', 'readOnly', 'scim'));
ALTER TABLE api_tokens ADD COLUMN expires_at timestamptz;
ALTER TABLE api_tokens ADD COLUMN last_used_at timestamptz;

-- Users: what SCIM and Graph create bodies carry beside the attributes profiles use. A disabled
-- account (SCIM `active: false`, Graph `accountEnabled: false`) keeps its devices and profiles.
ALTER TABLE users ADD COLUMN account_enabled boolean NOT NULL DEFAULT true;
ALTER TABLE users ADD COLUMN external_id text CHECK (length(external_id) BETWEEN 1 AND 256);
ALTER TABLE users ADD COLUMN given_name text CHECK (length(given_name) BETWEEN 1 AND 64);
ALTER TABLE users ADD COLUMN surname text CHECK (length(surname) BETWEEN 1 AND 64);
ALTER TABLE users ADD COLUMN mail_nickname text CHECK (length(mail_nickname) BETWEEN 1 AND 64);
-- SCIM attributes a provisioning client sends that Envelope does not use (title, phoneNumbers, the
-- enterprise extension…), kept as sent so that a client comparing its values with ours sees no change.
-- Never a password: the SCIM parser drops it.
ALTER TABLE users ADD COLUMN scim_attributes jsonb NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(scim_attributes) = 'object');
CREATE INDEX users_external_id ON users (tenant_id, external_id) WHERE external_id IS NOT NULL;
CREATE INDEX users_display_name ON users (tenant_id, lower(display_name));

-- Groups: Graph's create body (mailEnabled, securityEnabled, groupTypes, mailNickname) and SCIM's externalId.
ALTER TABLE groups ADD COLUMN external_id text CHECK (length(external_id) BETWEEN 1 AND 256);
ALTER TABLE groups ADD COLUMN mail_nickname text CHECK (length(mail_nickname) BETWEEN 1 AND 64);
ALTER TABLE groups ADD COLUMN mail_enabled boolean NOT NULL DEFAULT false;
ALTER TABLE groups ADD COLUMN security_enabled boolean NOT NULL DEFAULT true;
ALTER TABLE groups ADD COLUMN group_types jsonb NOT NULL DEFAULT '[]' CHECK (jsonb_typeof(group_types) = 'array');
CREATE INDEX groups_external_id ON groups (tenant_id, external_id) WHERE external_id IS NOT NULL;
