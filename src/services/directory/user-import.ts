import { badRequest, isEnvelopeError } from '../../domain/errors.ts';
import type { Stores, Transactor } from '../../store/postgres/stores.ts';
import type { UserFields } from '../../store/postgres/user-store.ts';
import { GroupService } from './group-service.ts';
import { UserService } from './user-service.ts';

/**
 * The columns `envelope import users.csv` reads (header names match case-insensitively; only
 * `userPrincipalName` is required, the others may be left out). `groups`: group names separated by
 * `;`, created when missing.
 */
export const userImportColumns = [
  'userPrincipalName', 'displayName', 'mail', 'givenName', 'surname', 'onPremisesSamAccountName', 'onPremisesDomainName',
  'onPremisesNetBiosName', 'accountEnabled', 'groups',
] as const;
export type UserImportColumn = (typeof userImportColumns)[number];

/** One data line of the file: its line number and its cells by column. */
export interface UserImportRow {
  line: number;
  cells: Partial<Record<UserImportColumn, string>>;
}

export interface UserImportResult {
  line: number;
  outcome: 'created' | 'updated' | 'unchanged' | 'failed';
  /** For failures: what is wrong, naming the column. */
  error?: string;
}

/** The header as columns, in order; 400 naming an unknown or repeated column, or a missing userPrincipalName. */
export function importColumnsOf(header: readonly string[]): UserImportColumn[] {
  const columns = header.map((name) => {
    const column = userImportColumns.find((c) => c.toLowerCase() === name.trim().toLowerCase());
    if (!column) throw badRequest(`Unknown column '${name}': use ${userImportColumns.join(', ')}.`, name);
    return column;
  });
  const repeated = columns.find((c, i) => columns.indexOf(c) !== i);
  if (repeated) throw badRequest(`Column '${repeated}' appears twice.`, repeated);
  if (!columns.includes('userPrincipalName')) throw badRequest('The header must have a userPrincipalName column.', 'userPrincipalName');
  return columns;
}

/** Rows as JSON from the control socket (unchecked input): 400 unless an array of `{ line, cells }` with string cells. */
export function parseImportRows(json: string): UserImportRow[] {
  let rows: unknown;
  try {
    rows = JSON.parse(json);
  } catch {
    throw badRequest('The rows are not JSON.', 'rows');
  }
  const isRow = (row: unknown): row is UserImportRow => {
    if (typeof row !== 'object' || row === null) return false;
    const { line, cells } = row as { line?: unknown; cells?: unknown };
    return Number.isSafeInteger(line) && typeof cells === 'object' && cells !== null && !Array.isArray(cells)
      && Object.entries(cells).every(([k, v]) => (userImportColumns as readonly string[]).includes(k) && typeof v === 'string');
  };
  if (!Array.isArray(rows) || !rows.every(isRow)) throw badRequest('The rows must be [{"line", "cells": {column: text}}].', 'rows');
  return rows;
}

const limits: Partial<Record<UserImportColumn, number>> = {
  displayName: 256, mail: 320, givenName: 64, surname: 64, onPremisesSamAccountName: 64, onPremisesDomainName: 255, onPremisesNetBiosName: 15,
};
const address = /^[^@\s]+@[^@\s]+$/;

/**
 * A quick start for the directory: creates or updates users by userPrincipalName from rows of a CSV
 * file, each row in its own transaction (a bad row is reported and changes nothing; the others go
 * on). Idempotent: a re-run with the same file changes nothing. Columns present replace the user's
 * values (an empty cell clears one; `displayName` defaults to the UPN, `accountEnabled` to true);
 * columns left out are kept. `groups` adds memberships (creating groups by name) and never removes one.
 */
export class UserImportService {
  readonly #transact: Transactor;
  readonly #newId: () => string;

  constructor(options: { transact: Transactor; newId: () => string }) {
    this.#transact = options.transact;
    this.#newId = options.newId;
  }

