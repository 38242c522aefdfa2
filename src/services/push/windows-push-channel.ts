import https from 'node:https';
import tls from 'node:tls';
import { WnsClient, type WnsClientOptions } from '../../protocols/wns/wns-client.ts';
import { wnsEndpoints, type WnsEndpoints } from '../../protocols/wns/wns-endpoints.ts';
import { localWnsReasons, type WnsPushOutcome } from '../../protocols/wns/wns-outcome.ts';
import type { StoredWindowsPushSettings, WindowsPushSettingsStore } from '../../store/postgres/windows-push-settings-store.ts';
import type { WindowsPushTargetStore } from '../../store/postgres/windows-push-target-store.ts';
import { windowsPushSecretContext } from '../enrollment/windows-push-settings-service.ts';
import type { SecretBox } from '../secrets/secret-box.ts';
import type { WakeChannel, WakeOutcome } from './wake-channel.ts';
import type { WakeLog } from './wake-log.ts';
import { TenantPushClients } from './tenant-push-clients.ts';

export type WnsClientTuning = Omit<WnsClientOptions, 'credentials' | 'endpoints' | 'agent'>;

/**
 * Wakes enrolled Windows PCs with a WNS raw notification to the channel URI their last OMA-DM
 * session reported (docs/decisions/0018). A PC without a channel URI is not this channel's to push
 * (absent from the answer), and neither is any PC of a tenant without push settings: both converge
 * on the DMClient poll schedule.
 *
 * One `WnsClient` per tenant (`TenantPushClients`), rebuilt when the settings' version changes. A channel
 * WNS calls gone (410, 404) is cleared — only if unchanged, a newer URI wins. A channel URI off WNS's
 * hosts is refused without a request and logged per device. Problems with the app identity or the
 * request (refused credentials, 401 after a fresh token, 403, 400) are logged as one error per
 * tenant, reason and settings version, not per device. Throttling and WNS failures retry through the
 * wake queue, honouring Retry-After.
 */
export class WindowsPushChannel implements WakeChannel {
  readonly name = 'wns';
  readonly #targets: Pick<WindowsPushTargetStore, 'targets' | 'clearChannelUri'>;
  readonly #endpoints: WnsEndpoints;
  readonly #agent: https.Agent;
  readonly #log: WakeLog;
  readonly #clients: TenantPushClients<StoredWindowsPushSettings, WnsClient>;

