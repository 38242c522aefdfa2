import { Command } from 'commander';
import packageJson from '../../package.json' with { type: 'json' };
import { loadConfig } from '../config.ts';
import type { RenderOptions } from './render-command.ts';
import { registerSimulateCommand } from './simulate-command.ts';
import { registerDemoCommand } from './demo-command.ts';

const envelopeVersion = packageJson.version;

// Each command's module is imported when it runs: loading the server (Fastify, PGlite, the payload
// compilers) costs seconds, which `--help`, `--version` and commands sent to a running server skip.
const databaseCommands = () => import('./database-commands.ts');

const renderHelp = `
Renders a Graph email profile (the JSON you would POST to deviceConfigurations) for one user into the
device's native payload: .mobileconfig (iOS), SyncML (Windows), Knox account JSON or Android
Enterprise managed configuration. USER.json is a Graph user (userPrincipalName, mail,
onPremisesSamAccountName, onPremisesDomainName, onPremisesNetBiosName). Certificate profiles the
email profile binds to are given as their Graph JSON with their "id". PKCS identities need Envelope's
CA and cannot be issued offline. With --sign-cert/--sign-key an iOS profile is CMS-signed (DER output;
devices show it as verified when they trust the chain).`;

const configurationHelp = `
Configuration comes from the environment (see README): PORT, HOST, DATABASE_URL, ENVELOPE_DATA_DIR,
ENVELOPE_ADMIN_TOKEN, ENVELOPE_TLS_CERT, ENVELOPE_TLS_KEY, ENVELOPE_SECRET_KEY, ENVELOPE_PUBLIC_URL,
ENVELOPE_APNS_URL, ENVELOPE_WNS_URL, ENVELOPE_TRUST_PROXY, ENVELOPE_WAKE_POLL_MS, LOG_LEVEL,
LOG_FORMAT.`;

/**
 * The `envelope` command line. Usage errors (unknown command or option, missing argument) are
 * printed by commander as one line on stderr and thrown as CommanderError with a non-zero exitCode;
 * `--help` and `--version` throw one with exitCode 0. The environment is read only by commands
 * that need it, so `--help` and `render` work whatever it holds. Run it with parseCommandLine.
 */
