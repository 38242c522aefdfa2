import { createHash, X509Certificate } from 'node:crypto';
import { ActiveSyncCsp, type ActiveSyncCspOptions, type CspOperation, type CspResult } from './activesync-csp.ts';

/**
 * The management tree of a simulated Windows PC: the nodes an email-profile MDM touches, each
 * answering with the status a Windows client documents (oma-dm-protocol-support.md). Everything
 * else answers 404.
 * - `./User/Vendor/MSFT/ActiveSync/…` (and `./Vendor/MSFT/ActiveSync/…`): `ActiveSyncCsp`. User
 *   scoped: "The target user must be logged in for the CSP to succeed" (activesync-csp.md).
 * - `./Vendor/MSFT/DMClient/Provider/<id>/…` (also under `./Device`): Poll settings, `Push/PFN`,
 *   `Push/ChannelURI` ("If no valid PFN is currently set, ChannelURI will return null"), `Push/Status`,
 *   `Unenroll` (Exec) — dmclient-csp.md.
 * - `./DevInfo/…` and `./DevDetail/…`: read-only device facts (Get).
 * - `./Device/Vendor/MSFT/RootCATrustedCertificates/Root/<SHA-1 thumbprint>/EncodedCertificate`.
 */
export type LoginStatus = 'user' | 'others' | 'none';

export interface DeviceFacts {
  deviceId: string;
  manufacturer: string;
  model: string;
  dmVersion: string;
  language: string;
  swVersion: string;
  oem: string;
  deviceName: string;
  serialNumber: string;
  osPlatform: string;
  /** `phone` keeps the Windows Phone 8.1 path `./Vendor/MSFT/ActiveSync` and has no `./User` tree. */
  kind: 'pc' | 'phone';
}

export interface TreeResult extends CspResult {
  /** Set by Exec on DMClient/Provider/<id>/Unenroll: the PC leaves management after the session. */
  unenroll?: boolean;
}

interface DmClientProvider {
  poll: Map<string, string>;
  pfn?: string;
}

export interface DmTreeOptions extends ActiveSyncCspOptions {
  facts: DeviceFacts;
  providerId: string;
  /** Makes the WNS channel URI for a PFN (the stand-in's address). */
  channelUriFor: (pfn: string) => string;
}

const pollNodes = new Map<string, 'int' | 'bool'>([
  ['IntervalForFirstSetOfRetries', 'int'], ['NumberOfFirstRetries', 'int'], ['IntervalForSecondSetOfRetries', 'int'],
  ['NumberOfSecondRetries', 'int'], ['IntervalForRemainingScheduledRetries', 'int'], ['NumberOfRemainingScheduledRetries', 'int'],
  ['PollOnLogin', 'bool'], ['AllUsersPollOnFirstLogin', 'bool'],
]);

export class DmTree {
  readonly activeSync: ActiveSyncCsp;
  readonly #options: DmTreeOptions;
  readonly #providers = new Map<string, DmClientProvider>();
  #roots = new Map<string, string>();
  #channels = new Map<string, string>();

  constructor(options: DmTreeOptions) {
    this.#options = options;
    this.activeSync = new ActiveSyncCsp(options);
    this.#providers.set(options.providerId, { poll: new Map() });
  }

  /** The provisioning document's DMClient Poll parameters (and later Replace commands) land here. */
  setPoll(providerId: string, name: string, value: string): void {
    this.#provider(providerId).poll.set(name, value);
  }

  poll(providerId: string): ReadonlyMap<string, string> {
    return this.#provider(providerId).poll;
  }

  /** The channel URI the WNS client negotiated for the provider's PFN, if one is set. */
  channelUri(providerId: string): string | undefined {
    const pfn = this.#providers.get(providerId)?.pfn;
    if (!pfn) return undefined;
    let uri = this.#channels.get(pfn);
    if (!uri) {
      uri = this.#options.channelUriFor(pfn);
      this.#channels.set(pfn, uri);
    }
    return uri;
  }

  /** Sets the PFN as if the server had (tests and the CLI's `--pfn`). */
  setPushPfn(providerId: string, pfn: string): void {
    this.#provider(providerId).pfn = pfn;
  }

