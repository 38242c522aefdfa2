import { badRequest, notFound } from '../../domain/errors.ts';
import { parseServiceAccount, ServiceAccountError } from '../../protocols/fcm/service-account.ts';
import type { KnoxPushSettingsStore, StoredKnoxPushSettingsInfo } from '../../store/postgres/knox-push-settings-store.ts';
import type { SecretBox } from '../secrets/secret-box.ts';

/** The sealing context of a tenant's Firebase service-account key: a sealed key copied to another tenant fails to open. */
export function knoxPushSecretContext(tenantId: string): string {
  return `tenant:${tenantId}:knoxPushServiceAccount`;
}

/**
 * Each tenant's Firebase service account (delivery-protocols e.3; decision 0019): the key file of the
 * Firebase project the Knox agent app is built with, which lets Envelope wake agents through FCM
 * HTTP v1. The file (it holds the private key) is stored sealed with the server's secret key and is
 * never returned or logged; the admin API shows its project id and client email. Without settings,
 * agents converge on their poll interval.
 */
export class KnoxPushSettingsService {
  readonly #store: Pick<KnoxPushSettingsStore, 'getInfo' | 'put' | 'delete'>;
  readonly #box: SecretBox;

  constructor(deps: { store: Pick<KnoxPushSettingsStore, 'getInfo' | 'put' | 'delete'>; box: SecretBox }) {
    this.#store = deps.store;
    this.#box = deps.box;
  }

  /**
   * Stores the key file (`serviceAccount`: its JSON text or object). 400 naming the offending field
   * (`serviceAccount.private_key`…) when it is not a usable service-account key; nothing changes then.
   */
  async put(tenantId: string, upload: { serviceAccount: string | object }): Promise<StoredKnoxPushSettingsInfo> {
    const text = typeof upload.serviceAccount === 'string' ? upload.serviceAccount : JSON.stringify(upload.serviceAccount);
    let account;
    try {
      account = parseServiceAccount(text);
    } catch (error) {
      if (error instanceof ServiceAccountError) throw badRequest(error.message, error.field);
      throw error;
    }
    const sealedServiceAccount = this.#box.seal(Buffer.from(text, 'utf8'), knoxPushSecretContext(tenantId));
    return this.#store.put(tenantId, { projectId: account.projectId, clientEmail: account.clientEmail, sealedServiceAccount });
  }

  async getOrThrow(tenantId: string): Promise<StoredKnoxPushSettingsInfo> {
    const info = await this.#store.getInfo(tenantId);
    if (!info) throw notFound('Knox push settings', 'knoxPushSettings');
    return info;
  }

  /** Removes the settings (idempotent): agents are then no longer pushed and converge on their poll interval. */
  async delete(tenantId: string): Promise<void> {
    await this.#store.delete(tenantId);
  }
}
