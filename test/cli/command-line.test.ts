import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { envelopeVersion } from '../../src/main.ts';
import { startServeProcess, stopProcess } from '../helpers/serve-process.ts';

const root = join(import.meta.dirname, '..', '..');
const cli = join(root, 'src', 'cli', 'main.ts');

/**
 * The `envelope` command line as a script or a person meets it: help everywhere, the version, one
 * line and exit code 2 for a usage mistake, one line and exit code 1 for an unreachable database,
 * migrate saying what it did, and log lines in the asked-for format.
 */
describe('envelope command line', () => {
  let dataDir: string;
  let env: NodeJS.ProcessEnv;

  before(() => {
    dataDir = mkdtempSync(join(tmpdir(), 'envelope-cli-usage-'));
    env = { ...process.env, ENVELOPE_DATA_DIR: dataDir, PORT: '0', LOG_LEVEL: 'info', ENVELOPE_ADMIN_TOKEN: '', DATABASE_URL: '', LOG_FORMAT: '' };
  });
  after(() => rmSync(dataDir, { recursive: true, force: true }));

  const run = (args: string[], extraEnv: NodeJS.ProcessEnv = {}) =>
    spawnSync(process.execPath, [cli, ...args], { env: { ...env, ...extraEnv }, encoding: 'utf8', timeout: 60_000 });

  it('prints help for the program and for every command and subcommand, exiting 0', () => {
    const top = run(['--help']);
    assert.equal(top.status, 0, top.stderr);
    for (const command of ['serve', 'migrate', 'tenant', 'token', 'render']) assert.match(top.stdout, new RegExp(`^  ${command}\\b`, 'm'));
    assert.match(top.stdout, /LOG_FORMAT/);
    const expectations: Array<[string[], RegExp]> = [
      [['serve', '--help'], /Usage: envelope serve/],
      [['migrate', '--help'], /Usage: envelope migrate/],
      [['tenant', '--help'], /create <name>/],
      [['tenant', 'create', '--help'], /Usage: envelope tenant create \[options\] <name>/],
      [['tenant', 'list', '--help'], /Usage: envelope tenant list/],
      [['token', '--help'], /revoke/],
      [['token', 'create', '--help'], /--role <role>/],
      [['token', 'list', '--help'], /--tenant <name>/],
      [['token', 'revoke', '--help'], /--id <tokenId>/],
      [['render', '--help'], /--sign-cert <file>/],
      [['help', 'token'], /Usage: envelope token/],
    ];
    for (const [args, expected] of expectations) {
      const result = run(args);
      assert.equal(result.status, 0, `${args.join(' ')}: ${result.stderr}`);
      assert.match(result.stdout, expected, args.join(' '));
    }
  });

  it('prints the version', () => {
    const result = run(['--version']);
    assert.equal(result.status, 0);
    assert.equal(result.stdout, `${envelopeVersion}\n`);
  });

  it('answers a usage mistake with one line on stderr and exit code 2, never a stack trace', () => {
    const mistakes: Array<[string[], RegExp]> = [
      [['serv'], /^envelope: unknown command 'serv'/],
      [['tenant', 'create'], /^envelope: missing required argument 'name'$/],
      [['tenant', 'create', 'a', 'b'], /^envelope: too many arguments for 'create'/],
      [['token', 'create', '--tenant', 'default'], /^envelope: required option '--role <role>' not specified$/],
      [['token', 'list', '--tenant', 'default', '--colour'], /^envelope: unknown option '--colour'$/],
      [['token', 'revoke', '--tenant', 'default'], /^envelope: required option '--id <tokenId>' not specified$/],
      [['render', 'profile.json'], /^envelope: required option '--user <file>' not specified$/],
      [['--frobnicate'], /^envelope: unknown option '--frobnicate'$/],
    ];
    for (const [args, expected] of mistakes) {
      const result = run(args);
      assert.equal(result.status, 2, args.join(' '));
      assert.equal(result.stdout, '', args.join(' '));
      assert.equal(result.stderr.trim().split('\n').length, 1, `${args.join(' ')}: ${result.stderr}`);
      assert.match(result.stderr.trim(), expected, args.join(' '));
    }
  });

  it('says in one line, exit code 1, that a PostgreSQL server is unreachable, without its password', async () => {
    const closedPort = await new Promise<number>((resolve) => {
      const probe = createServer().listen(0, '127.0.0.1', () => {
        const { port } = probe.address() as { port: number };
        probe.close(() => resolve(port));
      });
    });
    for (const command of [['migrate'], ['tenant', 'list'], ['serve']]) {
      const result = run(command, { DATABASE_URL: `postgres://envelope:s3cret@127.0.0.1:${closedPort}/envelope` });
      assert.equal(result.status, 1, command.join(' '));
      assert.equal(result.stderr, `envelope: Cannot reach the PostgreSQL database at postgres://envelope:***@127.0.0.1:${closedPort}/envelope (DATABASE_URL): connect ECONNREFUSED 127.0.0.1:${closedPort}\n`);
    }
  });

  it('says which migrations migrate applied, and that the database is up to date when run again', () => {
    const first = run(['migrate']);
    assert.equal(first.status, 0, first.stderr);
    assert.match(first.stdout, /^Applied 0001_foundation\.sql\.$/m);
    assert.match(first.stdout, /^Database is up to date \(\d+ migrations?\)\.$/m);
    const again = run(['migrate']);
    assert.equal(again.status, 0, again.stderr);
    assert.match(again.stdout, /^Database is up to date \(\d+ migrations?\)\.\n$/);
  });

  /** Starts the server, returns everything it wrote to stdout by the time it listened, and stops it. */
  async function serverLog(extraEnv: NodeJS.ProcessEnv): Promise<string> {
    const server = await startServeProcess(
      cli,
      { ...env, ...extraEnv },
      (output) => (/control socket listening/.test(output) && /listening on http/.test(output) ? true : undefined),
      { timeoutMs: 90_000 },
    );
    await stopProcess(server.process);
    return server.output();
  }

  it('logs JSON lines when not on a terminal, and readable lines with LOG_FORMAT=pretty', async () => {
    const json = (await serverLog({})).split('\n').filter((line) => line.startsWith('{'));
    assert.ok(json.length > 0);
    const listening = json.map((line) => JSON.parse(line) as { level: number; msg: string }).find((entry) => entry.msg === 'control socket listening');
    assert.equal(listening?.level, 30);
    const pretty = await serverLog({ LOG_FORMAT: 'pretty' });
    assert.match(pretty, /^\[\d\d:\d\d:\d\d\.\d{3}\] INFO: control socket listening/m);
    assert.equal(pretty.split('\n').some((line) => line.startsWith('{')), false);
  });
});