  trustedRoots(): string[] {
    return [...this.#roots.keys()];
  }

  #provider(id: string): DmClientProvider {
    let provider = this.#providers.get(id);
    if (!provider) {
      provider = { poll: new Map() };
      this.#providers.set(id, provider);
    }
    return provider;
  }

  /** Runs one command on one LocURI (already checked for a leading `/`). */
  execute(op: CspOperation | 'Exec', locUri: string, item: { format?: string; data?: string }, context: { loginStatus: LoginStatus; inAtomic: boolean }): TreeResult {
    const segments = locUri.split('/');
    if (segments[0] !== '.') return { code: 404, reason: `${locUri} does not start with ./` };
    let rest = segments.slice(1);
    let scope: 'user' | 'device' | 'default' = 'default';
    if (/^user$/i.test(rest[0] ?? '')) scope = 'user';
    else if (/^device$/i.test(rest[0] ?? '')) scope = 'device';
    if (scope !== 'default') rest = rest.slice(1);
    const head = rest.slice(0, 3).join('/').toLowerCase();
    const phone = this.#options.facts.kind === 'phone';
    if (head === 'vendor/msft/activesync') {
      if (scope === 'device') return { code: 404, reason: 'ActiveSync is not under ./Device' };
      if (scope === 'user' && phone) return { code: 404, reason: 'a Windows Phone has no ./User tree' };
      if (context.loginStatus !== 'user') return { code: 500, reason: `the ActiveSync CSP fails when the enrolled user is not logged in (LoginStatus ${context.loginStatus})` };
      if (op === 'Exec') return { code: 405, reason: 'ActiveSync has no Exec' };
      return this.activeSync.execute({ op, segments: rest.slice(3), ...item, inAtomic: context.inAtomic }, scope === 'default');
    }
    if (scope === 'user') return { code: 404, reason: `no user node ${locUri}` };
    if (head === 'vendor/msft/dmclient') return this.#dmClient(op, rest.slice(3), item);
    if (head === 'vendor/msft/rootcatrustedcertificates') return this.#rootCa(op, rest.slice(3), item);
    if (scope === 'default' && (rest[0] === 'DevInfo' || rest[0] === 'DevDetail')) return this.#deviceFacts(op, rest);
    return { code: 404, reason: `no node ${locUri} on this simulated PC` };
  }

