import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { loadConfig } from '../../src/config.ts';
import { applyCommand, exportCommand } from '../../src/cli/gitops-commands.ts';
import { CliError } from '../../src/cli/cli-error.ts';
import { createTestApp, type TestApp } from '../helpers/test-app.ts';

const configs = '/graph/beta/deviceManagement/deviceConfigurations';
const configuration = '/graph/beta/deviceManagement/envelope/configuration';
const testRoot = 'MIIBjzCCATWgAwIBAgIUIaBoCu8rX0x2LeqtKw13yGCQarcwCgYIKoZIzj0EAwIwHTEbMBkGA1UEAwwSRW52ZWxvcGUgVGVzdCBSb290MB4XDTI2MTEyMjEzMzU1MFoXDTQ2MTExNzEzMzU1MFowHTEbMBkGA1UEAwwSRW52ZWxvcGUgVGVzdCBSb290MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEhUvWSUSZXCU2Suo/FF3sr080SLUnm6yN2Q2HvKYrOJyi9hD06GlQ0qBMHkfVFJmdAp1+/FZvG2SldmMX+7U/uqNTMFEwHQYDVR0OBBYEFKtZkUVRj58Fu1f1xFkF7Nx0J/N5MB8GA1UdIwQYMBaAFKtZkUVRj58Fu1f1xFkF7Nx0J/N5MA8GA1UdEwEB/wQFMAMBAf8wCgYIKoZIzj0EAwIDSAAwRQIhAOOA7DuDe22T8matoqTtDl10L88cIW55a5KFQKQn0KMIAiA3XwEqs8qCuyzhcKFb4FGp9zwLUULbNru36s1zEpU2tA==';
const bind = (id: string) => `https://graph.microsoft.com/beta/deviceManagement/deviceConfigurations('${id}')`;

