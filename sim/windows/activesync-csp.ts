import { checkDdfValue, findDdfNode, loadDdf, type DdfNode, type DdfTree } from './ddf.ts';

/**
 * The ActiveSync configuration service provider of a simulated Windows PC: the Exchange accounts
 * under `./User/Vendor/MSFT/ActiveSync/Accounts/{GUID}` (and the deprecated `./Vendor/MSFT/ActiveSync`
 * form), with the rules Microsoft documents:
 * - node names, formats, operations, defaults and allowed values from the DDF files
 *   (`ActiveSync.xml`, Windows Sept 2024, for `./User`; `ActiveSyncCSP_DDF.xml`, Windows 10 1607, for
 *   `./Vendor`), in test/fixtures/vendor-schemas/windows-ddf/;
 * - the per-operation notes of the ActiveSync CSP page (MicrosoftDocs/windows-itpro-docs
 *   `windows/client-management/mdm/activesync-csp.md` @ de7d7d8c): leaves that can be added only
 *   while the account is created, `AccountType` never replaced, `UserName` not replaced after a
 *   successful sync, and "provisioning with an account that has the same GUID as an existing one
 *   deletes the existing account and does not create the new account";
 * - the OMA DM codes of oma-dm-protocol-support.md (404 not found, 405 not allowed, 415 format,
 *   418 already exists, 500 failed).
 * Assumptions where the documents are silent are listed in sim/windows/README.md.
 */
export type CspOperation = 'Add' | 'Replace' | 'Delete' | 'Get';

export interface CspRequest {
  op: CspOperation;
  /** The LocURI's segments below the `ActiveSync` node, still URI-encoded. */
  segments: readonly string[];
  format?: string;
  data?: string;
  inAtomic: boolean;
}

export interface CspResult {
  code: number;
  /** For a successful Get. */
  result?: { format: string; data: string };
  /** Why a command was refused (for the simulator's log). */
  reason?: string;
}

/** An Exchange account made through the CSP, as the simulator shows it to tests (never the password). */
export interface ManagedAccount {
  guid: string;
  values: Record<string, string>;
  passwordSet: boolean;
  /** Created by a finished message or Atomic (later Adds of creation-time leaves re-provision it). */
  committed: boolean;
  /** Synced once (UserName is fixed from then on); the simulation syncs an account when it is committed with its server and address. */
  synced: boolean;
}

/** An Exchange account the user made in Settings, outside MDM. */
export interface UserAccount {
  id: string;
  host: string;
  emailAddress: string;
}

export type CspEvent =
  | { kind: 'user-account-replaced'; userAccount: UserAccount; guid: string }
  | { kind: 'account-deleted-by-reprovisioning'; guid: string };

interface AccountRecord {
  guid: string;
  values: Map<string, string>;
  nodes: Set<string>;
  committed: boolean;
  synced: boolean;
}

const passwordMask = '********';

/** Content type GUIDs the DDF allows under ContentTypes (its MSFT:UniqueName text). */
export const contentTypeGuids = Object.freeze({
  email: '{c6d47067-6e92-480e-b0fc-4ba82182fac7}',
  contacts: '{0dd8685c-e272-4fcb-9ecf-2ead7ea2497b}',
  calendar: '{4a5d9fe0-f139-4a63-a5a4-4f31ceea02ad}',
  tasks: '{783ae4f6-4c12-4423-8270-66361260d4f1}',
});
const allowedContentTypes = new Set<string>(Object.values(contentTypeGuids));
const guidPattern = /^\{[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}\}$/;

/** activesync-csp.md (2017): "Supported operations are … Add (cannot Add after the account is created)", and no Delete. */
const creationTimeLeaves = new Set([
  'EmailAddress', 'AccountIcon', 'AccountType', 'AccountName', 'ServerName', 'UserName',
  'Options/Logging', 'Options/UseSSL', 'Options/Schedule', 'Options/MailAgeFilter',
  'Options/ContentTypes/*/Enabled', 'Options/ContentTypes/*/Name',
]);

export interface ActiveSyncCspOptions {
  /** Apply the documented re-provisioning effect (an Add on an existing account deletes it). Default true. */
  reprovisioningDeletes?: boolean;
  onEvent?: (event: CspEvent) => void;
}

export interface ActiveSyncSnapshot {
  accounts: Map<string, AccountRecord>;
}

