import { parseArgs } from 'node:util';
import { ConfigError, loadConfig, type Config } from '../config.ts';
import { isEnvelopeError } from '../domain/errors.ts';
import { envelopeVersion, openDatabase, startServer } from '../main.ts';
import { TenantService } from '../services/auth/tenant-service.ts';
import { migrate } from '../store/postgres/migrate.ts';
import { appleMaterialFor } from '../services/certificates/certificate-material.ts';
import { renderCommand } from './render-command.ts';
import { TenantStore } from '../store/postgres/tenant-store.ts';

const usage = `envelope ${envelopeVersion} — corporate email profiles for managed devices

Usage:
  envelope serve                                   run the server (default)
  envelope migrate                                 apply database migrations and exit
  envelope tenant create NAME                      create a tenant
  envelope tenant list                             list tenants
  envelope token create --tenant NAME --role admin|readOnly [--label TEXT]
                                                   issue an API token (printed once)
  envelope token list --tenant NAME                list a tenant's tokens (ids, roles, labels; never values)
  envelope token revoke --tenant NAME --id TOKEN_ID
                                                   revoke a token at once
  envelope render PROFILE.json --user USER.json [--certificate CERT.json ...] [--device DEVICE.json] [--out FILE]
                                                   render a Graph email profile for one user into the
                                                   device's native payload (offline, no server)
  envelope help                                    this text

Configuration comes from the environment (see README): PORT, HOST, DATABASE_URL, ENVELOPE_DATA_DIR,
ENVELOPE_ADMIN_TOKEN, ENVELOPE_TLS_CERT, ENVELOPE_TLS_KEY, ENVELOPE_SECRET_KEY, ENVELOPE_PUBLIC_URL, LOG_LEVEL.
`;

async function main(argv: string[]): Promise<number> {
  const [command = 'serve', ...rest] = argv;
  if (command === 'help' || command === '--help' || command === '-h') {
    process.stdout.write(usage);
    return 0;
  }
  if (command === 'render') return renderCommand(rest, (input) => appleMaterialFor(input, { mode: 'preview' }));
  const config = loadConfig();
  switch (command) {
    case 'serve':
      return serve(config);
    case 'migrate':
      return withDatabase(config, async () => 0);
    case 'tenant':
      return tenantCommand(config, rest);
    case 'token':
      return tokenCommand(config, rest);
    default:
      process.stderr.write(`Unknown command '${command}'.\n\n${usage}`);
      return 2;
  }
}

async function serve(config: Readonly<Config>): Promise<number> {
  const envelope = await startServer(config);
  const address = envelope.app.server.address();
  const where = typeof address === 'object' && address ? `${config.tlsCertPath ? 'https' : 'http'}://${config.host}:${address.port}` : String(address);
  process.stdout.write(`Envelope ${envelopeVersion} listening on ${where} (database: ${envelope.db.kind}${config.databaseUrl ? '' : ` in ${config.dataDir}`}).\n`);
  process.stdout.write(`API: ${where}/graph/beta   docs: ${where}/docs   OpenAPI: ${where}/openapi.json\n`);
  if (envelope.firstToken) {
    if (config.adminToken) {
      process.stdout.write(`Registered ENVELOPE_ADMIN_TOKEN as the first admin token of tenant '${envelope.firstToken.tenant.name}'.\n`);
    } else {
      process.stdout.write(
        `\nFirst start: admin token for tenant '${envelope.firstToken.tenant.name}' (shown once, store it now):\n\n  ${envelope.firstToken.token}\n\n`,
      );
    }
  }
  const stop = async (signal: string) => {
    envelope.app.log.info({ signal }, 'shutting down');
    await envelope.close();
    process.exit(0);
  };
  process.once('SIGINT', () => void stop('SIGINT'));
  process.once('SIGTERM', () => void stop('SIGTERM'));
  return new Promise<number>(() => undefined);
}

async function withDatabase(config: Readonly<Config>, fn: (tenants: TenantService) => Promise<number>): Promise<number> {
  const db = await openDatabase(config);
  try {
    await migrate(db);
    const tenants = new TenantService(new TenantStore(db));
    await tenants.ensureDefaultTenant();
    return await fn(tenants);
  } finally {
    await db.close();
  }
}

function tenantCommand(config: Readonly<Config>, args: string[]): Promise<number> {
  const [sub, name] = args;
  if (sub === 'create' && name) {
    return withDatabase(config, async (tenants) => {
      const tenant = await tenants.createTenant(name);
      process.stdout.write(`Created tenant '${tenant.name}' (${tenant.id}).\nIssue a token: envelope token create --tenant ${tenant.name} --role admin\n`);
      return 0;
    });
  }
  if (sub === 'list') {
    return withDatabase(config, async (tenants) => {
      for (const t of await tenants.listTenants()) process.stdout.write(`${t.name}\t${t.id}${t.isDefault ? '\t(default)' : ''}\n`);
      return 0;
    });
  }
  process.stderr.write(`Usage: envelope tenant create NAME | envelope tenant list\n`);
  return Promise.resolve(2);
}

function tokenCommand(config: Readonly<Config>, args: string[]): Promise<number> {
  const [sub, ...rest] = args;
  const { values } = parseArgs({
    args: rest,
    options: { tenant: { type: 'string' }, role: { type: 'string' }, label: { type: 'string' }, id: { type: 'string' } },
  });
  const tenant = values.tenant;
  if (sub === 'create' && tenant && values.role) {
    return withDatabase(config, async (tenants) => {
      const issued = await tenants.createToken(tenant, values.role!, values.label ?? '');
      process.stderr.write(`Token ${issued.tokenId} for tenant '${issued.tenant.name}', role ${issued.role} (shown once):\n`);
      process.stdout.write(`${issued.token}\n`);
      return 0;
    });
  }
  if (sub === 'list' && tenant) {
    return withDatabase(config, async (tenants) => {
      for (const t of await tenants.listTokens(tenant)) {
        process.stdout.write(`${t.id}\t${t.role}\t${t.revokedDateTime ? `revoked ${t.revokedDateTime}` : 'active'}\t${t.createdDateTime}\t${t.label}\n`);
      }
      return 0;
    });
  }
  if (sub === 'revoke' && tenant && values.id) {
    return withDatabase(config, async (tenants) => {
      await tenants.revokeToken(tenant, values.id!);
      process.stdout.write(`Revoked token ${values.id}.\n`);
      return 0;
    });
  }
  process.stderr.write('Usage: envelope token create --tenant NAME --role admin|readOnly [--label TEXT]\n' +
    '       envelope token list --tenant NAME\n       envelope token revoke --tenant NAME --id TOKEN_ID\n');
  return Promise.resolve(2);
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    if (error instanceof ConfigError || isEnvelopeError(error)) {
      process.stderr.write(`envelope: ${error.message}\n`);
      process.exit(2);
    }
    process.stderr.write(`envelope: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(1);
  },
);