/** Configuration as files: export, plan and apply, through the API and through `envelope export`/`apply`. */
describe('tenant configuration as files (GitOps)', () => {
  let t: TestApp;
  let server: string;
  let work: string;
  let other: { admin: string; readOnly: string };

  async function create(url: string, body: unknown, token?: string): Promise<string> {
    const reply = await t.request('POST', url, { body, token });
    assert.equal(reply.status, 201, JSON.stringify(reply.body));
    return reply.body.id;
  }

  /** Runs a CLI command in this process against the test server, with ENVELOPE_TOKEN = token; returns what it printed. */
  async function cli(token: string, run: (write: (text: string) => void) => Promise<void>): Promise<string> {
    let printed = '';
    currentToken = token;
    try {
      await run((text) => (printed += text));
    } finally {
      currentToken = null;
    }
    return printed;
  }
  let currentToken: string | null = null;
  const config = () => loadConfig(currentToken === null ? {} : { ENVELOPE_TOKEN: currentToken }, '/');

  before(async () => {
    t = await createTestApp();
    await t.envelope.app.listen({ port: 0, host: '127.0.0.1' });
    server = `http://127.0.0.1:${(t.envelope.app.server.address() as AddressInfo).port}`;
    work = mkdtempSync(join(tmpdir(), 'envelope-gitops-'));
    const ann = await create('/graph/beta/users', { displayName: 'Ann', userPrincipalName: 'ann@contoso.com', mail: 'ann@contoso.com' });
    const sales = await create('/graph/beta/groups', { displayName: 'Sales', 'members@odata.bind': [`https://graph.microsoft.com/beta/users/${ann}`] });
    await create('/graph/beta/groups', { displayName: 'Contractors' });
    const phone = await create('/graph/beta/deviceManagement/managedDevices', { deviceName: 'Ann iPhone', operatingSystem: 'iOS', osVersion: '17.5', userId: ann });
    assert.ok(phone);
    const root = await create(configs, { '@odata.type': '#microsoft.graph.iosTrustedRootCertificate', displayName: 'Corp root', trustedRootCertificate: testRoot, certFileName: 'root.cer' });
    const scep = await create(configs, {
      '@odata.type': '#microsoft.graph.iosScepCertificateProfile', displayName: 'Corp identity', scepServerUrls: ['https://ndes.contoso.com/certsrv/mscep/mscep.dll'],
      subjectAlternativeNameType: 'emailAddress', keyUsage: 'digitalSignature', keySize: 'size2048', 'rootCertificate@odata.bind': bind(root),
    });
    const mail = await create(configs, {
      '@odata.type': '#microsoft.graph.iosEasEmailProfileConfiguration', displayName: 'Contoso mail', accountName: 'Contoso', hostName: 'mail.contoso.com',
      emailAddressSource: 'primarySmtpAddress', authenticationMethod: 'certificate', 'identityCertificate@odata.bind': bind(scep),
    });
    const legacy = await create(configs, { '@odata.type': '#microsoft.graph.iosTrustedRootCertificate', displayName: 'Legacy root', trustedRootCertificate: testRoot, certFileName: 'legacy.cer' });
    const assignBody = (targets: object[]) => ({ assignments: targets.map((target) => ({ target })) });
    for (const id of [root, scep, legacy]) assert.equal((await t.request('POST', `${configs}/${id}/assign`, { body: assignBody([{ '@odata.type': '#microsoft.graph.groupAssignmentTarget', groupId: sales }]) })).status, 200);
    assert.equal((await t.request('POST', `${configs}/${mail}/assign`, {
      body: assignBody([{ '@odata.type': '#microsoft.graph.groupAssignmentTarget', groupId: sales }, { '@odata.type': '#microsoft.graph.exclusionGroupAssignmentTarget', groupId: (await t.request('GET', "/graph/beta/groups?$filter=displayName eq 'Contractors'")).body.value[0].id }]),
    })).status, 200);
    other = await t.tenant('gitops-target');
  });
  after(async () => {
    await t.close();
    rmSync(work, { recursive: true, force: true });
  });

  it('exports profiles with certificate links and assignments by name, and an unchanged tenant plans nothing', async () => {
    const printed = await cli(t.adminToken, (write) => exportCommand(config(), work, { server }, write));
    assert.match(printed, /^Exported 4 profiles to /);
    assert.deepEqual(readdirSync(join(work, 'profiles')).sort(), ['contoso-mail.json', 'corp-identity.json', 'corp-root.json', 'legacy-root.json']);
    const mail = JSON.parse(readFileSync(join(work, 'profiles', 'contoso-mail.json'), 'utf8'));
    assert.deepEqual(mail.certificates, { identityCertificate: 'Corp identity' });
    assert.deepEqual(mail.assignments, [{ group: 'Sales' }, { excludeGroup: 'Contractors' }]);
    assert.equal(mail.profile.id, undefined, 'no server-assigned properties');
    assert.equal(mail.profile.hostName, 'mail.contoso.com');

    const plan = await cli(await t.readOnlyToken(), (write) => applyCommand(config(), work, { server, dryRun: true }, write));
    assert.equal(plan, 'The tenant matches the files: nothing to do.\n');
  });

  it('plans an update, an assignment change and a delete with the devices each reaches, and changes nothing on a dry run', async () => {
    const file = join(work, 'profiles', 'contoso-mail.json');
    const mail = JSON.parse(readFileSync(file, 'utf8'));
    mail.profile.accountName = 'Contoso Exchange';
    mail.assignments = [{ group: 'Sales' }];
    writeFileSync(file, JSON.stringify(mail));
    rmSync(join(work, 'profiles', 'legacy-root.json'));
    const identityFile = join(work, 'profiles', 'corp-identity.json');
    const identity = readFileSync(identityFile, 'utf8');
    writeFileSync(identityFile, identity.replace('"rootCertificate": "Corp root"', '"rootCertificate": "Nope"'));
    await assert.rejects(cli(t.adminToken, (write) => applyCommand(config(), work, { server, dryRun: true }, write)), (error: unknown) =>
      error instanceof CliError && /certificates\.rootCertificate names 'Nope', which is not among the profiles being applied/.test(error.message) && /profiles\/corp-identity\.json/.test(error.message));
    writeFileSync(identityFile, identity);

    const before = (await t.request('GET', configuration)).body;
    const plan = await cli(t.adminToken, (write) => applyCommand(config(), work, { server, dryRun: true }, write));
    assert.equal(plan, [
      'Plan (3 changes):',
      '  ~ update Contoso mail [iosEasEmailProfileConfiguration]: accountName (reaches 1 device now)',
      "  ~ assign Contoso mail [iosEasEmailProfileConfiguration]: group 'Sales' (reaches 1 device now)",
      '  - delete Legacy root [iosTrustedRootCertificate]',
      'Dry run: nothing was changed.',
      '',
    ].join('\n'));
    assert.deepEqual((await t.request('GET', configuration)).body, before, 'a dry run changes nothing');
    const readOnlyApply = await t.request('POST', `${configuration}/apply`, { body: { profiles: before.profiles }, token: await t.readOnlyToken() });
    assert.equal(readOnlyApply.status, 403);
    const readOnlyPlan = await t.request('POST', `${configuration}/plan`, { body: { profiles: before.profiles }, token: await t.readOnlyToken() });
    assert.deepEqual([readOnlyPlan.status, readOnlyPlan.body.applied, readOnlyPlan.body.plan.changes.length], [200, false, 0]);
  });

  it('applies the plan, after which the same files plan nothing', async () => {
    const printed = await cli(t.adminToken, (write) => applyCommand(config(), work, { server }, write));
    assert.match(printed, /Applied 3 changes\.\n$/);
    const audited = (await t.request('GET', "/graph/beta/deviceManagement/auditEvents?$orderby=activityDateTime desc&$top=5")).body.value;
    assert.ok(audited.some((e: { activity: string; activityResult: string }) => /apply/i.test(e.activity) && e.activityResult === 'Success'), JSON.stringify(audited.map((e: { activity: string }) => e.activity)));
    const names = (await t.request('GET', `${configs}?$select=displayName`)).body.value.map((p: { displayName: string }) => p.displayName).sort();
    assert.deepEqual(names, ['Contoso mail', 'Corp identity', 'Corp root']);
    assert.equal(await cli(t.adminToken, (write) => applyCommand(config(), work, { server, dryRun: true }, write)), 'The tenant matches the files: nothing to do.\n');
  });

  it('recreates the configuration in another tenant, links and assignments resolved there by name', async () => {
    await create('/graph/beta/groups', { displayName: 'Sales' }, other.admin);
    const printed = await cli(other.admin, (write) => applyCommand(config(), work, { server }, write));
    assert.match(printed, /\+ create Corp root \[iosTrustedRootCertificate\]: group 'Sales'\n {2}\+ create Corp identity \[iosScepCertificateProfile\]: group 'Sales'\n {2}\+ create Contoso mail/);
    const exported = (await t.request('GET', configuration, { token: other.admin })).body.profiles;
    assert.deepEqual(exported.map((p: { profile: { displayName: string } }) => p.profile.displayName), ['Corp root', 'Corp identity', 'Contoso mail']);
    assert.deepEqual(exported[1].certificates, { rootCertificate: 'Corp root' });
    assert.deepEqual(exported[2].certificates, { identityCertificate: 'Corp identity' });
    assert.deepEqual(exported[2].assignments, [{ group: 'Sales' }]);
    assert.equal((await t.request('GET', configuration)).body.profiles.length, 3, 'the first tenant is untouched');
  });

  it('refuses invalid files before changing anything, naming the file and the field', async () => {
    const count = await t.count('device_configurations');
    const cases: [unknown, RegExp][] = [
      [[{ profile: { '@odata.type': '#microsoft.graph.iosEasEmailProfileConfiguration', displayName: 'Bad', accountName: 'A', hostName: 'not a host' } }], /profiles\[0\] \('Bad'\).*hostName/],
      [[{ profile: { displayName: 'X' }, assignments: [{ group: 'Nobody' }] }], /@odata\.type|Group 'Nobody'/],
      [[{ profile: { '@odata.type': '#microsoft.graph.iosTrustedRootCertificate', displayName: 'R', trustedRootCertificate: testRoot, certFileName: 'r.cer' }, assignments: [{ group: 'Nobody' }] }], /Group 'Nobody' does not exist/],
      [[{ profile: { displayName: 'Dup' } }, { profile: { displayName: 'Dup' } }], /Two files define a profile named 'Dup'/],
      [[{ profile: {}, extra: 1 }], /profiles\[0\]\.extra is not a property/],
      ['nope', /profiles must be an array/],
    ];
    for (const [profiles, message] of cases) {
      const reply = await t.request('POST', `${configuration}/apply`, { body: { profiles } });
      assert.equal(reply.status, 400, JSON.stringify(reply.body));
      assert.match(reply.body.error.message, message);
    }
    const changedType = (await t.request('GET', configuration)).body.profiles;
    changedType[0].profile['@odata.type'] = '#microsoft.graph.iosPkcsCertificateProfile';
    const typeReply = await t.request('POST', `${configuration}/apply`, { body: { profiles: changedType } });
    assert.equal(typeReply.status, 400);
    assert.match(typeReply.body.error.message, /cannot change type/);
    const hostChange = (await t.request('GET', configuration)).body.profiles;
    hostChange[2].profile.hostName = 'new.contoso.com';
    const hostReply = await t.request('POST', `${configuration}/apply`, { body: { profiles: hostChange } });
    assert.equal(hostReply.status, 400);
    assert.match(hostReply.body.error.message, /hostName cannot change on an assigned profile/);
    assert.equal(await t.count('device_configurations'), count);
  });

  it('needs a token, and says so', async () => {
    assert.equal((await t.request('GET', configuration, { token: null })).status, 401);
    await assert.rejects(exportCommand(config(), work, { server }), (error: unknown) => error instanceof CliError && /Set ENVELOPE_TOKEN/.test(error.message));
  });
});