  /**
   * `wnsUrl`: ENVELOPE_WNS_URL (a stand-in's origin), or null for Microsoft's WNS. `ca`: extra PEM roots
   * trusted for those hosts besides Node's (ENVELOPE_WNS_CA).
   */
  constructor(deps: {
    targets: Pick<WindowsPushTargetStore, 'targets' | 'clearChannelUri'>;
    settings: Pick<WindowsPushSettingsStore, 'getInfo' | 'get'>;
    box: SecretBox;
    wnsUrl: string | null;
    ca?: string | null;
    log: WakeLog;
    clientOptions?: Partial<WnsClientTuning>;
  }) {
    this.#targets = deps.targets;
    const endpoints = wnsEndpoints(deps.wnsUrl);
    const tuning = deps.clientOptions ?? {};
    const agent = new https.Agent({ keepAlive: true, maxSockets: 32, ...(deps.ca ? { ca: [...tls.rootCertificates, deps.ca] } : {}) });
    this.#endpoints = endpoints;
    this.#agent = agent;
    this.#log = deps.log;
    this.#clients = new TenantPushClients({
      settings: deps.settings,
      open: (tenantId, stored) => {
        const clientSecret = deps.box.open(stored.sealedClientSecret, windowsPushSecretContext(tenantId)).toString('utf8');
        return new WnsClient({ ...tuning, credentials: { packageSid: stored.packageSid, clientSecret }, endpoints, agent });
      },
      openFailed: (tenantId, error) => this.#log.error({ tenantId, err: error }, 'wake: the Windows push client secret cannot be opened with this server\'s secret key; no WNS pushes for this tenant'),
    });
  }

  async wake(tenantId: string, deviceIds: readonly string[]): Promise<Map<string, WakeOutcome>> {
    const outcomes = new Map<string, WakeOutcome>();
    const targets = await this.#targets.targets(tenantId, deviceIds);
    if (targets.length === 0) return outcomes;
    const tenant = await this.#clients.forTenant(tenantId);
    if (tenant === null || tenant.client === null) {
      this.#log.debug({ tenantId, devices: targets.length }, 'wake: the tenant has no usable Windows push settings; PCs are left to their poll schedule');
      return outcomes;
    }
    const results = await tenant.client.push(targets.map((target) => target.channelUri));
    const senderProblems = new Map<string, { devices: number; outcome: WnsPushOutcome }>();
    for (const [index, result] of results.entries()) {
      const target = targets[index]!;
      outcomes.set(target.deviceId, await this.#settle(tenantId, target, result, senderProblems));
    }
    for (const [reason, { devices, outcome }] of senderProblems) {
      const details = { tenantId, reason, status: outcome.status, devices, ...diagnosticsOf(outcome) };
      if (tenant.reported.has(reason)) {
        this.#log.debug(details, 'wake: WNS still refuses pushes with the tenant\'s Windows push settings');
      } else {
        tenant.reported.add(reason);
        this.#log.error(details, `wake: WNS refused pushes with the tenant's Windows push settings (${adviceFor(reason)}); PCs are left to their poll schedule until the settings are corrected (PUT /envelope/windowsPushSettings)`);
      }
    }
    return outcomes;
  }

  async close(): Promise<void> {
    this.#clients.clear();
    this.#agent.destroy();
  }

  async #settle(
    tenantId: string,
    target: { deviceId: string; channelUri: string },
    result: WnsPushOutcome,
    senderProblems: Map<string, { devices: number; outcome: WnsPushOutcome }>,
  ): Promise<WakeOutcome> {
    switch (result.kind) {
      case 'sent':
        return { kind: 'sent' };
      case 'retry':
        return { kind: 'retry', reason: result.reason, ...(result.retryAfterMs === undefined ? {} : { retryAfterMs: result.retryAfterMs }) };
      case 'channelGone': {
        const cleared = await this.#targets.clearChannelUri(tenantId, target.deviceId, target.channelUri);
        this.#log.info({ tenantId, deviceId: target.deviceId, status: result.status, reason: result.reason, cleared, ...diagnosticsOf(result) }, 'wake: WNS says the PC\'s channel is gone; cleared until its next session reports a channel URI');
        return { kind: 'dropped', reason: result.reason };
      }
      case 'dropped':
        if (result.reason === localWnsReasons.channelUriRefused) {
          this.#log.warn({ tenantId, deviceId: target.deviceId, host: hostOf(target.channelUri), allowed: this.#endpoints.channelRule }, 'wake: refused to push a channel URI that is not on WNS\'s hosts; nothing was sent');
        } else if (result.senderProblem) {
          const problem = senderProblems.get(result.reason);
          senderProblems.set(result.reason, { devices: (problem?.devices ?? 0) + 1, outcome: problem?.outcome ?? result });
        } else {
          this.#log.info({ tenantId, deviceId: target.deviceId, status: result.status, reason: result.reason, ...diagnosticsOf(result) }, 'wake: WNS dropped the push to this PC');
        }
        return { kind: 'dropped', reason: result.reason };
    }
  }
}

function adviceFor(reason: string): string {
  if (reason === 'Token:invalid_client') return 'the Package SID or client secret is wrong';
  if (reason.startsWith('Token:')) return 'the access token request was refused';
  if (reason === 'Forbidden') return 'the token is not for the app whose Package Family Name the PCs were given';
  if (reason === 'Unauthorized') return 'a fresh access token was refused';
  return 'the notification request was refused';
}

function diagnosticsOf(outcome: WnsPushOutcome): Record<string, string> {
  const details: Record<string, string> = {};
  if (outcome.msgId !== undefined) details.wnsMsgId = outcome.msgId;
  if (outcome.wnsStatus !== undefined) details.wnsStatus = outcome.wnsStatus;
  if (outcome.errorDescription !== undefined) details.wnsErrorDescription = outcome.errorDescription;
  if (outcome.debugTrace !== undefined) details.wnsDebugTrace = outcome.debugTrace;
  return details;
}

function hostOf(uri: string): string {
  try {
    return new URL(uri).host;
  } catch {
    return '(not a URL)';
  }
}
