import { connect } from 'node:net';
import type { ConsoleAccount } from '../store/postgres/console-account-store.ts';
import { EnvelopeError } from '../domain/errors.ts';
import type { UserImportResult } from '../services/directory/user-import.ts';
import type { IssuedToken } from '../services/auth/tenant-service.ts';
import type { Tenant, TokenInfo } from '../store/postgres/tenant-store.ts';
import type { IssuedEnrollmentToken } from '../services/enrollment/enrollment-token-service.ts';
import type { StoredPushCertificateInfo } from '../store/postgres/apple-push-certificate-store.ts';
import type { BackupWritten, ControlOperations } from './control-operations.ts';
import type { ControlErrorBody } from './control-server.ts';

/** Nothing answered on the control socket (no file, nobody listening, or no reply in time). */
export class ControlSocketUnreachableError extends Error {
  constructor(path: string, cause: string) {
    super(`No Envelope server answers on ${path} (${cause}).`);
    this.name = 'ControlSocketUnreachableError';
  }
}

const replyTimeoutMs = 30_000;

/**
 * The running server's operations, over its control socket (see startControlServer for the wire
 * format). The server's EnvelopeErrors are rethrown as EnvelopeErrors with the same code, status
 * and message, so a command fails the same way whichever process ran it.
 */
export class ControlClient implements ControlOperations {
  readonly path: string;

  constructor(path: string) {
    this.path = path;
  }

  /** The server's version and process id; throws ControlSocketUnreachableError when none answers. */
  ping(timeoutMs = 2_000): Promise<{ version: string; pid: number }> {
    return this.#call('ping', [], timeoutMs) as Promise<{ version: string; pid: number }>;
  }

  createTenant(name: string): Promise<Tenant> {
    return this.#call('createTenant', [name]) as Promise<Tenant>;
  }

  listTenants(): Promise<Tenant[]> {
    return this.#call('listTenants', []) as Promise<Tenant[]>;
  }

  createToken(tenantName: string, role: string, label: string, expiresDays = ''): Promise<IssuedToken> {
    return this.#call('createToken', [tenantName, role, label, expiresDays]) as Promise<IssuedToken>;
  }

  listTokens(tenantName: string): Promise<TokenInfo[]> {
    return this.#call('listTokens', [tenantName]) as Promise<TokenInfo[]>;
  }

  async revokeToken(tenantName: string, tokenId: string): Promise<void> {
    await this.#call('revokeToken', [tenantName, tokenId]);
  }

  appliedMigrations(): Promise<string[]> {
    return this.#call('appliedMigrations', []) as Promise<string[]>;
  }

  createEnrollmentToken(tenantName: string, userPrincipalName: string, platform: string, maxDevices: string, expiresDays: string): Promise<IssuedEnrollmentToken> {
    return this.#call('createEnrollmentToken', [tenantName, userPrincipalName, platform, maxDevices, expiresDays]) as Promise<IssuedEnrollmentToken>;
  }

  setApplePushCertificate(tenantName: string, certificatePem: string, privateKeyPem: string): Promise<StoredPushCertificateInfo> {
    return this.#call('setApplePushCertificate', [tenantName, certificatePem, privateKeyPem]) as Promise<StoredPushCertificateInfo>;
  }

  showApplePushCertificate(tenantName: string): Promise<StoredPushCertificateInfo> {
    return this.#call('showApplePushCertificate', [tenantName]) as Promise<StoredPushCertificateInfo>;
  }

  /** The server dumps its database between statements: allow for a large one. */
  backupTo(path: string): Promise<BackupWritten> {
    return this.#call('backupTo', [path], 10 * 60_000) as Promise<BackupWritten>;
  }

  importUsers(tenantName: string, rowsJson: string): Promise<UserImportResult[]> {
    return this.#call('importUsers', [tenantName, rowsJson]) as Promise<UserImportResult[]>;
  }

  createConsoleAccount(tenantName: string, userName: string, role: string, password: string): Promise<ConsoleAccount> {
    return this.#call('createConsoleAccount', [tenantName, userName, role, password]) as Promise<ConsoleAccount>;
  }

  listConsoleAccounts(tenantName: string): Promise<ConsoleAccount[]> {
    return this.#call('listConsoleAccounts', [tenantName]) as Promise<ConsoleAccount[]>;
  }

  #call(op: string, args: string[], timeoutMs = replyTimeoutMs): Promise<unknown> {
    return new Promise((resolve, reject) => {
      let reply = '';
      const socket = connect(this.path);
      socket.setEncoding('utf8');
      socket.setTimeout(timeoutMs, () => socket.destroy(new Error(`no reply within ${timeoutMs / 1000} s`)));
      socket.on('connect', () => socket.write(`${JSON.stringify({ op, args })}\n`));
      socket.on('data', (chunk: string) => (reply += chunk));
      socket.on('error', (error: NodeJS.ErrnoException) => reject(new ControlSocketUnreachableError(this.path, error.code ?? error.message)));
      socket.on('end', () => {
        try {
          const body = JSON.parse(reply) as { result?: unknown; error?: ControlErrorBody };
          if (body.error) reject(new EnvelopeError(body.error.code, body.error.status, body.error.message, body.error.target));
          else resolve(body.result);
        } catch {
          reject(new ControlSocketUnreachableError(this.path, 'the reply is not JSON'));
        }
      });
    });
  }
}
