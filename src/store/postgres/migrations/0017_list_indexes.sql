-- Keyset paging through an index for every Graph list and every $orderby it offers (decision 0026):
-- a page is `WHERE tenant_id = $1 AND (key, id) > (cursor) ORDER BY key, id LIMIT n`, one index range
-- scan however deep the page. Without $orderby, lists are in creation order (created_at, id); the
-- indexes below are the only orders the API offers (list-sql.ts, the stores' sortKeys).
CREATE INDEX users_list_created ON users (tenant_id, created_at, id);
CREATE INDEX users_list_display_name ON users (tenant_id, display_name, id);
CREATE INDEX users_list_upn ON users (tenant_id, user_principal_name, id);
CREATE INDEX groups_list_created ON groups (tenant_id, created_at, id);
CREATE INDEX groups_list_display_name ON groups (tenant_id, display_name, id);
CREATE INDEX managed_devices_list_created ON managed_devices (tenant_id, created_at, id);
CREATE INDEX managed_devices_list_device_name ON managed_devices (tenant_id, device_name, id);
CREATE INDEX device_configurations_list_created ON device_configurations (tenant_id, created_at, id);
CREATE INDEX device_configurations_list_display_name ON device_configurations (tenant_id, display_name, id);
CREATE INDEX enrollment_tokens_list_created ON enrollment_tokens (tenant_id, created_at, id);
