import { randomBytes } from 'node:crypto';
import type { AgentHttp, AgentResponse } from './agent-http.ts';

/**
 * A simulated Samsung Knox device running Envelope's agent, written from docs/agent-protocol.md and
 * reference payload-formats §3 (Knox `ExchangeAccountPolicy`), not from the server's code:
 * - Knox keys Exchange accounts by email address: adding an account whose address another account
 *   has overwrites that one (a user-made account included — the agent says so);
 * - `addNewAccount` returns an `accId` at once; the real outcome arrives later as the
 *   `EXCHANGE_ACCOUNT_ADD_RESULT` broadcast, possibly several times for one account (a wrong
 *   password, then fixed): here `pendingAddResults` until `deliverAddResults()` (or at once with
 *   `addResultsImmediately`);
 * - validation fails with `serverCertificateUntrusted` when the account uses SSL and the server's
 *   certificate chains to a private root the device has not been given (`serverRoots`), and with
 *   `authenticationFailed` while the user's password is wrong;
 * - the user can make an account by hand, also after Envelope overwrote theirs.
 */

export interface KnoxAccountOnDevice {
  accId: number;
  /** Envelope's account key for accounts the agent made; null for the user's own. */
  accountKey: string | null;
  emailAddress: string;
  serverAddress: string;
  easUser: string;
  displayName: string;
  useSSL: boolean;
  /** The account's fields as Envelope sent them (null for a user-made one). */
  fields: Record<string, unknown> | null;
  /** The last add-result: null while none arrived. */
  validation: 'validated' | 'failed' | null;
  /** The command that made or last changed it (null for a user-made one). */
  lastCommandId: string | null;
}

export interface KnoxDeviceFactsInput {
  serialNumber: string;
  model: string;
  androidVersion: string;
  knoxVersion: string;
  fcmToken?: string;
}

export interface SimulatedKnoxDeviceOptions {
  server: string;
  http: AgentHttp;
  facts?: Partial<KnoxDeviceFactsInput>;
  /** Hosts whose TLS certificate chains to a private root: host → that root, base64 DER. */
  serverRoots?: Record<string, string>;
  /** Fire each add-result as soon as the account is applied (default true). */
  addResultsImmediately?: boolean;
}

interface PendingAddResult {
  commandId: string;
  accId: number;
}

type Json = Record<string, unknown>;

export class KnoxAgentError extends Error {
  readonly response: AgentResponse;
  constructor(what: string, response: AgentResponse) {
    super(`${what}: HTTP ${response.status} ${JSON.stringify(response.body)}`);
    this.response = response;
  }
}

export function randomKnoxFacts(): KnoxDeviceFactsInput {
  return { serialNumber: `R58${randomBytes(4).toString('hex').toUpperCase()}`, model: 'SM-G991B', androidVersion: '14', knoxVersion: '3.10' };
}

export class SimulatedKnoxDevice {
  readonly facts: KnoxDeviceFactsInput;
  readonly deviceId: string;
  readonly #http: AgentHttp;
  readonly #apiUrl: string;
  readonly #credential: string;
  readonly #serverRoots: Record<string, string>;
  readonly #immediate: boolean;
  readonly #accounts = new Map<number, KnoxAccountOnDevice>();
  readonly #roots = new Map<string, string>();
  #nextAccId = 1;
  /** Account commands applied whose add-result has not arrived yet: command id → accId. */
  readonly #applied = new Map<string, number>();
  #passwordWrong = false;
  readonly pendingAddResults: PendingAddResult[] = [];
  /** Every command taken, in order. */
  readonly commands: Json[] = [];
  /** Every event posted: [commandId, event]. */
  readonly events: [string, Json][] = [];

  private constructor(options: SimulatedKnoxDeviceOptions, enrolled: { deviceId: string; credential: string; apiUrl: string }, facts: KnoxDeviceFactsInput) {
    this.facts = facts;
    this.deviceId = enrolled.deviceId;
    this.#http = options.http;
    this.#apiUrl = enrolled.apiUrl;
    this.#credential = enrolled.credential;
    this.#serverRoots = options.serverRoots ?? {};
    this.#immediate = options.addResultsImmediately ?? true;
  }

  /** Enrolls with `enrollmentToken` (`POST /mdm/android/enroll`); throws KnoxAgentError when refused. */
  static async enroll(options: SimulatedKnoxDeviceOptions & { enrollmentToken: string }): Promise<SimulatedKnoxDevice> {
    const facts = { ...randomKnoxFacts(), ...options.facts };
    const response = await options.http({ method: 'POST', url: `${options.server}/mdm/android/enroll`, body: { enrollmentToken: options.enrollmentToken, device: facts } });
    if (response.status !== 201) throw new KnoxAgentError('enrollment refused', response);
    const body = response.body as { deviceId: string; credential: string; apiUrl: string };
    return new SimulatedKnoxDevice(options, body, facts);
  }

