import { badRequest, notFound } from '../../domain/errors.ts';
import { normalizePackageSid } from '../../protocols/wns/package-sid.ts';
import type { StoredWindowsPushSettingsInfo, WindowsPushSettingsStore } from '../../store/postgres/windows-push-settings-store.ts';
import type { SecretBox } from '../secrets/secret-box.ts';

/** The sealing context of a tenant's WNS client secret: a sealed secret copied to another tenant fails to open. */
export function windowsPushSecretContext(tenantId: string): string {
  return `tenant:${tenantId}:windowsPushClientSecret`;
}

export interface WindowsPushSettingsUpload {
  packageSid: string;
  clientSecret: string;
  /** The Store app's Package Family Name (`Name_publisherId`), given to every PC so it opens a WNS channel. */
  packageFamilyName?: string | null;
}

/** `Contoso.EnvelopePush_8wekyb3d8bbwe`: the package name, `_`, the 13-character publisher id. */
const packageFamilyNamePattern = /^[A-Za-z0-9.-]{3,50}_[a-z0-9]{13}$/;

/**
 * Each tenant's WNS app identity (delivery-protocols e.2; decision 0018): the Package SID and client
 * secret of the Microsoft Store app whose Package Family Name the PCs are given, which lets Envelope
 * wake them with raw notifications. The secret is stored sealed with the server's secret key and is
 * never returned or logged. Without settings, PCs converge on their DMClient poll schedule.
 */
export class WindowsPushSettingsService {
  readonly #store: Pick<WindowsPushSettingsStore, 'getInfo' | 'put' | 'delete'>;
  readonly #box: SecretBox;

  constructor(deps: { store: Pick<WindowsPushSettingsStore, 'getInfo' | 'put' | 'delete'>; box: SecretBox }) {
    this.#store = deps.store;
    this.#box = deps.box;
  }

  /**
   * Stores the settings (first time or a replacement; the version changes, so every server process
   * drops its WNS token). `packageSid` is accepted with or without `ms-app://` and kept with it.
   * 400 naming `packageSid`, `clientSecret` or `packageFamilyName` for what is not one; nothing is
   * changed then.
   */
  async put(tenantId: string, upload: WindowsPushSettingsUpload): Promise<StoredWindowsPushSettingsInfo> {
    const packageSid = normalizePackageSid(upload.packageSid);
    if (packageSid === null) {
      throw badRequest("packageSid must be the app's Package SID from Partner Center, such as ms-app://S-1-15-2-2972962901-2322836549-3722629029-1345238579-3987825745-2155616079-650196962 (the ms-app:// prefix may be left out).", 'packageSid');
    }
    const clientSecret = upload.clientSecret.trim();
    if (clientSecret === '' || /[\u0000-\u001f\u007f]/.test(clientSecret)) {
      throw badRequest('clientSecret must be the client secret from Partner Center: printable characters, not blank.', 'clientSecret');
    }
    const packageFamilyName = upload.packageFamilyName?.trim() || null;
    if (packageFamilyName !== null && !packageFamilyNamePattern.test(packageFamilyName)) {
      throw badRequest("packageFamilyName must be the app's Package Family Name from Partner Center, such as Contoso.EnvelopePush_8wekyb3d8bbwe.", 'packageFamilyName');
    }
    const sealedClientSecret = this.#box.seal(Buffer.from(clientSecret, 'utf8'), windowsPushSecretContext(tenantId));
    return this.#store.put(tenantId, { packageSid, packageFamilyName, sealedClientSecret });
  }

  /** The tenant's settings (never the secret); 404 when none are set. */
  async getOrThrow(tenantId: string): Promise<StoredWindowsPushSettingsInfo> {
    const info = await this.#store.getInfo(tenantId);
    if (!info) throw notFound('Windows push settings', 'windowsPushSettings');
    return info;
  }

  /** Removes the settings (idempotent): PCs are then no longer pushed and converge on their poll schedule. */
  async delete(tenantId: string): Promise<void> {
    await this.#store.delete(tenantId);
  }
}
