-- The Apple MDM channel's own state beside the delivery queue (docs/decisions/0014).

-- Inventory verification per device: a ProfileList is wanted from verify_due_at (set when the device
-- acknowledges an install, update or removal) and periodically after verified_at. The one in flight
-- is remembered so its answer is recognised and a second one is not sent meanwhile.
CREATE TABLE apple_channel_state (
  tenant_id uuid NOT NULL,
  device_id uuid NOT NULL,
  verify_due_at timestamptz,
  verified_at timestamptz,
  profile_list_command_uuid text,
  profile_list_sent_at timestamptz,
  PRIMARY KEY (tenant_id, device_id),
  FOREIGN KEY (tenant_id, device_id) REFERENCES managed_devices (tenant_id, id) ON DELETE CASCADE
);

-- A replace on iOS is two device commands: RemoveProfile of the previous user's profile under the
-- replace's remove_command_id, then InstallProfile under its command_id. removed_at records that
-- the first half is done, so a re-offered replace goes straight to the install.
CREATE TABLE apple_replace_removals (
  tenant_id uuid NOT NULL,
  device_id uuid NOT NULL,
  command_id uuid NOT NULL,
  remove_command_id uuid NOT NULL,
  removed_at timestamptz,
  PRIMARY KEY (tenant_id, device_id, remove_command_id),
  FOREIGN KEY (tenant_id, device_id) REFERENCES managed_devices (tenant_id, id) ON DELETE CASCADE
);