  /** The device credential (for tests that misuse it). */
  get credential(): string {
    return this.#credential;
  }

  get apiUrl(): string {
    return this.#apiUrl;
  }

  accounts(): KnoxAccountOnDevice[] {
    return [...this.#accounts.values()];
  }

  trustedRootAliases(): string[] {
    return [...this.#roots.keys()];
  }

  /** The user sets up an Exchange account by hand; Knox replaces any account with the same address. */
  userCreatesAccount(emailAddress: string, serverAddress: string): KnoxAccountOnDevice {
    this.#dropByAddress(emailAddress);
    const account: KnoxAccountOnDevice = { accId: this.#nextAccId++, accountKey: null, emailAddress, serverAddress, easUser: emailAddress, displayName: emailAddress, useSSL: true, fields: null, validation: 'validated', lastCommandId: null };
    this.#accounts.set(account.accId, account);
    return account;
  }

  /** The user types a wrong password into the managed accounts from now on (true) or the right one (false). */
  setPasswordWrong(wrong: boolean): void {
    this.#passwordWrong = wrong;
  }

  /**
   * The user corrects the password: Knox validates each failed account again and fires another
   * add-result for it (under the command that made it).
   */
  fixPassword(): void {
    this.#passwordWrong = false;
    for (const account of this.#accounts.values()) {
      if (account.validation === 'failed' && account.lastCommandId !== null) this.pendingAddResults.push({ commandId: account.lastCommandId, accId: account.accId });
    }
  }

  /**
   * Fetches and runs commands until the server has none (at most `max`); returns how many ran. A
   * command offered again that the agent already applied (its add-result is still to come) is
   * answered `applied` again, not run again, and ends the round: the agent waits for Knox.
   */
  async sync(max = 50): Promise<number> {
    for (let count = 0; count < max; count++) {
      const response = await this.#request('GET', '/commands/next');
      if (response.status === 204) return count;
      if (response.status !== 200) throw new KnoxAgentError('fetching the next command failed', response);
      const command = (response.body as { command: Json }).command;
      const applied = this.#applied.get(command.commandId as string);
      if (applied !== undefined) {
        await this.#event(command.commandId as string, { event: 'applied', knoxAccountId: applied });
        return count;
      }
      this.commands.push(command);
      await this.#run(command);
      if (this.#immediate) await this.deliverAddResults();
    }
    throw new Error(`the server still had commands after ${max}`);
  }

  /** Fires the add-result broadcasts that are due, posting `validated` or `failed` for each. */
  async deliverAddResults(): Promise<void> {
    while (this.pendingAddResults.length > 0) {
      const { commandId, accId } = this.pendingAddResults.shift()!;
      this.#applied.delete(commandId);
      const account = this.#accounts.get(accId);
      if (!account) continue;
      const failure = this.#validate(account);
      account.validation = failure === null ? 'validated' : 'failed';
      await this.#event(commandId, failure === null ? { event: 'validated', knoxAccountId: accId } : { event: 'failed', knoxAccountId: accId, error: failure });
    }
  }

  /** Reports the accounts and trusted roots on the device (`PUT /inventory`); returns the server's counts. */
  async reportInventory(): Promise<{ verified: number; missing: number; userMadeDuplicates: number }> {
    const response = await this.#request('PUT', '/inventory', {
      accounts: this.accounts().map((a) => ({ emailAddress: a.emailAddress, serverAddress: a.serverAddress, accountKey: a.accountKey })),
      certificateAliases: this.trustedRootAliases(),
    });
    if (response.status !== 200) throw new KnoxAgentError('inventory refused', response);
    return response.body as { verified: number; missing: number; userMadeDuplicates: number };
  }

  /** Tells Envelope a new FCM registration token (`PATCH /device`). */
  async updateFcmToken(fcmToken: string | null): Promise<void> {
    const response = await this.#request('PATCH', '/device', { fcmToken });
    if (response.status !== 204) throw new KnoxAgentError('device update refused', response);
  }

  /** Leaves management (`DELETE /device`): Knox removes the accounts the agent made. */
  async unenroll(): Promise<void> {
    const response = await this.#request('DELETE', '/device');
    if (response.status !== 204) throw new KnoxAgentError('unenrollment refused', response);
    for (const account of this.accounts()) if (account.accountKey !== null) this.#accounts.delete(account.accId);
  }

  /** A raw agent request with this device's credential (or `credential`). */
  request(method: string, path: string, body?: unknown, credential: string = this.#credential): Promise<AgentResponse> {
    return this.#http({ method, url: `${this.#apiUrl}${path}`, credential, body });
  }

  #request(method: string, path: string, body?: unknown): Promise<AgentResponse> {
    return this.request(method, path, body);
  }

  async #event(commandId: string, event: Json): Promise<void> {
    this.events.push([commandId, event]);
    const response = await this.#request('POST', `/commands/${commandId}/events`, event);
    if (response.status !== 204) throw new KnoxAgentError(`event ${String(event.event)} refused`, response);
  }