/** `npx envelope` and `npm start` go through bin/envelope.js, which any Node can run. */
describe('the envelope launcher', () => {
  it('runs the CLI under a Node that strips types', () => {
    const result = spawnSync(process.execPath, [join(root, 'bin', 'envelope.js'), '--version'], { encoding: 'utf8' });
    assert.equal(result.status, 0, result.stderr);
    assert.equal(result.stdout, `${envelopeVersion}\n`);
  });

  // The machine's own Node, as after `npm ci --ignore-scripts` (no pinned Node in node_modules).
  const systemNode = spawnSync('sh', ['-c', 'command -v node'], { encoding: 'utf8', env: { PATH: '/usr/local/bin:/usr/bin:/bin' } }).stdout.trim();
  const stripsTypes = systemNode !== '' && spawnSync(systemNode, ['-p', 'Boolean(process.features.typescript)'], { encoding: 'utf8' }).stdout.trim() === 'true';
  it('says what is missing and how to fix it when neither its Node nor a pinned one can run TypeScript',
    { skip: (systemNode === '' || stripsTypes) && 'no Node without type stripping on this machine' },
    () => {
      const checkout = mkdtempSync(join(tmpdir(), 'envelope-launcher-'));
      try {
        mkdirSync(join(checkout, 'bin'));
        copyFileSync(join(root, 'bin', 'envelope.js'), join(checkout, 'bin', 'envelope.js'));
        const result = spawnSync(systemNode, [join(checkout, 'bin', 'envelope.js'), 'serve'], { encoding: 'utf8' });
        assert.equal(result.status, 1);
        assert.equal(result.stdout, '');
        assert.match(result.stderr, /^envelope: Node v\d+\.\d+\.\d+ cannot run Envelope's TypeScript, and the project's own Node 24 is missing .*npm rebuild node.*Node 22\.18 or newer\.\n$/);
      } finally {
        rmSync(checkout, { recursive: true, force: true });
      }
    });
});
