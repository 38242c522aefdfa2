import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { createTestApp, type TestApp } from '../helpers/test-app.ts';

const fixtures = join(import.meta.dirname, '..', 'fixtures', 'graph-examples');
const path = '/graph/beta/deviceManagement/deviceConfigurations';
const readOnlyProperties = ['version', 'supportsScopeTags', 'lastModifiedDateTime', 'createdDateTime', 'applyOnlyToWindowsPhone81', 'id'];

function fixture(name: string): Record<string, unknown> {
  return JSON.parse(readFileSync(join(fixtures, name), 'utf8')) as Record<string, unknown>;
}

/** Certificate-type prefix of each email profile family. */
function certificatePrefix(odataType: string): string {
  const type = odataType.replace('#microsoft.graph.', '');
  if (type.startsWith('ios')) return 'ios';
  if (type.startsWith('androidWorkProfile')) return 'androidWorkProfile';
  if (type.startsWith('androidForWork')) return 'androidForWork';
  return 'android';
}

const testRoot = fixture('iosTrustedRootCertificate.create.json').trustedRootCertificate as string;

describe('/graph/beta/deviceManagement/deviceConfigurations', () => {
  let t: TestApp;
  let n = 0;
  const certificates = new Map<string, { scep: string; pkcs: string; root: string }>();

  /** A trusted root, a SCEP and a PKCS profile of the family, created once. */
  async function certificatesFor(prefix: string) {
    const existing = certificates.get(prefix);
    if (existing) return existing;
    const create = async (body: Record<string, unknown>) => {
      const reply = await t.request('POST', path, { body: { displayName: `${body['@odata.type']} ${++n}`, ...body } });
      assert.equal(reply.status, 201, JSON.stringify(reply.body));
      return reply.body.id as string;
    };
    const root = await create({ '@odata.type': `#microsoft.graph.${prefix}TrustedRootCertificate`, trustedRootCertificate: testRoot, certFileName: 'root.cer' });
    const scep = await create({
      '@odata.type': `#microsoft.graph.${prefix}ScepCertificateProfile`,
      scepServerUrls: ['https://ndes.contoso.com/certsrv/mscep/mscep.dll'],
      keySize: 'size2048',
      keyUsage: 'digitalSignature,keyEncipherment',
      'rootCertificate@odata.bind': `https://graph.microsoft.com/beta/deviceManagement/deviceConfigurations('${root}')`,
    });
    const pkcs = await create({ '@odata.type': `#microsoft.graph.${prefix}PkcsCertificateProfile` });
    const ids = { root, scep, pkcs };
    certificates.set(prefix, ids);
    return ids;
  }

  /** Microsoft's example body with a unique name and its certificate binds pointing at real profiles. */
  async function exampleBody(file: string): Promise<Record<string, unknown>> {
    const body = fixture(file);
    body.displayName = `${file} ${++n}`;
    const certs = await certificatesFor(certificatePrefix(body['@odata.type'] as string));
    const bind = (id: string) => `https://graph.microsoft.com/beta/deviceManagement/deviceConfigurations('${id}')`;
    if ('identityCertificate@odata.bind' in body) body['identityCertificate@odata.bind'] = bind(certs.scep);
    if ('smimeSigningCertificate@odata.bind' in body) body['smimeSigningCertificate@odata.bind'] = bind(certs.pkcs);
    if ('smimeEncryptionCertificate@odata.bind' in body) body['smimeEncryptionCertificate@odata.bind'] = bind(certs.pkcs);
    return body;
  }

  before(async () => {
    t = await createTestApp();
  });
  after(() => t.close());

  const emailExamples = readdirSync(fixtures).filter((f) => f.endsWith('.create.json') && /Email|Eas/.test(f));

  it('has a Microsoft example for each of the seven email profile types and both legacy twins', () => {
    assert.equal(emailExamples.length, 8);
  });

  for (const file of emailExamples) {
    const type = file.replace('.create.json', '');
    it(`creates, reads back and patches Microsoft's ${type} example`, async () => {
      const body = await exampleBody(file);
      const created = await t.request('POST', path, { body });
      assert.equal(created.status, 201, JSON.stringify(created.body));
      assert.equal(created.body['@odata.type'], `#microsoft.graph.${type}`);
      assert.equal(created.body.version, 1);
      for (const [key, value] of Object.entries(body)) {
        if (readOnlyProperties.includes(key) || key.endsWith('@odata.bind')) continue;
        assert.deepEqual(created.body[key], value, `${type}.${key}`);
      }
      const read = await t.request('GET', `${path}/${created.body.id}`);
      assert.equal(read.status, 200);
      assert.deepEqual(read.body, created.body);

      const update = fixture(`${type}.update.json`);
      if ('displayName' in update) update.displayName = `${body.displayName} (updated)`; // names are unique per tenant
      const patched = await t.request('PATCH', `${path}/${created.body.id}`, { body: update });
      assert.equal(patched.status, 200, JSON.stringify(patched.body));
      assert.equal(patched.body.version, 2);
      for (const [key, value] of Object.entries(update)) {
        if (readOnlyProperties.includes(key) || key.endsWith('@odata.bind') || key === '@odata.type') continue;
        if (key === 'easServices' && typeof value === 'string') continue; // normalised to canonical order
        assert.deepEqual(patched.body[key], value, `${type}.${key} after PATCH`);
      }
      assert.deepEqual((await t.request('GET', `${path}/${created.body.id}`)).body, patched.body);
    });
  }

  it('lists profiles of one type with isof() and of one name with eq', async () => {
    const ios = await t.request('GET', `${path}?$filter=isof('microsoft.graph.iosEasEmailProfileConfiguration')`);
    assert.equal(ios.status, 200);
    assert.ok(ios.body.value.length >= 1);
    assert.ok(ios.body.value.every((p: Record<string, string>) => p['@odata.type'] === '#microsoft.graph.iosEasEmailProfileConfiguration'));
  });

  const base = {
    '@odata.type': '#microsoft.graph.iosEasEmailProfileConfiguration',
    accountName: 'Contoso',
    hostName: 'mail.contoso.com',
    emailAddressSource: 'userPrincipalName',
    usernameSource: 'userPrincipalName',
    requireSsl: true,
    durationOfEmailToSync: 'oneWeek',
  };
  const invalid: Array<[string, () => Promise<Record<string, unknown>>, string]> = [
    ['an unknown property', async () => ({ ...base, hostname: 'x' }), 'hostname'],
    ['a missing @odata.type', async () => { const { '@odata.type': _t, ...rest } = base; return rest; }, '@odata.type'],
    ['an unsupported @odata.type', async () => ({ ...base, '@odata.type': '#microsoft.graph.macOSEasEmailProfileConfiguration' }), '@odata.type'],
    ['a URL as hostName', async () => ({ ...base, hostName: 'https://mail.contoso.com/EWS' }), 'hostName'],
    ['host:port on iOS', async () => ({ ...base, hostName: 'mail.contoso.com:443' }), 'hostName'],
    ['an unknown enum value', async () => ({ ...base, durationOfEmailToSync: 'oneYear' }), 'durationOfEmailToSync'],
    ['null for a non-null field', async () => ({ ...base, requireSsl: null }), 'requireSsl'],
    ['an unknown easServices flag', async () => ({ ...base, easServices: 'email,faxes' }), 'easServices'],
    ['certificate authentication without an identity certificate', async () => ({ ...base, authenticationMethod: 'certificate' }), 'identityCertificate@odata.bind'],
    ['an identity certificate of another platform family', async () => {
      const android = await certificatesFor('android');
      return { ...base, authenticationMethod: 'certificate', 'identityCertificate@odata.bind': `deviceConfigurations('${android.scep}')` };
    }, 'identityCertificate@odata.bind'],
    ['an identity certificate that does not exist', async () => ({
      ...base, authenticationMethod: 'certificate', 'identityCertificate@odata.bind': "deviceConfigurations('00000000-0000-4000-8000-000000000009')",
    }), 'identityCertificate@odata.bind'],
    ['a signing certificate without S/MIME', async () => {
      const ios = await certificatesFor('ios');
      return { ...base, 'smimeSigningCertificate@odata.bind': `deviceConfigurations('${ios.pkcs}')` };
    }, 'smimeSigningCertificate@odata.bind'],
    ['Knox syncNotes: true', async () => ({
      '@odata.type': '#microsoft.graph.androidEasEmailProfileConfiguration', accountName: 'Contoso', hostName: 'mail.contoso.com',
      authenticationMethod: 'usernameAndPassword', usernameSource: 'userPrincipalName', emailAddressSource: 'userPrincipalName',
      requireSsl: true, requireSmime: false, durationOfEmailToSync: 'oneWeek', emailSyncSchedule: 'asMessagesArrive',
      syncCalendar: true, syncContacts: true, syncTasks: true, syncNotes: true,
    }), 'syncNotes'],
  ];
  for (const [what, makeBody, field] of invalid) {
    it(`rejects ${what} with 400 naming ${field}, writing nothing`, async () => {
      const body = await makeBody();
      const before = await t.count('device_configurations');
      const reply = await t.request('POST', path, { body: { displayName: `Invalid ${++n}`, ...body } });
      assert.equal(reply.status, 400, JSON.stringify(reply.body));
      assert.equal(reply.body.error.code, 'BadRequest');
      assert.equal(reply.body.error.target, field, reply.body.error.message);
      assert.ok(reply.body.error.message.includes(field), reply.body.error.message);
      assert.equal(await t.count('device_configurations'), before);
    });
  }

  it('refuses a duplicate profile name with 409', async () => {
    await t.request('POST', path, { body: { ...base, displayName: 'Unique name' } });
    const second = await t.request('POST', path, { body: { ...base, displayName: 'UNIQUE NAME' } });
    assert.equal(second.status, 409);
    assert.equal(second.body.error.target, 'displayName');
  });

  it('bumps version on every PATCH and refuses a PATCH that changes @odata.type', async () => {
    const { body: profile } = await t.request('POST', path, { body: { ...base, displayName: `Versioned ${++n}` } });
    for (const version of [2, 3, 4]) {
      const reply = await t.request('PATCH', `${path}/${profile.id}`, { body: { description: `v${version}` } });
      assert.equal(reply.body.version, version);
    }
    const retype = await t.request('PATCH', `${path}/${profile.id}`, { body: { '@odata.type': '#microsoft.graph.windows10EasEmailProfileConfiguration' } });
    assert.equal(retype.status, 400);
    assert.equal(retype.body.error.target, '@odata.type');
  });

  it('changes hostName of an unassigned profile, but refuses it with 409 once assigned, leaving it untouched', async () => {
    const { body: profile } = await t.request('POST', path, { body: { ...base, displayName: `Identity ${++n}` } });
    const free = await t.request('PATCH', `${path}/${profile.id}`, { body: { hostName: 'outlook.contoso.com' } });
    assert.equal(free.status, 200);
    const { body: group } = await t.request('POST', '/graph/beta/groups', { body: { displayName: `Identity group ${n}` } });
    const assigned = await t.request('POST', `${path}/${profile.id}/assign`, {
      body: { assignments: [{ target: { '@odata.type': '#microsoft.graph.groupAssignmentTarget', groupId: group.id } }] },
    });
    assert.equal(assigned.status, 200);
    for (const change of [{ hostName: 'mail2.contoso.com' }, { emailAddressSource: 'primarySmtpAddress' }]) {
      const refused = await t.request('PATCH', `${path}/${profile.id}`, { body: change });
      assert.equal(refused.status, 409);
      assert.equal(refused.body.error.target, Object.keys(change)[0]);
      assert.match(refused.body.error.message, /[Dd]elete this profile and create a new one/);
    }
    const read = await t.request('GET', `${path}/${profile.id}`);
    assert.equal(read.body.hostName, 'outlook.contoso.com');
    assert.equal(read.body.version, 2);
    const other = await t.request('PATCH', `${path}/${profile.id}`, { body: { accountName: 'Contoso Mail' } });
    assert.equal(other.status, 200);
  });

  it('refuses to delete a certificate profile an email profile uses, and deletes the email profile with its assignments', async () => {
    const ios = await certificatesFor('ios');
    const { body: email } = await t.request('POST', path, {
      body: { ...base, displayName: `Cert user ${++n}`, authenticationMethod: 'certificate', 'identityCertificate@odata.bind': `deviceConfigurations('${ios.scep}')` },
    });
    const refused = await t.request('DELETE', `${path}/${ios.scep}`);
    assert.equal(refused.status, 409);
    assert.ok(refused.body.error.message.includes(email.displayName));
    const { body: group } = await t.request('POST', '/graph/beta/groups', { body: { displayName: `Delete group ${n}` } });
    await t.request('POST', `${path}/${email.id}/assign`, { body: { assignments: [{ target: { '@odata.type': '#microsoft.graph.groupAssignmentTarget', groupId: group.id } }] } });
    assert.equal((await t.request('DELETE', `${path}/${email.id}`)).status, 204);
    assert.equal((await t.request('GET', `${path}/${email.id}`)).status, 404);
    const left = await t.envelope.db.query('SELECT 1 FROM device_configuration_assignments WHERE configuration_id = $1', [email.id]);
    assert.equal(left.length, 0);
  });
});