export function buildProgram(): Command {
  const program = new Command('envelope')
    .description(`Envelope ${envelopeVersion}: corporate email profiles for managed devices.`)
    .version(envelopeVersion, '-V, --version', 'print the version')
    .helpCommand('help [command]', 'show help for a command')
    .addHelpText('after', configurationHelp)
    .exitOverride()
    .configureOutput({ outputError: (text, write) => write(`envelope: ${text.replace(/^error: /, '').trim().replace(/\s*\n\s*/g, ' ')}\n`) });

  program.command('serve')
    .description('run the server (the default command)')
    .action(async () => (await import('./serve-command.ts')).serveCommand(loadConfig()));

  program.command('migrate')
    .description('apply database migrations, say which, and exit')
    .action(async () => (await databaseCommands()).migrateCommand(loadConfig()));

  const tenant = program.command('tenant').description('manage tenants');
  tenant.command('create')
    .description('create a tenant')
    .argument('<name>', "the tenant's name: 1-63 lower-case letters, digits, '.', '_' or '-'")
    .action(async (name: string) => (await databaseCommands()).tenantCreateCommand(loadConfig(), name));
  tenant.command('list')
    .description('list tenants')
    .action(async () => (await databaseCommands()).tenantListCommand(loadConfig()));

  const token = program.command('token').description('manage API tokens');
  token.command('create')
    .description('issue an API token: the token alone on stdout, shown once')
    .requiredOption('--tenant <name>', 'the tenant it belongs to')
    .requiredOption('--role <role>', 'admin (read and write), readOnly, or scim (an identity provider\'s provisioning, /scim/v2 only)')
    .option('--label <text>', 'what it is for')
    .option('--expires <days>', 'expire after this many days (1-3650); default: never')
    .action(async (options: { tenant: string; role: string; label?: string; expires?: string }) => (await databaseCommands()).tokenCreateCommand(loadConfig(), options));
  token.command('list')
    .description("list a tenant's tokens: ids, roles, expiry, last use, labels, never values")
    .requiredOption('--tenant <name>', 'the tenant')
    .action(async (options: { tenant: string }) => (await databaseCommands()).tokenListCommand(loadConfig(), options));
  token.command('revoke')
    .description('revoke a token at once')
    .requiredOption('--tenant <name>', 'the tenant')
    .requiredOption('--id <tokenId>', "the token's id (from token create or token list)")
    .action(async (options: { tenant: string; id: string }) => (await databaseCommands()).tokenRevokeCommand(loadConfig(), options));

  const consoleUser = program.command('console-user').description('manage console accounts (user name and password for the admin console)');
  consoleUser.command('add')
    .description('create a console account; the password is read from stdin, or asked twice at a terminal')
    .requiredOption('--tenant <name>', 'the tenant')
    .requiredOption('--name <userName>', "the user name: letters, digits, '.', '_', '@', '-'")
    .requiredOption('--role <role>', 'admin (read and write) or readOnly')
    .action(async (options: { tenant: string; name: string; role: string }) => (await import('./console-user-commands.ts')).consoleUserAddCommand(loadConfig(), options));
  consoleUser.command('list')
    .description("list a tenant's console accounts: ids, names, roles, lockout, last sign-in, never passwords")
    .requiredOption('--tenant <name>', 'the tenant')
    .action(async (options: { tenant: string }) => (await import('./console-user-commands.ts')).consoleUserListCommand(loadConfig(), options));

  const enrollmentToken = program.command('enrollment-token').description('manage device enrollment links');
  enrollmentToken.command('create')
    .description('issue an enrollment token for a user: the token, then the link to open on the device, on stdout (shown once)')
    .requiredOption('--tenant <name>', 'the tenant')
    .requiredOption('--user <upn>', "the user's userPrincipalName")
    .requiredOption('--platform <platform>', 'iOS, Windows or Android')
    .option('--max-devices <n>', 'how many devices it may enroll (1-100, default 1)')
    .option('--expires <days>', 'days until it expires (1-30, default 7)')
    .action(async (options: { tenant: string; user: string; platform: string; maxDevices?: string; expires?: string }) =>
      (await databaseCommands()).enrollmentTokenCreateCommand(loadConfig(), options));

  const pushCertificate = program.command('apple').description('Apple device management').command('push-certificate').description("the tenant's Apple MDM push certificate");
  pushCertificate.command('set')
    .description('store the MDM push certificate Apple issued and its private key (renewals must keep the topic)')
    .requiredOption('--tenant <name>', 'the tenant')
    .requiredOption('--certificate <file>', 'PEM certificate from Apple Push Certificates Portal')
    .requiredOption('--key <file>', 'PEM private key of the CSR, unencrypted')
    .action(async (options: { tenant: string; certificate: string; key: string }) => (await databaseCommands()).applePushCertificateSetCommand(loadConfig(), options));
  pushCertificate.command('show')
    .description("show the push certificate's topic and expiry (never the key)")
    .requiredOption('--tenant <name>', 'the tenant')
    .action(async (options: { tenant: string }) => (await databaseCommands()).applePushCertificateShowCommand(loadConfig(), options));

  program.command('import')
    .description('create or update users (and their groups) from a CSV file; a re-run changes nothing (docs/scim.md)')
    .argument('<file>', 'CSV with a header: userPrincipalName (required), displayName, mail, givenName, surname, onPremisesSamAccountName, onPremisesDomainName, onPremisesNetBiosName, accountEnabled, groups (names separated by ;)')
    .option('--tenant <name>', 'the tenant', 'default')
    .action(async (file: string, options: { tenant: string }) => (await import('./import-command.ts')).importUsersCommand(loadConfig(), file, options));

  program.command('render')
    .description("render a Graph email profile for one user into the device's native payload (offline, no server)")
    .addHelpText('after', renderHelp)
    .argument('<profile>', 'PROFILE.json: the Graph email profile')
    .requiredOption('--user <file>', 'USER.json: the Graph user')
    .option('--certificate <file>', 'a certificate profile it binds to, as Graph JSON with its id (repeatable)', (file: string, files: string[]) => [...files, file], [] as string[])
    .option('--device <file>', 'DEVICE.json: the managed device (default: a typical one for the platform)')
    .option('--sign-cert <file>', 'PEM signer certificate chain, signer first (iOS only)')
    .option('--sign-key <file>', 'PEM private key of the signer')
    .option('--out <file>', 'write here instead of stdout')
    .action(async (profile: string, options: RenderOptions) => {
      const [{ renderCommand }, { appleMaterialFor }] = await Promise.all([import('./render-command.ts'), import('../services/certificates/certificate-material.ts')]);
      await renderCommand(profile, options, (input) => appleMaterialFor(input, { mode: 'preview' }));
    });

  program.command('backup')
    .description('write a consistent copy of the embedded database to FILE (.tar.gz), also while the server runs; not the secret key')
    .argument('<file>', 'the backup file to create (never overwritten)')
    .action(async (file: string) => (await import('./backup-commands.ts')).backupCommand(loadConfig(), file));
  program.command('restore')
    .description('start the embedded database over from a backup (the server must be stopped)')
    .argument('<file>', 'a file written by envelope backup')
    .option('--replace', 'move the existing database aside (kept, never deleted) and restore in its place')
    .action(async (file: string, options: { replace?: boolean }) => (await import('./backup-commands.ts')).restoreCommand(loadConfig(), file, options));

  program.command('export')
    .description("write the tenant's profiles (certificate links and assignments by name) to DIR/profiles/*.json, through the server's API (token in ENVELOPE_TOKEN)")
    .argument('<dir>', 'the directory (e.g. a git repository)')
    .option('--server <url>', 'the Envelope server (default: ENVELOPE_PUBLIC_URL, else http://HOST:PORT)')
    .action(async (dir: string, options: { server?: string }) => (await import('./gitops-commands.ts')).exportCommand(loadConfig(), dir, options));
  program.command('apply')
    .description('make the tenant match DIR/profiles/*.json: print the plan (create, update, assign, delete, with the devices each reaches), then carry it out')
    .argument('<dir>', 'the directory envelope export wrote')
    .option('--dry-run', 'print the plan only (a readOnly token is enough)')
    .option('--server <url>', 'the Envelope server (default: ENVELOPE_PUBLIC_URL, else http://HOST:PORT)')
    .action(async (dir: string, options: { server?: string; dryRun?: boolean }) => (await import('./gitops-commands.ts')).applyCommand(loadConfig(), dir, options));

  registerSimulateCommand(program);
  registerDemoCommand(program);

  return program;
}

/** Parses and runs the user's arguments; no arguments at all means `serve`. */
export function parseCommandLine(program: Command, args: readonly string[]): Promise<Command> {
  return program.parseAsync(args.length > 0 ? [...args] : ['serve'], { from: 'user' });
}