  async importRows(tenantId: string, rows: readonly UserImportRow[]): Promise<UserImportResult[]> {
    const results: UserImportResult[] = [];
    for (const row of rows) {
      try {
        const outcome = await this.#transact((stores) => this.#importRow(stores, tenantId, row));
        results.push({ line: row.line, outcome });
      } catch (error) {
        if (!isEnvelopeError(error) || error.status >= 500) throw error;
        results.push({ line: row.line, outcome: 'failed', error: error.message.startsWith('line ') ? error.message : `line ${row.line}: ${error.message}` });
      }
    }
    return results;
  }

  async #importRow(stores: Stores, tenantId: string, row: UserImportRow): Promise<UserImportResult['outcome']> {
    const users = new UserService(stores.users, this.#newId);
    const groups = new GroupService(stores, this.#newId);
    const { fields, groupNames } = parseRow(row);
    const existing = await stores.users.findByUserPrincipalName(tenantId, fields.userPrincipalName!);
    let outcome: UserImportResult['outcome'];
    let userId: string;
    if (!existing) {
      userId = (await users.create(tenantId, { ...fields, displayName: fields.displayName ?? fields.userPrincipalName!, userPrincipalName: fields.userPrincipalName! })).id;
      outcome = 'created';
    } else {
      userId = existing.id;
      const changed = (Object.keys(fields) as (keyof UserFields)[]).some((k) => existing[k] !== fields[k]);
      if (changed) await users.update(tenantId, existing.id, fields);
      outcome = changed ? 'updated' : 'unchanged';
    }
    for (const name of groupNames) {
      const found = await groups.findPage(tenantId, { attribute: 'displayName', value: name }, 0, 1);
      const groupId = found.items[0]?.id ?? (await groups.create(tenantId, { displayName: name })).id;
      const members = await groups.userMemberIds(tenantId, groupId);
      if (!members.includes(userId)) {
        await groups.changeUserMembers(tenantId, groupId, { add: [userId], remove: [] }, 'groups');
        if (outcome === 'unchanged') outcome = 'updated';
      }
    }
    return outcome;
  }
}

function parseRow(row: UserImportRow): { fields: Partial<UserFields>; groupNames: string[] } {
  const fail = (column: string, message: string) => badRequest(`line ${row.line}: ${column}: ${message}`, column);
  const cells = row.cells;
  const fields: Partial<UserFields> = {};
  const upn = (cells.userPrincipalName ?? '').trim();
  if (!address.test(upn) || upn.length > 320) throw fail('userPrincipalName', `'${upn}' is not a user principal name such as user@contoso.com.`);
  fields.userPrincipalName = upn;
  for (const column of ['displayName', 'mail', 'givenName', 'surname', 'onPremisesSamAccountName', 'onPremisesDomainName', 'onPremisesNetBiosName'] as const) {
    if (!(column in cells)) continue;
    const value = (cells[column] ?? '').trim();
    if (value.length > limits[column]!) throw fail(column, `at most ${limits[column]} characters.`);
    if (column === 'mail' && value !== '' && !address.test(value)) throw fail(column, `'${value}' is not an email address.`);
    fields[column] = value === '' ? (column === 'displayName' ? upn : null) as never : value;
  }
  if ('accountEnabled' in cells) {
    const value = (cells.accountEnabled ?? '').trim().toLowerCase();
    if (!['', 'true', 'false'].includes(value)) throw fail('accountEnabled', "use true or false (empty: true).");
    fields.accountEnabled = value !== 'false';
  }
  const groupNames = [...new Set((cells.groups ?? '').split(';').map((g) => g.trim()).filter((g) => g !== ''))];
  const tooLong = groupNames.find((g) => g.length > 256);
  if (tooLong) throw fail('groups', `group name '${tooLong.slice(0, 40)}…' is longer than 256 characters.`);
  return { fields, groupNames };
}