export class ActiveSyncCsp {
  readonly #modern: DdfTree = loadDdf('ActiveSync.xml');
  readonly #legacy: DdfTree = loadDdf('ActiveSyncCSP_DDF.xml');
  readonly #options: ActiveSyncCspOptions;
  #accounts = new Map<string, AccountRecord>();
  #userAccounts: UserAccount[] = [];
  #pendingDeletions = new Set<string>();
  #atomicAdds: Set<string> | null = null;
  #nextUserAccount = 1;

  constructor(options: ActiveSyncCspOptions = {}) {
    this.#options = options;
  }

  /** Runs one command on `./User/Vendor/MSFT/ActiveSync` (`legacy` false) or `./Vendor/MSFT/ActiveSync` (true). */
  execute(request: CspRequest, legacy: boolean): CspResult {
    const tree = legacy ? this.#legacy : this.#modern;
    const decoded: string[] = [];
    for (const segment of request.segments) {
      if (/[{}]/.test(segment)) return { code: 404, reason: `a GUID's braces must be URI-encoded as %7B and %7D (activesync-csp.md): ${segment}` };
      try {
        decoded.push(decodeURIComponent(segment));
      } catch {
        return { code: 404, reason: `bad URI encoding in ${segment}` };
      }
    }
    const schema = findDdfNode(tree.root, decoded, (parent, name) => {
      if (parent.name === 'Accounts') return guidPattern.test(name);
      if (parent.name === 'ContentTypes') return allowedContentTypes.has(name.toLowerCase());
      return true;
    });
    if (!schema) return { code: 404, reason: `no node ${decoded.join('/')} in the ActiveSync DDF` };
    if (!schema.access.has(request.op)) return { code: 405, reason: `the DDF allows only ${[...schema.access].join(', ')} on ${decoded.join('/') || 'ActiveSync'}` };
    if (decoded.length === 0) return { code: 200, result: { format: 'node', data: 'Accounts' } };
    if (decoded.length === 1) return { code: 200, result: { format: 'node', data: [...this.#accounts.values()].map((account) => encodeGuid(account.guid)).join('/') } };
    if (request.op === 'Add' || request.op === 'Replace') {
      const format = request.format ?? (schema.format === 'node' ? 'node' : 'chr');
      if (format !== schema.format) return { code: 415, reason: `${decoded.join('/')} takes Format ${schema.format}, not ${format}` };
    }
    const key = decoded[1]!.toUpperCase();
    const rest = decoded.slice(2).map((segment, index, all) => (all[index - 1] === 'ContentTypes' ? segment.toLowerCase() : segment));
    const relative = rest.join('/');
    const shape = rest.map((segment, index, all) => (all[index - 1] === 'ContentTypes' ? '*' : segment)).join('/');
    const account = this.#accounts.get(key);
    if (relative === '') return this.#onAccount(request, key, decoded[1]!, account);
    const defaults = findDdfNode(this.#modern.root, ['Accounts', decoded[1]!, ...rest]);
    return this.#onBelowAccount(request, { key, guid: decoded[1]!, relative, shape, schema, defaultValue: defaults?.defaultValue, account });
  }

  #onAccount(request: CspRequest, key: string, guid: string, account: AccountRecord | undefined): CspResult {
    switch (request.op) {
      case 'Add':
        if (account) {
          if (account.committed) this.#reprovision(key);
          return { code: 418, reason: `account ${guid} already exists${account.committed ? ' (re-provisioning an existing GUID deletes the account)' : ''}` };
        }
        this.#accounts.set(key, { guid, values: new Map(), nodes: new Set(), committed: false, synced: false });
        this.#atomicAdds?.add(`${key}/`);
        return { code: 200 };
      case 'Replace':
        return account ? { code: 200 } : { code: 404, reason: `no account ${guid}` };
      case 'Delete':
        if (!account) return { code: 404, reason: `no account ${guid}` };
        this.#accounts.delete(key);
        return { code: 200 };
      case 'Get':
        return account ? { code: 200, result: { format: 'node', data: childNames(this.#modern.root.children[0]!.children[0]!, '', account).join('/') } } : { code: 404, reason: `no account ${guid}` };
    }
  }

  #onBelowAccount(request: CspRequest, target: { key: string; guid: string; relative: string; shape: string; schema: DdfNode; defaultValue: string | undefined; account: AccountRecord | undefined }): CspResult {
    const { key, guid, relative, shape, schema, account } = target;
    const leaf = schema.format !== 'node';
    const current = account ? (account.values.get(relative) ?? (leaf ? target.defaultValue : undefined)) : undefined;
    const exists = account !== undefined && (leaf ? current !== undefined : account.nodes.has(relative) || [...account.values.keys()].some((name) => name.startsWith(`${relative}/`)));
    const where = `${encodeGuid(guid)}/${relative}`;
    if ((request.op === 'Add' || request.op === 'Replace') && shape.endsWith('ContentTypes/*/Name') && request.inAtomic) {
      return { code: 500, reason: 'ContentTypes/{GUID}/Name inside Atomic fails provisioning (activesync-csp.md)' };
    }
    if ((request.op === 'Add' || request.op === 'Replace') && leaf) {
      const refused = checkValue(schema, shape, request.data ?? '');
      if (refused) return { code: 400, reason: `${where} ${refused}` };
    }
    switch (request.op) {
      case 'Add': {
        if (account?.committed && creationTimeLeaves.has(shape)) {
          this.#reprovision(key);
          return { code: exists ? 418 : 405, reason: `${where} can be added only while the account is created; provisioning an existing account GUID deletes the account (activesync-csp.md)` };
        }
        if (account && (leaf ? account.values.has(relative) : exists)) return { code: 418, reason: `${where} already exists` };
        const record = account ?? this.#create(key, guid);
        if (leaf) record.values.set(relative, request.data ?? '');
        else record.nodes.add(relative);
        this.#atomicAdds?.add(`${key}/${relative}`);
        return { code: 200 };
      }
      case 'Replace': {
        if (!account) return { code: 404, reason: `no account ${guid}` };
        if (shape === 'AccountType') return { code: 405, reason: 'AccountType cannot be modified once entered (activesync-csp.md)' };
        if (shape === 'UserName' && account.synced) return { code: 405, reason: 'UserName cannot be changed after a successful sync (activesync-csp.md)' };
        if (this.#atomicAdds?.has(`${key}/${relative}`)) return { code: 500, reason: `Add then Replace of ${where} in one Atomic is not supported (oma-dm-protocol-support.md)` };
        if (!leaf) return exists ? { code: 200 } : { code: 404, reason: `no node ${where}` };
        account.values.set(relative, request.data ?? '');
        return { code: 200 };
      }
      case 'Delete': {
        if (!account) return { code: 404, reason: `no account ${guid}` };
        if (creationTimeLeaves.has(shape)) return { code: 405, reason: `${where} cannot be deleted (activesync-csp.md)` };
        if (leaf) {
          if (!account.values.delete(relative)) return { code: 404, reason: `${where} is not set` };
          return { code: 200 };
        }
        if (!exists) return { code: 404, reason: `no node ${where}` };
        for (const name of [...account.values.keys()]) if (name.startsWith(`${relative}/`)) account.values.delete(name);
        for (const name of [...account.nodes]) if (name === relative || name.startsWith(`${relative}/`)) account.nodes.delete(name);
        return { code: 200 };
      }
      case 'Get': {
        if (!account || !exists) return { code: 404, reason: `no node ${where}` };
        if (!leaf) return { code: 200, result: { format: 'node', data: childNames(schema, relative, account).join('/') } };
        // "For the Get command, only asterisks are returned."
        return { code: 200, result: { format: 'chr', data: shape === 'Password' ? passwordMask : current! } };
      }
    }
  }

  #create(key: string, guid: string): AccountRecord {
    const record: AccountRecord = { guid, values: new Map(), nodes: new Set(), committed: false, synced: false };
    this.#accounts.set(key, record);
    return record;
  }

  #reprovision(key: string): void {
    if (this.#options.reprovisioningDeletes !== false) this.#pendingDeletions.add(key);
  }

  /** Starts recording Adds for the "Add then Replace in one Atomic" rule. */
  beginAtomic(): void {
    this.#atomicAdds = new Set();
  }

  endAtomic(): void {
    this.#atomicAdds = null;
  }

  snapshot(): ActiveSyncSnapshot {
    return { accounts: new Map([...this.#accounts].map(([key, record]) => [key, { ...record, values: new Map(record.values), nodes: new Set(record.nodes) }])) };
  }

  restore(snapshot: ActiveSyncSnapshot): void {
    this.#accounts = snapshot.accounts;
  }

  /**
   * The end of an Atomic that succeeded, or of a server message: accounts created so far are created
   * for good (and sync once they have a server and an address); re-provisioned accounts are deleted;
   * a user-made account with the same host and address as a managed one is replaced by it.
   */
  commit(): void {
    for (const key of this.#pendingDeletions) {
      const account = this.#accounts.get(key);
      if (account?.committed) {
        this.#accounts.delete(key);
        this.#options.onEvent?.({ kind: 'account-deleted-by-reprovisioning', guid: account.guid });
      }
    }
    this.#pendingDeletions.clear();
    for (const account of this.#accounts.values()) {
      account.committed = true;
      const host = account.values.get('ServerName');
      const email = account.values.get('EmailAddress');
      if (!host || !email) continue;
      account.synced = true;
      for (const userAccount of this.#userAccounts.filter((item) => sameAccount(item, host, email))) {
        this.#userAccounts = this.#userAccounts.filter((item) => item !== userAccount);
        this.#options.onEvent?.({ kind: 'user-account-replaced', userAccount, guid: account.guid });
      }
    }
  }

  accounts(): ManagedAccount[] {
    return [...this.#accounts.values()].map((account) => {
      const values = Object.fromEntries([...account.values].filter(([name]) => name !== 'Password'));
      return { guid: account.guid, values, passwordSet: account.values.has('Password'), committed: account.committed, synced: account.synced };
    });
  }

  userAccounts(): UserAccount[] {
    return [...this.#userAccounts];
  }

  /** The user adds an Exchange account in Settings › Accounts (refused when the same host and address exist, managed or not). */
  addUserAccount(host: string, emailAddress: string): UserAccount {
    const managed = [...this.#accounts.values()].some((account) => sameAccount({ host: account.values.get('ServerName') ?? '', emailAddress: account.values.get('EmailAddress') ?? '' }, host, emailAddress));
    if (managed || this.#userAccounts.some((item) => sameAccount(item, host, emailAddress))) throw new Error(`an account for ${emailAddress} on ${host} already exists`);
    const account = { id: `user-${this.#nextUserAccount++}`, host, emailAddress };
    this.#userAccounts.push(account);
    return account;
  }

  removeUserAccount(id: string): boolean {
    const before = this.#userAccounts.length;
    this.#userAccounts = this.#userAccounts.filter((item) => item.id !== id);
    return this.#userAccounts.length < before;
  }

  /** Unenrollment removes what the MDM provisioned. */
  removeManagedAccounts(): void {
    this.#accounts.clear();
    this.#pendingDeletions.clear();
  }
}

function sameAccount(account: { host: string; emailAddress: string }, host: string, emailAddress: string): boolean {
  return account.host.toLowerCase() === host.toLowerCase() && account.emailAddress.toLowerCase() === emailAddress.toLowerCase();
}

function encodeGuid(guid: string): string {
  return guid.replace('{', '%7B').replace('}', '%7D');
}

function checkValue(schema: DdfNode, shape: string, value: string): string | undefined {
  const ddf = checkDdfValue(schema, value);
  if (ddf) return ddf;
  // "must be in the fully qualified email address format, for example, someone@example.com"
  if (shape === 'EmailAddress' && !/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(value)) return 'must be a fully qualified email address';
  // "An Exchange account is indicated by the string value Exchange"; Windows Live accounts are not supported.
  if (shape === 'AccountType' && value !== 'Exchange') return 'must be Exchange';
  return undefined;
}

/** The URI-encoded names of the children present under an interior node (OMA DM Get on a node). */
function childNames(schema: DdfNode, relative: string, account: AccountRecord): string[] {
  const prefix = relative === '' ? '' : `${relative}/`;
  const names = new Set<string>();
  for (const name of [...account.values.keys(), ...account.nodes]) {
    if (name.startsWith(prefix) && name !== relative) names.add(name.slice(prefix.length).split('/')[0]!);
  }
  for (const node of schema.children) if (node.defaultValue !== undefined && node.name !== '') names.add(node.name);
  return [...names].map((name) => encodeURIComponent(name).replace(/%2F/g, '/'));
}
