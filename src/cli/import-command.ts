import { readFileSync } from 'node:fs';
import { parse } from 'csv-parse/sync';
import type { Config } from '../config.ts';
import { badRequest } from '../domain/errors.ts';
import { importColumnsOf, type UserImportResult, type UserImportRow } from '../services/directory/user-import.ts';
import { CliError } from './cli-error.ts';
import { withOperations } from './database-commands.ts';

/** Rows per control request are kept under this many bytes of JSON (the socket takes 64 KB). */
const maxBatchBytes = 48 * 1024;

/**
 * `envelope import users.csv [--tenant NAME]`: creates or updates users (and adds them to groups)
 * from a CSV file with a header line; see UserImportService for the columns and rules. Prints one
 * line per refused row on stderr and a summary on stdout; exits 2 when any row was refused (the
 * others are imported; a re-run is safe).
 */
export function importUsersCommand(config: Readonly<Config>, file: string, options: { tenant: string }): Promise<void> {
  let records: { record: string[]; info: { lines: number } }[];
  try {
    records = parse(readFileSync(file), { bom: true, skip_empty_lines: true, trim: true, info: true, relax_column_count: false }) as unknown as typeof records;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'EISDIR' || code === 'EACCES') throw new CliError(`Cannot read ${file}: ${code}.`, 2);
    throw badRequest(`${file} is not valid CSV: ${(error as Error).message}`, 'file');
  }
  const [header, ...data] = records;
  if (!header) throw badRequest(`${file} is empty: it needs a header line with userPrincipalName.`, 'file');
  const columns = importColumnsOf(header.record);
  const rows: UserImportRow[] = data.map(({ record, info }) => ({
    line: info.lines,
    cells: Object.fromEntries(columns.map((column, i) => [column, record[i] ?? ''])),
  }));
  const batches: UserImportRow[][] = [[]];
  let size = 0;
  for (const row of rows) {
    const bytes = Buffer.byteLength(JSON.stringify(row)) + 1;
    if (size + bytes > maxBatchBytes && batches.at(-1)!.length > 0) {
      batches.push([]);
      size = 0;
    }
    batches.at(-1)!.push(row);
    size += bytes;
  }
  return withOperations(config, async (operations) => {
    const results: UserImportResult[] = [];
    for (const batch of batches) if (batch.length > 0) results.push(...(await operations.importUsers(options.tenant, JSON.stringify(batch))));
    for (const failed of results.filter((r) => r.outcome === 'failed')) process.stderr.write(`${failed.error}\n`);
    const count = (outcome: UserImportResult['outcome']) => results.filter((r) => r.outcome === outcome).length;
    process.stdout.write(`Imported ${file}: ${count('created')} created, ${count('updated')} updated, ${count('unchanged')} unchanged, ${count('failed')} refused.\n`);
    if (count('failed') > 0) throw new CliError(`${count('failed')} line(s) refused; fix them and run the import again.`, 2);
  });
}