  #deviceFacts(op: CspOperation | 'Exec', rest: string[]): TreeResult {
    const facts = this.#options.facts;
    const values: Record<string, string> = {
      'DevInfo/DevId': facts.deviceId, 'DevInfo/Man': facts.manufacturer, 'DevInfo/Mod': facts.model, 'DevInfo/DmV': facts.dmVersion, 'DevInfo/Lang': facts.language,
      'DevDetail/SwV': facts.swVersion, 'DevDetail/OEM': facts.oem, 'DevDetail/DevTyp': facts.kind === 'phone' ? 'Phone' : 'PC', 'DevDetail/FwV': '1.0', 'DevDetail/HwV': '1.0',
      'DevDetail/Ext/Microsoft/DeviceName': facts.deviceName, 'DevDetail/Ext/Microsoft/OSPlatform': facts.osPlatform,
      'DevDetail/Ext/Microsoft/SMBIOSSerialNumber': facts.serialNumber,
    };
    const key = rest.join('/');
    const value = values[key];
    if (value === undefined) return { code: 404, reason: `no node ./${key}` };
    if (op !== 'Get') return { code: 405, reason: `./${key} is read-only` };
    return { code: 200, result: { format: 'chr', data: value } };
  }

  #dmClient(op: CspOperation | 'Exec', rest: string[], item: { format?: string; data?: string }): TreeResult {
    if (rest[0] !== 'Provider' || rest.length < 3) return { code: 404, reason: `no DMClient node ${rest.join('/')}` };
    const id = decodeURIComponent(rest[1]!);
    const provider = this.#providers.get(id);
    if (!provider) return { code: 404, reason: `no DMClient provider ${id}` };
    const node = rest.slice(2).join('/');
    if (node === 'Unenroll') return op === 'Exec' ? { code: 200, unenroll: true } : op === 'Get' ? { code: 200, result: { format: 'chr', data: '' } } : { code: 405 };
    if (node === 'Push/ChannelURI') {
      if (op !== 'Get') return { code: 405, reason: 'ChannelURI supports Get only' };
      return { code: 200, result: { format: 'chr', data: this.channelUri(id) ?? '' } };
    }
    if (node === 'Push/Status') {
      if (op !== 'Get') return { code: 405, reason: 'Push/Status supports Get only' };
      // 0 success; 4 "no Channel URI assigned" (dmclient-csp.md).
      return { code: 200, result: { format: 'int', data: provider.pfn ? '0' : '4' } };
    }
    if (node === 'Push/PFN') {
      if (op === 'Get') return provider.pfn ? { code: 200, result: { format: 'chr', data: provider.pfn } } : { code: 404 };
      if (op === 'Add' || op === 'Replace') {
        if (op === 'Add' && provider.pfn) return { code: 418 };
        if (!item.data) return { code: 400, reason: 'an empty PFN' };
        provider.pfn = item.data;
        return { code: 200 };
      }
      return { code: 405 };
    }
    if (rest[2] === 'Poll' && rest.length === 4 && pollNodes.has(rest[3]!)) {
      const name = rest[3]!;
      if (op === 'Get') {
        const value = provider.poll.get(name);
        return value === undefined ? { code: 404 } : { code: 200, result: { format: pollNodes.get(name)!, data: value } };
      }
      if (op !== 'Replace' && op !== 'Add') return { code: 405 };
      const kind = pollNodes.get(name)!;
      if (item.format && item.format !== kind) return { code: 415, reason: `Poll/${name} takes Format ${kind}` };
      if (kind === 'int' ? !/^\d+$/.test(item.data ?? '') : !/^(true|false)$/i.test(item.data ?? '')) return { code: 400, reason: `Poll/${name} takes ${kind}` };
      provider.poll.set(name, item.data!);
      return { code: 200 };
    }
    return { code: 404, reason: `no DMClient node ${node}` };
  }

  #rootCa(op: CspOperation | 'Exec', rest: string[], item: { format?: string; data?: string }): TreeResult {
    if (rest[0] !== 'Root' || rest.length < 2 || rest.length > 3 || (rest.length === 3 && rest[2] !== 'EncodedCertificate')) return { code: 404, reason: `no RootCATrustedCertificates node ${rest.join('/')}` };
    const thumbprint = rest[1]!.toUpperCase();
    const present = this.#roots.get(thumbprint);
    if (op === 'Get') return present ? { code: 200, result: rest.length === 3 ? { format: 'b64', data: present } : { format: 'node', data: 'EncodedCertificate' } } : { code: 404 };
    if (op === 'Delete') {
      if (!present) return { code: 404 };
      this.#roots.delete(thumbprint);
      return { code: 200 };
    }
    if ((op === 'Add' || op === 'Replace') && rest.length === 3) {
      if (op === 'Add' && present) return { code: 418 };
      let der: Buffer;
      try {
        der = Buffer.from(item.data ?? '', 'base64');
        new X509Certificate(der);
      } catch {
        return { code: 400, reason: 'EncodedCertificate is not a base64 X.509 certificate' };
      }
      if (createHash('sha1').update(der).digest('hex').toUpperCase() !== thumbprint) return { code: 400, reason: 'the node name is not the certificate\'s SHA-1 thumbprint' };
      this.#roots.set(thumbprint, item.data!);
      return { code: 200 };
    }
    return { code: 405 };
  }

  /** Whole-tree state for an Atomic's rollback. */
  snapshot(): { activeSync: ReturnType<ActiveSyncCsp['snapshot']>; roots: Map<string, string>; providers: Map<string, DmClientProvider> } {
    return {
      activeSync: this.activeSync.snapshot(),
      roots: new Map(this.#roots),
      providers: new Map([...this.#providers].map(([id, provider]) => [id, { ...provider, poll: new Map(provider.poll) }])),
    };
  }

  restore(snapshot: ReturnType<DmTree['snapshot']>): void {
    this.activeSync.restore(snapshot.activeSync);
    this.#roots = snapshot.roots;
    this.#providers.clear();
    for (const [id, provider] of snapshot.providers) this.#providers.set(id, provider);
  }
}
