import { createInterface } from 'node:readline';
import type { Config } from '../config.ts';
import { badRequest } from '../domain/errors.ts';
import { withOperations } from './database-commands.ts';

/**
 * The password for `console-user add`: from stdin when it is not a terminal (one line; a trailing
 * newline is not part of it), else typed twice at a prompt on stderr without echo.
 */
export async function readPassword(input: NodeJS.ReadStream = process.stdin, prompt: NodeJS.WriteStream = process.stderr): Promise<string> {
  if (!input.isTTY) {
    let text = '';
    input.setEncoding('utf8');
    for await (const chunk of input) text += chunk as string;
    return text.replace(/\r?\n$/, '');
  }
  const first = await askHidden('Password: ', input, prompt);
  const second = await askHidden('Password again: ', input, prompt);
  if (first !== second) throw badRequest('The two passwords differ; nothing was created.', 'password');
  return first;
}

function askHidden(question: string, input: NodeJS.ReadStream, output: NodeJS.WriteStream): Promise<string> {
  return new Promise((resolve) => {
    const rl = createInterface({ input, output, terminal: true });
    // Echo nothing of what is typed: readline writes keystrokes through _writeToOutput.
    (rl as unknown as { _writeToOutput(text: string): void })._writeToOutput = (text: string) => {
      if (text.startsWith(question)) output.write(question);
    };
    rl.question(question, (answer) => {
      rl.close();
      output.write('\n');
      resolve(answer);
    });
  });
}

/** `envelope console-user add`: creates the account; the password never reaches stdout, a log or an argument. */
export async function consoleUserAddCommand(config: Readonly<Config>, options: { tenant: string; name: string; role: string }): Promise<void> {
  const typed = await readPassword();
  return withOperations(config, async (operations) => {
    const account = await operations.createConsoleAccount(options.tenant, options.name, options.role, typed);
    process.stdout.write(`Created console account '${account.userName}' (${account.id}), role ${account.role}, in tenant '${options.tenant}'.\n`);
  });
}

export function consoleUserListCommand(config: Readonly<Config>, options: { tenant: string }): Promise<void> {
  return withOperations(config, async (operations) => {
    for (const a of await operations.listConsoleAccounts(options.tenant)) {
      const state = a.lockedUntilDateTime ? `locked until ${a.lockedUntilDateTime}` : 'active';
      process.stdout.write(`${a.id}\t${a.userName}\t${a.role}\t${state}\tlast sign-in ${a.lastSignInDateTime ?? 'never'}\n`);
    }
  });
}
