import { badRequest, notFound } from '../../domain/errors.ts';
import type { ListQuery, Page } from '../../store/list-query.ts';
import type { DeviceFields, DeviceRecord, DeviceStore } from '../../store/postgres/device-store.ts';

/**
 * Managed devices. Android devices must say how they are managed (`androidManagementMode`: `knox` or
 * `workProfile`), because that decides which email profile family can reach them; other platforms
 * must not carry it.
 */
export class DeviceService {
  readonly #devices: DeviceStore;
  readonly #newId: () => string;

  constructor(devices: DeviceStore, newId: () => string) {
    this.#devices = devices;
    this.#newId = newId;
  }

  list(tenantId: string, query: ListQuery): Promise<Page<DeviceRecord>> {
    return this.#devices.list(tenantId, query);
  }

  async getOrThrow(tenantId: string, id: string): Promise<DeviceRecord> {
    const device = await this.#devices.get(tenantId, id);
    if (!device) throw notFound('Managed device', id);
    return device;
  }

  create(tenantId: string, fields: Omit<DeviceFields, 'model' | 'androidManagementMode' | 'userId'> & Partial<DeviceFields>): Promise<DeviceRecord> {
    const complete: DeviceFields = {
      deviceName: fields.deviceName,
      operatingSystem: fields.operatingSystem,
      osVersion: fields.osVersion,
      model: fields.model ?? null,
      androidManagementMode: fields.androidManagementMode ?? null,
      userId: fields.userId ?? null,
    };
    checkManagementMode(complete);
    return this.#devices.insert(tenantId, this.#newId(), complete);
  }

  async update(tenantId: string, id: string, changes: Partial<DeviceFields>): Promise<DeviceRecord> {
    const current = await this.getOrThrow(tenantId, id);
    const next: DeviceFields = {
      deviceName: changes.deviceName ?? current.deviceName,
      operatingSystem: changes.operatingSystem ?? current.operatingSystem,
      osVersion: changes.osVersion ?? current.osVersion,
      model: changes.model === undefined ? current.model : changes.model,
      androidManagementMode: changes.androidManagementMode === undefined ? current.androidManagementMode : changes.androidManagementMode,
      userId: changes.userId === undefined ? current.userId : changes.userId,
    };
    checkManagementMode(next);
    const updated = await this.#devices.update(tenantId, id, next);
    if (!updated) throw notFound('Managed device', id);
    return updated;
  }

  async delete(tenantId: string, id: string): Promise<void> {
    if (!(await this.#devices.delete(tenantId, id))) throw notFound('Managed device', id);
  }
}

function checkManagementMode(fields: DeviceFields): void {
  if (fields.operatingSystem === 'Android' && fields.androidManagementMode === null) {
    throw badRequest("androidManagementMode is required for Android devices: 'knox' (Samsung Knox, device administrator) or 'workProfile' (Android Enterprise).", 'androidManagementMode');
  }
  if (fields.operatingSystem !== 'Android' && fields.androidManagementMode !== null) {
    throw badRequest(`androidManagementMode applies to Android devices only, not ${fields.operatingSystem}.`, 'androidManagementMode');
  }
}