  async #run(command: Json): Promise<void> {
    const commandId = command.commandId as string;
    switch (command.type) {
      case 'installAccount':
      case 'updateAccount':
      case 'replaceAccount': {
        if (typeof command.previousAccountKey === 'string') this.#dropByKey(command.previousAccountKey);
        const envelope = command.exchangeAccount as { accountKey: string; account: Record<string, unknown> };
        const fields = envelope.account;
        const existing = this.accounts().find((a) => a.accountKey === envelope.accountKey);
        let overwrote = false;
        let account: KnoxAccountOnDevice;
        if (existing) {
          // Update in place through the setters: same accId, the latest validation stands.
          Object.assign(existing, accountFields(fields));
          existing.fields = fields;
          existing.lastCommandId = commandId;
          account = existing;
        } else {
          overwrote = this.accounts().some((a) => a.accountKey === null && a.emailAddress.toLowerCase() === String(fields.emailAddress).toLowerCase());
          this.#dropByAddress(String(fields.emailAddress));
          account = { accId: this.#nextAccId++, accountKey: envelope.accountKey, ...accountFields(fields), fields, validation: null, lastCommandId: commandId };
          this.#accounts.set(account.accId, account);
        }
        await this.#event(commandId, { event: 'applied', knoxAccountId: account.accId, ...(overwrote ? { overwroteUserAccount: true } : {}) });
        // An update through the setters fires no add-result: the agent reports the account's last one.
        if (existing?.validation === 'validated' && this.#validate(existing) === null) {
          await this.#event(commandId, { event: 'validated', knoxAccountId: account.accId });
        } else {
          this.pendingAddResults.push({ commandId, accId: account.accId });
          this.#applied.set(commandId, account.accId);
        }
        return;
      }
      case 'removeAccount':
        this.#dropByKey(command.accountKey as string);
        await this.#event(commandId, { event: 'removed' });
        return;
      case 'installCertificate': {
        const certificate = command.certificate as { alias: string; certificate: string };
        this.#roots.set(certificate.alias, certificate.certificate);
        await this.#event(commandId, { event: 'applied' });
        return;
      }
      case 'removeCertificate':
        this.#roots.delete(command.certificateAlias as string);
        await this.#event(commandId, { event: 'removed' });
        return;
      default:
        await this.#event(commandId, { event: 'failed', error: { code: 'invalidCommand', message: `unknown command type ${String(command.type)}` } });
    }
  }

  #validate(account: KnoxAccountOnDevice): { code: string; message: string } | null {
    const root = this.#serverRoots[account.serverAddress];
    if (account.useSSL && root !== undefined && ![...this.#roots.values()].includes(root)) {
      return { code: 'serverCertificateUntrusted', message: `the certificate of ${account.serverAddress} is not trusted` };
    }
    if (this.#passwordWrong) return { code: 'authenticationFailed', message: 'the server answered 401 to the credentials' };
    return null;
  }

  #dropByAddress(emailAddress: string): void {
    for (const account of this.accounts()) if (account.emailAddress.toLowerCase() === emailAddress.toLowerCase()) this.#accounts.delete(account.accId);
  }

  #dropByKey(accountKey: string): void {
    for (const account of this.accounts()) if (account.accountKey === accountKey) this.#accounts.delete(account.accId);
  }
}

function accountFields(fields: Record<string, unknown>): Pick<KnoxAccountOnDevice, 'emailAddress' | 'serverAddress' | 'easUser' | 'displayName' | 'useSSL'> {
  return {
    emailAddress: String(fields.emailAddress),
    serverAddress: String(fields.serverAddress),
    easUser: String(fields.easUser),
    displayName: String(fields.displayName),
    useSSL: fields.useSSL === true,
  };
}
