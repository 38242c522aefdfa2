import { notFound } from '../../domain/errors.ts';
import type { DeviceStore } from '../../store/postgres/device-store.ts';
import type { KeptMessage, WindowsMdmStore } from '../../store/postgres/windows-mdm-store.ts';

/**
 * The raw device messages Envelope keeps for support (decision 0017): a Windows PC's last OMA-DM
 * messages, credentials removed, bounded per device. Apple devices keep none (their requests are
 * signed plists whose content the status already shows).
 */
export class DeviceProtocolLogService {
  readonly #devices: Pick<DeviceStore, 'get'>;
  readonly #windowsMdm: Pick<WindowsMdmStore, 'keptMessages'>;

  constructor(deps: { devices: Pick<DeviceStore, 'get'>; windowsMdm: Pick<WindowsMdmStore, 'keptMessages'> }) {
    this.#devices = deps.devices;
    this.#windowsMdm = deps.windowsMdm;
  }

  /** The device's kept messages, newest first; 404 for a device not in the tenant. */
  async messages(tenantId: string, deviceId: string): Promise<KeptMessage[]> {
    const device = await this.#devices.get(tenantId, deviceId);
    if (device === null) throw notFound('Managed device', deviceId);
    return device.operatingSystem === 'Windows' || device.operatingSystem === 'WindowsPhone' ? this.#windowsMdm.keptMessages(tenantId, deviceId) : [];
  }
}
