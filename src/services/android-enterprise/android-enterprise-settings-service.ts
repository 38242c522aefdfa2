import { createHash, createPrivateKey, randomBytes } from 'node:crypto';
import { badRequest, notFound } from '../../domain/errors.ts';
import { defaultAmapiQuota, policyRolloutDurationMs, type AmapiQuota } from '../../protocols/amapi/amapi-rate-limiter.ts';
import { sharedQuotaSpanMs } from '../../store/postgres/amapi-quota-store.ts';
import type { ServiceAccountKey } from '../../protocols/amapi/amapi-client.ts';
import type { AndroidEnterpriseSettingsInfo, AndroidEnterpriseStore, MailAppInstallType } from '../../store/postgres/android-enterprise-store.ts';
import type { SecretBox } from '../secrets/secret-box.ts';

/** The sealing context of a tenant's service-account key: a sealed key copied to another tenant fails to open. */
export function amapiKeySecretContext(tenantId: string): string {
  return `tenant:${tenantId}:amapiServiceAccountKey`;
}

/** The Pub/Sub push path; the subscription's push endpoint is `<ENVELOPE_PUBLIC_URL><path>?token=<token>`. */
export const amapiPubsubPath = '/mdm/android/enterprise/pubsub';

export function hashPubsubToken(token: string): Buffer {
  return createHash('sha256').update(token, 'utf8').digest();
}

export interface AndroidEnterpriseSettingsUpload {
  enterpriseName: string;
  /** The service account's JSON key file, as text. */
  serviceAccountKey: string;
  mailAppInstallType?: MailAppInstallType;
  /** Issue a new Pub/Sub push token (the old push URL stops working). */
  rotatePubsubToken?: boolean;
}

export interface AndroidEnterpriseSettingsView extends AndroidEnterpriseSettingsInfo {
  /** Only when a token was issued by this call: the secret the push URL carries. */
  pubsubPushToken: string | null;
  /** The push endpoint to give the Pub/Sub subscription (with the token when just issued). */
  pubsubPushUrl: string | null;
  quota: { queriesPer100Seconds: number; hoursToPatch100000Devices: number };
}

/**
 * Each tenant's Android Enterprise settings (decision 0020): the enterprise Envelope manages and the
 * service account of the customer's Google Cloud project that may manage it. The key JSON is sealed
 * with the server's secret key and never returned or logged. The Pub/Sub push token authenticates
 * Google's status notifications; only its SHA-256 is stored, so it is shown once.
 */
export class AndroidEnterpriseSettingsService {
  readonly #store: Pick<AndroidEnterpriseStore, 'settingsInfo' | 'putSettings' | 'deleteSettings'>;
  readonly #box: SecretBox;
  readonly #publicUrl: string | null;
  readonly #quota: AmapiQuota;

  constructor(deps: { store: Pick<AndroidEnterpriseStore, 'settingsInfo' | 'putSettings' | 'deleteSettings'>; box: SecretBox; publicUrl: string | null; quota?: AmapiQuota }) {
    this.#store = deps.store;
    this.#box = deps.box;
    this.#publicUrl = deps.publicUrl;
    this.#quota = deps.quota ?? defaultAmapiQuota;
  }

  /**
   * Stores the settings (first time or a replacement). 400 naming `enterpriseName`,
   * `serviceAccountKey` or `mailAppInstallType` for what is not one; nothing is changed then. The
   * first PUT (and one with `rotatePubsubToken`) issues the Pub/Sub push token, returned this once.
   */
  async put(tenantId: string, upload: AndroidEnterpriseSettingsUpload): Promise<AndroidEnterpriseSettingsView> {
    const enterpriseName = upload.enterpriseName.trim();
    if (!/^enterprises\/[A-Za-z0-9_-]{1,128}$/.test(enterpriseName)) {
      throw badRequest("enterpriseName must be the enterprise's resource name from enterprises.create, such as enterprises/LC02abcdef.", 'enterpriseName');
    }
    const key = parseServiceAccountKey(upload.serviceAccountKey);
    const mailAppInstallType = upload.mailAppInstallType ?? 'AVAILABLE';
    if (mailAppInstallType !== 'FORCE_INSTALLED' && mailAppInstallType !== 'AVAILABLE') {
      throw badRequest('mailAppInstallType must be FORCE_INSTALLED (Google installs Gmail / Nine Work in the work profile) or AVAILABLE (the user installs it from managed Google Play).', 'mailAppInstallType');
    }
    const existing = await this.#store.settingsInfo(tenantId);
    const token = existing === null || upload.rotatePubsubToken === true ? `aeps_${randomBytes(32).toString('base64url')}` : null;
    const sealed = this.#box.seal(Buffer.from(JSON.stringify(key), 'utf8'), amapiKeySecretContext(tenantId));
    const info = await this.#store.putSettings(
      tenantId,
      { enterpriseName, clientEmail: key.client_email, projectId: key.project_id, sealedServiceAccountKey: sealed, mailAppInstallType },
      token === null ? null : hashPubsubToken(token),
    );
    return this.#view(info, token);
  }

  /** The tenant's settings (never the key, never the push token); 404 when none are set. */
  async getOrThrow(tenantId: string): Promise<AndroidEnterpriseSettingsView> {
    const info = await this.#store.settingsInfo(tenantId);
    if (!info) throw notFound('Android Enterprise settings', 'androidEnterpriseSettings');
    return this.#view(info, null);
  }

  async delete(tenantId: string): Promise<void> {
    await this.#store.deleteSettings(tenantId);
  }

  #view(info: AndroidEnterpriseSettingsInfo, token: string | null): AndroidEnterpriseSettingsView {
    const base = this.#publicUrl === null ? null : `${this.#publicUrl}${amapiPubsubPath}`;
    return {
      ...info,
      pubsubPushToken: token,
      pubsubPushUrl: base === null ? null : token === null ? `${base}?token=…` : `${base}?token=${token}`,
      quota: {
        queriesPer100Seconds: Math.round((this.#quota.limit * 100_000) / this.#quota.windowMs),
        // One step of `limit` patches per span of the quota shared by every process (decision 0033).
        hoursToPatch100000Devices: Math.round(policyRolloutDurationMs(100_000, { limit: this.#quota.limit, windowMs: sharedQuotaSpanMs(this.#quota.windowMs) }) / 360_000) / 10,
      },
    };
  }
}

/** The service-account key file's fields, checked; 400 naming `serviceAccountKey` (never echoing it). */
export function parseServiceAccountKey(text: string): ServiceAccountKey {
  const fail = (what: string) => badRequest(`serviceAccountKey must be the JSON key file of a Google Cloud service account (IAM → Service accounts → Keys → Add key → JSON): ${what}.`, 'serviceAccountKey');
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw fail('it is not JSON');
  }
  if (typeof json !== 'object' || json === null) throw fail('it is not a JSON object');
  const key = json as Record<string, unknown>;
  if (key.type !== 'service_account') throw fail("its type is not 'service_account'");
  if (typeof key.client_email !== 'string' || !/^[^@\s]+@[^@\s]+$/.test(key.client_email)) throw fail('client_email is missing');
  if (typeof key.project_id !== 'string' || key.project_id.trim() === '') throw fail('project_id is missing');
  if (typeof key.private_key !== 'string') throw fail('private_key is missing');
  try {
    const privateKey = createPrivateKey(key.private_key);
    if (privateKey.asymmetricKeyType !== 'rsa') throw new Error('not RSA');
  } catch {
    throw fail('private_key is not an RSA private key in PEM');
  }
  return { client_email: key.client_email, private_key: key.private_key, project_id: key.project_id.trim() };
}
