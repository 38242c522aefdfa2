-- WNS push for Windows MDM (issue 8): each tenant's Microsoft Store app identity, whose token lets
-- Envelope send raw notifications to the channel URIs its PCs report (decision 0018).

-- One row per tenant. package_sid is stored in its OAuth client_id form, ms-app://S-1-15-2-…; the
-- client secret is sealed with the server's secret key (it must be sent to WNS, so it cannot be a
-- one-way hash). version comes from one sequence, so it changes on every PUT, also after a DELETE
-- and a new PUT: every server process compares it before a push and rebuilds its WNS client (and
-- drops its cached access token) when it changed.
CREATE SEQUENCE windows_push_settings_version AS integer;

CREATE TABLE windows_push_settings (
  tenant_id uuid PRIMARY KEY REFERENCES tenants (id) ON DELETE CASCADE,
  package_sid text NOT NULL CHECK (package_sid ~ '^ms-app://S-1-15-2(-[0-9]{1,10}){1,15}$'),
  sealed_client_secret bytea NOT NULL,
  -- The app's Package Family Name, which the OMA-DM session writes to DMClient/Provider/<id>/Push/PFN:
  -- a PC reports no ChannelURI until it has one (dmclient-csp). Null: PCs are not given one.
  package_family_name text CHECK (package_family_name ~ '^[A-Za-z0-9.-]{3,50}_[a-z0-9]{13}$'),
  version integer NOT NULL DEFAULT nextval('windows_push_settings_version') CHECK (version >= 1),
  updated_at timestamptz NOT NULL DEFAULT date_trunc('milliseconds', now())
);
